//! The rules every `sim` command keeps, each a regression test of a reported
//! defect: inputs bounded by the memory they need (exit 2 before
//! allocating, naming the flags, the need and the limit); comparisons
//! streamed, so memory does not grow with the length of a run; no progress
//! output when standard error is not a terminal; `--trace` reported as the
//! waveform; negative `--requant` values without `=`.

use std::path::Path;
use std::process::{Command, Output};

use golden::tile::gemm::{gemm, requantize, Matrix, Requant, Requantization};

fn serrano_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_serrano"));
    c.args(args).env_remove("SERRANO_MEMORY_LIMIT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("serrano runs")
}

fn serrano(args: &[&str]) -> Output {
    serrano_env(args, &[])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = serrano(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Exit 2 with every one of `want` in the message.
fn refused(o: &Output, want: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for w in want {
        assert!(e.contains(w), "expected {w:?} in: {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

fn write_npy(path: &Path, descr: &str, shape: &str, data: &[u8]) {
    let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&(h.len() as u16).to_le_bytes());
    v.extend_from_slice(h.as_bytes());
    v.extend_from_slice(data);
    std::fs::write(path, v).unwrap();
}

/// Runs over the memory budget are refused before anything is allocated or
/// simulated; the error names what needs the memory, how much, and the limit.
#[test]
fn runs_over_the_memory_budget_exit_2_naming_flags_need_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let y = dir.path().join("y.npy");
    let y = y.to_str().unwrap();
    // 100 M rows of 256 probabilities for --out: 23.8 GiB.
    let o = serrano(&["sim", "softmax", "--preset", "tiny", "--rows", "100000000", "--len", "256", "--out", y]);
    refused(
        &o,
        &["sim softmax would need about 23.8 GiB", "--out: --rows 100000000 x --len 256", "the limit is 2.0 GiB"],
    );
    assert!(!Path::new(y).exists());
    // The case: more rows than any run can finish.
    let o = serrano(&["sim", "softmax", "--preset", "tiny", "--rows", "1099511627776", "--len", "4"]);
    refused(&o, &["--rows 1099511627776: must be between 1 and 4294967296"]);

    // sim gemm: A from --m/--k, C for --out, against a smaller budget.
    let env = [("SERRANO_MEMORY_LIMIT", "16M")];
    let o = serrano_env(&["sim", "gemm", "--preset", "tiny", "--m", "8192", "--k", "4096", "--n", "1"], &env);
    refused(&o, &["A (--m/--k/--n): 8192x4096 int8: 32.0 MiB", "the limit is 16.0 MiB", "SERRANO_MEMORY_LIMIT"]);
    let c = dir.path().join("c.npy");
    let args =
        ["sim", "gemm", "--preset", "tiny", "--m", "2048", "--k", "1", "--n", "2048", "--out", c.to_str().unwrap()];
    refused(&serrano_env(&args, &env), &["C for --out: 2048x2048 int32: 16.0 MiB"]);
    // The same run without --out holds no C and fits.
    let v =
        serde_json::from_slice::<serde_json::Value>(&serrano_env(&[&args[..10], &["--json"]].concat(), &env).stdout)
            .expect("fits without --out");
    assert_eq!(v["mismatches"], 0);
    assert!(v["memory_need_bytes"].as_u64().unwrap() < 16 << 20, "{v}");
    // .npy operands are weighed from their headers, before their data is read.
    let (pa, pb) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    write_npy(&pa, "|i1", "(2048, 1024)", &vec![0; 2048 * 1024]);
    write_npy(&pb, "|i1", "(1024, 1)", &[0; 1024]);
    let args = ["sim", "gemm", "--preset", "tiny", "--a", pa.to_str().unwrap(), "--b", pb.to_str().unwrap()];
    refused(&serrano_env(&args, &[("SERRANO_MEMORY_LIMIT", "1M")]), &["A (--a/--b): 2048x1024 int8: 2.0 MiB"]);
    // A deep accumulator and a long K: the program's blocks themselves.
    let deep = dir.path().join("deep.toml");
    std::fs::write(&deep, "[systolic]\nrows = 2\ncols = 2\nacc_depth = 65536\n").unwrap();
    let args = ["sim", "gemm", "--config", deep.to_str().unwrap(), "--m", "64", "--k", "1048576", "--n", "1"];
    refused(&serrano(&args), &["the program's blocks in flight", "the limit is 2.0 GiB"]);
    // A budget that is not a size.
    for bad in ["lots", "0", "-1G", "1.5G"] {
        let o = serrano_env(&["sim", "pe", "--preset", "tiny", "--cycles", "1"], &[("SERRANO_MEMORY_LIMIT", bad)]);
        refused(&o, &["SERRANO_MEMORY_LIMIT", "expected a number of bytes"]);
    }
}

/// The comparison streams: a run 64 times longer holds about the same
/// memory (the GEMM's program and the softmax rows used to be kept whole:
/// 1024^3 on the tiny preset held 3.8 GB), and the peak stays within the
/// run's own estimate above a small run's.
#[test]
fn memory_does_not_grow_with_the_run() {
    let peak = |v: &serde_json::Value| v["peak_rss_bytes"].as_u64().expect("peak_rss_bytes (Linux)");
    let small = json(&["sim", "gemm", "--preset", "tiny", "--m", "16", "--k", "16", "--n", "16", "--json"]);
    // 64x the result rows and 32x the K folds of the small run: 2 Mi A rows
    // of program (about 100 MiB) if it were kept whole.
    let big = json(&["sim", "gemm", "--preset", "tiny", "--m", "256", "--k", "512", "--n", "256", "--json"]);
    assert_eq!(big["mismatches"], 0);
    let need = big["memory_need_bytes"].as_u64().unwrap();
    assert!(need < 16 << 20, "{need}");
    assert!(peak(&big) <= peak(&small) + need + (4 << 20), "gemm: small {small}\nbig {big}");

    let small = json(&["sim", "softmax", "--preset", "tiny", "--rows", "100", "--json"]);
    let big = json(&["sim", "softmax", "--preset", "tiny", "--rows", "25600", "--json"]);
    assert_eq!(big["mismatches"], 0);
    assert_eq!(big["compared_elements"], 25600 * 256);
    let grew = peak(&big).saturating_sub(peak(&small));
    assert!(grew < 4 << 20, "softmax grew by {grew} bytes over 256x the rows: {small}\n{big}");
}

/// Progress goes to standard error only when it is a terminal: a pipe (a
/// test, a script) sees nothing from a successful run.
#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    for args in [
        vec!["sim", "gemm", "--preset", "tiny", "--m", "64", "--k", "64", "--n", "64"],
        vec!["sim", "softmax", "--preset", "tiny", "--rows", "200"],
        vec!["sim", "pe", "--preset", "tiny", "--cycles", "200000"],
        vec!["sim", "dma", "--preset", "tiny", "--bytes", "4096"],
    ] {
        let o = serrano(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

/// `sim pe --trace F --json` names F as its waveform (it said null).
#[test]
fn a_trace_is_reported_as_the_waveform() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("pe.fst");
    let v = json(&["sim", "pe", "--preset", "tiny", "--cycles", "100", "--trace", t.to_str().unwrap(), "--json"]);
    assert_eq!(v["waveform"], t.to_str().unwrap());
    assert!(std::fs::metadata(&t).unwrap().len() > 0);
    let t = dir.path().join("sm.fst");
    let args = ["sim", "softmax", "--preset", "tiny", "--rows", "2", "--len", "8", "--trace", t.to_str().unwrap()];
    let v = json(&[&args[..], &["--json"]].concat());
    assert_eq!(v["waveform"], t.to_str().unwrap());
    assert!(std::fs::metadata(&t).unwrap().len() > 0);
}

/// `--requant -5,3,0` is a value, not an unknown flag, and requantizes.
#[test]
fn negative_requant_values_need_no_equals_sign() {
    let o = serrano(&["sim", "gemm", "--preset", "tiny", "--m", "2", "--k", "2", "--n", "2", "--requant", "-5,3,0"]);
    refused(&o, &["--requant: this tile has no requantization hardware"]);
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("rq.toml");
    // The tile of gen/tests/cli.rs's requantization case, so the build is shared.
    std::fs::write(&toml, "[systolic]\nrows = 4\ncols = 4\nacc_depth = 16\n").unwrap();
    let (pa, pb, pc) = (dir.path().join("a.npy"), dir.path().join("b.npy"), dir.path().join("c.npy"));
    let a: Vec<i8> = (0..5 * 7).map(|i| (i * 53 % 256) as u8 as i8).collect();
    let b: Vec<i8> = (0..7 * 3).map(|i| (i * 91 % 256) as u8 as i8).collect();
    write_npy(&pa, "|i1", "(5, 7)", &a.iter().map(|&x| x as u8).collect::<Vec<_>>());
    write_npy(&pb, "|i1", "(7, 3)", &b.iter().map(|&x| x as u8).collect::<Vec<_>>());
    let (ta, tb, tc, tt) = (pa.to_str().unwrap(), pb.to_str().unwrap(), pc.to_str().unwrap(), toml.to_str().unwrap());
    let v = json(&["sim", "gemm", "--config", tt, "--a", ta, "--b", tb, "--out", tc, "--requant", "-5,3,-7", "--json"]);
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["requant"], "-5,3,-7");
    let got = testbenches::npy::Array::read(&pc).unwrap();
    let c = gemm(&Matrix::from_vec(5, 7, a).unwrap(), &Matrix::from_vec(7, 3, b).unwrap()).unwrap();
    let q = Requantization::PerTensor(Requant { multiplier: -5, shift: 3, zero_point: -7 });
    let want: Vec<i64> = requantize(&c, &q).data.iter().map(|&x| x as i64).collect();
    assert_eq!(got.data, want);
}

/// A crafted .npy header whose shape overflows is an error naming the flag
/// and the file (it panicked).
#[test]
fn npy_shapes_that_overflow_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    write_npy(&p, "|i1", "(4294967296, 4294967296)", &[0; 8]);
    let x = p.to_str().unwrap();
    let o = serrano(&["sim", "gemm", "--preset", "tiny", "--a", x, "--b", x]);
    refused(&o, &["--a: ", "x.npy: shape (4294967296, 4294967296) of int8 is too large"]);
    let o = serrano(&["sim", "softmax", "--preset", "tiny", "--input", x, "--scale", "0.1"]);
    refused(&o, &["--input: ", "is too large"]);
}
