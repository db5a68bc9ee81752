//! `serrano sim softmax` from the outside: JSON keys, .npy in and out, the
//! causal mask, and exit code 2 for bad shapes, dtypes and scales.

use std::path::Path;
use std::process::{Command, Output};

use golden::softmax::SoftmaxParams;
use golden::SoftmaxConfig;
use testbenches::npy::{Array, DType};

fn serrano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano")).args(args).output().expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tiny() -> SoftmaxConfig {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/tiny.toml")).unwrap();
    golden::Config::from_toml_str(&text, "tiny").unwrap().softmax
}

#[test]
fn random_rows_report_json() {
    let o = serrano(&["sim", "softmax", "--preset", "tiny", "--rows", "40", "--len", "37", "--seed", "3", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "mismatches",
        "max_err_lsb",
        "mean_err_lsb",
        "elements_per_cycle",
        "cycles",
        "sustained_elements_per_cycle",
        "row_overhead_cycles",
        "latency_cycles",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["elements"], 40 * 37);
    assert!(v["max_err_lsb"].as_f64().unwrap() <= 1.0);
    assert!(v["mean_err_lsb"].as_f64().unwrap() <= 0.25);
    // The human summary.
    let o = serrano(&["sim", "softmax", "--preset", "tiny", "--rows", "4", "--len", "9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("mismatches          0"), "{text}");
}

#[test]
fn npy_in_npy_out_matches_golden_and_causal_masks() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.npy");
    let output = dir.path().join("y.npy");
    let (rows, len) = (5usize, 23usize);
    let x: Vec<i64> = (0..rows * len).map(|i| ((i * 37 + 11) % 256) as i64 - 128).collect();
    Array::new(DType::I8, vec![rows, len], x.clone()).unwrap().write(&input).unwrap();
    let o = serrano(&[
        "sim",
        "softmax",
        "--preset",
        "tiny",
        "--input",
        input.to_str().unwrap(),
        "--scale",
        "0.0625",
        "--causal",
        "--out",
        output.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["mismatches"], 0);
    let y = Array::read(&output).unwrap();
    assert_eq!(y.dtype, DType::U8);
    assert_eq!(y.shape, vec![rows, len]);
    // Row r sees positions 0..=r + len - rows; the rest is 0; every row
    // equals the golden model's.
    let c = tiny();
    let p = SoftmaxParams::new(&c);
    let k = p.scale_to_k(0.0625).unwrap();
    for r in 0..rows {
        let mask: Vec<bool> = (0..len).map(|j| j > r + len - rows).collect();
        let want = p.softmax_row(&p.exp2(), k, &x[r * len..(r + 1) * len], &mask);
        let got: Vec<u32> = y.row(r).iter().map(|&v| v as u32).collect();
        assert_eq!(got, want, "row {r}");
        assert!(got[r + len - rows + 1..].iter().all(|&v| v == 0));
    }
}

fn bad(args: &[&str], expect: &str) {
    let o = serrano(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(stderr(&o).contains(expect), "expected {expect:?} in: {}", stderr(&o));
}

#[test]
fn bad_shapes_dtypes_and_scales_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, a: Array| {
        let p = dir.path().join(name);
        a.write(&p).unwrap();
        p.to_str().unwrap().to_string()
    };
    let u8s = put("u8.npy", Array::new(DType::U8, vec![2, 3], vec![0; 6]).unwrap());
    let i16s = put("i16.npy", Array::new(DType::I16, vec![2, 3], vec![0; 6]).unwrap());
    let flat = put("flat.npy", Array::new(DType::I8, vec![6], vec![0; 6]).unwrap());
    let long = put("long.npy", Array::new(DType::I8, vec![1, 300], vec![0; 300]).unwrap());
    let empty = put("empty.npy", Array::new(DType::I8, vec![0, 3], vec![]).unwrap());
    let ok = put("ok.npy", Array::new(DType::I8, vec![2, 3], vec![0; 6]).unwrap());
    let junk = dir.path().join("junk.npy");
    std::fs::write(&junk, b"not an array").unwrap();
    let junk = junk.to_str().unwrap();
    let sim = |input: &str, scale: &str| -> Vec<String> {
        ["sim", "softmax", "--preset", "tiny", "--input", input, "--scale", scale]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let run = |v: Vec<String>, expect: &str| {
        let r: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        bad(&r, expect);
    };
    run(sim(&u8s, "0.1"), "dtype uint8 is not allowed; the logits must be int8");
    run(sim(&i16s, "0.1"), "dtype int16 is not allowed");
    run(sim(&flat, "0.1"), "shape (6,) must be 2-D [rows, len]");
    run(sim(&long, "0.1"), "length between 1 and softmax.max_len = 256");
    run(sim(&empty, "0.1"), "need at least one row");
    run(sim(junk, "0.1"), "not an .npy file");
    run(sim("/nonexistent/x.npy", "0.1"), "cannot read /nonexistent/x.npy");
    run(sim(&ok, "0"), "--scale: scale 0: must be a positive finite number");
    run(sim(&ok, "-2"), "must be a positive finite number");
    run(sim(&ok, "1e-12"), "cannot be represented");
    run(sim(&ok, "1000"), "cannot be represented");
    run(sim(&ok, "nan"), "positive finite");
    bad(&["sim", "softmax", "--preset", "tiny", "--input", &ok], "--scale");
    bad(
        &["sim", "softmax", "--preset", "tiny", "--len", "257"],
        "--len 257: must be between 1 and softmax.max_len = 256",
    );
    bad(&["sim", "softmax", "--preset", "tiny", "--rows", "0"], "--rows 0: must be at least 1");
    bad(
        &["sim", "softmax", "--preset", "tiny", "--input", &ok, "--scale", "0.1", "--rows", "3"],
        "cannot be used with",
    );
    let o = serrano(&[
        "sim",
        "softmax",
        "--preset",
        "tiny",
        "--rows",
        "1",
        "--len",
        "4",
        "--out",
        "/nonexistent/dir/y.npy",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out /nonexistent/dir/y.npy: /nonexistent/dir does not exist"), "{}", stderr(&o));
}

#[test]
fn verilog_dir_keeps_the_users_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rtl");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("my_top.v"), "module my_top; endmodule\n").unwrap();
    let args = ["sim", "softmax", "--preset", "tiny", "--rows", "2", "--len", "8", "--json", "--verilog"];
    let run = || {
        let mut a = args.to_vec();
        a.push(out.to_str().unwrap());
        serrano(&a)
    };
    // Twice: the second run replaces its own earlier files.
    for _ in 0..2 {
        let o = run();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read_to_string(out.join("my_top.v")).unwrap(), "module my_top; endmodule\n");
    let top = "serrano_softmax_l4_n256_i8_o8_t4.v";
    assert!(std::fs::read_to_string(out.join(top)).unwrap().starts_with("// Generated by serrano "));
    // A file of the user's under a generated name is never replaced.
    std::fs::write(out.join(top), "// mine\n").unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(top), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(out.join(top)).unwrap(), "// mine\n");
}
