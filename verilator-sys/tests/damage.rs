//! Damaged cache entries are detected before use and rebuilt once.
//!
//! The builds run in child processes: a damaged shared object used to kill
//! the loading process with SIGBUS, the repair message goes to stderr, and
//! this process must never map a `model.so` that the test then damages.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sha2::{Digest, Sha256};
use verilator_sys::{Builder, DONE_FILE};

const CHILD_CACHE: &str = "VSYS_TEST_DAMAGE_CACHE";
const CHILD_SRC: &str = "VSYS_TEST_DAMAGE_SRC";

/// Builds and runs the counter in a child process.
#[test]
#[ignore = "helper, run by another test in a child process"]
fn child_damage_helper() {
    let (Some(cache), Some(src)) = (std::env::var_os(CHILD_CACHE), std::env::var_os(CHILD_SRC)) else {
        return;
    };
    println!("CHILD_RAN");
    let lib = Builder::new("counter").source(PathBuf::from(src)).cache_dir(PathBuf::from(cache)).build().unwrap();
    println!("CACHE_HIT={}", lib.cache_hit());
    let mut m = lib.instantiate(None).unwrap();
    let (clk, en, q) = (m.port("clk").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
    m.set(en, 1);
    for _ in 0..3 {
        m.tick(clk);
    }
    assert_eq!(m.get(q), 3);
}

/// Builds in a child; returns whether it was a cache hit and its output.
fn build_in_child(cache: &Path, src: &Path) -> (bool, String) {
    let (ok, text) =
        run_child_test("child_damage_helper", &[(CHILD_CACHE, cache.as_os_str()), (CHILD_SRC, src.as_os_str())], None);
    assert!(ok, "child build failed:\n{text}");
    let hit = if text.contains("CACHE_HIT=true") {
        true
    } else {
        assert!(text.contains("CACHE_HIT=false"), "{text}");
        false
    };
    (hit, text)
}

fn damage_message(entry: &Path) -> String {
    format!("verilator-sys: cache entry {} is damaged (", entry.display())
}

/// The only model entry of `cache`.
fn the_entry(cache: &Path) -> PathBuf {
    let entries = model_entries(cache);
    assert_eq!(entries.len(), 1, "{:?}", all_entries(cache));
    cache.join(&entries[0])
}

fn assert_no_leftovers(cache: &Path) {
    let leftovers: Vec<_> = all_entries(cache).into_iter().filter(|n| n.starts_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Checks that the next build rebuilds `entry`, saying why (`reason` is part
/// of the message), and that the build after that is a plain cache hit.
fn assert_rebuilt(cache: &Path, src: &Path, entry: &Path, reason: &str) {
    let (hit, text) = build_in_child(cache, src);
    assert!(!hit, "a damaged entry was used:\n{text}");
    let line = text.lines().find(|l| l.starts_with(&damage_message(entry))).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(reason) && line.ends_with("); rebuilding"), "{line}");
    assert_eq!(the_entry(cache), entry);
    assert_no_leftovers(cache);
    let (hit, text) = build_in_child(cache, src);
    assert!(hit, "{text}");
    assert!(!text.contains("is damaged"), "{text}");
}

#[test]
fn damaged_model_so_is_rebuilt() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    let (hit, text) = build_in_child(cache.path(), &v);
    assert!(!hit && !text.contains("is damaged"), "{text}");
    let entry = the_entry(cache.path());
    let so = entry.join("model.so");

    // Truncated: dlopen used to die with SIGBUS here.
    let len = std::fs::metadata(&so).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&so).unwrap().set_len(len / 2).unwrap();
    assert_rebuilt(cache.path(), &v, &entry, "model.so is ");

    // Same size, different bytes: only the hash can tell.
    let len = std::fs::metadata(&so).unwrap().len();
    std::fs::write(&so, vec![0xa5u8; len as usize]).unwrap();
    assert_rebuilt(cache.path(), &v, &entry, "SHA-256");

    // Hashes matching, but not a loadable shared object (as if the damage
    // happened before DONE was written): the failed load triggers the rebuild.
    let garbage = b"not an ELF file".to_vec();
    let done = std::fs::read_to_string(entry.join(DONE_FILE)).unwrap();
    let file_line = format!("file=model.so {} {}", garbage.len(), hex(&Sha256::digest(&garbage)));
    let done: String = done
        .lines()
        .map(|l| if l.starts_with("file=model.so ") { file_line.clone() } else { l.to_string() } + "\n")
        .collect();
    assert!(done.contains(&file_line), "{done}");
    std::fs::write(&so, &garbage).unwrap();
    std::fs::write(entry.join(DONE_FILE), done).unwrap();
    assert_rebuilt(cache.path(), &v, &entry, "cannot load model library");
}

#[test]
fn damaged_entry_found_by_two_processes_at_once() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    build_in_child(cache.path(), &v);
    let entry = the_entry(cache.path());
    let so = entry.join("model.so");
    let len = std::fs::metadata(&so).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&so).unwrap().set_len(len - 1).unwrap();

    let texts: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2).map(|_| s.spawn(|| build_in_child(cache.path(), &v).1)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(texts.iter().any(|t| t.contains(&damage_message(&entry))), "{texts:?}");
    assert_eq!(the_entry(cache.path()), entry);
    assert_no_leftovers(cache.path());
    let (hit, text) = build_in_child(cache.path(), &v);
    assert!(hit && !text.contains("is damaged"), "{text}");
}

#[test]
fn old_format_done_markers_are_rebuilt() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    build_in_child(cache.path(), &v);
    let entry = the_entry(cache.path());
    let runtimes: Vec<PathBuf> = all_entries(cache.path())
        .into_iter()
        .filter(|n| n.starts_with("rt-"))
        .map(|n| cache.path().join(n))
        .filter(|d| d.join(DONE_FILE).is_file())
        .collect();
    assert!(!runtimes.is_empty());

    // The markers as the previous version wrote them: the model's `key=value`
    // lines without hashes, the runtime's list of object names.
    let done = std::fs::read_to_string(entry.join(DONE_FILE)).unwrap();
    assert!(done.starts_with("format=2\n"), "{done}");
    let old: String = done
        .lines()
        .filter(|l| !l.starts_with("format=") && !l.starts_with("file="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(old.starts_with("top=counter\n"), "{old}");
    std::fs::write(entry.join(DONE_FILE), old).unwrap();
    for rt in &runtimes {
        let done = std::fs::read_to_string(rt.join(DONE_FILE)).unwrap();
        let globals = done.lines().find_map(|l| l.strip_prefix("globals=")).unwrap_or_else(|| panic!("{done}"));
        std::fs::write(rt.join(DONE_FILE), format!("{globals}\n")).unwrap();
    }

    let (hit, text) = build_in_child(cache.path(), &v);
    assert!(!hit, "{text}");
    assert!(text.contains(&damage_message(&entry)) && text.contains("old-format"), "{text}");
    // The runtime entry this model links against was rebuilt too (the other
    // one, with tracing, is not needed by this build).
    let rebuilt_rt: Vec<&PathBuf> = runtimes.iter().filter(|rt| text.contains(&damage_message(rt))).collect();
    assert_eq!(rebuilt_rt.len(), 1, "{text}");
    assert!(std::fs::read_to_string(rebuilt_rt[0].join(DONE_FILE)).unwrap().starts_with("format=2\n"));
    assert_no_leftovers(cache.path());

    let (hit, text) = build_in_child(cache.path(), &v);
    assert!(hit && !text.contains("is damaged"), "{text}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
