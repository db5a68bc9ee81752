//! `serrano sim pe`: random and extreme stimulus into one processing element,
//! compared with golden every cycle.

use std::path::PathBuf;

use anyhow::{bail, Result};
use serde_json::json;
use testbenches::tile::pe::{run_pe, PeRun};

#[derive(clap::Args)]
pub struct PeArgs {
    #[command(flatten)]
    source: crate::presets::ConfigArgs,
    /// Random cycles to simulate (after a directed prologue of extreme values).
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
    let r = run_pe(&cfg.systolic.pe(), &PeRun { cycles, seed, x_seed, trace: trace.clone() })?;
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
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "serrano sim pe: {origin}, seed {seed}{}",
            x_seed.map(|s| format!(", X seed {s}")).unwrap_or_default()
        );
        println!("  cycles              {}", r.cycles);
        println!("  mismatches          {}", r.mismatches);
        println!("  build               {:.2} s ({})", r.build_seconds, if r.cache_hit { "cached" } else { "cold" });
        println!("  simulation          {:.3} s, {:.0} cycles/s", r.sim_seconds, r.sim_cycles_per_sec());
        if let Some(t) = &trace {
            println!("  waveform            {}", t.display());
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
