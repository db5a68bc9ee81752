mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use verilator_sys::{Builder, Error};

#[test]
fn second_build_is_a_cache_hit() {
    let cache = fresh_cache();
    let (d, v) = src("counter.v", COUNTER);
    let b = Builder::new("counter").source(&v).cache_dir(cache.path());
    let lib1 = b.build().unwrap();
    assert!(!lib1.cache_hit());
    let entries = all_entries(cache.path());
    assert_eq!(model_entries(cache.path()).len(), 1);
    assert!(lib1.build_dir().join("model.so").is_file());
    assert!(lib1.build_dir().join("build.log").is_file());

    let lib2 = b.build().unwrap();
    assert!(lib2.cache_hit());
    assert_eq!(lib1.build_dir(), lib2.build_dir());
    assert_eq!(all_entries(cache.path()), entries, "no new directories");
    assert_eq!(lib2.ports(), lib1.ports());
    let mut m = lib2.instantiate(None).unwrap();
    let (clk, en, q) = (m.port("clk").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
    m.set(en, 1);
    m.tick(clk);
    assert_eq!(m.get(q), 1);

    // Anything in the key changes the entry.
    let lib3 = b.clone().verilator_arg("-DUNUSED_DEFINE").build().unwrap();
    assert!(!lib3.cache_hit());
    assert_ne!(lib3.build_dir(), lib1.build_dir());
    std::fs::write(&v, COUNTER.replace("8'd1", "8'd2")).unwrap();
    let lib4 = b.build().unwrap();
    assert!(!lib4.cache_hit());
    assert_ne!(lib4.build_dir(), lib1.build_dir());
    drop(d);
}

#[test]
fn concurrent_builds_in_threads_share_one_entry() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    let b = Builder::new("counter").source(&v).cache_dir(cache.path());
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2).map(|_| s.spawn(|| b.build())).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let libs: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(libs[0].build_dir(), libs[1].build_dir());
    assert_eq!(model_entries(cache.path()).len(), 1);
    let leftovers: Vec<_> = all_entries(cache.path()).into_iter().filter(|n| n.starts_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    for lib in &libs {
        let mut m = lib.instantiate(None).unwrap();
        let (clk, en, q) = (m.port("clk").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
        m.set(en, 1);
        m.tick(clk);
        m.tick(clk);
        assert_eq!(m.get(q), 2);
    }
}

const CHILD_CACHE: &str = "VSYS_TEST_CHILD_CACHE";
const CHILD_SRC: &str = "VSYS_TEST_CHILD_SRC";

/// Run by `concurrent_builds_in_processes_share_one_entry` in child processes.
#[test]
#[ignore = "helper, run by another test in a child process"]
fn child_build_helper() {
    let (Some(cache), Some(src)) = (std::env::var_os(CHILD_CACHE), std::env::var_os(CHILD_SRC)) else {
        return;
    };
    let lib = Builder::new("counter").source(PathBuf::from(src)).cache_dir(PathBuf::from(cache)).build().unwrap();
    let mut m = lib.instantiate(None).unwrap();
    let (clk, en, q) = (m.port("clk").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
    m.set(en, 1);
    m.tick(clk);
    assert_eq!(m.get(q), 1);
}

#[test]
fn concurrent_builds_in_processes_share_one_entry() {
    let (_d, v) = src("counter.v", COUNTER);
    let exe = std::env::current_exe().unwrap();
    let cache2 = fresh_cache();
    let procs: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["--ignored", "--exact", "child_build_helper", "--nocapture"])
                .env(CHILD_CACHE, cache2.path())
                .env(CHILD_SRC, &v)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for p in procs {
        let out = p.wait_with_output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
    }
    assert_eq!(model_entries(cache2.path()).len(), 1);
    let leftovers: Vec<_> = all_entries(cache2.path()).into_iter().filter(|n| n.starts_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // And the parent hits the entry the children made.
    let lib = Builder::new("counter").source(&v).cache_dir(cache2.path()).build().unwrap();
    assert!(lib.cache_hit());
}

/// Run in a child process with `VERILATOR_SYS_VERILATOR` pointing nowhere.
#[test]
#[ignore = "helper, run by another test in a child process"]
fn child_missing_verilator_helper() {
    if std::env::var_os("VSYS_TEST_MISSING").is_none() {
        return;
    }
    let (_d, v) = src("counter.v", COUNTER);
    let cache = tempfile::tempdir().unwrap();
    match Builder::new("counter").source(&v).cache_dir(cache.path()).build() {
        Err(Error::ToolNotFound { program, .. }) => {
            assert_eq!(program, "/nonexistent/verilator")
        }
        other => panic!("{other:?}"),
    }
    assert!(verilator_sys::verilator_version().is_err());
}

#[test]
fn missing_verilator_is_an_error() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_missing_verilator_helper", "--nocapture"])
        .env("VSYS_TEST_MISSING", "1")
        .env(verilator_sys::ENV_VERILATOR, "/nonexistent/verilator")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

#[test]
fn verilator_version_is_reported() {
    let v = verilator_sys::verilator_version().unwrap();
    assert!(v.starts_with("Verilator "), "{v}");
}

#[test]
fn default_cache_root_is_under_target() {
    // Tests run from target/<profile>/deps, so unless overridden by the
    // environment the root is <target>/verilator-cache.
    if std::env::var_os(verilator_sys::ENV_CACHE_DIR).is_some() || std::env::var_os("CARGO_TARGET_DIR").is_some() {
        return;
    }
    let root = verilator_sys::default_cache_root();
    assert!(root.ends_with("target/verilator-cache"), "{root:?}");
}
