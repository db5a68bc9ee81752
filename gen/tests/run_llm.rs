//! `serrano run llm` from the outside (needs the model file: `make model`):
//! two layers and two tokens on the RTL core with every logit equal to the
//! golden int8 model's and the JSON keys; exit code 2 naming the
//! flag for bad input.

use std::process::{Command, Output};

fn serrano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano")).args(args).output().expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const KEYS: [&str; 13] = [
    "text",
    "tokens",
    "logit_mismatches",
    "tokens_match_golden",
    "top1_agreement_float",
    "cycles_prefill",
    "cycles_per_token",
    "dram_bytes_per_token",
    "roofline_fraction",
    "tokens_per_s_1ghz",
    "utilization_prefill",
    "host_op_share",
    "sim_seconds",
];

#[test]
fn two_layers_on_the_rtl_core_equal_golden() {
    let args = ["run", "llm", "--preset", "default", "--backend", "rtl", "--layers", "2", "--tokens", "2", "--json"];
    let o = serrano(&args);
    assert!(o.status.success(), "serrano {}: {}", args.join(" "), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in KEYS {
        assert!(v.get(key).is_some_and(|x| !x.is_null()), "{key} missing: {v}");
    }
    assert_eq!(v["logit_mismatches"].as_u64(), Some(0), "{v}");
    assert_eq!(v["tokens_match_golden"], true, "{v}");
    assert_eq!(v["prompt_tokens"], serde_json::json!([6403, 1980, 253, 655]), "{v}");
    assert_eq!(v["tokens"].as_array().map(Vec::len), Some(2), "{v}");
    let a = v["top1_agreement_float"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&a), "{v}");
    // Decode is weight-bound: the LM head and two layers move about 35 MB.
    let f = v["roofline_fraction"].as_f64().unwrap();
    assert!(f > 0.5 && f <= 1.0, "{v}");
    let cycles = v["cycles_per_token"].as_f64().unwrap();
    assert!(cycles > 35_000_000.0 / 16.0, "{v}");
    // One progress line per token on stderr.
    assert_eq!(stderr(&o).matches("serrano run llm: token ").count(), 2, "{}", stderr(&o));
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let base = ["run", "llm", "--preset", "default"];
    let cases: [(&[&str], &str); 6] = [
        (&["--backend", "fpga"], "--backend"),
        (&["--layers", "0"], "--layers"),
        (&["--layers", "31"], "--layers"),
        (&["--tokens", "0"], "--tokens"),
        (&["--prompt", "", "--layers", "1"], "--prompt"),
        (&["--model", "/nonexistent/model.gguf"], "--model"),
    ];
    for (extra, flag) in cases {
        let o = serrano(&[&base[..], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{extra:?}: {}", stderr(&o));
    }
}
