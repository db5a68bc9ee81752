//! Every subcommand against hostile arguments and files: huge numbers, zero,
//! negatives, u64 overflow, empty strings, non-UTF-8, unknown presets,
//! missing, empty, garbage, truncated and absurdly shaped `.npy` files,
//! configs that are directories or garbage, output paths that cannot be
//! written, and `--json` into a closed pipe. Whatever the input, the command
//! exits 0, 1 or 2 and never panics; what is plainly bad input exits 2.
//!
//! Every case either fails before any simulation or synthesis, or is a tiny
//! simulation (cached model), so the file runs in seconds.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run gave.
struct Run {
    code: Option<i32>,
    stderr: String,
}

/// No hostile case may start a long run: each gets this long.
const LIMIT: Duration = Duration::from_secs(120);

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Run serrano with `args`; `closed_stdout`: its standard output is a pipe
/// whose reader has already gone.
fn run(args: &[OsString], closed_stdout: bool) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_serrano"));
    cmd.args(args).env_remove("SERRANO_MEMORY_LIMIT").stdin(Stdio::null());
    cmd.stdout(if closed_stdout { Stdio::piped() } else { Stdio::null() });
    cmd.stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("serrano starts");
    drop(child.stdout.take());
    let mut err_pipe = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} ran longer than {LIMIT:?}: a hostile case must fail early");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stderr = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    Run { code: status.code(), stderr }
}

/// Exit 0, 1 or 2 and no panic, whatever the input.
fn survives(args: &[OsString]) -> Run {
    let r = run(args, false);
    assert!(matches!(r.code, Some(0..=2)), "{args:?}: exit {:?} (a signal?)\n{}", r.code, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{args:?} panicked:\n{}", r.stderr);
    r
}

/// Bad input: exit 2, with a message (an error, or clap's usage) and no panic.
fn bad(args: &[OsString]) {
    let r = survives(args);
    assert_eq!(r.code, Some(2), "{args:?}: bad input must exit 2\n{}", r.stderr);
    assert!(!r.stderr.trim().is_empty(), "{args:?}: no message");
}

fn bad_str(args: &[&str]) {
    bad(&os(args));
}

/// `args` with its standard output closed: exits 0 quietly (the reader is
/// gone), never panics on the broken pipe.
fn closed_pipe(args: &[&str]) {
    let r = run(&os(args), true);
    assert!(!r.stderr.contains("panicked"), "{args:?} panicked on a closed pipe:\n{}", r.stderr);
    assert_eq!(r.code, Some(0), "{args:?} on a closed pipe:\n{}", r.stderr);
}

/// Files of every hostile kind, in a temporary directory.
struct Fixtures {
    dir: tempfile::TempDir,
}

fn npy(path: &Path, descr: &str, shape: &str, data: &[u8]) {
    let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&(h.len() as u16).to_le_bytes());
    v.extend_from_slice(h.as_bytes());
    v.extend_from_slice(data);
    std::fs::write(path, v).unwrap();
}

impl Fixtures {
    fn new() -> Fixtures {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("adir")).unwrap();
        std::fs::write(d.join("afile"), b"x").unwrap();
        std::fs::write(d.join("empty.npy"), b"").unwrap();
        std::fs::write(d.join("garbage.npy"), b"garbage, not an array\n").unwrap();
        std::fs::write(d.join("truncated.npy"), b"\x93NUMPY\x01\x00\x76\x00{'descr': '|i1', 'fort").unwrap();
        npy(&d.join("ok.npy"), "|i1", "(2, 3)", &[1, 2, 3, 4, 5, 6]);
        npy(&d.join("short.npy"), "|i1", "(2, 3)", &[1, 2, 3]);
        npy(&d.join("long.npy"), "|i1", "(2, 3)", &[0; 9]);
        npy(&d.join("huge.npy"), "|i1", "(1048576, 1048576)", &[0; 4]);
        npy(&d.join("overflow.npy"), "|i1", "(18446744073709551615, 18446744073709551615)", &[0; 4]);
        npy(&d.join("bigdim.npy"), "<i4", "(99999999999999999999999, 1)", &[0; 4]);
        npy(&d.join("zero.npy"), "|i1", "(0, 3)", &[]);
        npy(&d.join("three_d.npy"), "|i1", "(1, 2, 3)", &[0; 6]);
        npy(&d.join("f32.npy"), "<f4", "(2, 3)", &[0; 24]);
        npy(&d.join("big_endian.npy"), ">i2", "(2, 3)", &[0; 12]);
        let mut long_header = b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{".to_vec();
        long_header.extend_from_slice(&[b' '; 64]);
        std::fs::write(d.join("long_header.npy"), long_header).unwrap();
        std::fs::write(d.join("bad.toml"), "[systolic\nrows = ").unwrap();
        std::fs::write(d.join("empty.toml"), "").unwrap();
        std::fs::write(d.join("overflow.toml"), "[systolic]\nrows = 99999999999999999999\n").unwrap();
        std::fs::write(d.join("negative.toml"), "[systolic]\nrows = -4\n").unwrap();
        std::fs::write(d.join("zero.toml"), "[systolic]\nrows = 0\n").unwrap();
        std::fs::write(d.join("binary.toml"), [0xff, 0xfe, 0x00, 0x93]).unwrap();
        Fixtures { dir }
    }

    fn p(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// Every config that cannot be loaded.
    fn bad_configs(&self) -> Vec<String> {
        ["adir", "bad.toml", "empty.toml", "overflow.toml", "negative.toml", "zero.toml", "binary.toml", "missing.toml"]
            .iter()
            .map(|n| self.p(n))
            .collect()
    }

    /// Every .npy file that cannot be read as an int8 matrix.
    fn bad_npys(&self) -> Vec<String> {
        [
            "missing.npy",
            "adir",
            "empty.npy",
            "garbage.npy",
            "truncated.npy",
            "short.npy",
            "long.npy",
            "huge.npy",
            "overflow.npy",
            "bigdim.npy",
            "zero.npy",
            "three_d.npy",
            "f32.npy",
            "big_endian.npy",
            "long_header.npy",
        ]
        .iter()
        .map(|n| self.p(n))
        .chain(["/dev/null".to_string()])
        .collect()
    }

    /// Output files that cannot be written, for a flag: a directory, a file
    /// in a missing directory, a file under a file.
    fn bad_outputs(&self) -> Vec<String> {
        vec![self.p("adir"), self.p("missing/dir/x.out"), self.p("afile/x.out")]
    }
}

/// Numbers of every kind that are not a sane count: the flag's value is
/// refused by clap (exit 2) or by the command's range check (exit 2).
const BAD_COUNTS: [&str; 8] = ["0", "-1", "18446744073709551615", "18446744073709551616", "", "1e3", "0x10", " 7"];

#[test]
fn presets_and_top_level() {
    for args in [
        vec!["presets", "--bogus"],
        vec!["--bogus"],
        vec!["nosuchcommand"],
        vec!["sim"],
        vec!["sim", "nosuch"],
        vec![""],
    ] {
        bad_str(&args);
    }
    survives(&os(&["presets", "--json"]));
    survives(&os(&["--help"]));
    // A non-UTF-8 argument.
    bad(&[OsString::from("verilog"), OsString::from("--preset"), OsStr::from_bytes(b"\xff\xfe").to_os_string()]);
    closed_pipe(&["presets", "--json"]);
    closed_pipe(&["presets"]);
    closed_pipe(&["--help"]);
}

#[test]
fn verilog() {
    let f = Fixtures::new();
    for preset in ["nope", "", "../configs/tiny", "TINY", " tiny"] {
        bad_str(&["verilog", "--preset", preset]);
    }
    for c in f.bad_configs() {
        bad_str(&["verilog", "--config", &c]);
    }
    bad_str(&["verilog", "--preset", "tiny", "--config", &f.p("bad.toml")]);
    bad_str(&["verilog"]);
    // A config whose name is not UTF-8 is read all the same.
    let odd = f.dir.path().join(OsStr::from_bytes(b"cfg-\xff.toml"));
    std::fs::write(
        &odd,
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/tiny.toml")).unwrap(),
    )
    .unwrap();
    let out = f.dir.path().join("v-odd");
    let r = survives(&[
        "verilog".into(),
        "--config".into(),
        odd.into_os_string(),
        "--out".into(),
        out.clone().into_os_string(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    closed_pipe(&["verilog", "--preset", "tiny", "--out", out.to_str().unwrap(), "--json"]);
    closed_pipe(&["verilog", "--preset", "tiny", "--out", out.to_str().unwrap()]);
}

#[test]
fn sim_gemm() {
    let f = Fixtures::new();
    let base = ["sim", "gemm", "--preset", "tiny"];
    let with = |extra: &[&str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };
    let bad_v = |v: Vec<String>| bad(&v.iter().map(OsString::from).collect::<Vec<_>>());
    for n in BAD_COUNTS {
        for flag in ["--m", "--k", "--n"] {
            let mut dims = vec!["--m", "2", "--k", "2", "--n", "2"];
            let i = dims.iter().position(|d| *d == flag).unwrap();
            dims[i + 1] = n;
            bad_v(with(&dims));
        }
    }
    bad_v(with(&["--m", "1048576", "--k", "1048576", "--n", "1048576"]));
    bad_v(with(&["--m", "2"]));
    bad_str(&["sim", "gemm", "--m", "2", "--k", "2", "--n", "2"]);
    for c in f.bad_configs() {
        bad_str(&["sim", "gemm", "--config", &c, "--m", "2", "--k", "2", "--n", "2"]);
    }
    let ok = f.p("ok.npy");
    for p in f.bad_npys() {
        bad_v(with(&["--a", &p, "--b", &ok]));
        bad_v(with(&["--a", &ok, "--b", &p]));
    }
    bad_v(with(&["--a", &ok]));
    bad_v(with(&["--a", &ok, "--b", &ok])); // 2x3 by 2x3
    for q in ["", ",", ",,", "1,2", "1,2,3,4", "x,1,1", "1,63,0", "1,1,128", "1,1,-129", "2147483648,1,1", "-1,-1,-1"] {
        // Valid or not, the tiny tile has no requantization hardware.
        bad_v(with(&["--m", "2", "--k", "2", "--n", "2", "--requant", q]));
    }
    for o in f.bad_outputs() {
        bad_v(with(&["--m", "2", "--k", "2", "--n", "2", "--out", &o]));
        bad_v(with(&["--m", "2", "--k", "2", "--n", "2", "--trace", &o]));
    }
    bad_v(with(&["--m", "2", "--k", "2", "--n", "2", "--seed", "-1"]));
    bad_v(with(&["--m", "2", "--k", "2", "--n", "2", "--x-seed", "18446744073709551616"]));
    closed_pipe(&["sim", "gemm", "--preset", "tiny", "--m", "3", "--k", "5", "--n", "2", "--json"]);
    closed_pipe(&["sim", "gemm", "--preset", "tiny", "--m", "3", "--k", "5", "--n", "2"]);
}

#[test]
fn sim_softmax() {
    let f = Fixtures::new();
    let base = ["sim", "softmax", "--preset", "tiny"];
    let with = |extra: &[&str]| -> Vec<OsString> { base.iter().chain(extra).map(OsString::from).collect() };
    for n in BAD_COUNTS {
        bad(&with(&["--rows", n, "--len", "4"]));
        bad(&with(&["--rows", "2", "--len", n]));
    }
    bad(&with(&["--rows", "2", "--len", "257"]));
    bad(&with(&["--rows", "1099511627776", "--len", "4", "--out", &f.p("y.npy")]));
    for s in ["0", "-0", "-1", "nan", "inf", "-inf", "1e308", "1e-320", "", "x"] {
        bad(&with(&["--rows", "2", "--len", "4", "--scale", s]));
    }
    for p in f.bad_npys() {
        bad(&with(&["--input", &p, "--scale", "0.1"]));
    }
    bad(&with(&["--input", &f.p("ok.npy")]));
    for o in f.bad_outputs() {
        bad(&with(&["--rows", "2", "--len", "4", "--out", &o]));
        bad(&with(&["--rows", "2", "--len", "4", "--trace", &o]));
    }
    bad(&with(&["--rows", "2", "--len", "4", "--verilog", &f.p("afile")]));
    bad(&with(&["--rows", "2", "--len", "4", "--verilog", &f.p("afile/sub")]));
    for c in f.bad_configs() {
        bad_str(&["sim", "softmax", "--config", &c]);
    }
    closed_pipe(&["sim", "softmax", "--preset", "tiny", "--rows", "3", "--len", "5", "--json"]);
    closed_pipe(&["sim", "softmax", "--preset", "tiny", "--rows", "3", "--len", "5"]);
}

#[test]
fn sim_dma() {
    let f = Fixtures::new();
    let base = ["sim", "dma", "--preset", "tiny"];
    let with = |extra: &[&str]| -> Vec<OsString> { base.iter().chain(extra).map(OsString::from).collect() };
    for n in BAD_COUNTS {
        bad(&with(&["--bytes", n]));
        bad(&with(&["--bytes", "64", "--latency", n]));
    }
    bad(&with(&["--bytes", "16777217"]));
    bad(&with(&["--bytes", "64", "--latency", "10001"]));
    bad(&with(&["--bytes", "1048576", "--pattern", "paged"]));
    bad(&with(&["--bytes", "64", "--pattern", ""]));
    bad(&with(&["--bytes", "64", "--direction", "sideways"]));
    bad(&with(&["--bytes", "64", "--seed", "18446744073709551616"]));
    bad_str(&["sim", "dma", "--bytes", "64"]);
    for c in f.bad_configs() {
        bad_str(&["sim", "dma", "--config", &c, "--bytes", "64"]);
    }
    closed_pipe(&["sim", "dma", "--preset", "tiny", "--bytes", "64", "--latency", "2", "--json"]);
    closed_pipe(&["sim", "dma", "--preset", "tiny", "--bytes", "64", "--latency", "2"]);
}

#[test]
fn sim_pe() {
    let f = Fixtures::new();
    for n in ["-1", "18446744073709551615", "18446744073709551616", "", "281474976710657"] {
        bad_str(&["sim", "pe", "--preset", "tiny", "--cycles", n]);
    }
    for o in f.bad_outputs() {
        bad_str(&["sim", "pe", "--preset", "tiny", "--cycles", "10", "--trace", &o]);
    }
    for c in f.bad_configs() {
        bad_str(&["sim", "pe", "--config", &c]);
    }
    bad_str(&["sim", "pe", "--preset", "nope"]);
    bad_str(&["sim", "pe", "--preset", "tiny", "--seed", "x"]);
    closed_pipe(&["sim", "pe", "--preset", "tiny", "--cycles", "10", "--json"]);
    closed_pipe(&["sim", "pe", "--preset", "tiny", "--cycles", "10"]);
}

/// `area` and `fpga` run Yosys and nextpnr for minutes on good input; only
/// inputs refused before any tool runs are here.
#[test]
fn area_and_fpga() {
    let f = Fixtures::new();
    for c in f.bad_configs() {
        bad_str(&["area", "--config", &c]);
        bad_str(&["fpga", "--config", &c, "--device", "hx8k"]);
    }
    bad_str(&["area", "--preset", "nope"]);
    bad_str(&["area", "--preset", "tiny", "--target", "asic"]);
    bad_str(&["area", "--preset", "tiny", "--top", ""]);
    bad_str(&["area", "--preset", "tiny", "--top", "nosuchtop"]);
    bad_str(&["area", "--preset", "tiny", "--yosys", &f.p("missing-yosys")]);
    bad_str(&["area", "--preset", "tiny", "--yosys", &f.p("adir")]);
    bad_str(&["area", "--preset", "tiny", "--yosys", &f.p("afile")]);
    bad_str(&["fpga", "--preset", "tiny"]);
    bad_str(&["fpga", "--preset", "tiny", "--device", "ecp5"]);
    bad_str(&["fpga", "--preset", "nope", "--device", "hx8k"]);
    for freq in ["0", "-1", "nan", "inf", "1e9", ""] {
        bad_str(&["fpga", "--preset", "tiny", "--device", "hx8k", "--freq", freq]);
    }
    for seeds in ["", ",", "1,,2", "-1", "18446744073709551616"] {
        bad_str(&["fpga", "--preset", "tiny", "--device", "hx8k", "--seeds", seeds]);
    }
    bad_str(&["fpga", "--preset", "tiny", "--device", "hx8k", "--seed", "1", "--seeds", "1,2"]);
    bad_str(&["fpga", "--preset", "tiny", "--device", "hx8k", "--top", "gpu"]);
}

#[test]
fn report() {
    let f = Fixtures::new();
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/results.json");
    let results = results.to_str().unwrap();
    for r in [f.p("adir"), f.p("garbage.npy"), f.p("empty.npy"), f.p("missing.json")] {
        bad_str(&["report", "--results", &r]);
    }
    for u in [f.p("adir"), f.p("missing/README.md"), f.p("afile")] {
        bad_str(&["report", "--results", results, "--update", &u]);
        bad_str(&["report", "--results", results, "--update", &u, "--check"]);
    }
    bad_str(&["report", "--check"]);
    closed_pipe(&["report", "--results", results]);
}

/// One rule for every command: an output path that cannot be used because
/// of what the user gave is bad input (exit 2), found before any long work.
/// The `sim` commands' files are checked above; here the directories of
/// `verilog --out`, `fpga --out` and `area --work-dir` given as a file or
/// under one. Every case runs and the failures are listed together.
#[test]
fn unusable_output_directories_exit_2_in_every_command() {
    let f = Fixtures::new();
    let (file, under_file) = (f.p("afile"), f.p("afile/sub"));
    let mut wrong = Vec::new();
    for out in [&file, &under_file] {
        for args in [
            vec!["verilog", "--preset", "tiny", "--out", out],
            vec!["fpga", "--preset", "tiny", "--device", "hx8k", "--out", out],
            vec!["area", "--preset", "tiny", "--top", "tile", "--work-dir", out],
            vec!["sim", "softmax", "--preset", "tiny", "--rows", "1", "--len", "4", "--verilog", out],
        ] {
            let r = survives(&os(&args));
            if r.code != Some(2) {
                wrong.push(format!("{args:?}: exit {:?}: {}", r.code, r.stderr.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "unusable output directories must exit 2:\n{}", wrong.join("\n"));
}
