//! `serrano sim pe`: random and extreme stimulus into one processing element,
//! compared with golden every cycle.

use std::path::PathBuf;

use anyhow::{bail, Result};
use serde_json::json;
use testbenches::tile::pe::{pe_total_cycles, run_pe_with, PeRun};

use crate::error::{check_output_path, print, usage};
use crate::sim::{peak_rss_bytes, MemoryNeed, Progress};

/// The most random cycles `--cycles` takes: far beyond any run that can
/// finish (years at simulation speed), and room to count the prologue.
pub const MAX_CYCLES: u64 = 1 << 48;

#[derive(clap::Args)]
pub struct PeArgs {
    #[command(flatten)]
    source: crate::presets::ConfigArgs,
    /// Random cycles to simulate (after a directed prologue of extreme values), at most 2^48.
    #[arg(long, default_value_t = 1_000_000)]
    cycles: u64,
    /// Seed of the random stimulus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Build with X randomization and initialize registers from this seed.
    #[arg(long)]
    x_seed: Option<u64>,
    /// Write an FST waveform of the run to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(args: PeArgs) -> Result<()> {
    let PeArgs { source, cycles, seed, x_seed, trace, json } = args;
    let (cfg, origin, _) = source.resolve()?;
    if cycles > MAX_CYCLES {
        return Err(usage(format!("--cycles {cycles}: must be between 0 and {MAX_CYCLES} (2^48)")));
    }
    if let Some(t) = &trace {
        check_output_path("--trace", t)?;
    }
    // The PE's run holds nothing per cycle: its stimulus and golden are a
    // few registers.
    let need = {
        let mut n = MemoryNeed::new();
        n.add("the stimulus and golden PE", 1 << 16);
        n
    };
    need.check("sim pe")?;
    let pe = cfg.systolic.pe();
    let run = PeRun { cycles, seed, x_seed, trace: trace.clone() };
    let total = pe_total_cycles(&pe, &run).unwrap_or(u64::MAX);
    let mut progress = Progress::new("sim pe", "cycles", total);
    let r = run_pe_with(&pe, &run, &mut |done| progress.update(done))?;
    progress.finish();
    let out = json!({
        "block": "pe",
        "source": origin,
        "cycles": r.cycles,
        "mismatches": r.mismatches,
        "first_mismatch": r.first_mismatch,
        "waveform": r.waveform.as_ref().map(|p| p.display().to_string()),
        "seed": seed,
        "x_seed": x_seed,
        "build_seconds": r.build_seconds,
        "cache_hit": r.cache_hit,
        "sim_seconds": r.sim_seconds,
        "sim_cycles_per_sec": r.sim_cycles_per_sec(),
        "memory_need_bytes": need.total() as u64,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    if json {
        print(serde_json::to_string_pretty(&out)?)?;
    } else {
        print(format_args!(
            "serrano sim pe: {origin}, seed {seed}{}",
            x_seed.map(|s| format!(", X seed {s}")).unwrap_or_default()
        ))?;
        print(format_args!("  cycles              {}", r.cycles))?;
        print(format_args!("  mismatches          {}", r.mismatches))?;
        print(format_args!(
            "  build               {:.2} s ({})",
            r.build_seconds,
            if r.cache_hit { "cached" } else { "cold" }
        ))?;
        print(format_args!("  simulation          {:.3} s, {:.0} cycles/s", r.sim_seconds, r.sim_cycles_per_sec()))?;
        if let Some(w) = &r.waveform {
            print(format_args!("  waveform            {}", w.display()))?;
        }
    }
    if r.mismatches > 0 {
        bail!(
            "{} mismatches against golden; first: {}; waveform: {}",
            r.mismatches,
            r.first_mismatch.unwrap_or_default(),
            r.waveform.map(|p| p.display().to_string()).unwrap_or_default()
        );
    }
    Ok(())
}
