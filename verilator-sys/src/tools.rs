//! Locating and running the external tools (`verilator`, `g++`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::UNIX_EPOCH;

use crate::Error;

/// Environment variable naming the `verilator` program (default: `verilator` on `PATH`).
pub const ENV_VERILATOR: &str = "VERILATOR_SYS_VERILATOR";
/// Environment variable naming the C++ compiler (default: `g++` on `PATH`).
pub const ENV_CXX: &str = "VERILATOR_SYS_CXX";

/// Identity of an executable: resolved path plus file metadata. Used in
/// cache keys so that upgrading a tool invalidates the cache without having
/// to run it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ToolId {
    pub path: PathBuf,
    pub canonical: PathBuf,
    pub size: u64,
    pub mtime_ns: u128,
}

impl ToolId {
    pub fn key_string(&self) -> String {
        format!("{}|{}|{}|{}", self.path.display(), self.canonical.display(), self.size, self.mtime_ns)
    }
}

/// Resolves `program` the way `execvp` would and stats it.
pub(crate) fn resolve(program: &str) -> Result<ToolId, Error> {
    let not_found = |message: String| Error::ToolNotFound { program: program.to_string(), message };
    let candidates: Vec<PathBuf> = if program.contains('/') {
        vec![PathBuf::from(program)]
    } else {
        let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
        std::env::split_paths(&path).map(|d| d.join(program)).collect()
    };
    for cand in candidates {
        // A relative name (`./bin/verilator`, or a relative `PATH` entry)
        // would be looked up again in the directory a tool runs in.
        let Ok(cand) = crate::cache::absolute(&cand) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(&cand) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o111 == 0 {
                continue;
            }
        }
        let canonical = std::fs::canonicalize(&cand).unwrap_or_else(|_| cand.clone());
        let mtime_ns =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos()).unwrap_or(0);
        return Ok(ToolId { path: cand, canonical, size: meta.len(), mtime_ns });
    }
    Err(not_found("not found on PATH (is it installed?)".to_string()))
}

pub(crate) fn verilator_program() -> String {
    std::env::var(ENV_VERILATOR).unwrap_or_else(|_| "verilator".to_string())
}

pub(crate) fn cxx_program() -> String {
    std::env::var(ENV_CXX).unwrap_or_else(|_| "g++".to_string())
}

/// Verilator's identity: binary + `verilator --version` output.
#[derive(Clone, Debug)]
pub(crate) struct VerilatorInfo {
    pub id: ToolId,
    pub version: String,
}

fn memo<T: Clone>(
    cell: &'static OnceLock<Mutex<HashMap<ToolId, T>>>,
    id: &ToolId,
    compute: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    let map = cell.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(v) = map.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
        return Ok(v.clone());
    }
    let v = compute()?;
    map.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), v.clone());
    Ok(v)
}

/// Resolves verilator and returns its identity. `verilator --version` runs at
/// most once per process per (path, size, mtime).
pub(crate) fn verilator_info() -> Result<VerilatorInfo, Error> {
    static VERSIONS: OnceLock<Mutex<HashMap<ToolId, String>>> = OnceLock::new();
    let program = verilator_program();
    let id = resolve(&program)?;
    let version = memo(&VERSIONS, &id, || {
        let out = run_capture(Command::new(&id.path).arg("--version"), &program)?;
        if !out.status.success() {
            return Err(Error::ToolNotFound {
                program: program.clone(),
                message: format!("`--version` failed: {}", combined_output(&out)),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    })?;
    Ok(VerilatorInfo { id, version })
}

/// `verilator --getenv VERILATOR_ROOT`, memoized per process.
pub(crate) fn verilator_root(info: &VerilatorInfo) -> Result<PathBuf, Error> {
    static ROOTS: OnceLock<Mutex<HashMap<ToolId, PathBuf>>> = OnceLock::new();
    memo(&ROOTS, &info.id, || {
        let program = info.id.path.display().to_string();
        let out = run_capture(Command::new(&info.id.path).args(["--getenv", "VERILATOR_ROOT"]), &program)?;
        let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        // A relative `VERILATOR_ROOT` is relative to our current directory,
        // but the include paths derived from it go to g++.
        let root = if root.as_os_str().is_empty() { root } else { crate::cache::absolute(&root)? };
        if !out.status.success() || !root.join("include").join("verilated.h").is_file() {
            return Err(Error::ToolNotFound {
                program,
                message: format!(
                    "cannot locate the Verilator include directory (VERILATOR_ROOT={:?}): {}",
                    root,
                    combined_output(&out)
                ),
            });
        }
        Ok(root)
    })
}

/// Runs a command and captures its output; a spawn failure becomes
/// [`Error::ToolNotFound`].
pub(crate) fn run_capture(cmd: &mut Command, program: &str) -> Result<Output, Error> {
    cmd.output().map_err(|e| Error::ToolNotFound { program: program.to_string(), message: e.to_string() })
}

/// stderr followed by stdout, lossily decoded.
pub(crate) fn combined_output(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&stdout);
    }
    s
}

/// Renders a command line for messages and logs.
pub(crate) fn command_line(program: &Path, args: &[String]) -> String {
    let mut s = program.display().to_string();
    for a in args {
        s.push(' ');
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            s.push('\'');
            s.push_str(&a.replace('\'', "'\\''"));
            s.push('\'');
        } else {
            s.push_str(a);
        }
    }
    s
}

/// Process-wide limit on concurrently running compiler processes, so that
/// several builds in parallel test threads do not oversubscribe the machine.
pub(crate) struct JobSlots {
    free: Mutex<usize>,
    cv: Condvar,
}

pub(crate) struct JobSlot<'a>(&'a JobSlots);

impl JobSlots {
    pub fn global() -> &'static JobSlots {
        static SLOTS: OnceLock<JobSlots> = OnceLock::new();
        SLOTS.get_or_init(|| JobSlots { free: Mutex::new(parallelism()), cv: Condvar::new() })
    }

    pub fn acquire(&self) -> JobSlot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        JobSlot(self)
    }
}

impl Drop for JobSlot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.cv.notify_one();
    }
}

pub(crate) fn parallelism() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1)
}
