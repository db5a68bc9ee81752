//! `serrano run layer`: one transformer layer step through the Serrano core,
//! with SmolLM2-135M's shapes (`golden::layer::LayerShape::smollm2_135m`).
//!
//! The runtime (`runtime::layer`) runs the four projections and attention
//! on the core and RMSNorm, RoPE, SwiGLU and the residual additions on the
//! host. The step runs on the golden core model and on the Verilator model of
//! the generated core; every sequence's output is compared with
//! `golden::layer::forward`. The cycles are the core's (summed over its runs)
//! plus the host operations' modelled time: the bytes they read and write
//! over the core's bus.

use anyhow::{anyhow, Result};
use clap::Args;
use golden::layer::{forward, LayerShape};
use golden::softmax::SoftmaxParams;
use runtime::backend::GoldenBackend;
use runtime::layer::{layer, problem::random};
use serde::{Deserialize, Serialize};
use testbenches::axi::mem::MemConfig;
use testbenches::core::RtlBackend;
use testbenches::sim::BuildOptions;

use super::step::{StepFigures, StepRun, Summed};
use crate::error::{print, UsageError};

#[derive(Args)]
pub struct RunLayerArgs {
    #[command(flatten)]
    pub source: crate::presets::ConfigArgs,
    /// Prefill: tokens of the one sequence (causal).
    #[arg(long, default_value_t = 64)]
    seq: usize,
    #[command(flatten)]
    pub step: super::step::StepArgs,
}

/// What `serrano run layer --json` prints.
#[derive(Serialize, Deserialize)]
pub struct LayerJson {
    pub config: String,
    pub mode: String,
    pub batch: usize,
    pub context: usize,
    pub tokens: usize,
    pub latency: u32,
    /// Doorbell to FENCE, summed over the core's runs (GEMMs and attention).
    pub core_cycles: u64,
    /// The host operations' bytes over the bus width.
    pub host_cycles: u64,
    /// host_cycles / cycles.
    pub host_op_share: f64,
    /// Host element operations / (host operations + core MACs).
    pub host_ops_share_of_operations: f64,
    pub cycles_per_token: f64,
    pub tokens_per_second_1ghz: f64,
    pub tokens_per_second_fmax: Option<f64>,
    #[serde(flatten)]
    pub fig: super::step::StepFigures,
}

pub fn run(args: RunLayerArgs) -> Result<()> {
    let (cfg, origin) = super::step::core_config(&args.source)?;
    args.step.check(args.seq)?;
    let (seqs, mode) = if args.step.decode {
        (vec![(1, args.step.context - 1); args.step.batch], "decode")
    } else {
        (vec![(args.seq, 0)], "prefill")
    };
    let shape = LayerShape::smollm2_135m();
    let sp = SoftmaxParams::new(&cfg.softmax);
    let pr = random(&sp, &shape, &seqs, args.step.page_size, args.step.seed).map_err(|e| UsageError(e.to_string()))?;
    let mut gold = GoldenBackend::new(&cfg, args.step.seed).map_err(super::step::usage)?;
    let g = layer(&mut gold, &pr.shape, &pr.weights, &pr.seqs, &pr.paging).map_err(super::step::usage)?;
    let mem = MemConfig::ideal(cfg.dma.data_bytes(), args.step.latency);
    let mut be = Summed::new(RtlBackend::new(&cfg, mem, args.step.seed, BuildOptions::default(), None)?);
    let t1 = std::time::Instant::now();
    let r = layer(&mut be, &pr.shape, &pr.weights, &pr.seqs, &pr.paging).map_err(|e| anyhow!("RTL core: {e}"))?;
    let sim_seconds = t1.elapsed().as_secs_f64();
    let mut mismatches = 0u64;
    for (i, s) in pr.seqs.iter().enumerate() {
        let want = forward(&sp, &pr.shape, &pr.weights, s).map_err(|e| anyhow!("golden: {e}"))?;
        for t in 0..want.rows {
            mismatches += (0..want.cols).filter(|&c| r.out[i].at(t, c) != want.at(t, c)).count() as u64;
        }
    }
    let host_cycles = r.host.bytes.div_ceil(cfg.dma.data_bytes() as u64);
    let cycles = be.cycles + host_cycles;
    let tokens: usize = seqs.iter().map(|s| s.0).sum();
    let tps = |hz: f64| tokens as f64 * hz / cycles.max(1) as f64;
    let run = StepRun {
        cycles,
        useful_macs: r.core_macs,
        min_dram_bytes: r.min_dram_bytes,
        counters: &r.counters,
        golden: &g.counters,
        mismatches,
        commands: r.commands,
        sim_seconds,
    };
    let j = LayerJson {
        config: origin,
        mode: mode.to_string(),
        batch: seqs.len(),
        context: if args.step.decode { args.step.context } else { args.seq },
        tokens,
        latency: args.step.latency,
        core_cycles: be.cycles,
        host_cycles,
        host_op_share: host_cycles as f64 / cycles.max(1) as f64,
        host_ops_share_of_operations: r.host.operations as f64 / (r.host.operations + r.core_macs).max(1) as f64,
        cycles_per_token: cycles as f64 / tokens as f64,
        tokens_per_second_1ghz: tps(1e9),
        tokens_per_second_fmax: args.step.fmax_mhz.map(|f| tps(f * 1e6)),
        fig: StepFigures::new(&cfg, &be, run),
    };
    if args.step.json {
        print(serde_json::to_string_pretty(&j)?)?;
    } else {
        print_text(&j)?;
    }
    j.fig.check("layer")
}

fn print_text(j: &LayerJson) -> Result<()> {
    print(format_args!(
        "serrano run layer: {}, SmolLM2-135M layer, {} batch {} context {}, memory latency {}",
        j.config, j.mode, j.batch, j.context, j.latency
    ))?;
    print(format_args!(
        "  cycles              {} (core {} in {} runs, host modelled {}); {:.0} per token",
        j.fig.cycles, j.core_cycles, j.fig.runs, j.host_cycles, j.cycles_per_token
    ))?;
    print(format_args!(
        "  roofline            {} cycles (weights and KV once, or MACs at peak); achieved {:.4} of it",
        j.fig.roofline_cycles, j.fig.roofline_fraction
    ))?;
    print(format_args!("  utilization         {:.4}", j.fig.utilization))?;
    print(format_args!(
        "  host operations     {:.4} of the time, {:.5} of the operations",
        j.host_op_share, j.host_ops_share_of_operations
    ))?;
    print(format_args!(
        "  DRAM read/written   {} / {} bytes (minimum {})",
        j.fig.dram_bytes_read, j.fig.dram_bytes_written, j.fig.min_dram_bytes
    ))?;
    print(format_args!(
        "  busy                fetch {:.3}  load {:.3}  tile {:.3}  softmax {:.3}  store {:.3}",
        j.fig.busy_fetch, j.fig.busy_load, j.fig.busy_tile, j.fig.busy_softmax, j.fig.busy_store
    ))?;
    print(format_args!("  tokens/s at 1 GHz   {:.0}", j.tokens_per_second_1ghz))?;
    if let Some(t) = j.tokens_per_second_fmax {
        print(format_args!("  tokens/s at Fmax    {t:.0}"))?;
    }
    print(format_args!("  mismatches          {} (against golden::layer::forward)", j.fig.mismatches))?;
    print(format_args!("  protocol violations {}", j.fig.violations))?;
    print(format_args!("  counters = golden   {}", j.fig.counters_match_golden))?;
    Ok(())
}
