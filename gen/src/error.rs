//! The command's errors and its exit codes, shared by every subcommand.
//!
//! Exit codes: 0 success; 1 failure (a tool failed, a simulation mismatched,
//! a design does not fit); 2 bad input (bad arguments, an invalid config, an
//! unreadable or malformed file, an output path that cannot be written). A
//! subcommand returns an `anyhow::Error`; one that wraps a [`UsageError`]
//! anywhere in its chain exits 2.
//!
//! Output paths: [`check_output_path`] (a file) and [`check_output_dir`] (a
//! directory) check what the user gave before any long work, so a typo in a
//! path costs no simulation and exits 2 in every command.
//!
//! Standard output: [`print`] returns an error instead of panicking when the
//! reader has gone (`serrano ... --json | head -c1`); `main` ends such a run
//! quietly with exit code 0, as `head`'s writer would expect ([`is_broken_pipe`]).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

/// An error in what the user gave: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] as an `anyhow::Error`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The exit code for an error that ended a subcommand.
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    if e.downcast_ref::<UsageError>().is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

/// Whether `e` is a write to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Print `text` and a newline to standard output, returning write errors
/// (`println!` panics on them).
pub fn print(text: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Check an output file given with `flag` before any long work: the path is
/// not empty, not a directory, its directory exists, and the file can be
/// created or overwritten. A file that did not exist is not left behind.
pub fn check_output_path(flag: &str, path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(usage(format!("{flag}: the path is empty; give a file to write")));
    }
    let shown = path.display();
    if path.is_dir() {
        return Err(usage(format!("{flag} {shown}: is a directory; give a file to write")));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        let why = if parent.exists() { "is not a directory" } else { "does not exist" };
        return Err(usage(format!("{flag} {shown}: {} {why}", parent.display())));
    }
    let existed = path.exists();
    // Open for appending: an existing file is not truncated by the check.
    match OpenOptions::new().append(true).create(true).open(path) {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(usage(format!("{flag} {shown}: cannot write: {e}"))),
    }
}

/// Check an output directory given with `flag` before any long work: it is a
/// directory that can be written, or it does not exist yet and its nearest
/// existing ancestor is such a directory (it is created when written).
pub fn check_output_dir(flag: &str, path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(usage(format!("{flag}: the path is empty; give a directory")));
    }
    let shown = path.display();
    let mut existing = path;
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        let what = if existing == path {
            "is not a directory".to_string()
        } else {
            format!("{} is a file", existing.display())
        };
        return Err(usage(format!("{flag} {shown}: {what}")));
    }
    // A probe file tells whether the directory is writable (permissions,
    // read-only mounts) without platform-specific calls.
    let probe = existing.join(format!(".serrano-write-check-{}", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(usage(format!("{flag} {shown}: cannot write in {}: {e}", existing.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<()>) -> String {
        let e = r.unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e}");
        e.to_string()
    }

    #[test]
    fn output_files_are_checked_without_side_effects() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let fresh = d.join("c.npy");
        check_output_path("--out", &fresh).unwrap();
        assert!(!fresh.exists(), "the check leaves no file behind");
        std::fs::write(&fresh, b"keep").unwrap();
        check_output_path("--out", &fresh).unwrap();
        assert_eq!(std::fs::read(&fresh).unwrap(), b"keep", "an existing file is not truncated");
        assert!(msg(check_output_path("--out", d)).contains("is a directory"));
        assert!(msg(check_output_path("--trace", &d.join("no/w.fst"))).contains("does not exist"));
        assert!(msg(check_output_path("--out", &fresh.join("x.npy"))).contains("is not a directory"));
        assert!(msg(check_output_path("--out", Path::new(""))).contains("--out: the path is empty"));
    }

    #[test]
    fn output_dirs_are_checked_without_side_effects() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        check_output_dir("--verilog", d).unwrap();
        check_output_dir("--verilog", &d.join("a/b/c")).unwrap();
        assert!(!d.join("a").exists());
        std::fs::write(d.join("f"), b"").unwrap();
        assert!(msg(check_output_dir("--verilog", &d.join("f"))).contains("is not a directory"));
        assert!(msg(check_output_dir("--verilog", &d.join("f/sub"))).contains("is a file"));
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 1, "no probe file is left");
    }

    #[test]
    fn broken_pipes_are_recognized_through_context() {
        let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).context("printing");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
