//! What `serrano run attention` and `serrano run layer` share: the RTL
//! backend with its measurements summed over the runs of one call
//! (attention takes several runs when its pages outnumber the page table; a
//! layer step is GEMMs and attention), and their common flags.

use clap::Args;
use golden::config::Config;
use golden::core::Counters;
use golden::core::{Ring, RunStatus};
use runtime::backend::Backend;
use runtime::RuntimeError;
use serde::{Deserialize, Serialize};
use testbenches::core::RtlBackend;

/// The RTL backend, its measurements summed over the runs of one call.
pub struct Summed {
    pub rtl: RtlBackend,
    pub cycles: u64,
    pub counters: Vec<(String, u64)>,
    pub violations: u64,
    pub runs: usize,
}

impl Summed {
    pub fn new(rtl: RtlBackend) -> Summed {
        Summed { rtl, cycles: 0, counters: Vec::new(), violations: 0, runs: 0 }
    }

    /// A counter (`busy_tile`, ...) over the summed cycles.
    pub fn fraction(&self, name: &str) -> f64 {
        self.counters.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v) as f64 / self.cycles.max(1) as f64
    }
}

impl Backend for Summed {
    fn config(&self) -> &golden::config::Config {
        self.rtl.config()
    }

    fn memory(&mut self) -> &mut golden::dma::Memory {
        self.rtl.memory()
    }

    fn set_page_table(&mut self, load: bool, entries: &[u64]) -> Result<(), RuntimeError> {
        self.rtl.set_page_table(load, entries)
    }

    fn run(&mut self, ring: Ring, head: u32, tail: u32) -> Result<RunStatus, RuntimeError> {
        let st = self.rtl.run(ring, head, tail)?;
        let last = &self.rtl.last;
        self.cycles += last.cycles;
        self.runs += 1;
        self.violations += last.violations as u64;
        for (name, v) in &last.counters {
            match self.counters.iter_mut().find(|(n, _)| n == name) {
                Some((_, sum)) => *sum += v,
                None => self.counters.push((name.clone(), *v)),
            }
        }
        Ok(st)
    }
}

/// A runtime error as the command's error: bad input exits 2.
pub fn usage(e: RuntimeError) -> anyhow::Error {
    match e {
        RuntimeError::Input(m) => crate::error::UsageError(m).into(),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The configuration of `source`, which must have a core.
pub fn core_config(source: &crate::presets::ConfigArgs) -> anyhow::Result<(Config, String)> {
    let (cfg, origin, _) = source.resolve()?;
    if cfg.core.is_none() {
        anyhow::bail!(crate::error::UsageError(format!(
            "{origin}: the configuration has no [core] section, so there is no core to run on"
        )));
    }
    Ok((cfg, origin))
}

impl StepArgs {
    /// `--batch` and `--context` (decode) or `--seq` (prefill) are at least 1.
    pub fn check(&self, seq: usize) -> anyhow::Result<()> {
        let bad = |m: &str| Err(crate::error::UsageError(m.into()).into());
        if self.decode && (self.batch == 0 || self.context == 0) {
            return bad("--batch and --context: each must be at least 1");
        }
        if !self.decode && seq == 0 {
            return bad("--seq: must be at least 1");
        }
        Ok(())
    }
}

/// The flags `serrano run attention` and `serrano run layer` share.
#[derive(Args)]
pub struct StepArgs {
    /// Decode: one new token per sequence against a cache of --context tokens (its own included).
    #[arg(long)]
    pub decode: bool,
    /// Decode: tokens in each sequence's cache, the new one included.
    #[arg(long, default_value_t = 1024)]
    pub context: usize,
    /// Decode: sequences stepped together.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Tokens per KV-cache page.
    #[arg(long = "page-size", default_value_t = 64)]
    pub page_size: usize,
    /// Memory latency in cycles (AR to first R beat, last W to B).
    #[arg(long, default_value_t = 100)]
    pub latency: u32,
    /// Clock for tokens per second beside 1 GHz (e.g. an FPGA's Fmax), MHz.
    #[arg(long = "fmax-mhz")]
    pub fmax_mhz: Option<f64>,
    /// Seed of the random operands and of the page order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The figures every step reports (flattened into its JSON).
#[derive(Serialize, Deserialize)]
pub struct StepFigures {
    /// Attention: doorbell to the last FENCE, summed over the runs; the
    /// layer: that plus the host operations' modelled cycles.
    pub cycles: u64,
    /// The multiply-accumulates the work needs (masks and padding left out).
    pub useful_macs: u64,
    /// useful_macs / (rows·cols·cycles).
    pub utilization: f64,
    pub dram_bytes_read: u64,
    pub dram_bytes_written: u64,
    /// The bytes that must move (see each command).
    pub min_dram_bytes: u64,
    /// max(min_dram_bytes / bus bytes per cycle, useful_macs / (rows·cols)).
    pub roofline_cycles: u64,
    pub roofline_fraction: f64,
    pub mismatches: u64,
    pub violations: u64,
    pub busy_fetch: f64,
    pub busy_load: f64,
    pub busy_tile: f64,
    pub busy_softmax: f64,
    pub busy_store: f64,
    pub runs: usize,
    pub commands: usize,
    pub counters_match_golden: bool,
    pub sim_seconds: f64,
}

/// What a step did, for [`StepFigures::new`].
pub struct StepRun<'a> {
    pub cycles: u64,
    pub useful_macs: u64,
    pub min_dram_bytes: u64,
    pub counters: &'a Counters,
    pub golden: &'a Counters,
    pub mismatches: u64,
    pub commands: usize,
    pub sim_seconds: f64,
}

impl StepFigures {
    /// Exit 1 (an error) when the RTL differed from golden in any way.
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        if self.mismatches != 0 || self.violations != 0 || !self.counters_match_golden {
            anyhow::bail!(
                "the RTL core's {what} differs from golden: {} mismatches, {} violations, counters equal: {}",
                self.mismatches,
                self.violations,
                self.counters_match_golden
            );
        }
        Ok(())
    }

    pub fn new(cfg: &Config, be: &Summed, r: StepRun) -> StepFigures {
        let cycles = r.cycles.max(1);
        let peak = (cfg.systolic.rows * cfg.systolic.cols) as u64;
        let roofline = r.min_dram_bytes.div_ceil(cfg.dma.data_bytes() as u64).max(r.useful_macs.div_ceil(peak));
        StepFigures {
            cycles: r.cycles,
            useful_macs: r.useful_macs,
            utilization: r.useful_macs as f64 / (peak * cycles) as f64,
            dram_bytes_read: r.counters.dram_bytes_read,
            dram_bytes_written: r.counters.dram_bytes_written,
            min_dram_bytes: r.min_dram_bytes,
            roofline_cycles: roofline,
            roofline_fraction: roofline as f64 / cycles as f64,
            mismatches: r.mismatches,
            violations: be.violations,
            busy_fetch: be.fraction("busy_fetch"),
            busy_load: be.fraction("busy_load"),
            busy_tile: be.fraction("busy_tile"),
            busy_softmax: be.fraction("busy_softmax"),
            busy_store: be.fraction("busy_store"),
            runs: be.runs,
            commands: r.commands,
            counters_match_golden: r.counters == r.golden,
            sim_seconds: r.sim_seconds,
        }
    }
}
