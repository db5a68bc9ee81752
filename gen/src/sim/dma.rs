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
//!
//! Every transfer moves exactly `--bytes` (`testbenches::dma::gen::bench_scenario`:
//! a 2-D transfer whose size is not a multiple of its 512-byte row has a
//! second descriptor for the shorter last row). A run is short by
//! construction (at most max(16384 beats, one transfer of 16 MiB)), so it
//! prints no progress; its memory (the expected data and the memory model's
//! image) is still weighed against the budget.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use serde_json::json;
use testbenches::dma::gen::{bench_descriptors_per_transfer, bench_scenario, bench_transfers, Direction, Pattern};
use testbenches::dma::run_scenario;

use crate::error::{print, UsageError};
use crate::sim::{peak_rss_bytes, MemoryNeed};

/// The largest transfer `--bytes` accepts.
pub const MAX_BYTES: u64 = 16 << 20;
/// The longest memory latency `--latency` accepts.
pub const MAX_LATENCY: u32 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PatternArg {
    /// Contiguous transfers.
    Linear,
    /// Rows of min(bytes, 512) bytes at twice that stride (a tile of a row-major
    /// matrix); a shorter last row when bytes is not a multiple of 512.
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
#[derive(Args, Debug)]
pub struct SimDmaArgs {
    #[command(flatten)]
    pub source: crate::presets::ConfigArgs,
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

/// What a run holds: about eight copies of the data it moves (the expected
/// packets and memory image, the memory model's, the stream's) and the
/// descriptors with their bursts.
pub fn memory_need(total_bytes: u64, descriptors: u64, data_bytes: u64) -> MemoryNeed {
    let mut need = MemoryNeed::new();
    need.add(format!("the data moved: {total_bytes} bytes, as expected and as simulated"), 8 * total_bytes as u128);
    need.add(
        format!("{descriptors} descriptors and their bursts"),
        descriptors as u128 * 512 + 64 * (total_bytes / data_bytes.max(1)) as u128,
    );
    need
}

pub fn run(args: SimDmaArgs) -> Result<()> {
    let (config, origin, _) = args.source.resolve()?;
    let cfg = config.dma;
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
            "--bytes {} with --pattern paged needs {} pages of 4 KiB; {origin} has page tables of {} entries (at most {span} bytes)",
            args.bytes,
            args.bytes.div_ceil(4096),
            cfg.table_entries
        )));
    }
    let transfers = bench_transfers(args.bytes, cfg.data_bytes() as u64);
    let per =
        bench_descriptors_per_transfer(pattern, args.bytes as u32) * if direction == Direction::Copy { 2 } else { 1 };
    let need = memory_need(transfers * args.bytes, transfers * per, cfg.data_bytes() as u64);
    need.check("sim dma")?;
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
    let out = json!({
        "block": "dma",
        "preset": args.source.preset,
        "source": origin,
        "top": r.top,
        "bytes": args.bytes,
        "transfers": transfers,
        "descriptors": sc.jobs.len(),
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
        "memory_need_bytes": need.total() as u64,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    if args.json {
        print(serde_json::to_string_pretty(&out)?)?;
    } else {
        print(format_args!(
            "serrano sim dma: {origin}, {direction_name} {pattern_name}, {transfers} x {} bytes, latency {}, seed {}",
            args.bytes, args.latency, args.seed
        ))?;
        print(format_args!("  top               {}", r.top))?;
        print(format_args!("  moved             {} bytes in {} descriptors", r.bytes, sc.jobs.len()))?;
        print(format_args!("  cycles            {} (first address handshake to last data/response)", r.window))?;
        print(format_args!("  data beats        {data_beats}"))?;
        print(format_args!("  bus utilization   {:.4}", r.bus_utilization()))?;
        if direction == Direction::Copy {
            print(format_args!("  read / write      {:.4} / {:.4}", r.read_utilization(), r.write_utilization()))?;
        }
        print(format_args!("  violations        {}", r.violations.len()))?;
        print(format_args!("  mismatches        {}", r.mismatches.len()))?;
        print(format_args!(
            "  build             {:.2} s ({})",
            r.build_seconds,
            if r.cache_hit { "cached" } else { "cold" }
        ))?;
        print(format_args!("  simulation        {:.2} s, {} cycles", r.sim_seconds, r.cycles))?;
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
