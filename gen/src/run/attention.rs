//! `serrano run attention`: attention heads through the Serrano core, prefill
//! or decode from a paged KV cache.
//!
//! The runtime lowers the heads (`runtime::attention`) and runs them twice:
//! on the golden core model and on the Verilator model of the generated core
//! behind the AXI memory model. The outputs are compared with
//! `golden::attention` head by head (mismatches) and with float64 attention
//! (error in output LSB); the counters must equal the golden core's.

use anyhow::{anyhow, Result};
use clap::Args;
use golden::softmax::SoftmaxParams;
use runtime::attention::problem::{float, golden, random, Shape};
use runtime::attention::{attention, AttentionResult};
use runtime::backend::GoldenBackend;
use serde::{Deserialize, Serialize};
use testbenches::axi::mem::MemConfig;
use testbenches::core::RtlBackend;
use testbenches::sim::BuildOptions;

use super::step::{StepFigures, StepRun, Summed};
use crate::error::{print, UsageError};

#[derive(Args)]
pub struct RunAttentionArgs {
    #[command(flatten)]
    pub source: crate::presets::ConfigArgs,
    /// Prefill: queries and keys per sequence (ignored with --decode, which uses --context).
    #[arg(long, default_value_t = 128)]
    seq: usize,
    /// Bytes of a query, key and value row: a multiple of the core's line.
    #[arg(long = "d-head", default_value_t = 64)]
    d_head: usize,
    /// Query heads.
    #[arg(long, default_value_t = 1)]
    heads: usize,
    /// K/V heads (grouped-query attention; must divide --heads). Default: --heads.
    #[arg(long = "kv-heads")]
    kv_heads: Option<usize>,
    /// Causal mask (prefill): query r sees keys 0..=r.
    #[arg(long)]
    causal: bool,
    #[command(flatten)]
    pub step: super::step::StepArgs,
}

/// What `serrano run attention --json` prints.
#[derive(Serialize, Deserialize)]
pub struct AttentionJson {
    pub config: String,
    pub mode: String,
    pub seq: usize,
    pub context: usize,
    pub batch: usize,
    pub d_head: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub causal: bool,
    pub page_size: usize,
    pub latency: u32,
    pub max_error_lsb: f64,
    pub mean_error_lsb: f64,
    /// Decode: new tokens (one per sequence) per second at 1 GHz.
    pub tokens_per_second_1ghz: Option<f64>,
    /// Decode: the same at --fmax-mhz.
    pub tokens_per_second_fmax: Option<f64>,
    #[serde(flatten)]
    pub fig: super::step::StepFigures,
}

pub fn run(args: RunAttentionArgs) -> Result<()> {
    let (cfg, origin) = super::step::core_config(&args.source)?;
    args.step.check(args.seq)?;
    let kv_heads = args.kv_heads.unwrap_or(args.heads);
    let (seqs, mode) = if args.step.decode {
        // Ragged would be closer to serving, but the benchmark's figures are for one length.
        (vec![(1, args.step.context); args.step.batch], "decode")
    } else {
        (vec![(args.seq, args.seq)], "prefill")
    };
    let shape = Shape {
        d_head: args.d_head,
        heads: args.heads,
        kv_heads,
        page_tokens: args.step.page_size,
        seqs,
        causal: args.causal && !args.step.decode,
        decode: args.step.decode,
    };
    let sp = SoftmaxParams::new(&cfg.softmax);
    let pr = random(&sp, &shape, args.step.seed).map_err(|e| UsageError(e.to_string()))?;
    let mut gold = GoldenBackend::new(&cfg, args.step.seed).map_err(super::step::usage)?;
    let g = attention(&mut gold, &pr.spec, &pr.seqs, pr.pool_blocks).map_err(super::step::usage)?;

    let mem = MemConfig::ideal(cfg.dma.data_bytes(), args.step.latency);
    let rtl = RtlBackend::new(&cfg, mem, args.step.seed, BuildOptions::default(), None)?;
    let mut be = Summed::new(rtl);
    let t1 = std::time::Instant::now();
    let r = attention(&mut be, &pr.spec, &pr.seqs, pr.pool_blocks).map_err(|e| anyhow!("RTL core: {e}"))?;
    let sim_seconds = t1.elapsed().as_secs_f64();
    let j = report(&args, &cfg, origin, mode, &pr, &sp, &r, &g, &be, sim_seconds)?;
    if args.step.json {
        print(serde_json::to_string_pretty(&j)?)?;
    } else {
        print_text(&j)?;
    }
    j.fig.check("attention")
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &RunAttentionArgs,
    cfg: &golden::config::Config,
    origin: String,
    mode: &str,
    pr: &runtime::attention::problem::Problem,
    sp: &SoftmaxParams,
    r: &AttentionResult,
    g: &AttentionResult,
    be: &Summed,
    sim_seconds: f64,
) -> Result<AttentionJson> {
    let (mut mismatches, mut errs) = (0u64, Vec::new());
    for (i, s) in pr.seqs.iter().enumerate() {
        let want = golden(sp, &pr.spec, s).map_err(|e| anyhow!("golden: {e}"))?;
        let f = float(&pr.spec, s, pr.s_scale);
        for h in 0..pr.spec.heads {
            let got = &r.out[i][h];
            for (t, row) in f[h].iter().enumerate() {
                for (c, &exact) in row.iter().enumerate() {
                    mismatches += u64::from(got.at(t, c) != want[h].at(t, c));
                    errs.push((got.at(t, c) as f64 - exact).abs());
                }
            }
        }
    }
    let cycles = be.cycles.max(1);
    let tokens = |hz: f64| args.step.decode.then(|| args.step.batch as f64 * hz / cycles as f64);
    let run = StepRun {
        cycles: be.cycles,
        useful_macs: r.useful_macs,
        min_dram_bytes: r.min_dram_bytes,
        counters: &r.counters,
        golden: &g.counters,
        mismatches,
        commands: r.commands,
        sim_seconds,
    };
    Ok(AttentionJson {
        config: origin,
        mode: mode.to_string(),
        seq: if args.step.decode { 1 } else { args.seq },
        context: if args.step.decode { args.step.context } else { args.seq },
        batch: if args.step.decode { args.step.batch } else { 1 },
        d_head: args.d_head,
        heads: pr.spec.heads,
        kv_heads: pr.spec.kv_heads,
        causal: pr.seqs[0].causal,
        page_size: args.step.page_size,
        latency: args.step.latency,
        max_error_lsb: errs.iter().copied().fold(0.0, f64::max),
        mean_error_lsb: errs.iter().sum::<f64>() / errs.len().max(1) as f64,
        tokens_per_second_1ghz: tokens(1e9),
        tokens_per_second_fmax: args.step.fmax_mhz.and_then(|f| tokens(f * 1e6)),
        fig: StepFigures::new(cfg, be, run),
    })
}

fn print_text(j: &AttentionJson) -> Result<()> {
    print(format_args!(
        "serrano run attention: {}, {} d={} heads={}/{} (kv) L={} batch={}{}, memory latency {}",
        j.config,
        j.mode,
        j.d_head,
        j.heads,
        j.kv_heads,
        j.context,
        j.batch,
        if j.causal { " causal" } else { "" },
        j.latency
    ))?;
    print(format_args!("  cycles              {} ({} run(s), {} commands)", j.fig.cycles, j.fig.runs, j.fig.commands))?;
    print(format_args!("  utilization         {:.4} (unmasked MACs / (rows·cols·cycles))", j.fig.utilization))?;
    print(format_args!(
        "  roofline            {} cycles; achieved {:.4} of it",
        j.fig.roofline_cycles, j.fig.roofline_fraction
    ))?;
    print(format_args!(
        "  DRAM read/written   {} / {} bytes (minimum {} in all)",
        j.fig.dram_bytes_read, j.fig.dram_bytes_written, j.fig.min_dram_bytes
    ))?;
    print(format_args!(
        "  busy                fetch {:.3}  load {:.3}  tile {:.3}  softmax {:.3}  store {:.3}",
        j.fig.busy_fetch, j.fig.busy_load, j.fig.busy_tile, j.fig.busy_softmax, j.fig.busy_store
    ))?;
    if let Some(t) = j.tokens_per_second_1ghz {
        print(format_args!("  tokens/s at 1 GHz   {t:.0}"))?;
    }
    if let Some(t) = j.tokens_per_second_fmax {
        print(format_args!("  tokens/s at Fmax    {t:.0}"))?;
    }
    print(format_args!("  mismatches          {} (against golden::attention)", j.fig.mismatches))?;
    print(format_args!("  error vs float64    max {:.3} LSB, mean {:.3} LSB", j.max_error_lsb, j.mean_error_lsb))?;
    print(format_args!("  protocol violations {}", j.fig.violations))?;
    print(format_args!("  counters = golden   {}", j.fig.counters_match_golden))?;
    Ok(())
}
