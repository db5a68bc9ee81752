//! Relative cache roots, resolved from a current directory that is not the
//! repository root. The builds run in child processes (re-invoking this test
//! binary) because changing the current directory would affect every other
//! test thread of this process.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::*;
use verilator_sys::{Builder, ENV_CACHE_DIR};

const CHILD_MODE: &str = "VSYS_TEST_PATHS_MODE";
const CHILD_SRC: &str = "VSYS_TEST_PATHS_SRC";

/// Relative cache root used by the children (relative to their current dir).
const REL_CACHE: &str = "rel/cache";

fn exercise(lib: &verilator_sys::Library) {
    let mut m = lib.instantiate(None).unwrap();
    let (clk, en, q) = (m.port("clk").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
    m.set(en, 1);
    m.tick(clk);
    m.tick(clk);
    assert_eq!(m.get(q), 2);
}

/// Run by the tests below in a child process whose current directory is a
/// fresh temp dir.
#[test]
#[ignore = "helper, run by another test in a child process"]
fn child_relative_paths_helper() {
    let (Some(mode), Some(src)) = (std::env::var(CHILD_MODE).ok(), std::env::var_os(CHILD_SRC)) else {
        return;
    };
    println!("CHILD_RAN");
    let cwd = std::env::current_dir().unwrap();
    let expected_root = cwd.join(REL_CACHE);
    let builder = match mode.as_str() {
        // The source is relative too.
        "cache_dir" => Builder::new("counter").source(PathBuf::from(src)).cache_dir(REL_CACHE),
        "env" => {
            assert_eq!(std::env::var_os(ENV_CACHE_DIR).as_deref(), Some(OsStr::new(REL_CACHE)));
            assert_eq!(verilator_sys::default_cache_root(), expected_root);
            Builder::new("counter").source(PathBuf::from(src))
        }
        other => panic!("unknown mode {other}"),
    };
    assert_eq!(builder.cache_root(), expected_root);
    let lib = builder.build().unwrap_or_else(|e| panic!("build from {}: {e}", cwd.display()));
    assert!(!lib.cache_hit());
    assert!(lib.build_dir().is_absolute(), "{:?}", lib.build_dir());
    assert!(lib.build_dir().starts_with(&expected_root), "{:?}", lib.build_dir());
    exercise(&lib);
    // And a second build in the same process hits the entry.
    assert!(builder.build().unwrap().cache_hit());
}

/// A work dir (the child's current directory) with a seeded relative cache
/// root and the counter source; returns the work dir and the source path
/// relative to it.
fn work_dir() -> (tempfile::TempDir, &'static str) {
    let work = tempfile::tempdir().unwrap();
    seed_runtime(&work.path().join(REL_CACHE));
    std::fs::create_dir(work.path().join("rtl")).unwrap();
    write(&work.path().join("rtl"), "counter.v", COUNTER);
    (work, "rtl/counter.v")
}

fn check_child(work: &Path, env: &[(&str, &OsStr)]) {
    // Nothing of the build may depend on our own current directory.
    assert_ne!(std::env::current_dir().unwrap(), work);
    let (ok, text) = run_child_test("child_relative_paths_helper", env, Some(work));
    assert!(ok, "{text}");
    assert_eq!(model_entries(&work.join(REL_CACHE)).len(), 1, "{text}");
}

#[test]
fn relative_cache_dir_is_resolved_against_the_current_dir() {
    let (work, src) = work_dir();
    check_child(work.path(), &[(CHILD_MODE, OsStr::new("cache_dir")), (CHILD_SRC, OsStr::new(src))]);
}

#[test]
fn relative_cache_dir_from_the_environment_is_resolved_against_the_current_dir() {
    let (work, src) = work_dir();
    // The source is absolute here, to exercise only the cache root.
    let src = work.path().join(src);
    check_child(
        work.path(),
        &[(CHILD_MODE, OsStr::new("env")), (CHILD_SRC, src.as_os_str()), (ENV_CACHE_DIR, OsStr::new(REL_CACHE))],
    );
}

#[test]
fn cache_root_is_absolute() {
    let b = Builder::new("counter").cache_dir("some/relative/dir");
    assert_eq!(b.cache_root(), std::env::current_dir().unwrap().join("some/relative/dir"));
    assert!(Builder::new("counter").cache_root().is_absolute());
}
