//! The softmax testbench: rows of beats into the RTL (AXI-Stream style, with
//! optional input gaps and output back-pressure) and into
//! `golden::softmax::SoftmaxStream`; every output beat compared, in order.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use golden::softmax::{Beat, OutBeat, SoftmaxParams, SoftmaxStream};
use golden::SoftmaxConfig;
use hdl::core::Module;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use verilator_sys::{Model, Port};

use crate::sim::{build_module, waves_dir, BuildOptions};

/// One row as driven: its K and its beats (the last with `last` set, unless
/// the row is meant to run past `max_len`).
#[derive(Clone, Debug)]
pub struct Row {
    pub k: u64,
    pub beats: Vec<Beat>,
}

impl Row {
    /// The elements of the row (kept slots), in order.
    pub fn elements(&self) -> usize {
        self.beats.iter().map(|b| b.keep.count_ones() as usize).sum()
    }
}

/// How to run the testbench.
#[derive(Clone, Debug)]
pub struct SoftmaxRun {
    /// Seed of the handshake randomness (gaps and back-pressure).
    pub seed: u64,
    /// `Some(s)`: build with X randomization and initialize from seed `s`.
    pub x_seed: Option<u64>,
    /// Write an FST of the whole run here.
    pub trace: Option<PathBuf>,
    /// Probability that `m_axis_tready` is 1 in a cycle (1.0: never stalls).
    pub ready_prob: f64,
    /// Probability that the next beat is offered in a cycle when none is
    /// pending (1.0: back-to-back).
    pub valid_prob: f64,
}

impl SoftmaxRun {
    /// Back-to-back input, no back-pressure.
    pub fn full_speed(seed: u64) -> SoftmaxRun {
        SoftmaxRun { seed, x_seed: None, trace: None, ready_prob: 1.0, valid_prob: 1.0 }
    }
}

/// When a row went in and came out (cycle numbers; cycle 0 is the first
/// cycle after reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowTiming {
    pub first_in: u64,
    pub last_in: u64,
    pub first_out: u64,
    pub last_out: u64,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct SoftmaxReport {
    /// Cycles from the first cycle after reset to the last output beat (inclusive).
    pub cycles: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    /// Rows as the unit saw them (a row cut at max_len counts as two).
    pub rows: u64,
    /// Elements (kept slots) driven.
    pub elements: u64,
    /// The RTL's output beats, in order.
    pub outputs: Vec<OutBeat>,
    /// Per row (as the unit saw them).
    pub timing: Vec<RowTiming>,
    /// The RTL's sticky overflow flag at the end, and golden's.
    pub overflow: (bool, bool),
    pub build_seconds: f64,
    pub cache_hit: bool,
    pub sim_seconds: f64,
    pub waveform: Option<PathBuf>,
}

impl SoftmaxReport {
    pub fn sim_cycles_per_sec(&self) -> f64 {
        self.cycles as f64 / self.sim_seconds.max(1e-9)
    }

    /// Elements per cycle over the whole run (fill and drain included).
    pub fn elements_per_cycle(&self) -> f64 {
        self.elements as f64 / self.cycles.max(1) as f64
    }

    /// Elements per cycle on the input side, from the first beat accepted to
    /// the last: the sustained rate (the output side keeps the same pace).
    pub fn input_elements_per_cycle(&self) -> f64 {
        match (self.timing.first(), self.timing.last()) {
            (Some(a), Some(b)) => self.elements as f64 / (b.last_in - a.first_in + 1) as f64,
            _ => 0.0,
        }
    }

    /// Cycles from a row's last input beat to its first output beat (the
    /// maximum over rows).
    pub fn max_latency(&self) -> u64 {
        self.timing.iter().map(|t| t.first_out - t.last_in).max().unwrap_or(0)
    }

    /// A failure message if anything mismatched.
    pub fn failure(&self) -> Option<String> {
        if self.mismatches == 0 && self.overflow.0 == self.overflow.1 {
            return None;
        }
        Some(format!(
            "{} mismatches; first: {}; overflow RTL {} golden {}; waveform: {}",
            self.mismatches,
            self.first_mismatch.as_deref().unwrap_or("-"),
            self.overflow.0,
            self.overflow.1,
            self.waveform.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into())
        ))
    }
}

struct Ports {
    clk: Port,
    rst: Port,
    s_valid: Port,
    s_ready: Port,
    s_data: Port,
    s_keep: Port,
    s_user: Port,
    s_last: Port,
    scale_k: Port,
    m_valid: Port,
    m_ready: Port,
    m_data: Port,
    m_keep: Port,
    m_last: Port,
    overflow: Port,
}

impl Ports {
    fn of(m: &Model) -> Result<Ports> {
        Ok(Ports {
            clk: m.port("clk")?,
            rst: m.port("rst")?,
            s_valid: m.port("s_axis_tvalid")?,
            s_ready: m.port("s_axis_tready")?,
            s_data: m.port("s_axis_tdata")?,
            s_keep: m.port("s_axis_tkeep")?,
            s_user: m.port("s_axis_tuser")?,
            s_last: m.port("s_axis_tlast")?,
            scale_k: m.port("scale_k")?,
            m_valid: m.port("m_axis_tvalid")?,
            m_ready: m.port("m_axis_tready")?,
            m_data: m.port("m_axis_tdata")?,
            m_keep: m.port("m_axis_tkeep")?,
            m_last: m.port("m_axis_tlast")?,
            overflow: m.port("overflow")?,
        })
    }
}

/// Pack `w`-bit lane values into little-endian 32-bit words.
pub fn pack_lanes(vals: &[i64], w: u32, out: &mut Vec<u32>) {
    let total = vals.len() as u32 * w;
    out.clear();
    out.resize(total.div_ceil(32) as usize, 0);
    let mask = (1u64 << w) - 1;
    for (i, &v) in vals.iter().enumerate() {
        let bit = i as u32 * w;
        let v = (v as u64) & mask;
        let (word, off) = ((bit / 32) as usize, bit % 32);
        out[word] |= (v << off) as u32;
        if off + w > 32 {
            out[word + 1] |= (v >> (32 - off)) as u32;
        }
    }
}

/// Lane `i` (`w` bits, unsigned) of little-endian 32-bit words.
pub fn lane(words: &[u32], i: usize, w: u32) -> u64 {
    let bit = i as u32 * w;
    let (word, off) = ((bit / 32) as usize, bit % 32);
    let mut v = (words[word] as u64) >> off;
    if off + w > 32 {
        v |= (words[word + 1] as u64) << (32 - off);
    }
    v & ((1u64 << w) - 1)
}

/// The expected output beats of a stream of rows, from the golden model, and
/// golden's overflow flag.
pub fn expected(cfg: &SoftmaxConfig, rows: &[Row]) -> (Vec<OutBeat>, bool) {
    let mut g = SoftmaxStream::new(cfg);
    let mut out = Vec::new();
    for r in rows {
        for b in &r.beats {
            if let Some((o, _)) = g.push(r.k, b.clone()) {
                out.extend(o);
            }
        }
    }
    (out, g.overflow)
}

/// Cycles without any handshake before the watchdog stops a run.
const WATCHDOG: u64 = 20_000;

struct SimOut {
    cycles: u64,
    mismatches: u64,
    first: Option<(u64, String)>,
    outputs: Vec<OutBeat>,
    timing: Vec<RowTiming>,
    overflow: bool,
}

fn simulate(
    m: &mut Model,
    p: &Ports,
    params: &SoftmaxParams,
    rows: &[Row],
    want: &[OutBeat],
    run: &SoftmaxRun,
    stop_at: Option<u64>,
) -> SimOut {
    let mut rng = ChaCha8Rng::seed_from_u64(run.seed);
    let beats: Vec<(u64, &Beat)> = rows.iter().flat_map(|r| r.beats.iter().map(move |b| (r.k, b))).collect();
    // Reset for two cycles with everything idle.
    m.set(p.clk, 0);
    m.set(p.s_valid, 0);
    m.set(p.m_ready, 0);
    m.set(p.rst, 1);
    m.eval();
    m.tick(p.clk);
    m.tick(p.clk);
    m.set(p.rst, 0);

    let mut words = Vec::new();
    let mut out_words = vec![0u32; (params.lanes as u32 * params.out_bits).div_ceil(32) as usize];
    let mut next = 0usize; // next beat to offer
    let mut offered = false;
    let mut in_row_beats = 0usize; // beats of the current (unit) row accepted so far
    let mut outputs = Vec::with_capacity(want.len());
    let mut timing: Vec<RowTiming> = Vec::new();
    let mut out_row = 0usize; // row whose output beats come next
    let mut out_first = true;
    let mut mismatches = 0;
    let mut first = None;
    let mut cycle = 0u64;
    let mut last_progress = 0u64;
    loop {
        if outputs.len() >= want.len() && next >= beats.len() {
            break;
        }
        // Offer the next beat (holding it, once offered, until taken).
        if !offered && next < beats.len() && rng.gen_bool(run.valid_prob) {
            offered = true;
            let (k, b) = beats[next];
            pack_lanes(&b.x, params.in_bits, &mut words);
            m.set_wide(p.s_data, &words).expect("data fits");
            m.set(p.s_keep, b.keep);
            m.set(p.s_user, b.mask);
            m.set(p.s_last, b.last as u64);
            m.set(p.scale_k, k);
        }
        m.set(p.s_valid, offered as u64);
        let ready = rng.gen_bool(run.ready_prob);
        m.set(p.m_ready, ready as u64);
        m.eval();

        if offered && m.get(p.s_ready) == 1 {
            let b = beats[next].1;
            if in_row_beats == 0 {
                timing.push(RowTiming { first_in: cycle, ..Default::default() });
            }
            in_row_beats += 1;
            if b.last || in_row_beats == params.max_beats {
                timing.last_mut().expect("row started").last_in = cycle;
                in_row_beats = 0;
            }
            next += 1;
            offered = false;
            last_progress = cycle;
        }
        if ready && m.get(p.m_valid) == 1 {
            m.get_wide_into(p.m_data, &mut out_words);
            let got = OutBeat {
                y: (0..params.lanes).map(|i| lane(&out_words, i, params.out_bits) as u32).collect(),
                keep: m.get(p.m_keep),
                last: m.get(p.m_last) == 1,
            };
            let n = outputs.len();
            match want.get(n) {
                Some(w) if *w == got => {}
                w => {
                    mismatches += 1;
                    if first.is_none() {
                        first = Some((
                            cycle,
                            format!("cycle {cycle}, output beat {n} (row {out_row}): RTL {got:?}, golden {w:?}"),
                        ));
                    }
                }
            }
            if let Some(t) = timing.get_mut(out_row) {
                if out_first {
                    t.first_out = cycle;
                }
                t.last_out = cycle;
            }
            out_first = got.last;
            if got.last {
                out_row += 1;
            }
            outputs.push(got);
            last_progress = cycle;
        }
        if stop_at == Some(cycle) {
            break;
        }
        if cycle - last_progress > WATCHDOG {
            let stuck = if next < beats.len() && offered {
                "s_axis: tvalid held high, tready low"
            } else {
                "m_axis: no tvalid"
            };
            mismatches += 1;
            if first.is_none() {
                first = Some((
                    cycle,
                    format!(
                        "watchdog: no handshake for {WATCHDOG} cycles at cycle {cycle} ({stuck}); \
                         {} of {} input beats taken, {} of {} output beats seen",
                        next,
                        beats.len(),
                        outputs.len(),
                        want.len()
                    ),
                ));
            }
            break;
        }
        m.tick(p.clk);
        cycle += 1;
    }
    let overflow = m.get(p.overflow) == 1;
    SimOut { cycles: cycle + 1, mismatches, first, outputs, timing, overflow }
}

/// Run the softmax testbench on the unit of `cfg`.
pub fn run_softmax(cfg: &SoftmaxConfig, rows: &[Row], run: &SoftmaxRun) -> Result<SoftmaxReport> {
    let module = hdl::blocks::softmax::softmax(cfg).map_err(|e| anyhow!("{e}"))?;
    run_softmax_module(&module, cfg, rows, run)
}

/// Run the testbench on any module with the softmax unit's ports (to check
/// that it catches a broken unit). On a mismatch the run is repeated with
/// tracing up to a few cycles past the first mismatch.
pub fn run_softmax_module(
    module: &Module,
    cfg: &SoftmaxConfig,
    rows: &[Row],
    run: &SoftmaxRun,
) -> Result<SoftmaxReport> {
    let params = SoftmaxParams::new(cfg);
    let (want, golden_overflow) = expected(cfg, rows);
    let opts = BuildOptions { trace: run.trace.is_some(), x_randomize: run.x_seed.is_some() };
    let built = build_module(module, opts)?;
    let mut m = built.lib.instantiate(run.x_seed)?;
    if let Some(path) = &run.trace {
        m.trace_to(path)?;
    }
    let p = Ports::of(&m)?;
    let t0 = Instant::now();
    let out = simulate(&mut m, &p, &params, rows, &want, run, None);
    let sim_seconds = t0.elapsed().as_secs_f64();
    if run.trace.is_some() {
        m.trace_flush();
    }
    drop(m);

    let mut waveform = None;
    if let Some((cycle, _)) = &out.first {
        let traced = build_module(module, BuildOptions { trace: true, ..opts })?;
        let mut tm = traced.lib.instantiate(run.x_seed)?;
        let dir = waves_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-seed{}.fst", built.top, run.seed));
        tm.trace_to(&path)?;
        let tp = Ports::of(&tm)?;
        simulate(&mut tm, &tp, &params, rows, &want, run, Some(cycle + 4));
        tm.trace_flush();
        waveform = Some(path);
    }
    Ok(SoftmaxReport {
        cycles: out.cycles,
        mismatches: out.mismatches,
        first_mismatch: out.first.map(|(_, s)| s),
        rows: out.timing.len() as u64,
        elements: rows.iter().map(|r| r.elements() as u64).sum(),
        outputs: out.outputs,
        timing: out.timing,
        overflow: (out.overflow, golden_overflow),
        build_seconds: built.build_seconds,
        cache_hit: built.lib.cache_hit(),
        sim_seconds,
        waveform,
    })
}
