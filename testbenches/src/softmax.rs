//! The softmax testbench: rows of beats into the RTL (AXI-Stream style, with
//! optional input gaps and output back-pressure) and into
//! `golden::softmax::SoftmaxStream`; every output beat compared, in order.
//! Also the random row generator shared by the tests, the accuracy benchmark
//! and `serrano sim softmax`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use golden::softmax::{reference, Beat, ErrorStats, OutBeat, SoftmaxParams, SoftmaxStream};
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

/// How a random row's logits are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dist {
    /// Uniform over the whole range.
    Uniform,
    /// Bell-shaped around a random centre, random width.
    Normal,
    /// Low values and a few at the maximum.
    Dominant,
    /// Every element the same.
    Equal,
    /// Only the two extreme values.
    Extremes,
    /// Rising (the max last): the max rises in every beat.
    Rising,
    /// Falling (the max first).
    Falling,
    /// A narrow window just below the maximum.
    Narrow,
}

pub const DISTS: [Dist; 8] = [
    Dist::Uniform,
    Dist::Normal,
    Dist::Dominant,
    Dist::Equal,
    Dist::Extremes,
    Dist::Rising,
    Dist::Falling,
    Dist::Narrow,
];

/// A generated row: logits, mask, the float scale and its K.
#[derive(Clone, Debug)]
pub struct RowSpec {
    pub x: Vec<i64>,
    pub mask: Vec<bool>,
    pub scale: f64,
    pub k: u64,
}

impl RowSpec {
    /// The row packed into beats (element j in beat j / lanes).
    pub fn row(&self, p: &SoftmaxParams) -> Row {
        Row { k: self.k, beats: p.pack_row(&self.x, &self.mask) }
    }
}

/// Random logits of `dist`, `len` of them.
pub fn logits(rng: &mut ChaCha8Rng, p: &SoftmaxParams, dist: Dist, len: usize) -> Vec<i64> {
    let (lo, hi) = (p.x_min(), p.x_max());
    let span = (hi - lo) as f64;
    let clamp = |v: f64| (v.round() as i64).clamp(lo, hi);
    match dist {
        Dist::Uniform => (0..len).map(|_| rng.gen_range(lo..=hi)).collect(),
        Dist::Normal => {
            let centre = rng.gen_range(lo..=hi) as f64;
            let sigma = span / 256.0 * [1.0, 3.0, 10.0, 30.0][rng.gen_range(0..4)];
            (0..len)
                .map(|_| {
                    // Irwin–Hall: the sum of 12 uniforms is close to normal.
                    let z: f64 = (0..12).map(|_| rng.gen::<f64>()).sum::<f64>() - 6.0;
                    clamp(centre + sigma * z)
                })
                .collect()
        }
        Dist::Dominant => {
            let top = rng.gen_range(1..=3.min(len));
            let mut x: Vec<i64> = (0..len).map(|_| rng.gen_range(lo..=lo / 2)).collect();
            for _ in 0..top {
                let i = rng.gen_range(0..len);
                x[i] = hi;
            }
            x
        }
        Dist::Equal => vec![rng.gen_range(lo..=hi); len],
        Dist::Extremes => (0..len).map(|_| if rng.gen_bool(0.5) { lo } else { hi }).collect(),
        Dist::Rising | Dist::Falling => {
            let start = rng.gen_range(lo..=hi);
            let step = rng.gen_range(0.05..2.0);
            let mut x: Vec<i64> = (0..len).map(|i| clamp(start as f64 + step * i as f64)).collect();
            if dist == Dist::Falling {
                x.reverse();
            }
            x
        }
        Dist::Narrow => {
            let w = rng.gen_range(0..=(span as i64 / 16).max(1));
            (0..len).map(|_| rng.gen_range(hi - w..=hi)).collect()
        }
    }
}

/// A random scale: log-uniform in [1/256, 1] for int8 logits and
/// [2^-16, 2^-8] for int16 (the same spread of `s·x`).
pub fn random_scale(rng: &mut ChaCha8Rng, p: &SoftmaxParams) -> f64 {
    let shift = (p.in_bits - 8) as f64;
    (-(8.0 * rng.gen::<f64>()) - shift).exp2()
}

/// A random row length in `1..=max_len`: a mix of short, uniform, log-uniform
/// and boundary lengths (multiples of lanes and one off them).
pub fn random_len(rng: &mut ChaCha8Rng, p: &SoftmaxParams) -> usize {
    let max = p.max_len;
    let l = p.lanes;
    let n = match rng.gen_range(0..6) {
        0 => rng.gen_range(1..=max.min(2 * l + 1)),
        1 => rng.gen_range(1..=max),
        2 => (max as f64).powf(rng.gen::<f64>()) as usize,
        3 => l * rng.gen_range(1..=p.max_beats),
        4 => (l * rng.gen_range(1..=p.max_beats)).saturating_sub(1),
        _ => (l * rng.gen_range(0..p.max_beats)) + 1,
    };
    n.clamp(1, max)
}

/// A random mask: usually none; sometimes random holes, a causal limit (every
/// element from a random index on is masked), or everything.
pub fn random_mask(rng: &mut ChaCha8Rng, len: usize) -> Vec<bool> {
    match rng.gen_range(0..20) {
        0..=11 => vec![false; len],
        12..=15 => {
            let q = rng.gen_range(0.05..0.9);
            (0..len).map(|_| rng.gen_bool(q)).collect()
        }
        16..=18 => {
            let limit = rng.gen_range(1..=len);
            (0..len).map(|j| j >= limit).collect()
        }
        _ => vec![true; len],
    }
}

/// A random row: distribution, length, mask and scale all drawn.
pub fn random_row(rng: &mut ChaCha8Rng, p: &SoftmaxParams) -> RowSpec {
    let dist = DISTS[rng.gen_range(0..DISTS.len())];
    let len = random_len(rng, p);
    let x = logits(rng, p, dist, len);
    let mask = random_mask(rng, len);
    let scale = random_scale(rng, p);
    let k = p.scale_to_k(scale).expect("random scales are representable");
    RowSpec { x, mask, scale, k }
}

/// Sparse keep: clear the keep bit of some slots of every beat (those slots
/// are not elements; the output keeps the same bits).
pub fn punch_keep(rng: &mut ChaCha8Rng, row: &mut Row) {
    for b in &mut row.beats {
        for i in 0..b.x.len() {
            if rng.gen_ratio(1, 4) {
                b.keep &= !(1u64 << i);
            }
        }
    }
}

/// Error of output codes against float64 softmax of one row, in LSB.
pub fn row_error(p: &SoftmaxParams, spec: &RowSpec, y: &[u32]) -> ErrorStats {
    let valid: Vec<bool> = spec.mask.iter().map(|m| !m).collect();
    let r = reference(spec.scale, &spec.x, &valid);
    let mut st = ErrorStats::default();
    for j in 0..spec.x.len() {
        if valid[j] {
            st.add(p.out_bits, y[j], r[j]);
        }
    }
    st
}

/// The golden model's error against float64 over `rows` random unmasked rows
/// of uniformly drawn length in `1..=max_len` and log-uniform scale (the
/// accuracy benchmark), by distribution.
pub fn accuracy_sweep(cfg: &SoftmaxConfig, rows: usize, seed: u64) -> Vec<(Dist, ErrorStats)> {
    let p = SoftmaxParams::new(cfg);
    let e = p.exp2();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out: Vec<(Dist, ErrorStats)> = DISTS.iter().map(|d| (*d, ErrorStats::default())).collect();
    for i in 0..rows {
        let di = i % DISTS.len();
        let len = rng.gen_range(1..=p.max_len);
        let x = logits(&mut rng, &p, DISTS[di], len);
        let scale = random_scale(&mut rng, &p);
        let spec = RowSpec { mask: vec![false; len], k: p.scale_to_k(scale).expect("representable"), x, scale };
        let y = p.softmax_row(&e, spec.k, &spec.x, &spec.mask);
        out[di].1.merge(&row_error(&p, &spec, &y));
    }
    out
}
