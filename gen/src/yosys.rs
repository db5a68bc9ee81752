//! Running the open tools: one way to find a binary, run it in a working
//! directory, keep its log and say why it failed. `area` and `fpga` both run
//! Yosys through [`Yosys::run`]; `fpga` runs nextpnr and icepack through
//! [`run_logged`].
//!
//! Knows nothing of Serrano's blocks: the commands write the scripts and read
//! what the tools print.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, Context, Result};

use crate::error::UsageError;

/// The environment variable naming the Yosys binary when `--yosys` is not given.
pub const YOSYS_ENV: &str = "SERRANO_YOSYS";

/// A tool's binary: `$env` when set and not empty, else `default` (found on PATH when run).
pub fn tool_from_env(env: &str, default: &str) -> String {
    std::env::var(env).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// The first line `prog arg` prints (its version), or "" when it cannot be run.
pub fn version(prog: &str, arg: &str) -> String {
    Command::new(prog)
        .arg(arg)
        .output()
        .ok()
        .map(|o| {
            let t = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
            t.lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_default()
}

/// Run a tool, writing its stdout and stderr to `log`; a missing tool or a
/// failure is an error (a failure is a [`ToolFailed`], which keeps the text).
/// `env` is the variable that names the tool, for the hint when it is missing.
pub fn run_logged(cmd: &mut Command, env: &str, log: &Path) -> Result<String> {
    let prog = cmd.get_program().to_string_lossy().to_string();
    let out = cmd
        .output()
        .map_err(|e| anyhow!("cannot run {prog} ({e}): install it with scripts/setup.sh, or point {env} at it"))?;
    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
    text += &String::from_utf8_lossy(&out.stderr);
    std::fs::write(log, &text).with_context(|| format!("cannot write {}", log.display()))?;
    if !out.status.success() {
        return Err(ToolFailed { prog, log: log.to_path_buf(), text }.into());
    }
    Ok(text)
}

/// A tool that ran and failed: what it printed, and where that was logged.
#[derive(Debug)]
pub struct ToolFailed {
    pub prog: String,
    pub log: PathBuf,
    pub text: String,
}

impl std::fmt::Display for ToolFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors: Vec<&str> = self.text.lines().filter(|l| l.contains("ERROR")).take(3).collect();
        write!(f, "{} failed (log: {}): {}", self.prog, self.log.display(), errors.join(" / "))
    }
}

impl std::error::Error for ToolFailed {}

/// A Yosys binary.
pub struct Yosys {
    pub bin: PathBuf,
    /// Its version line, e.g. "Yosys 0.23 (git sha1 7ce5011c24b)"; "" when it
    /// could not be asked (see [`Yosys::from_env`]).
    pub version: String,
}

/// Where a Yosys run's log goes, and so what a failure quotes.
pub enum YosysLog<'a> {
    /// `-l yosys.log`: Yosys writes its whole log, which explains a figure; a
    /// failure quotes the log's end, where Yosys says what went wrong.
    Full,
    /// The console of `-q` (warnings and errors) goes to this file in the
    /// directory, as nextpnr's does; a failure is a [`ToolFailed`].
    Console(&'a str),
}

impl Yosys {
    /// The binary given by `flag`, else `$SERRANO_YOSYS`, else `yosys` on PATH.
    /// One that cannot be run is a usage error: the user chose it, or has not installed it.
    pub fn locate(flag: Option<&Path>) -> Result<Yosys> {
        let (bin, from) = match (flag, std::env::var_os(YOSYS_ENV)) {
            (Some(p), _) => (p.to_path_buf(), "--yosys"),
            (None, Some(v)) if !v.is_empty() => (PathBuf::from(v), YOSYS_ENV),
            _ => (PathBuf::from("yosys"), "PATH"),
        };
        let out = Command::new(&bin).arg("-V").output().map_err(|e| {
            UsageError(format!(
                "cannot run Yosys {} (from {from}): {e}. Install it with scripts/setup.sh (Debian/Ubuntu package \
                 yosys), or name the binary with --yosys PATH or {YOSYS_ENV}=PATH",
                bin.display()
            ))
        })?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || !version.starts_with("Yosys") {
            return Err(UsageError(format!(
                "{} (from {from}) is not a working Yosys: `{} -V` printed {version:?}",
                bin.display(),
                bin.display()
            ))
            .into());
        }
        Ok(Yosys { bin, version })
    }

    /// `$SERRANO_YOSYS`, else `yosys` on PATH, not checked: one that cannot be
    /// run fails at its first [`Yosys::run`] (exit 1, with an install hint),
    /// after the steps before it have written their files.
    pub fn from_env() -> Yosys {
        let bin = tool_from_env(YOSYS_ENV, "yosys");
        Yosys { version: version(&bin, "-V"), bin: PathBuf::from(bin) }
    }

    /// Write `script` to `dir/<name>.ys` and run it there quietly (`-q`),
    /// the log kept as `log` says.
    pub fn run(&self, dir: &Path, name: &str, script: &str, log: YosysLog) -> Result<()> {
        let file = format!("{name}.ys");
        let path = dir.join(&file);
        std::fs::write(&path, script).with_context(|| format!("cannot write {}", path.display()))?;
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(dir).arg("-q");
        let log = match log {
            YosysLog::Console(log) => {
                run_logged(cmd.args(["-s", &file]), YOSYS_ENV, &dir.join(log))?;
                return Ok(());
            }
            YosysLog::Full => "yosys.log",
        };
        let out = cmd
            .args(["-l", log, "-s", &file])
            .output()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if out.status.success() {
            return Ok(());
        }
        let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(anyhow!(
            "Yosys failed on {} ({}):\n{}\n{}",
            path.display(),
            out.status,
            tail.join("\n"),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
