//! `serrano run gemm` from the outside: the issue's JSON keys on a small GEMM
//! through the tiny core, `.npy` operands in and C out, and exit code 2 for
//! bad shapes, a configuration without a core and unreadable files.

use std::process::{Command, Output};

use testbenches::npy::{Array, DType};

fn serrano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano")).args(args).output().expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_small_gemm_reports_the_issues_keys() {
    let o =
        serrano(&["run", "gemm", "--preset", "tiny", "--m", "5", "--k", "19", "--n", "6", "--latency", "20", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "cycles",
        "macs",
        "utilization",
        "dram_bytes_read",
        "dram_bytes_written",
        "bus_utilization",
        "mismatches",
        "violations",
        "busy_load",
        "busy_tile",
        "busy_softmax",
        "busy_store",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["mismatches"], 0, "{v}");
    assert_eq!(v["violations"], 0, "{v}");
    assert_eq!(v["counters_match_golden"], true, "{v}");
    assert!(v["cycles"].as_u64().unwrap() > 0);
}

#[test]
fn npy_operands_in_and_c_out() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("a.npy"), dir.path().join("b.npy"), dir.path().join("c.npy"));
    let av: Vec<i64> = (0..3 * 4).map(|i| (i * 37 % 255) as i64 - 127).collect();
    let bv: Vec<i64> = (0..4 * 2).map(|i| (i * 11 % 255) as i64 - 127).collect();
    std::fs::write(&a, Array::new(DType::I8, vec![3, 4], av.clone()).unwrap().to_bytes()).unwrap();
    std::fs::write(&b, Array::new(DType::I8, vec![4, 2], bv.clone()).unwrap().to_bytes()).unwrap();
    let (sa, sb, sc) = (a.to_str().unwrap(), b.to_str().unwrap(), c.to_str().unwrap());
    let o = serrano(&["run", "gemm", "--preset", "tiny", "--a", sa, "--b", sb, "--out", sc, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = Array::read(&c).unwrap();
    assert_eq!(out.shape, vec![3, 2]);
    for i in 0..3 {
        for j in 0..2 {
            let want: i64 = (0..4).map(|k| av[i * 4 + k] * bv[k * 2 + j]).sum();
            assert_eq!(out.data[i * 2 + j], want, "C[{i}][{j}]");
        }
    }
}

#[test]
fn bad_input_exits_2_naming_it() {
    let cases: [(&[&str], &str); 3] = [
        (&["run", "gemm", "--preset", "tiny", "--m", "0", "--k", "4", "--n", "4"], "--m 0"),
        (&["run", "gemm", "--preset", "tiny", "--m", "4", "--k", "4"], "--n"),
        (&["run", "gemm", "--preset", "tiny", "--a", "/nonexistent/a.npy", "--b", "/nonexistent/b.npy"], "a.npy"),
    ];
    for (args, needle) in cases {
        let o = serrano(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("nocore.toml");
    std::fs::write(&cfg, "[systolic]\nrows = 2\ncols = 2\nacc_depth = 16\n").unwrap();
    let o = serrano(&["run", "gemm", "--config", cfg.to_str().unwrap(), "--m", "2", "--k", "2", "--n", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("[core]"), "{}", stderr(&o));
}
