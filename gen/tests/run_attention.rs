//! `serrano run attention` and `serrano run layer` from the outside: the
//! issue's JSON keys on small cases through the default core (every result
//! equal to golden, no protocol violation), and exit code 2 with the field
//! named for bad input.

use std::process::{Command, Output};

fn serrano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano")).args(args).output().expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let o = serrano(args);
    assert!(o.status.success(), "serrano {}: {}", args.join(" "), stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

const KEYS: [&str; 12] = [
    "cycles",
    "utilization",
    "dram_bytes_read",
    "roofline_cycles",
    "roofline_fraction",
    "mismatches",
    "violations",
    "busy_fetch",
    "busy_load",
    "busy_tile",
    "busy_softmax",
    "busy_store",
];

fn check_keys(v: &serde_json::Value) {
    for key in KEYS {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!((v["mismatches"].as_u64(), v["violations"].as_u64()), (Some(0), Some(0)), "{v}");
    assert_eq!(v["counters_match_golden"], true, "{v}");
    let f = v["roofline_fraction"].as_f64().unwrap();
    assert!(f > 0.0 && f <= 1.0, "{v}");
}

#[test]
fn attention_prefill_and_decode_report_the_issues_keys() {
    let p = ["run", "attention", "--preset", "default", "--seq", "45", "--d-head", "32", "--heads", "2"];
    let v = json_of(&[&p[..], &["--kv-heads", "1", "--causal", "--latency", "30", "--json"]].concat());
    check_keys(&v);
    assert!(v["max_error_lsb"].as_f64().unwrap() < 16.0, "{v}");
    let d = ["run", "attention", "--preset", "default", "--decode", "--context", "77", "--batch", "3"];
    let v = json_of(&[&d[..], &["--heads", "3", "--page-size", "64", "--fmax-mhz", "50", "--json"]].concat());
    check_keys(&v);
    let (t1, tf) = (v["tokens_per_second_1ghz"].as_f64().unwrap(), v["tokens_per_second_fmax"].as_f64().unwrap());
    assert!((t1 / tf - 20.0).abs() < 1e-9, "{v}");
}

#[test]
fn a_layer_step_reports_the_host_share() {
    let v = json_of(&["run", "layer", "--preset", "default", "--decode", "--context", "70", "--batch", "2", "--json"]);
    check_keys(&v);
    let share = v["host_op_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 0.2, "{v}");
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    for (args, want) in [
        (vec!["run", "attention", "--preset", "default", "--d-head", "20"], "d_head = 20"),
        (vec!["run", "attention", "--preset", "default", "--heads", "3", "--kv-heads", "2"], "kv_heads must divide"),
        (vec!["run", "attention", "--preset", "default", "--seq", "5000"], "max_len = 4096"),
        (vec!["run", "attention", "--preset", "default", "--decode", "--page-size", "24"], "page_size = 24"),
        (vec!["run", "attention", "--preset", "tiny"], "systolic.requant = false"),
        (vec!["run", "attention", "--preset", "large"], "softmax.out_bits = 16"),
        (vec!["run", "layer", "--preset", "default", "--decode", "--batch", "0"], "--batch"),
    ] {
        let o = serrano(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}
