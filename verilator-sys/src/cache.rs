//! The on-disk build cache: root selection, hashing, and atomic publication
//! of build directories.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::Error;

/// Environment variable overriding the cache root.
pub const ENV_CACHE_DIR: &str = "VERILATOR_SYS_CACHE_DIR";

/// Name of the marker file written last into a complete build directory.
pub const DONE_FILE: &str = "DONE";

/// The default cache root, always an absolute path (where the current
/// directory is needed for that, it is read at the time of the call). The
/// first rule that applies wins:
///
/// 1. `$VERILATOR_SYS_CACHE_DIR` (non-empty), made absolute against the
///    current directory;
/// 2. `$CARGO_TARGET_DIR/verilator-cache` (non-empty), made absolute against
///    the current directory;
/// 3. `<nearest ancestor of the current executable named target>/verilator-cache`
///    (binaries and tests run from a cargo target directory);
/// 4. `$XDG_CACHE_HOME/serrano/verilator` if `XDG_CACHE_HOME` is an absolute
///    path (the XDG spec says to ignore relative values), else
///    `$HOME/.cache/serrano/verilator` if `HOME` is an absolute path;
/// 5. `<system temp dir>/serrano-verilator-<uid>`.
///
/// Rules 3 to 5 do not depend on the current directory, so an installed or
/// copied binary finds the same cache wherever it is started. Only if the
/// current directory cannot be determined can rules 1 and 2 yield a relative
/// path; [`Builder::build`](crate::Builder::build) then fails with an error
/// naming it instead of handing it to the tools.
pub fn default_cache_root() -> PathBuf {
    let cwd = std::env::current_dir().ok();
    let exe = std::env::current_exe().ok();
    root_from(&|name| std::env::var_os(name), exe.as_deref(), cwd.as_deref(), &std::env::temp_dir(), user_id())
}

/// [`default_cache_root`] with its inputs made explicit (so the rule can be
/// tested without touching the process environment).
fn root_from(
    var: &dyn Fn(&str) -> Option<OsString>,
    exe: Option<&Path>,
    cwd: Option<&Path>,
    temp: &Path,
    uid: Option<u32>,
) -> PathBuf {
    let var = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let abs = |p: PathBuf| absolute_against(p, cwd);
    if let Some(d) = var(ENV_CACHE_DIR) {
        return abs(d);
    }
    if let Some(d) = var("CARGO_TARGET_DIR") {
        return abs(d.join("verilator-cache"));
    }
    if let Some(exe) = exe.filter(|e| e.is_absolute()) {
        if let Some(target) = exe.ancestors().skip(1).find(|d| d.file_name().is_some_and(|n| n == "target")) {
            return target.join("verilator-cache");
        }
    }
    if let Some(d) = var("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
        return d.join("serrano").join("verilator");
    }
    if let Some(d) = var("HOME").filter(|d| d.is_absolute()) {
        return d.join(".cache").join("serrano").join("verilator");
    }
    // A shared temp dir may hold other users' caches, which we could not
    // write to: keep users apart.
    let name = match uid {
        Some(uid) => format!("serrano-verilator-{uid}"),
        None => "serrano-verilator".to_string(),
    };
    abs(temp.join(name))
}

/// The real user id of this process (the owner of `/proc/self`), without
/// needing libc.
fn user_id() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// `p` made absolute against `cwd` (with `.` components dropped); `p`
/// unchanged if it is relative and `cwd` is unknown.
fn absolute_against(p: PathBuf, cwd: Option<&Path>) -> PathBuf {
    let joined = match cwd {
        _ if p.is_absolute() => p,
        Some(cwd) => cwd.join(p),
        None => return p,
    };
    joined.components().filter(|c| !matches!(c, Component::CurDir)).collect()
}

/// `p` made absolute against the current directory now. Tools run in other
/// directories than ours (Verilator in the build directory), so every path
/// handed to them must be absolute.
pub(crate) fn absolute(p: &Path) -> Result<PathBuf, Error> {
    if p.is_absolute() {
        return Ok(absolute_against(p.to_path_buf(), None));
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Error::io(p, std::io::Error::new(e.kind(), format!("cannot make the relative path absolute: {e}")))
    })?;
    Ok(absolute_against(p.to_path_buf(), Some(&cwd)))
}

/// Incremental SHA-256 over length-prefixed fields (so that field boundaries
/// cannot be confused).
pub(crate) struct KeyHasher(Sha256);

impl KeyHasher {
    pub fn new(domain: &str) -> KeyHasher {
        let mut h = KeyHasher(Sha256::new());
        h.field(domain.as_bytes());
        h
    }

    pub fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    pub fn str(&mut self, s: &str) {
        self.field(s.as_bytes());
    }

    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// A fresh, uniquely named directory inside the cache root in which a build
/// is assembled before being renamed into place.
pub(crate) fn make_temp_dir(root: &Path, tag: &str) -> Result<PathBuf, Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    let tid: String = format!("{:?}", std::thread::current().id()).chars().filter(char::is_ascii_digit).collect();
    loop {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = root.join(format!(".tmp-{tag}-{}-{tid}-{nanos}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
}

/// Removes leftovers of builds that were killed mid-way (`.tmp-*`
/// directories not modified for a day). Best effort; called on cache misses.
pub(crate) fn sweep_stale(root: &Path) {
    const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        if !e.file_name().to_string_lossy().starts_with(".tmp-") {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > MAX_AGE);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// True if `dir` holds a completed build.
pub(crate) fn is_complete(dir: &Path) -> bool {
    dir.join(DONE_FILE).is_file()
}

/// First line of a `DONE` marker in the current format. Markers without it
/// (written by older versions) record no file hashes; such entries cannot be
/// verified and are treated as damaged, i.e. rebuilt once.
const DONE_FORMAT: &str = "format=2";

/// The text of a `DONE` marker for the build assembled in `dir`: the format
/// line, the `key=value` lines of `fields` (informational), and one
/// `file=<name> <size> <sha256>` line for each of `files`, the files of the
/// entry its users depend on. [`check_entry`] verifies those lines before
/// anything is loaded from the entry: `dlopen` of a truncated shared object
/// dies with SIGBUS instead of returning an error, so the damage has to be
/// found before.
pub(crate) fn done_text(dir: &Path, fields: &[(&str, &str)], files: &[String]) -> Result<String, Error> {
    let mut text = format!("{DONE_FORMAT}\n");
    for (k, v) in fields {
        // One line per field, whatever the value holds.
        let v = v.replace(['\n', '\r'], " ");
        text.push_str(&format!("{k}={v}\n"));
    }
    for name in files {
        let path = dir.join(name);
        let (size, sha) = file_digest(&path).map_err(|e| Error::io(&path, e))?;
        text.push_str(&format!("file={name} {size} {sha}\n"));
    }
    Ok(text)
}

fn file_digest(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let size = std::io::copy(&mut f, &mut h)?;
    Ok((size, hex(&h.finalize())))
}

/// Identity of one `DONE` file (device, inode, mtime): tells a marker we
/// looked at from one another process wrote later at the same path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Marker(u64, u64, i64, i64);

impl Marker {
    fn of(meta: &std::fs::Metadata) -> Marker {
        use std::os::unix::fs::MetadataExt;
        Marker(meta.dev(), meta.ino(), meta.mtime(), meta.mtime_nsec())
    }
}

/// What [`check_entry`] found.
#[derive(Debug)]
pub(crate) enum EntryState {
    /// No `DONE` marker: not built (or still being built elsewhere).
    Missing,
    /// Complete, and every recorded file has its recorded size and hash.
    Intact(Marker),
    /// Complete but unusable; the reason, and the marker if it could be read.
    Damaged(String, Option<Marker>),
}

/// Verifies the cache entry `dir` against its `DONE` marker: the marker must
/// be in the current format and list every file of `required`, and every
/// listed file must have the recorded size and SHA-256.
pub(crate) fn check_entry(dir: &Path, required: &[String]) -> EntryState {
    let done = dir.join(DONE_FILE);
    let (text, marker) = match read_marker(&done) {
        Ok(Some(x)) => x,
        Ok(None) => return EntryState::Missing,
        Err(e) => return EntryState::Damaged(format!("cannot read {DONE_FILE}: {e}"), None),
    };
    let damaged = |reason: String| EntryState::Damaged(reason, Some(marker));
    let Ok(text) = String::from_utf8(text) else {
        return damaged(format!("{DONE_FILE} is not UTF-8"));
    };
    if text.lines().next() != Some(DONE_FORMAT) {
        return damaged(format!("old-format or corrupt {DONE_FILE} marker without file hashes"));
    }
    let mut files: Vec<(&str, u64, &str)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("file=") else {
            continue;
        };
        let parts: Vec<&str> = rest.split(' ').collect();
        let record = match parts[..] {
            [name, size, sha] => size.parse::<u64>().ok().map(|size| (name, size, sha)),
            _ => None,
        };
        // Only plain names inside the entry: the marker must not make us
        // read (let alone trust) files elsewhere.
        match record {
            Some((name, size, sha))
                if !name.is_empty()
                    && !name.contains('/')
                    && name != "."
                    && name != ".."
                    && sha.len() == 64
                    && sha.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                files.push((name, size, sha))
            }
            _ => return damaged(format!("malformed line in {DONE_FILE}: `{line}`")),
        }
    }
    for r in required {
        if !files.iter().any(|(name, _, _)| name == r) {
            return damaged(format!("{DONE_FILE} does not record {r}"));
        }
    }
    for (name, size, sha) in files {
        let path = dir.join(name);
        // The size first: cheap, and what truncation changes.
        match std::fs::metadata(&path) {
            Ok(m) if m.len() != size => {
                return damaged(format!("{name} is {} bytes, {DONE_FILE} records {size}", m.len()))
            }
            Ok(_) => {}
            Err(e) => return damaged(format!("{name}: {e}")),
        }
        match file_digest(&path) {
            Ok((_, actual)) if actual.eq_ignore_ascii_case(sha) => {}
            Ok(_) => return damaged(format!("{name} does not match the SHA-256 recorded in {DONE_FILE}")),
            Err(e) => return damaged(format!("{name}: {e}")),
        }
    }
    EntryState::Intact(marker)
}

/// The contents and identity of a `DONE` file; `None` if there is none.
fn read_marker(done: &Path) -> std::io::Result<Option<(Vec<u8>, Marker)>> {
    let mut f = match std::fs::File::open(done) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let marker = Marker::of(&f.metadata()?);
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut text)?;
    Ok(Some((text, marker)))
}

/// Removes the damaged entry `dir`, whose marker was `seen`: renames it to a
/// `.tmp-trash-*` name first (one atomic step, so that no reader finds it
/// half deleted and the name is free for the rebuild at once; a leftover is
/// swept like any `.tmp-*`), then deletes it. Best effort: if the entry
/// cannot be moved, the rebuild's [`publish`] fails with an error instead.
pub(crate) fn discard(dir: &Path, required: &[String], seen: Option<Marker>) {
    let Some(root) = dir.parent() else {
        return;
    };
    let Ok(trash) = make_temp_dir(root, "trash") else {
        return;
    };
    // Renaming a directory onto an empty one replaces it.
    if std::fs::rename(dir, &trash).is_ok() {
        // Between our check and the rename another process may have
        // discarded the damaged entry and published a good one; that one
        // goes back (unless yet another took its place meanwhile).
        let now = read_marker(&trash.join(DONE_FILE)).ok().flatten().map(|(_, m)| m);
        if now.is_some()
            && now != seen
            && matches!(check_entry(&trash, required), EntryState::Intact(_))
            && std::fs::rename(&trash, dir).is_ok()
        {
            return;
        }
    }
    let _ = std::fs::remove_dir_all(&trash);
}

/// Marks `tmp` complete and renames it to `dest`. If another thread or
/// process published `dest` first, `tmp` is discarded and the existing
/// directory is used. Returns `true` if our directory was installed.
pub(crate) fn publish(tmp: &Path, dest: &Path, done_text: &str) -> Result<bool, Error> {
    let done = tmp.join(DONE_FILE);
    std::fs::write(&done, done_text).map_err(|e| Error::io(&done, e))?;
    for attempt in 0..3 {
        match std::fs::rename(tmp, dest) {
            Ok(()) => return Ok(true),
            Err(e) => {
                if is_complete(dest) {
                    // Lost the race: someone else's identical build won.
                    let _ = std::fs::remove_dir_all(tmp);
                    return Ok(false);
                }
                if dest.exists() && attempt < 2 {
                    // An incomplete directory that is not ours (e.g. created
                    // by hand or by an old version): move it aside and retry.
                    if let Some(parent) = dest.parent() {
                        if let Ok(trash) = make_temp_dir(parent, "trash") {
                            let _ = std::fs::remove_dir(&trash);
                            if std::fs::rename(dest, &trash).is_ok() {
                                let _ = std::fs::remove_dir_all(&trash);
                            }
                        }
                    }
                    continue;
                }
                let _ = std::fs::remove_dir_all(tmp);
                return Err(Error::io(dest, e));
            }
        }
    }
    let _ = std::fs::remove_dir_all(tmp);
    Err(Error::Config(format!("could not install build directory {}", dest.display())))
}

/// Removes a temporary build directory when dropped (unless disarmed).
pub(crate) struct TempDirGuard(pub Option<PathBuf>);

impl TempDirGuard {
    pub fn path(&self) -> &Path {
        self.0.as_deref().expect("temp dir guard already disarmed")
    }
    pub fn disarm(&mut self) -> PathBuf {
        self.0.take().expect("temp dir guard already disarmed")
    }
}

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Per-key in-process lock, so that threads of one process building the same
/// thing wait for each other instead of compiling twice. (Different processes
/// still race, safely, through [`publish`].)
pub(crate) fn key_lock(key: &str) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut map = LOCKS.get_or_init(|| Mutex::new(HashMap::new())).lock().unwrap_or_else(|e| e.into_inner());
    map.entry(key.to_string()).or_default().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `root_from` with the given environment, executable and current dir.
    fn root(env: &[(&str, &str)], exe: Option<&str>, cwd: Option<&str>) -> PathBuf {
        let env: HashMap<String, OsString> = env.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        root_from(&|k| env.get(k).cloned(), exe.map(Path::new), cwd.map(Path::new), Path::new("/tmp"), Some(1000))
    }

    const EXE: Option<&str> = Some("/home/u/proj/target/debug/deps/t-123");
    const INSTALLED: Option<&str> = Some("/usr/local/bin/sim");

    #[test]
    fn env_override_is_made_absolute_against_the_current_dir() {
        let env = [(ENV_CACHE_DIR, "mycache"), ("CARGO_TARGET_DIR", "/t"), ("HOME", "/home/u")];
        assert_eq!(root(&env, EXE, Some("/work/run")), Path::new("/work/run/mycache"));
        let env = [(ENV_CACHE_DIR, "./a/./b")];
        assert_eq!(root(&env, EXE, Some("/w")), Path::new("/w/a/b"));
        let env = [(ENV_CACHE_DIR, "/abs/cache")];
        assert_eq!(root(&env, EXE, Some("/w")), Path::new("/abs/cache"));
        // Without a current dir there is nothing to resolve against: the
        // builder reports it.
        let env = [(ENV_CACHE_DIR, "mycache")];
        assert_eq!(root(&env, EXE, None), Path::new("mycache"));
    }

    #[test]
    fn empty_variables_are_ignored() {
        let env = [(ENV_CACHE_DIR, ""), ("CARGO_TARGET_DIR", ""), ("XDG_CACHE_HOME", ""), ("HOME", "")];
        assert_eq!(root(&env, EXE, Some("/w")), Path::new("/home/u/proj/target/verilator-cache"));
        assert_eq!(root(&env, INSTALLED, Some("/w")), Path::new("/tmp/serrano-verilator-1000"));
    }

    #[test]
    fn cargo_target_dir_comes_next() {
        let env = [("CARGO_TARGET_DIR", "tgt"), ("HOME", "/home/u")];
        assert_eq!(root(&env, EXE, Some("/w")), Path::new("/w/tgt/verilator-cache"));
    }

    #[test]
    fn nearest_target_ancestor_of_the_executable() {
        let env = [("HOME", "/home/u")];
        assert_eq!(root(&env, EXE, Some("/elsewhere")), Path::new("/home/u/proj/target/verilator-cache"));
        assert_eq!(root(&env, EXE, None), Path::new("/home/u/proj/target/verilator-cache"));
        let nested = Some("/x/target/sub/target/release/app");
        assert_eq!(root(&env, nested, None), Path::new("/x/target/sub/target/verilator-cache"));
        // A binary literally named `target` is not its own target dir.
        assert_eq!(root(&env, Some("/opt/bin/target"), None), Path::new("/home/u/.cache/serrano/verilator"));
    }

    #[test]
    fn installed_binaries_use_the_per_user_cache() {
        let env = [("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/u")];
        assert_eq!(root(&env, INSTALLED, Some("/w")), Path::new("/xdg/serrano/verilator"));
        // A relative XDG_CACHE_HOME is invalid per the XDG spec.
        let env = [("XDG_CACHE_HOME", "xdg"), ("HOME", "/home/u")];
        assert_eq!(root(&env, INSTALLED, Some("/w")), Path::new("/home/u/.cache/serrano/verilator"));
        assert_eq!(root(&[], None, Some("/w")), Path::new("/tmp/serrano-verilator-1000"));
        let env = [("HOME", "relative-home")];
        assert_eq!(root(&env, INSTALLED, None), Path::new("/tmp/serrano-verilator-1000"));
    }

    #[test]
    fn the_real_default_is_absolute() {
        assert!(default_cache_root().is_absolute(), "{:?}", default_cache_root());
    }

    #[test]
    fn relative_paths_are_resolved_against_the_current_dir() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute(Path::new("x/./y")).unwrap(), cwd.join("x/y"));
        assert_eq!(absolute(Path::new("/a/./b")).unwrap(), Path::new("/a/b"));
    }

    #[test]
    fn entries_are_verified_against_their_marker() {
        let dir =
            std::env::temp_dir().join(format!("vsys-unit-{}-{:?}", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let so = vec!["model.so".to_string()];
        assert!(matches!(check_entry(&dir, &so), EntryState::Missing));
        std::fs::write(dir.join("model.so"), b"0123456789").unwrap();
        let text = done_text(&dir, &[("top", "t\nx")], &so).unwrap();
        assert!(text.starts_with("format=2\ntop=t x\nfile=model.so 10 "), "{text}");
        std::fs::write(dir.join(DONE_FILE), &text).unwrap();
        assert!(matches!(check_entry(&dir, &so), EntryState::Intact(_)));

        let reason = |dir: &Path, required: &[String]| match check_entry(dir, required) {
            EntryState::Damaged(r, _) => r,
            other => panic!("{other:?}"),
        };
        assert!(reason(&dir, &["other.o".to_string()]).contains("does not record other.o"));
        std::fs::write(dir.join("model.so"), b"01234").unwrap();
        assert!(reason(&dir, &so).contains("model.so is 5 bytes"));
        std::fs::write(dir.join("model.so"), b"0123456780").unwrap();
        assert!(reason(&dir, &so).contains("SHA-256"));
        std::fs::remove_file(dir.join("model.so")).unwrap();
        assert!(reason(&dir, &so).contains("model.so"));
        std::fs::write(dir.join(DONE_FILE), "top=t\nprefix=Vt\n").unwrap();
        assert!(reason(&dir, &so).contains("old-format"));
        std::fs::write(dir.join(DONE_FILE), format!("{DONE_FORMAT}\nfile=../x 1 {}\n", "0".repeat(64))).unwrap();
        assert!(reason(&dir, &[]).contains("malformed"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
