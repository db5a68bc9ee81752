//! `serrano verilog --out DIR` from the outside: what it keeps, what it
//! replaces, what it refuses, and what a failure or a kill leaves behind.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

const SERRANO: &str = env!("CARGO_BIN_EXE_serrano");

fn serrano(args: &[&str]) -> Output {
    Command::new(SERRANO).args(args).output().expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `serrano verilog --preset P --out DIR [extra]`, which must succeed.
fn generate(preset: &str, dir: &Path, extra: &[&str]) -> Output {
    let o = serrano(&[&["verilog", "--preset", preset, "--out", dir.to_str().unwrap()][..], extra].concat());
    assert!(o.status.success(), "{preset} into {}: {}", dir.display(), stderr(&o));
    o
}

/// Everything under `dir`: path → contents (a symbolic link: "-> target";
/// a directory: "/").
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_symlink() {
                out.insert(rel, format!("-> {}", std::fs::read_link(&p).unwrap().display()).into_bytes());
            } else if m.is_dir() {
                out.insert(rel, b"/".to_vec());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
}

fn manifest_files(dir: &Path) -> BTreeSet<String> {
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["files"].as_array().expect("manifest.json lists its files").iter().map(|f| f.as_str().unwrap().into()).collect()
}

/// The files a fresh generation of `preset` writes.
fn files_of(preset: &str) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = generate(preset, &out, &["--json"]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let listed: BTreeSet<String> = s["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().into()).collect();
    assert_eq!(listed, names(&out), "the summary's files are what was written");
    assert_eq!(manifest_files(&out), listed, "manifest.json lists every file written, itself included");
    listed
}

/// Files of the user's: a Verilog file, a text file, a symbolic link and a
/// directory with a file in it.
fn add_user_files(dir: &Path) {
    std::fs::write(dir.join("my_top.v"), "module m(); endmodule\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "mine\n").unwrap();
    std::os::unix::fs::symlink("notes.txt", dir.join("notes.link")).unwrap();
    std::fs::create_dir(dir.join("tb")).unwrap();
    std::fs::write(dir.join("tb/tb_top.v"), "module tb(); endmodule\n").unwrap();
}

/// The entries of a snapshot that [`add_user_files`] made.
fn user_files_of(s: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let user = ["my_top.v", "notes.txt", "notes.link", "tb", "tb/tb_top.v"];
    s.iter().filter(|(k, _)| user.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn user_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    user_files_of(&snapshot(dir))
}

#[test]
fn files_of_the_user_survive_regeneration() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    generate("tiny", &out, &[]);
    add_user_files(&out);
    let mine = user_files(&out);
    assert_eq!(mine.len(), 5);
    generate("tiny", &out, &[]);
    assert_eq!(user_files(&out), mine);
    generate("default", &out, &[]);
    assert_eq!(user_files(&out), mine);
    // Nothing is left beside it.
    assert_eq!(names(dir.path()), BTreeSet::from(["gen".to_string()]));
}

#[test]
fn a_symbolic_link_to_the_output_directory_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    generate("tiny", &link, &[]);
    generate("tiny", &link, &[]);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(names(&real), files_of("tiny"));
}

#[test]
fn a_non_empty_directory_without_a_serrano_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    std::fs::create_dir(&out).unwrap();
    add_user_files(&out);
    // A manifest.json of someone else's, and a file named like a generated one.
    std::fs::write(out.join("manifest.json"), "{\"generator\": \"other 1.0\"}\n").unwrap();
    std::fs::write(out.join("serrano_tiny.core"), "mine\n").unwrap();
    let before = snapshot(&out);
    let o = serrano(&["verilog", "--preset", "tiny", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("--out {}: is not empty", out.display())), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before, "nothing touched");
    assert_eq!(names(dir.path()), BTreeSet::from(["d".to_string()]), "nothing created beside it");

    // --force: the files with generated names are replaced, no other is touched.
    let mine = user_files(&out);
    generate("tiny", &out, &["--force"]);
    assert_eq!(user_files(&out), mine);
    let expected: BTreeSet<String> = files_of("tiny").into_iter().chain(mine.keys().cloned()).collect();
    let expected: BTreeSet<String> = expected.into_iter().filter(|n| !n.contains('/')).collect();
    assert_eq!(names(&out), expected);
    assert!(std::fs::read_to_string(out.join("serrano_tiny.core")).unwrap().starts_with("CAPI=2:\n"));
    // It is a serrano output now: no --force needed any more.
    generate("large", &out, &[]);
    assert_eq!(user_files(&out), mine);
}

#[test]
fn regenerating_removes_exactly_the_files_of_the_earlier_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    std::fs::create_dir(&out).unwrap(); // an empty directory is accepted as is
    generate("large", &out, &[]);
    assert_eq!(names(&out), files_of("large"));
    add_user_files(&out);
    generate("tiny", &out, &[]);
    let expected: BTreeSet<String> =
        files_of("tiny").into_iter().chain(["my_top.v", "notes.txt", "notes.link", "tb"].map(String::from)).collect();
    assert_eq!(names(&out), expected);
    assert!(files_of("large").iter().any(|f| !expected.contains(f)), "the test needs files only large has");
}

#[test]
fn an_output_whose_manifest_predates_files_is_still_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    generate("large", &out, &[]);
    // The manifest as serrano wrote it before it listed its files.
    let path = out.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("files");
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    add_user_files(&out);
    std::fs::write(out.join("serrano_mine.core"), "CAPI=2:\nname: me:mine:core:1\n").unwrap();
    generate("tiny", &out, &[]);
    let expected: BTreeSet<String> = files_of("tiny")
        .into_iter()
        .chain(["my_top.v", "notes.txt", "notes.link", "tb", "serrano_mine.core"].map(String::from))
        .collect();
    assert_eq!(names(&out), expected);
}

#[test]
fn a_file_of_the_user_with_a_generated_name_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    generate("tiny", &out, &[]);
    std::fs::write(out.join("serrano_large.core"), "mine\n").unwrap();
    let before = snapshot(&out);
    let o = serrano(&["verilog", "--preset", "large", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("serrano_large.core is a file that serrano did not write"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
    assert_eq!(names(dir.path()).len(), 1);
    generate("large", &out, &["--force"]);
    assert!(std::fs::read_to_string(out.join("serrano_large.core")).unwrap().starts_with("CAPI=2:\n"));
    // A directory where a file goes is never replaced, not even with --force.
    std::fs::remove_file(out.join("serrano_large.core")).unwrap();
    std::fs::create_dir(out.join("serrano_large.core")).unwrap();
    let before = snapshot(&out);
    let o = serrano(&["verilog", "--preset", "large", "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("serrano_large.core is a directory"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
}

#[test]
fn an_out_that_cannot_be_a_directory_exits_2_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, "mine\n").unwrap();
    let f = file.to_str().unwrap();
    let cases = [
        (f.to_string(), format!("--out {f}: exists and is not a directory")),
        (format!("{f}/x/y"), format!("--out {f}/x/y: {f} is not a directory")),
        (String::new(), "a value is required for '--out <OUT>'".to_string()),
    ];
    for (out, want) in cases {
        let o = serrano(&["verilog", "--preset", "tiny", "--out", &out]);
        assert_eq!(o.status.code(), Some(2), "{out:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&want), "{out:?}: expected {want:?} in {}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
        assert_eq!(names(dir.path()), BTreeSet::from(["f".to_string()]));
    }
}

/// `serrano verilog --preset default --out DIR` with the file size limited
/// to a few kilobytes, far below the tile's Verilog: a real write fault in the
/// middle of the output. `ignore`: the fault is an error (EFBIG); otherwise
/// the kernel kills the command on the spot (SIGXFSZ), as a `kill -9` would.
fn generate_with_small_file_limit(out: &Path, ignore: bool) -> Output {
    let trap = if ignore { "trap '' XFSZ; " } else { "" };
    let script = format!("{trap}ulimit -f 16; exec \"$0\" verilog --preset default --out \"$1\"");
    Command::new("sh").args(["-c", &script, SERRANO, out.to_str().unwrap()]).output().expect("sh runs")
}

#[test]
fn a_write_failure_leaves_the_directory_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    generate("tiny", &out, &[]);
    add_user_files(&out);
    let before = snapshot(&out);
    let o = generate_with_small_file_limit(&out, true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(&format!("--out {} left as it was: cannot write ", out.display())), "{e}");
    assert!(e.contains(".tmp-"), "the message names the file that failed: {e}");
    assert_eq!(snapshot(&out), before);
    assert_eq!(names(dir.path()), BTreeSet::from(["d".to_string()]), "the temporary directory is removed");
}

#[test]
fn a_kill_in_the_middle_leaves_the_directory_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    generate("tiny", &out, &[]);
    add_user_files(&out);
    let before = snapshot(&out);
    let o = generate_with_small_file_limit(&out, false);
    assert_eq!(o.status.signal(), Some(25), "killed by SIGXFSZ: {o:?}");
    assert_eq!(snapshot(&out), before);
    // The partial output it was writing is beside, and a next run says so,
    // leaves it alone and succeeds.
    let left: Vec<String> = names(dir.path()).into_iter().filter(|n| n != "d").collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("d.tmp-"), "{left:?}");
    let partial = snapshot(&dir.path().join(&left[0]));
    assert!(!partial.contains_key("manifest.json"), "{:?}", partial.keys());
    let o = generate("default", &out, &[]);
    assert!(stderr(&o).contains(&format!("{} is left from an interrupted", left[0])), "{}", stderr(&o));
    assert_eq!(snapshot(&dir.path().join(&left[0])), partial);
    assert_eq!(user_files(&out), user_files_of(&before));
    assert!(manifest_files(&out).iter().all(|f| out.join(f).is_file()));
}

#[test]
fn the_fusesoc_core_name_is_made_safe() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/tiny.toml")).unwrap();
    let cases = [("my cfg", "my_cfg"), ("a:b", "a_b"), ("ñandú", "_and_"), ("evil\nname: x", "evil_name__x")];
    for (i, (stem, safe)) in cases.into_iter().enumerate() {
        let cfg = dir.path().join(format!("{stem}.toml"));
        std::fs::write(&cfg, &tiny).unwrap();
        let out = dir.path().join(format!("out{i}"));
        let o = serrano(&["verilog", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{stem:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&format!("note: FuseSoC core name `{safe}`")), "{stem:?}: {}", stderr(&o));
        let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(s["core_name"], safe);
        let core = std::fs::read_to_string(out.join(format!("serrano_{safe}.core"))).unwrap();
        let name_lines: Vec<&str> = core.lines().filter(|l| l.starts_with("name:")).collect();
        assert_eq!(name_lines, [format!("name: serrano:generated:{safe}:0.1.0")], "{stem:?}:\n{core}");
        assert!(core.lines().all(|l| l.is_ascii()), "{stem:?}:\n{core}");
        // The file name is in every Verilog header: it must stay one comment line.
        let v = std::fs::read_to_string(out.join("serrano_tile_r4c4_d256_norequant.v")).unwrap();
        let first_code = v.lines().find(|l| !l.is_empty() && !l.starts_with("//"));
        assert_eq!(first_code, Some("`default_nettype none"), "{stem:?}:\n{}", &v[..v.len().min(400)]);
    }
    // A preset's name is already safe: no note.
    let o = generate("tiny", &dir.path().join("preset"), &[]);
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}

#[test]
fn an_optional_section_may_be_partial() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("partial.toml");
    let text = "[systolic]\nrows = 4\ncols = 4\nacc_depth = 16\n\n[softmax]\nlanes = 4\n\n[dma]\ndata_bits = 64\n";
    std::fs::write(&cfg, text).unwrap();
    let out = dir.path().join("out");
    let o = serrano(&["verilog", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let c = &m["config"];
    assert_eq!((c["softmax"]["lanes"].as_u64(), c["softmax"]["max_len"].as_u64()), (Some(4), Some(4096)));
    assert_eq!((c["dma"]["data_bits"].as_u64(), c["dma"]["max_outstanding"].as_u64()), (Some(64), Some(8)));
    assert_eq!(c["systolic"]["requant"], true);
    // A defaulted field is validated all the same, and unknown fields stay errors.
    for (extra, want) in [
        ("[softmax]\nlanes = 3\n", "softmax.max_len = 4096: must be a multiple of softmax.lanes = 3"),
        ("[dma]\ndata_bit = 64\n", "unknown field `data_bit`"),
    ] {
        std::fs::write(&cfg, format!("[systolic]\nrows = 4\ncols = 4\nacc_depth = 16\n{extra}")).unwrap();
        let o = serrano(&["verilog", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(want), "expected {want:?} in {}", stderr(&o));
    }
}
