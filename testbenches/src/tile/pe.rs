//! The PE testbench: random and extreme stimulus into the RTL and into
//! `golden::pe`, every output compared every cycle.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use golden::numeric::{signed_range, wrap_signed};
use golden::tile::pe::{Pe, PeInputs, PeOutputs};
use golden::PeConfig;
use hdl::core::Module;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use verilator_sys::{Model, Port};

use crate::sim::{build_module, waves_dir, BuildOptions};

/// How to run the PE testbench.
#[derive(Clone, Debug)]
pub struct PeRun {
    /// Clock cycles to simulate (after the directed prologue).
    pub cycles: u64,
    /// Seed of the random stimulus.
    pub seed: u64,
    /// `Some(s)`: build with X randomization and initialize every register
    /// from seed `s`. `None`: Verilator's ordinary (zero) initialization.
    pub x_seed: Option<u64>,
    /// Write an FST of the whole run here (slow; for debugging).
    pub trace: Option<PathBuf>,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct PeReport {
    pub cycles: u64,
    pub mismatches: u64,
    /// The first mismatch, described.
    pub first_mismatch: Option<String>,
    pub build_seconds: f64,
    pub cache_hit: bool,
    pub sim_seconds: f64,
    /// Where the waveform was written: [`PeRun::trace`] if given, else the
    /// re-run of a failing run.
    pub waveform: Option<PathBuf>,
}

impl PeReport {
    pub fn sim_cycles_per_sec(&self) -> f64 {
        self.cycles as f64 / self.sim_seconds.max(1e-9)
    }
}

struct Ports {
    clk: Port,
    rst: Port,
    a_in: Port,
    psum_in: Port,
    w_in: Port,
    w_load: Port,
    w_swap: Port,
    a_out: Port,
    psum_out: Port,
    swap_out: Port,
}

impl Ports {
    fn of(m: &Model) -> Result<Ports> {
        Ok(Ports {
            clk: m.port("clk")?,
            rst: m.port("rst")?,
            a_in: m.port("a_in")?,
            psum_in: m.port("psum_in")?,
            w_in: m.port("w_in")?,
            w_load: m.port("w_load")?,
            w_swap: m.port("w_swap")?,
            a_out: m.port("a_out")?,
            psum_out: m.port("psum_out")?,
            swap_out: m.port("swap_out")?,
        })
    }
}

/// Int8 values that break things: both ends, around zero.
const EXTREME_I8: [i8; 6] = [-128, -127, -1, 0, 1, 127];

/// The stimulus generator: a directed prologue of extreme products, then
/// random inputs biased towards extreme values.
struct Stimulus {
    rng: ChaCha8Rng,
    acc_bits: u32,
    prologue: Vec<PeInputs>,
}

impl Stimulus {
    fn new(seed: u64, acc_bits: u32) -> Stimulus {
        let (lo, hi) = signed_range(acc_bits);
        let mut prologue = vec![PeInputs { rst: true, ..Default::default() }; 2];
        // Reset values: the active weight is 0 (a product of 0) and so is the
        // shadow weight (swapped in before anything is loaded).
        prologue.push(PeInputs { a_in: -128, psum_in: 1, ..Default::default() });
        prologue.push(PeInputs { a_in: 127, psum_in: 2, w_swap: true, ..Default::default() });
        prologue.push(PeInputs { a_in: 127, psum_in: 3, ..Default::default() });
        // Every extreme weight times every extreme activation, onto extreme partial sums,
        // including -128 x -128 = 16384 added to the largest partial sum (wraps).
        for &w in &EXTREME_I8 {
            prologue.push(PeInputs { w_in: w, w_load: true, ..Default::default() });
            prologue.push(PeInputs { w_swap: true, ..Default::default() });
            for &a in &EXTREME_I8 {
                for psum in [lo, hi, -1, 0, 1] {
                    prologue.push(PeInputs { a_in: a, psum_in: psum, ..Default::default() });
                }
            }
        }
        Stimulus { rng: ChaCha8Rng::seed_from_u64(seed), acc_bits, prologue }
    }

    fn i8(&mut self) -> i8 {
        if self.rng.gen_ratio(1, 4) {
            EXTREME_I8[self.rng.gen_range(0..EXTREME_I8.len())]
        } else {
            self.rng.gen()
        }
    }

    fn acc(&mut self) -> i64 {
        let (lo, hi) = signed_range(self.acc_bits);
        if self.rng.gen_ratio(1, 4) {
            [lo, hi, -1, 0, 1][self.rng.gen_range(0..5)]
        } else {
            wrap_signed(self.rng.gen(), self.acc_bits)
        }
    }

    fn next(&mut self, cycle: u64) -> PeInputs {
        if let Some(p) = self.prologue.get(cycle as usize) {
            return *p;
        }
        PeInputs {
            rst: self.rng.gen_ratio(1, 2000),
            a_in: self.i8(),
            psum_in: self.acc(),
            w_in: self.i8(),
            w_load: self.rng.gen_bool(0.5),
            w_swap: self.rng.gen_ratio(1, 8),
        }
    }

    fn prologue_len(&self) -> u64 {
        self.prologue.len() as u64
    }
}

fn drive(m: &mut Model, p: &Ports, i: &PeInputs) {
    m.set(p.rst, i.rst as u64);
    m.set_signed(p.a_in, i.a_in as i64);
    m.set_signed(p.psum_in, i.psum_in);
    m.set_signed(p.w_in, i.w_in as i64);
    m.set(p.w_load, i.w_load as u64);
    m.set(p.w_swap, i.w_swap as u64);
}

fn sample(m: &Model, p: &Ports) -> PeOutputs {
    PeOutputs {
        a_out: m.get_signed(p.a_out) as i8,
        psum_out: m.get_signed(p.psum_out),
        swap_out: m.get(p.swap_out) != 0,
    }
}

/// How often (in cycles) a run reports its progress.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Simulate `total` cycles; returns (mismatches, first mismatch, cycle of it).
fn simulate(
    m: &mut Model,
    p: &Ports,
    cfg: &PeConfig,
    seed: u64,
    total: u64,
    stop_at: Option<u64>,
    progress: &mut dyn FnMut(u64),
) -> (u64, Option<(u64, String)>) {
    let mut stim = Stimulus::new(seed, cfg.acc_bits);
    let mut gold = Pe::new(cfg);
    let mut mismatches = 0;
    let mut first = None;
    m.set(p.clk, 0);
    for cycle in 0..total {
        if cycle.is_multiple_of(PROGRESS_EVERY) {
            progress(cycle);
        }
        let inp = stim.next(cycle);
        drive(m, p, &inp);
        m.eval();
        // Cycle 0 is before the first reset edge: with X randomization the
        // registers hold random values then, by design.
        if cycle > 0 {
            let got = sample(m, p);
            let want = gold.outputs();
            if got != want {
                mismatches += 1;
                if first.is_none() {
                    first = Some((cycle, format!("cycle {cycle}: RTL {got:?}, golden {want:?}; inputs {inp:?}")));
                }
            }
        }
        if stop_at == Some(cycle) {
            break;
        }
        m.tick(p.clk);
        gold.step(&inp);
    }
    progress(total);
    (mismatches, first)
}

/// Run the PE testbench. On a mismatch, the run is repeated with tracing up
/// to a few cycles past the first mismatch and the waveform path is reported.
pub fn run_pe(cfg: &PeConfig, run: &PeRun) -> Result<PeReport> {
    let module = hdl::blocks::tile::pe::pe(cfg).map_err(|e| anyhow!("{e}"))?;
    run_pe_module(&module, cfg, run)
}

/// Cycles a run simulates: the directed prologue and `run.cycles` random
/// ones; `None` if that overflows.
pub fn pe_total_cycles(cfg: &PeConfig, run: &PeRun) -> Option<u64> {
    run.cycles.checked_add(Stimulus::new(run.seed, cfg.acc_bits).prologue_len())
}

/// Run the PE testbench on any module with the PE's ports (used to check that
/// the testbench catches deliberately broken PEs).
pub fn run_pe_module(module: &Module, cfg: &PeConfig, run: &PeRun) -> Result<PeReport> {
    run_pe_module_with(module, cfg, run, &mut |_| {})
}

/// Run the PE testbench, calling `progress` every few thousand cycles with
/// the cycles simulated (of [`pe_total_cycles`]).
pub fn run_pe_with(cfg: &PeConfig, run: &PeRun, progress: &mut dyn FnMut(u64)) -> Result<PeReport> {
    let module = hdl::blocks::tile::pe::pe(cfg).map_err(|e| anyhow!("{e}"))?;
    run_pe_module_with(&module, cfg, run, progress)
}

fn run_pe_module_with(module: &Module, cfg: &PeConfig, run: &PeRun, progress: &mut dyn FnMut(u64)) -> Result<PeReport> {
    let opts = BuildOptions { trace: run.trace.is_some(), x_randomize: run.x_seed.is_some() };
    let built = build_module(module, opts)?;
    let mut m = built.lib.instantiate(run.x_seed)?;
    if let Some(path) = &run.trace {
        m.trace_to(path)?;
    }
    let p = Ports::of(&m)?;
    let total = pe_total_cycles(cfg, run).ok_or_else(|| anyhow!("{} cycles: too many to count", run.cycles))?;
    let t0 = Instant::now();
    let (mismatches, first) = simulate(&mut m, &p, cfg, run.seed, total, None, progress);
    let sim_seconds = t0.elapsed().as_secs_f64();
    if run.trace.is_some() {
        m.trace_flush();
    }
    drop(m);

    let mut waveform = run.trace.clone();
    if let (Some((cycle, _)), None) = (&first, &run.trace) {
        let traced = build_module(module, BuildOptions { trace: true, ..opts })?;
        let mut tm = traced.lib.instantiate(run.x_seed)?;
        let dir = waves_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-seed{}.fst", built.top, run.seed));
        tm.trace_to(&path)?;
        let tp = Ports::of(&tm)?;
        simulate(&mut tm, &tp, cfg, run.seed, total, Some(cycle + 4), &mut |_| {});
        tm.trace_flush();
        waveform = Some(path);
    }
    Ok(PeReport {
        cycles: total,
        mismatches,
        first_mismatch: first.map(|(_, s)| s),
        build_seconds: built.build_seconds,
        cache_hit: built.lib.cache_hit(),
        sim_seconds,
        waveform,
    })
}
