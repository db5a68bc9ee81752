//! Writing `serrano verilog`'s output directory.
//!
//! `DIR` may already hold an earlier output and files of the user's; a run
//! must never lose the latter nor leave a half-written output behind, even
//! when killed or when the disk fills up. So [`write`]:
//!
//! 1. refuses (exit 2, nothing touched) a `DIR` that is not a directory, a
//!    mount point, or non-empty without a `manifest.json` whose `generator`
//!    starts with `serrano` (unless `--force`), and a file of the user's that
//!    has a generated name (unless `--force`); only the files the earlier
//!    manifest lists under `files` are serrano's (an older manifest without
//!    `files`: its tops' Verilog and the files recognisably generated);
//! 2. writes the whole new output into `DIR.tmp-<pid>-<n>` beside `DIR`
//!    (same filesystem), each file synced to disk;
//! 3. hard-links every file of the user's into it (the file is then in both
//!    directories; a subdirectory is moved instead, just before step 4);
//! 4. renames `DIR` to `DIR.old-<pid>-<n>` and the new directory to `DIR`;
//! 5. deletes from `DIR.old-*` only the earlier output's files, the files
//!    `--force` replaced and the second links of the user's files, then the
//!    directory; anything else found there is kept, with a warning.
//!
//! A failure before step 4 removes the new directory and leaves `DIR` as it
//! was. A crash leaves `DIR` holding the old or the new output, each complete,
//! with every file of the user's; only between the two renames of step 4 is
//! `DIR` missing, and `DIR.old-*` is then the old output whole. A later run
//! warns about any `DIR.tmp-*` or `DIR.old-*` it finds and deletes neither.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{ErrorKind, Write as _};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::error::UsageError;

use super::Generated;

/// Write `g` into `out` without losing a file that is not serrano's and
/// without a moment where `out` holds a partial output (see the module docs).
/// `force`: write into a directory that holds no serrano output, and replace
/// files of the user's that have generated names.
pub fn write(g: &Generated, out: &Path, force: bool) -> Result<()> {
    let t = Target::resolve(out)?;
    warn_leftovers(&t);
    let names = g.file_names();
    let plan = Plan::make(&t, &names, force)?;

    let tmp = make_sibling(&t, "tmp")?;
    let linked = match fill(g, &tmp, &t, &plan) {
        Ok(deferred) => deferred,
        Err(e) => {
            // Nothing of the user's is only in `tmp` yet: a file of theirs
            // there is a second link, the first is still in `out`.
            let _ = fs::remove_dir_all(&tmp);
            return Err(e.context(format!("--out {} left as it was", t.shown)));
        }
    };
    if plan.prior_empty {
        // Renaming onto an empty (or missing) directory replaces it atomically.
        if let Err(e) = copy_mode(&t.path, &tmp).and_then(|()| rename(&tmp, &t.path)) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e.context(format!("--out {} left as it was", t.shown)));
        }
        sync_dir(&t.parent);
        return Ok(());
    }
    swap(&t, &tmp, &plan, &linked)
}

/// `--out` as a directory to replace: its real path (symbolic links resolved,
/// so that a link to the output directory stays a link), its parent and name.
struct Target {
    /// `--out` as given, for messages.
    shown: String,
    path: PathBuf,
    parent: PathBuf,
    name: OsString,
    exists: bool,
}

fn usage(msg: String) -> anyhow::Error {
    UsageError(msg).into()
}

impl Target {
    fn resolve(out: &Path) -> Result<Target> {
        let shown = out.display().to_string();
        if out.as_os_str().is_empty() {
            return Err(usage("--out: the path is empty".into()));
        }
        // The nearest existing ancestor must be a directory: `--out file/x` is
        // bad input (exit 2), not a failure of the machine.
        for a in out.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
            if let Ok(m) = fs::metadata(a) {
                if !m.is_dir() {
                    return Err(usage(format!("--out {shown}: {} is not a directory", a.display())));
                }
                break;
            }
        }
        let (path, exists) = match fs::symlink_metadata(out) {
            Ok(_) => match fs::metadata(out) {
                Ok(m) if m.is_dir() => {
                    (fs::canonicalize(out).with_context(|| format!("cannot resolve --out {shown}"))?, true)
                }
                _ => return Err(usage(format!("--out {shown}: exists and is not a directory"))),
            },
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let name = out.file_name().ok_or_else(|| usage(format!("--out {shown}: names no directory")))?;
                let parent = match out.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
                let parent =
                    fs::canonicalize(parent).with_context(|| format!("cannot resolve {}", parent.display()))?;
                (parent.join(name), false)
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read --out {shown}")),
        };
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(usage(format!("--out {shown}: the root directory cannot be an output directory")));
        };
        let (parent, name) = (parent.to_path_buf(), name.to_os_string());
        if exists && is_mount_point(&path, &parent) {
            return Err(usage(format!(
                "--out {shown}: is a mount point, and serrano replaces the output directory as a whole \
                 (by renaming it); give a directory inside it"
            )));
        }
        Ok(Target { shown, path, parent, name, exists })
    }

    /// `DIR.<kind>-<pid>-<n>` beside the output directory.
    fn sibling(&self, kind: &str, n: usize) -> PathBuf {
        let mut name = self.name.clone();
        name.push(format!(".{kind}-{}-{n}", std::process::id()));
        self.parent.join(name)
    }
}

#[cfg(unix)]
fn is_mount_point(dir: &Path, parent: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    matches!((fs::metadata(dir), fs::metadata(parent)), (Ok(d), Ok(p)) if d.dev() != p.dev())
}

#[cfg(not(unix))]
fn is_mount_point(_dir: &Path, _parent: &Path) -> bool {
    false
}

/// What is in the output directory and what becomes of it.
struct Plan {
    /// The directory is missing or empty: the new output simply replaces it.
    prior_empty: bool,
    /// Entries of the earlier output or replaced by `--force`: deleted with it.
    removable: BTreeSet<OsString>,
    /// The user's files (second link into the new output) and directories
    /// (moved into it).
    keep_files: Vec<OsString>,
    keep_dirs: Vec<OsString>,
}

impl Plan {
    fn make(t: &Target, names: &[String], force: bool) -> Result<Plan> {
        let mut plan = Plan { prior_empty: true, removable: BTreeSet::new(), keep_files: vec![], keep_dirs: vec![] };
        if !t.exists {
            return Ok(plan);
        }
        let mut entries = Vec::new();
        for e in fs::read_dir(&t.path).with_context(|| format!("cannot read --out {}", t.shown))? {
            let e = e.with_context(|| format!("cannot read --out {}", t.shown))?;
            let meta = fs::symlink_metadata(e.path()).with_context(|| format!("cannot read {}", e.path().display()))?;
            entries.push((e.file_name(), meta));
        }
        if entries.is_empty() {
            return Ok(plan);
        }
        plan.prior_empty = false;
        let owned = match serrano_manifest(&t.path)? {
            Some(m) => owned_files(&m, &t.path),
            None if force => BTreeSet::new(),
            None => {
                return Err(usage(format!(
                    "--out {}: is not empty and holds no manifest.json of serrano; refusing to write into it, \
                     so that no file in it is overwritten or mixed with generated ones. Give a new or empty \
                     directory, or --force to write into it anyway (files named like generated ones are \
                     replaced, no other file is touched)",
                    t.shown
                )))
            }
        };
        let generated: BTreeSet<&OsStr> = names.iter().map(OsStr::new).collect();
        let mut in_the_way = Vec::new();
        for (name, meta) in entries {
            if owned.contains(&name) && meta.is_file() {
                plan.removable.insert(name);
            } else if generated.contains(name.as_os_str()) {
                if meta.is_dir() {
                    return Err(usage(format!(
                        "--out {}: {} is a directory where serrano writes a file; move it away",
                        t.shown,
                        Path::new(&name).display()
                    )));
                }
                in_the_way.push(name);
            } else if meta.is_dir() {
                plan.keep_dirs.push(name);
            } else {
                plan.keep_files.push(name);
            }
        }
        if !in_the_way.is_empty() && !force {
            let list: Vec<String> = in_the_way.iter().map(|n| Path::new(n).display().to_string()).collect();
            let (is, them) = if list.len() == 1 { ("is a file", "it") } else { ("are files", "them") };
            return Err(usage(format!(
                "--out {}: {} {is} that serrano did not write (the manifest.json there does not list {them}) \
                 but that a generated file would replace; refusing to overwrite {them}. Move {them} away, or \
                 give --force to replace {them}",
                t.shown,
                list.join(", ")
            )));
        }
        plan.removable.extend(in_the_way);
        Ok(plan)
    }
}

/// The manifest in `dir` if serrano wrote it (its `generator` starts with
/// `serrano`); a missing or foreign one is `None`.
fn serrano_manifest(dir: &Path) -> Result<Option<Value>> {
    let p = dir.join("manifest.json");
    if !fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    let bytes = fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
    let m: Value = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    Ok(m["generator"].as_str().is_some_and(|g| g.starts_with("serrano")).then_some(m))
}

/// The files an earlier run wrote into `dir`, from its manifest: `files`, or
/// for a manifest from before `files` existed, its tops' Verilog and the
/// files that are recognisably serrano's (by name and first bytes).
fn owned_files(m: &Value, dir: &Path) -> BTreeSet<OsString> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    };
    let mut names: Vec<String> = vec!["manifest.json".into()];
    if m["files"].is_array() {
        names.extend(strings(&m["files"]));
    } else {
        for top in m["tops"].as_array().into_iter().flatten() {
            names.extend(strings(&top["files"]));
        }
        if let Ok(rd) = fs::read_dir(dir) {
            let found = rd.filter_map(|e| e.ok()?.file_name().into_string().ok());
            names.extend(found.filter(|n| legacy_generated(dir, n)));
        }
    }
    // A manifest is a file anyone can edit: only a plain name can refer to a
    // file in `dir`, never `../x` or `/x`.
    names.into_iter().filter(|n| is_plain_name(n)).map(OsString::from).collect()
}

fn is_plain_name(n: &str) -> bool {
    let mut c = Path::new(n).components();
    matches!((c.next(), c.next()), (Some(Component::Normal(s)), None) if s == n)
}

/// Whether `name` in `dir` is a file that an earlier serrano wrote beside the
/// Verilog without listing it in its manifest.
fn legacy_generated(dir: &Path, name: &str) -> bool {
    let starts = |prefix: &str| fs::read(dir.join(name)).is_ok_and(|b| b.starts_with(prefix.as_bytes()));
    match name {
        "serrano_dma_regs.h" => starts("/* Serrano DMA register map. Generated by serrano"),
        "serrano_dma_regs.json" => fs::read(dir.join(name))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v["block"] == "serrano_dma"),
        "serrano_core_regs.h" => starts("/* Serrano core register map. Generated by serrano"),
        "serrano_core_regs.json" => fs::read(dir.join(name))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v["block"] == "serrano_core_regs"),
        "serrano_core_isa.h" => starts("/* Serrano core instruction set"),
        "serrano_core_isa.json" => fs::read(dir.join(name))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v["isa"] == "serrano_core"),
        _ => name.starts_with("serrano_") && name.ends_with(".core") && starts("CAPI=2:\nname: serrano:generated:"),
    }
}

/// Warn about `DIR.tmp-*` and `DIR.old-*` that an interrupted run left.
fn warn_leftovers(t: &Target) {
    let Ok(rd) = fs::read_dir(&t.parent) else { return };
    let Some(base) = t.name.to_str() else { return };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(base)) else { continue };
        let kind = if rest.starts_with(".tmp-") {
            "a partial output (with, perhaps, files of yours that were being carried over)"
        } else if rest.starts_with(".old-") {
            "the output that was there before (with any files of yours that were in it); if the output \
             directory is missing, rename this one back"
        } else {
            continue;
        };
        let numbered = rest[5..].split('-').map(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if numbered.clone().count() == 2 && numbered.clone().all(|ok| ok) {
            eprintln!(
                "warning: {} is left from an interrupted `serrano verilog`: it holds {kind}. Nothing in it \
                 was deleted; remove it when you have checked it",
                e.path().display()
            );
        }
    }
}

/// A new empty directory `DIR.<kind>-<pid>-<n>` beside the output directory.
fn make_sibling(t: &Target, kind: &str) -> Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    loop {
        let p = t.sibling(kind, NEXT.fetch_add(1, Ordering::Relaxed));
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot create {} beside --out {} to generate into", p.display(), t.shown)
                })
            }
        }
    }
}

/// Write the new output into `tmp`, synced, and link the user's files into
/// it. Returns the user's entries still to be moved in (directories, and
/// files that could not be linked).
fn fill(g: &Generated, tmp: &Path, t: &Target, plan: &Plan) -> Result<Vec<OsString>> {
    let put = |name: &str, text: &str| -> Result<()> {
        let p = tmp.join(name);
        let mut f = File::create_new(&p).with_context(|| format!("cannot create {}", p.display()))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", p.display()))
    };
    for f in &g.files {
        put(&f.file_name, &f.text)?;
    }
    put("manifest.json", &(serde_json::to_string_pretty(&g.manifest)? + "\n"))?;
    for (name, text) in &g.extra_files {
        put(name, text)?;
    }
    put(&g.core_file.0, &g.core_file.1)?;
    let mut deferred = plan.keep_dirs.clone();
    for name in &plan.keep_files {
        // A second link leaves the file where it is until the swap, so that no
        // crash can strand it in `tmp`; a filesystem without hard links gets
        // it moved at the last moment instead.
        if fs::hard_link(t.path.join(name), tmp.join(name)).is_err() {
            deferred.push(name.clone());
        }
    }
    sync_dir(tmp);
    Ok(deferred)
}

/// Replace the earlier output in `t` by `tmp`, carrying the user's entries
/// `deferred` over, and delete the earlier output.
fn swap(t: &Target, tmp: &Path, plan: &Plan, deferred: &[OsString]) -> Result<()> {
    let mut moved: Vec<&OsString> = Vec::new();
    let undo = |moved: &[&OsString], why: anyhow::Error| -> anyhow::Error {
        let mut stranded = Vec::new();
        for name in moved.iter().rev() {
            if fs::rename(tmp.join(name), t.path.join(name)).is_err() {
                stranded.push(Path::new(name).display().to_string());
            }
        }
        if stranded.is_empty() {
            let _ = fs::remove_dir_all(tmp);
            why.context(format!("--out {} left as it was", t.shown))
        } else {
            why.context(format!(
                "{} of yours could not be moved back from {} into {}: they are there, nothing was deleted",
                stranded.join(", "),
                tmp.display(),
                t.shown
            ))
        }
    };
    for name in deferred {
        if let Err(e) = rename(&t.path.join(name), &tmp.join(name)) {
            return Err(undo(&moved, e));
        }
        moved.push(name);
    }
    if let Err(e) = copy_mode(&t.path, tmp) {
        return Err(undo(&moved, e));
    }
    // Reserving the name with an empty directory makes it unique; renaming a
    // directory onto an empty one replaces it.
    let old = match make_sibling(t, "old") {
        Ok(old) => old,
        Err(e) => return Err(undo(&moved, e)),
    };
    if let Err(e) = rename(&t.path, &old) {
        let _ = fs::remove_dir(&old);
        return Err(undo(&moved, e));
    }
    if let Err(e) = rename(tmp, &t.path) {
        return Err(match fs::rename(&old, &t.path) {
            Ok(()) => undo(&moved, e),
            Err(back) => e.context(format!(
                "and cannot move the earlier output back from {} to {}: {back}. It is there, complete, with \
                 every file of yours that was not carried into {}; nothing was deleted",
                old.display(),
                t.path.display(),
                tmp.display()
            )),
        });
    }
    sync_dir(&t.parent);
    remove_old(&old, t, &plan.removable);
    Ok(())
}

/// Delete the earlier output, now in `old`: its own files, the files
/// `--force` replaced, and the second links of files now in the output
/// directory. Anything else (a file that appeared during the run) stays.
fn remove_old(old: &Path, t: &Target, removable: &BTreeSet<OsString>) {
    let mut kept = Vec::new();
    for e in fs::read_dir(old).into_iter().flatten().flatten() {
        let (name, p) = (e.file_name(), e.path());
        let is_dir = fs::symlink_metadata(&p).map(|m| m.is_dir()).unwrap_or(true);
        let ours = !is_dir && (removable.contains(&name) || same_file(&p, &t.path.join(&name)));
        if !ours || fs::remove_file(&p).is_err() {
            kept.push(Path::new(&name).display().to_string());
        }
    }
    if !kept.is_empty() || fs::remove_dir(old).is_err() {
        eprintln!(
            "warning: the new output is in {}; the earlier one is left in {} because it holds {}, \
             which serrano did not write or could not remove: check it and remove it",
            t.shown,
            old.display(),
            if kept.is_empty() { "something".to_string() } else { kept.join(", ") }
        );
    }
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    matches!((fs::symlink_metadata(a), fs::symlink_metadata(b)),
        (Ok(x), Ok(y)) if x.dev() == y.dev() && x.ino() == y.ino())
}

#[cfg(not(unix))]
fn same_file(_a: &Path, _b: &Path) -> bool {
    false
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).with_context(|| format!("cannot move {} to {}", from.display(), to.display()))
}

/// Give `tmp` the permissions of the directory it replaces.
fn copy_mode(dir: &Path, tmp: &Path) -> Result<()> {
    match fs::metadata(dir) {
        Ok(m) => fs::set_permissions(tmp, m.permissions())
            .with_context(|| format!("cannot set the permissions of {}", tmp.display())),
        Err(_) => Ok(()),
    }
}

/// Make a directory's entries (creations, renames) durable. Best effort: some
/// filesystems cannot sync a directory, and the files themselves are synced.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verilog::GENERATOR;
    use serde_json::json;

    #[test]
    fn a_manifest_can_name_only_files_in_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let m = json!({ "generator": GENERATOR, "files": ["a.v", "../b.v", "/etc/passwd", "c/d.v", ".", "..", ""] });
        let owned = owned_files(&m, dir.path());
        assert_eq!(owned, BTreeSet::from([OsString::from("a.v"), OsString::from("manifest.json")]));
    }

    #[test]
    fn only_a_serrano_manifest_makes_a_serrano_output() {
        let dir = tempfile::tempdir().unwrap();
        assert!(serrano_manifest(dir.path()).unwrap().is_none());
        for foreign in ["not json", "{}", "{\"generator\": \"other\"}", "[1]"] {
            std::fs::write(dir.path().join("manifest.json"), foreign).unwrap();
            assert!(serrano_manifest(dir.path()).unwrap().is_none(), "{foreign}");
        }
        std::fs::write(dir.path().join("manifest.json"), "{\"generator\": \"serrano 0.0.9\"}").unwrap();
        assert!(serrano_manifest(dir.path()).unwrap().is_some());
    }

    #[test]
    fn an_old_manifest_owns_its_tops_files_and_recognisable_extras() {
        let dir = tempfile::tempdir().unwrap();
        let put = |n: &str, t: &str| std::fs::write(dir.path().join(n), t).unwrap();
        put("serrano_dma_regs.h", "/* Serrano DMA register map. Generated by serrano from x */\n");
        put("serrano_dma_regs.json", "{\"block\": \"serrano_dma\"}");
        put("serrano_tiny.core", "CAPI=2:\nname: serrano:generated:tiny:0.1.0\n");
        put("serrano_mine.core", "CAPI=2:\nname: me:lib:mine:1\n");
        put("notes.v", "");
        let m = json!({ "generator": "serrano 0.1.0", "tops": [{ "files": ["t.v", "u.v"] }, { "files": ["u.v"] }] });
        let owned: Vec<String> = owned_files(&m, dir.path()).into_iter().map(|n| n.into_string().unwrap()).collect();
        let want = ["manifest.json", "serrano_dma_regs.h", "serrano_dma_regs.json", "serrano_tiny.core", "t.v", "u.v"];
        assert_eq!(owned, want);
    }
}
