//! The `serrano` binary works wherever it is installed and from whatever
//! folder it is run: a copy outside the repository, run from a third folder,
//! with a relative Verilator cache path or with no cache setting at all.
//!
//! Regression test for the simulations that failed outside the repository
//! root because Verilator was handed a relative path from inside its build
//! directory.

use std::path::Path;
use std::process::{Command, Output};

/// Copies the built binary to `root/bin/serrano` and returns its path.
fn install(root: &Path) -> std::path::PathBuf {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("serrano");
    std::fs::copy(env!("CARGO_BIN_EXE_serrano"), &exe).unwrap();
    exe
}

/// Runs the installed binary in `cwd` with a clean cache environment plus `env`.
fn run(exe: &Path, cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut c = Command::new(exe);
    c.current_dir(cwd).args(args).env_remove("CARGO_TARGET_DIR").env_remove("VERILATOR_SYS_CACHE_DIR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("serrano runs")
}

fn check(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["mismatches"], 0, "{what}: {v}");
}

const SIM: [&str; 8] = ["sim", "pe", "--preset", "tiny", "--cycles", "200", "--json", "--seed"];

#[test]
fn a_copied_binary_simulates_from_another_folder_with_a_relative_cache() {
    let root = tempfile::tempdir().unwrap();
    let exe = install(root.path());
    let work = root.path().join("work");
    std::fs::create_dir_all(&work).unwrap();

    let mut args = SIM.to_vec();
    args.push("1");
    let o = run(&exe, &work, &[("VERILATOR_SYS_CACHE_DIR", Path::new("mycache"))], &args);
    check(&o, "VERILATOR_SYS_CACHE_DIR=mycache");
    // The relative cache is taken relative to the folder the command ran in.
    let entries = std::fs::read_dir(work.join("mycache")).map(|d| d.count()).unwrap_or(0);
    assert!(entries > 0, "no cache entry under {}", work.join("mycache").display());
}

#[test]
fn a_copied_binary_finds_a_default_cache_without_any_setting() {
    let root = tempfile::tempdir().unwrap();
    let exe = install(root.path());
    let work = root.path().join("elsewhere");
    std::fs::create_dir_all(&work).unwrap();
    // No cache variable and no `target` folder above the binary: the default
    // is the per-user cache, here redirected into the temporary folder.
    let xdg = root.path().join("xdg");
    let mut args = SIM.to_vec();
    args.push("2");
    let o = run(&exe, &work, &[("XDG_CACHE_HOME", &xdg), ("HOME", root.path())], &args);
    check(&o, "default cache");
    assert!(xdg.exists(), "the default cache was not created under $XDG_CACHE_HOME ({})", xdg.display());
}
