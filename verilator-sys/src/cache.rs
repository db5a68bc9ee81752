//! The on-disk build cache: root selection, hashing, and atomic publication
//! of build directories.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::Error;

/// Environment variable overriding the cache root.
pub const ENV_CACHE_DIR: &str = "VERILATOR_SYS_CACHE_DIR";

/// Name of the marker file written last into a complete build directory.
pub const DONE_FILE: &str = "DONE";

/// Default cache root: `$VERILATOR_SYS_CACHE_DIR`, else
/// `$CARGO_TARGET_DIR/verilator-cache`, else `<nearest ancestor of the
/// current executable named target>/verilator-cache`, else
/// `./target/verilator-cache`.
pub fn default_cache_root() -> PathBuf {
    if let Some(d) = std::env::var_os(ENV_CACHE_DIR).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("verilator-cache");
    }
    if let Ok(exe) = std::env::current_exe() {
        let mut cur = exe.parent();
        while let Some(dir) = cur {
            if dir.file_name().is_some_and(|n| n == "target") {
                return dir.join("verilator-cache");
            }
            cur = dir.parent();
        }
    }
    PathBuf::from("target").join("verilator-cache")
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
