//! `serrano sim dma`: run the DMA in Verilator on a regular transfer pattern
//! against the AXI4 memory model and the protocol monitor, compare with
//! golden, and report the bus utilization.
//!
//! Transfers of `--bytes` each are issued back to back (as many as needed to
//! move at least 16384 data beats, i.e. 256 KiB on a 128-bit bus; at most
//! 4096 transfers), on an ideal memory (always ready, in
//! order) with `--latency` cycles of read and write latency, so the figure
//! measures the DMA. `bus_utilization` = data beats / cycles, counted from
//! the first address handshake to the last data or response beat (for a
//! copy: the smaller of the R and W beat counts, from the first AR to the
//! last B).

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use serde_json::json;
use testbenches::dma::gen::{bench_scenario, bench_transfers, Direction, Pattern};
use testbenches::dma::run_scenario;

use crate::error::UsageError;

/// The largest transfer `--bytes` accepts.
pub const MAX_BYTES: u64 = 16 << 20;
/// The longest memory latency `--latency` accepts.
pub const MAX_LATENCY: u32 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PatternArg {
    /// Contiguous transfers.
    Linear,
    /// Rows of min(bytes, 512) bytes at twice that stride (a tile of a row-major matrix).
    #[value(name = "2d")]
    TwoD,
    /// 4 KiB pages through a shuffled page table (paged gather/scatter).
    Paged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    /// Memory to stream (read engine).
    Read,
    /// Stream to memory (write engine).
    Write,
    /// Memory to memory (read engine's stream into the write engine; the pattern applies to the source).
    Copy,
}

/// `serrano sim dma` arguments.
#[derive(Args, Debug, Clone)]
pub struct SimDmaArgs {
    /// A preset name (see `serrano presets`).
    #[arg(long)]
    pub preset: String,
    /// Bytes per transfer (1 to 16777216); transfers are issued back to back
    /// until at least 16384 data beats have moved (at most 4096 transfers).
    #[arg(long)]
    pub bytes: u64,
    /// Memory latency in cycles (address handshake to first data; last write
    /// data to response), 1 to 10000.
    #[arg(long, default_value_t = 100)]
    pub latency: u32,
    /// Transfer pattern.
    #[arg(long, value_enum, default_value_t = PatternArg::Linear)]
    pub pattern: PatternArg,
    /// Which engine(s) move the data.
    #[arg(long, value_enum, default_value_t = DirectionArg::Read)]
    pub direction: DirectionArg,
    /// Seed of the data and of the page table's shuffle.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn usage(msg: String) -> anyhow::Error {
    UsageError(msg).into()
}

pub fn run(args: SimDmaArgs) -> Result<()> {
    let cfg = crate::presets::load(&args.preset)?.dma;
    if !(1..=MAX_BYTES).contains(&args.bytes) {
        return Err(usage(format!("--bytes {}: must be between 1 and {MAX_BYTES}", args.bytes)));
    }
    if !(1..=MAX_LATENCY).contains(&args.latency) {
        return Err(usage(format!("--latency {}: must be between 1 and {MAX_LATENCY}", args.latency)));
    }
    let pattern = match args.pattern {
        PatternArg::Linear => Pattern::Linear,
        PatternArg::TwoD => Pattern::TwoD,
        PatternArg::Paged => Pattern::Paged,
    };
    let direction = match args.direction {
        DirectionArg::Read => Direction::Read,
        DirectionArg::Write => Direction::Write,
        DirectionArg::Copy => Direction::Copy,
    };
    let span = cfg.table_entries as u64 * 4096;
    if pattern == Pattern::Paged && args.bytes > span {
        return Err(usage(format!(
            "--bytes {} with --pattern paged needs {} pages of 4 KiB; preset {} has page tables of {} entries (at most {span} bytes)",
            args.bytes,
            args.bytes.div_ceil(4096),
            args.preset,
            cfg.table_entries
        )));
    }
    let sc = bench_scenario(&cfg, args.bytes as u32, args.latency, pattern, direction, args.seed);
    let r = run_scenario(&sc)?;
    let data_beats = match direction {
        Direction::Read => r.r_beats,
        Direction::Write => r.w_beats,
        Direction::Copy => r.r_beats.min(r.w_beats),
    };
    let pattern_name = match args.pattern {
        PatternArg::Linear => "linear",
        PatternArg::TwoD => "2d",
        PatternArg::Paged => "paged",
    };
    let direction_name = match args.direction {
        DirectionArg::Read => "read",
        DirectionArg::Write => "write",
        DirectionArg::Copy => "copy",
    };
    let transfers = bench_transfers(args.bytes, cfg.data_bytes() as u64);
    let out = json!({
        "block": "dma",
        "preset": args.preset,
        "top": r.top,
        "bytes": args.bytes,
        "transfers": transfers,
        "total_bytes": r.bytes,
        "latency": args.latency,
        "pattern": pattern_name,
        "direction": direction_name,
        "seed": args.seed,
        "cycles": r.window,
        "data_beats": data_beats,
        "bus_utilization": r.bus_utilization(),
        "read_utilization": if r.r_beats > 0 { json!(r.read_utilization()) } else { json!(null) },
        "write_utilization": if r.w_beats > 0 { json!(r.write_utilization()) } else { json!(null) },
        "violations": r.violations.len(),
        "mismatches": r.mismatches.len(),
        "first_violation": r.violations.first(),
        "first_mismatch": r.mismatches.first(),
        "waveform": r.waveform.as_ref().map(|p| p.display().to_string()),
        "sim_cycles": r.cycles,
        "build_seconds": r.build_seconds,
        "cache_hit": r.cache_hit,
        "sim_seconds": r.sim_seconds,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "serrano sim dma: preset {}, {direction_name} {pattern_name}, {transfers} x {} bytes, latency {}, seed {}",
            args.preset, args.bytes, args.latency, args.seed
        );
        println!("  top               {}", r.top);
        println!("  cycles            {} (first address handshake to last data/response)", r.window);
        println!("  data beats        {data_beats}");
        println!("  bus utilization   {:.4}", r.bus_utilization());
        if direction == Direction::Copy {
            println!("  read / write      {:.4} / {:.4}", r.read_utilization(), r.write_utilization());
        }
        println!("  violations        {}", r.violations.len());
        println!("  mismatches        {}", r.mismatches.len());
        println!("  build             {:.2} s ({})", r.build_seconds, if r.cache_hit { "cached" } else { "cold" });
        println!("  simulation        {:.2} s, {} cycles", r.sim_seconds, r.cycles);
    }
    if !r.ok() {
        bail!(
            "{} protocol violations, {} mismatches against golden; first: {}; waveform: {}",
            r.violations.len(),
            r.mismatches.len(),
            r.violations.first().or(r.mismatches.first()).cloned().unwrap_or_default(),
            r.waveform.map(|p| p.display().to_string()).unwrap_or_default()
        );
    }
    Ok(())
}
