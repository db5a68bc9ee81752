//! `serrano sim`: run a block's RTL in Verilator against the golden model and
//! report what was measured. One file per block: [`gemm`] (the tile),
//! [`softmax`], [`dma`], [`pe`]; [`results`] types the JSON of the first two.
//!
//! Shared rules of every `sim` command:
//! * Memory: each command estimates from its arguments (and the headers of
//!   its input files) the memory it will hold, and refuses, with exit code 2
//!   and before allocating, a run that needs more than the budget
//!   ([`memory_limit`]: 2 GiB, or `SERRANO_MEMORY_LIMIT`). Results are
//!   compared as they come out of the RTL, so what a run holds is its
//!   operands and what `--out` writes, not a history of every cycle.
//! * Output paths (`--out`, `--trace`, `--verilog`) are checked before the
//!   simulation starts (exit code 2, [`crate::error::check_output_path`]).
//! * Progress: a long run prints its progress to standard error when that is
//!   a terminal ([`Progress`]); pipes and tests see none.

pub mod dma;
pub mod gemm;
pub mod pe;
pub mod results;
pub mod softmax;

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Subcommand;

use crate::error::usage;

#[derive(Subcommand)]
pub enum SimCmd {
    /// A GEMM through the systolic tile, compared with golden.
    Gemm(crate::sim::gemm::GemmArgs),
    /// The DMA engines: a transfer pattern against the AXI4 memory model, checked
    /// against golden, with the bus utilization.
    Dma(crate::sim::dma::SimDmaArgs),
    /// The softmax unit: rows through the RTL, compared with golden and with float64.
    Softmax(crate::sim::softmax::SoftmaxArgs),
    /// The processing element: random and extreme stimulus, compared with golden every cycle.
    Pe(crate::sim::pe::PeArgs),
}

pub fn run(cmd: SimCmd) -> Result<()> {
    match cmd {
        SimCmd::Gemm(args) => crate::sim::gemm::run(args)?,
        SimCmd::Dma(args) => crate::sim::dma::run(args)?,
        SimCmd::Softmax(args) => crate::sim::softmax::run(args)?,
        SimCmd::Pe(args) => crate::sim::pe::run(args)?,
    }
    Ok(())
}

/// The memory budget of a `sim` command when `SERRANO_MEMORY_LIMIT` is not set.
///
/// A fixed figure rather than a share of the machine's memory, so that the
/// same command line is accepted or refused the same way everywhere; 2 GiB
/// holds the largest random GEMM (`--m`, `--k`, `--n` up to 64 Mi elements
/// per matrix) with `--out`, and fits a laptop.
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;

/// The environment variable that sets the budget: bytes, or a number with a
/// binary suffix `K`, `M`, `G` or `T` (`8G`).
pub const MEMORY_LIMIT_VAR: &str = "SERRANO_MEMORY_LIMIT";

/// The memory budget in bytes.
pub fn memory_limit() -> Result<u64> {
    match std::env::var(MEMORY_LIMIT_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MEMORY_LIMIT),
        Err(std::env::VarError::NotUnicode(_)) => Err(usage(format!("{MEMORY_LIMIT_VAR} is not valid text"))),
        Ok(s) => parse_bytes(&s).ok_or_else(|| {
            usage(format!(
                "{MEMORY_LIMIT_VAR}={s:?}: expected a number of bytes, optionally with a suffix K, M, G or T \
                 (powers of 1024), at least 1M"
            ))
        }),
    }
}

/// `123`, `64K`, `8G`, `1T` (binary multiples); `None` if malformed, zero or
/// under 1 MiB (a limit that small refuses everything), or beyond u64.
fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, shift) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 10),
        'M' => (&s[..s.len() - 1], 20),
        'G' => (&s[..s.len() - 1], 30),
        'T' => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    let n: u64 = num.trim().parse().ok()?;
    let v = n.checked_mul(1u64 << shift)?;
    (v >= 1 << 20).then_some(v)
}

/// `1.5 GiB`.
pub fn human_bytes(b: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// What a run will hold in memory, part by part, in bytes (u128: products of
/// user-given sizes cannot overflow).
#[derive(Clone, Debug, Default)]
pub struct MemoryNeed {
    parts: Vec<(String, u128)>,
}

impl MemoryNeed {
    pub fn new() -> MemoryNeed {
        MemoryNeed::default()
    }

    /// Add `bytes` for `what` (named by the flags that size it).
    pub fn add(&mut self, what: impl Into<String>, bytes: u128) -> &mut MemoryNeed {
        self.parts.push((what.into(), bytes));
        self
    }

    pub fn total(&self) -> u128 {
        self.parts.iter().map(|(_, b)| b).sum()
    }

    /// Refuse the run (exit 2) if it needs more than the budget; the error
    /// names the flags behind the largest parts, the need and the limit.
    pub fn check(&self, command: &str) -> Result<()> {
        let limit = memory_limit()?;
        let total = self.total();
        if total <= limit as u128 {
            return Ok(());
        }
        let mut parts: Vec<&(String, u128)> = self.parts.iter().filter(|(_, b)| *b > 0).collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.1));
        let detail: Vec<String> = parts.iter().map(|(w, b)| format!("{w}: {}", human_bytes(*b))).collect();
        Err(usage(format!(
            "{command} would need about {} of memory ({}); the limit is {} (set {MEMORY_LIMIT_VAR}, e.g. \
             {MEMORY_LIMIT_VAR}=8G, to change it)",
            human_bytes(total),
            detail.join(", "),
            human_bytes(limit as u128)
        )))
    }
}

/// The process's peak resident memory in bytes, where the system reports it
/// (Linux: `VmHWM` in /proc/self/status).
pub fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Progress of a long run on standard error, only when that is a terminal:
/// one line, rewritten at most a few times a second, erased at the end.
pub struct Progress {
    enabled: bool,
    what: String,
    unit: &'static str,
    total: u64,
    t0: Instant,
    next: Instant,
    shown: bool,
}

/// How long a run goes before its progress shows: short runs print nothing.
const PROGRESS_DELAY: Duration = Duration::from_secs(1);
const PROGRESS_PERIOD: Duration = Duration::from_millis(250);

impl Progress {
    /// Progress of `total` `unit`s of `what`.
    pub fn new(what: impl Into<String>, unit: &'static str, total: u64) -> Progress {
        let now = Instant::now();
        Progress {
            enabled: std::io::stderr().is_terminal(),
            what: what.into(),
            unit,
            total,
            t0: now,
            next: now + PROGRESS_DELAY,
            shown: false,
        }
    }

    /// `done` of the total are done.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + PROGRESS_PERIOD;
        let secs = now.duration_since(self.t0).as_secs_f64();
        let frac = if self.total == 0 { 0.0 } else { done as f64 / self.total as f64 };
        let eta = if done == 0 || frac >= 1.0 {
            String::new()
        } else {
            format!(", about {} left", human_secs(secs / frac - secs))
        };
        let mut err = std::io::stderr().lock();
        // Write errors on a terminal are not worth failing a simulation for.
        let _ = write!(
            err,
            "\r\x1b[K{}: {done} of {} {} ({:.1}%), {}{eta}",
            self.what,
            self.total,
            self.unit,
            100.0 * frac,
            human_secs(secs)
        );
        let _ = err.flush();
        self.shown = true;
    }

    /// Erase the progress line.
    pub fn finish(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn human_secs(s: f64) -> String {
    let s = s.max(0.0) as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes(" 512m "), Some(512 << 20));
        assert_eq!(parse_bytes("1048576"), Some(1 << 20));
        assert_eq!(parse_bytes("2T"), Some(2 << 40));
        for bad in ["", "G", "-1G", "1.5G", "1000", "0", "99999999999T", "8 GB"] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn needs_add_up_and_name_their_parts() {
        let mut n = MemoryNeed::new();
        n.add("--out (rows x len)", 3 << 40).add("operands", 5);
        assert_eq!(n.total(), (3 << 40) + 5);
        // The default budget (the test environment does not set the variable).
        if std::env::var_os(MEMORY_LIMIT_VAR).is_none() {
            let e = n.check("sim x").unwrap_err().to_string();
            assert!(e.contains("sim x would need about 3.0 TiB of memory (--out (rows x len): 3.0 TiB"), "{e}");
            assert!(e.contains("the limit is 2.0 GiB"), "{e}");
            MemoryNeed::new().add("small", 1 << 30).check("sim x").unwrap();
        }
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
