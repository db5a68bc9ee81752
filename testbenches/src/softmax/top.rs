//! The softmax testbench: rows of beats into the RTL (AXI-Stream style, with
//! optional input gaps and output back-pressure) and into
//! `golden::softmax::SoftmaxStream`; every output beat compared, in order.
//!
//! Rows come from a [`RowSource`] as the unit takes them, and each output
//! beat is compared with golden as it comes out, so a run of any length holds
//! only the rows in flight; the output beats and per-row timing are kept only
//! when asked for ([`StreamOptions::keep_history`]).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use golden::softmax::{Beat, OutBeat, SoftmaxParams, SoftmaxStream};
use golden::SoftmaxConfig;
use hdl::blocks::softmax::top::{in_bundle, out_bundle};
use hdl::core::Module;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use verilator_sys::{Model, Port};

use crate::axi::ports::AxisPorts;
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
    /// The RTL's output beats, in order (kept with [`StreamOptions::keep_history`]).
    pub outputs: Vec<OutBeat>,
    /// Per row as the unit saw them (kept with [`StreamOptions::keep_history`]).
    pub timing: Vec<RowTiming>,
    /// The cycles of the first input beat and the last one accepted.
    pub input_span: Option<(u64, u64)>,
    /// The most cycles from a row's last input beat to its first output beat.
    pub latency: u64,
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
        match self.input_span {
            Some((first, last)) => self.elements as f64 / (last - first + 1) as f64,
            None => 0.0,
        }
    }

    /// Cycles from a row's last input beat to its first output beat (the
    /// maximum over rows).
    pub fn max_latency(&self) -> u64 {
        self.latency
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

/// The unit's ports: its two streams bound by prefix from the bundles the
/// unit declares them with.
struct Ports {
    clk: Port,
    rst: Port,
    s: AxisPorts,
    scale_k: Port,
    m: AxisPorts,
    overflow: Port,
}

impl Ports {
    fn of(m: &Model, cfg: &SoftmaxConfig) -> Result<Ports> {
        Ok(Ports {
            clk: m.port("clk")?,
            rst: m.port("rst")?,
            s: AxisPorts::bind_with(m, "s_axis", &in_bundle(cfg), &["tkeep", "tuser", "tlast"])?,
            scale_k: m.port("scale_k")?,
            m: AxisPorts::bind_with(m, "m_axis", &out_bundle(cfg), &["tkeep", "tlast"])?,
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

/// Where a run's rows come from: each with a tag (whatever the caller needs
/// to make sense of the row's output, given back with it), in order; and
/// again from the start for the re-run that writes a waveform.
pub trait RowSource {
    type Tag;
    /// The next row, or `None` at the end.
    fn next_row(&mut self) -> Option<(Row, Self::Tag)>;
    /// Start over from the first row.
    fn restart(&mut self);
}

/// The rows of a slice, untagged.
pub struct SliceRows<'a> {
    rows: &'a [Row],
    next: usize,
}

impl<'a> SliceRows<'a> {
    pub fn new(rows: &'a [Row]) -> SliceRows<'a> {
        SliceRows { rows, next: 0 }
    }
}

impl RowSource for SliceRows<'_> {
    type Tag = ();
    fn next_row(&mut self) -> Option<(Row, ())> {
        let r = self.rows.get(self.next)?.clone();
        self.next += 1;
        Some((r, ()))
    }
    fn restart(&mut self) {
        self.next = 0;
    }
}

/// Options of [`run_softmax_stream`].
#[derive(Default)]
pub struct StreamOptions<'a> {
    /// Keep every output beat and every row's timing in the report.
    pub keep_history: bool,
    /// Called every few thousand cycles with the rows taken so far.
    pub progress: Option<&'a mut dyn FnMut(u64)>,
}

/// Cycles without any handshake before the watchdog stops a run.
const WATCHDOG: u64 = 20_000;

/// How often (in cycles) a run reports its progress.
const PROGRESS_EVERY: u64 = 1 << 14;

struct SimOut {
    cycles: u64,
    mismatches: u64,
    first: Option<(u64, String)>,
    outputs: Vec<OutBeat>,
    timing: Vec<RowTiming>,
    input_span: Option<(u64, u64)>,
    latency: u64,
    unit_rows: u64,
    elements: u64,
    overflow: bool,
    golden_overflow: bool,
}

/// The rows in flight: the one being driven, golden's expected beats, and
/// the tags of rows whose output is not complete.
struct Flight<T> {
    golden: SoftmaxStream,
    /// The row being driven and its next beat.
    current: Option<(Row, usize)>,
    exhausted: bool,
    want: VecDeque<OutBeat>,
    /// Per input row: its tag and how many output beats golden gives it.
    pending: VecDeque<(T, usize)>,
    /// The RTL's output beats of the oldest pending row so far.
    group: Vec<OutBeat>,
    beats_taken: u64,
    elements: u64,
}

impl<T> Flight<T> {
    /// The beat to offer next (pulling a row if needed), with its K.
    fn beat<S: RowSource<Tag = T>>(&mut self, src: &mut S) -> Option<(u64, &Beat)> {
        while !self.exhausted && self.current.as_ref().is_none_or(|(r, i)| *i >= r.beats.len()) {
            match src.next_row() {
                Some((row, tag)) => {
                    let before = self.want.len();
                    for b in &row.beats {
                        if let Some((o, _)) = self.golden.push(row.k, b.clone()) {
                            self.want.extend(o);
                        }
                    }
                    self.elements += row.elements() as u64;
                    self.pending.push_back((tag, self.want.len() - before));
                    self.current = Some((row, 0));
                }
                None => {
                    self.exhausted = true;
                    self.current = None;
                }
            }
        }
        let (row, i) = self.current.as_ref()?;
        row.beats.get(*i).map(|b| (row.k, b))
    }

    /// Hand the rows whose output is complete to `sink`.
    fn deliver(&mut self, sink: &mut dyn FnMut(T, &[OutBeat])) {
        while self.pending.front().is_some_and(|(_, n)| *n <= self.group.len()) {
            let (tag, n) = self.pending.pop_front().expect("front");
            sink(tag, &self.group[..n]);
            self.group.drain(..n);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn simulate<S: RowSource>(
    m: &mut Model,
    p: &Ports,
    cfg: &SoftmaxConfig,
    src: &mut S,
    run: &SoftmaxRun,
    stop_at: Option<u64>,
    keep_history: bool,
    sink: &mut dyn FnMut(S::Tag, &[OutBeat]),
    progress: &mut dyn FnMut(u64),
) -> SimOut {
    let params = SoftmaxParams::new(cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(run.seed);
    let mut fl: Flight<S::Tag> = Flight {
        golden: SoftmaxStream::new(cfg),
        current: None,
        exhausted: false,
        want: VecDeque::new(),
        pending: VecDeque::new(),
        group: Vec::new(),
        beats_taken: 0,
        elements: 0,
    };
    // Reset for two cycles with everything idle.
    m.set(p.clk, 0);
    m.set(p.s.tvalid, 0);
    m.set(p.m.tready, 0);
    m.set(p.rst, 1);
    m.eval();
    m.tick(p.clk);
    m.tick(p.clk);
    m.set(p.rst, 0);

    let mut words = Vec::new();
    let mut out_words = vec![0u32; (params.lanes as u32 * params.out_bits).div_ceil(32) as usize];
    let mut offered = false;
    let mut in_row_beats = 0usize; // beats of the current (unit) row accepted so far
    let mut outputs = Vec::new();
    let mut seen = 0u64; // output beats seen
                         // The row (as the unit sees it) going in, and those in whose output has
                         // not ended, oldest first.
    let mut row_in = RowTiming::default();
    let mut flight: VecDeque<RowTiming> = VecDeque::new();
    let mut timing = Vec::new();
    let mut unit_rows = 0u64;
    let mut input_span: Option<(u64, u64)> = None;
    let mut latency = 0u64;
    let mut out_row = 0u64; // row whose output beats come next
    let mut out_first = true;
    let mut mismatches = 0;
    let mut first = None;
    let mut cycle = 0u64;
    let mut last_progress = 0u64;
    loop {
        if cycle.is_multiple_of(PROGRESS_EVERY) {
            progress(unit_rows);
        }
        let next = if offered { None } else { fl.beat(src).map(|(k, b)| (k, b.clone())) };
        if !offered && next.is_none() && fl.want.is_empty() {
            break;
        }
        // Offer the next beat (holding it, once offered, until taken).
        if let Some((k, b)) = next.filter(|_| rng.gen_bool(run.valid_prob)) {
            offered = true;
            pack_lanes(&b.x, params.in_bits, &mut words);
            m.set_wide(p.s.tdata, &words).expect("data fits");
            m.set(p.s.keep(), b.keep);
            m.set(p.s.user(), b.mask);
            m.set(p.s.last(), b.last as u64);
            m.set(p.scale_k, k);
        }
        m.set(p.s.tvalid, offered as u64);
        let ready = rng.gen_bool(run.ready_prob);
        m.set(p.m.tready, ready as u64);
        m.eval();

        if offered && m.get(p.s.tready) == 1 {
            let (row, i) = fl.current.as_mut().expect("an offered beat has its row");
            let last = row.beats[*i].last;
            *i += 1;
            fl.beats_taken += 1;
            if in_row_beats == 0 {
                unit_rows += 1;
                row_in = RowTiming { first_in: cycle, ..Default::default() };
            }
            in_row_beats += 1;
            if last || in_row_beats == params.max_beats {
                row_in.last_in = cycle;
                flight.push_back(row_in);
                in_row_beats = 0;
            }
            input_span = Some((input_span.map_or(cycle, |s| s.0), cycle));
            offered = false;
            last_progress = cycle;
        }
        if ready && m.get(p.m.tvalid) == 1 {
            m.get_wide_into(p.m.tdata, &mut out_words);
            let got = OutBeat {
                y: (0..params.lanes).map(|i| lane(&out_words, i, params.out_bits) as u32).collect(),
                keep: m.get(p.m.keep()),
                last: m.get(p.m.last()) == 1,
            };
            let n = seen;
            seen += 1;
            let w = fl.want.pop_front();
            if w.as_ref() != Some(&got) {
                mismatches += 1;
                if first.is_none() {
                    first = Some((
                        cycle,
                        format!("cycle {cycle}, output beat {n} (row {out_row}): RTL {got:?}, golden {w:?}"),
                    ));
                }
            }
            if let Some(t) = flight.front_mut() {
                if out_first {
                    t.first_out = cycle;
                }
                t.last_out = cycle;
            }
            out_first = got.last;
            if got.last {
                out_row += 1;
                if let Some(t) = flight.pop_front() {
                    latency = latency.max(t.first_out.saturating_sub(t.last_in));
                    if keep_history {
                        timing.push(t);
                    }
                }
            }
            if keep_history {
                outputs.push(got.clone());
            }
            fl.group.push(got);
            fl.deliver(sink);
            last_progress = cycle;
        }
        if stop_at == Some(cycle) {
            break;
        }
        if cycle - last_progress > WATCHDOG {
            let stuck = if offered { "s_axis: tvalid held high, tready low" } else { "m_axis: no tvalid" };
            mismatches += 1;
            if first.is_none() {
                first = Some((
                    cycle,
                    format!(
                        "watchdog: no handshake for {WATCHDOG} cycles at cycle {cycle} ({stuck}); \
                         {} input beats taken, {seen} output beats seen, {} more expected",
                        fl.beats_taken,
                        fl.want.len()
                    ),
                ));
            }
            break;
        }
        m.tick(p.clk);
        cycle += 1;
    }
    progress(unit_rows);
    // A last row that expects no output (one without `last`) is complete too.
    fl.deliver(sink);
    let overflow = m.get(p.overflow) == 1;
    if keep_history {
        // Rows still in flight keep the figures they have.
        timing.extend(flight);
        if in_row_beats > 0 {
            timing.push(row_in);
        }
    }
    SimOut {
        cycles: cycle + 1,
        mismatches,
        first,
        outputs,
        timing,
        input_span,
        latency,
        unit_rows,
        elements: fl.elements,
        overflow,
        golden_overflow: fl.golden.overflow,
    }
}

/// Run the softmax testbench on the unit of `cfg`.
pub fn run_softmax(cfg: &SoftmaxConfig, rows: &[Row], run: &SoftmaxRun) -> Result<SoftmaxReport> {
    let module = hdl::blocks::softmax::softmax(cfg).map_err(|e| anyhow!("{e}"))?;
    run_softmax_module(&module, cfg, rows, run)
}

/// Run the testbench on any module with the softmax unit's ports (to check
/// that it catches a broken unit), keeping every output beat and row timing.
/// On a mismatch the run is repeated with tracing up to a few cycles past the
/// first mismatch.
pub fn run_softmax_module(
    module: &Module,
    cfg: &SoftmaxConfig,
    rows: &[Row],
    run: &SoftmaxRun,
) -> Result<SoftmaxReport> {
    let opts = StreamOptions { keep_history: true, progress: None };
    run_softmax_stream(module, cfg, &mut SliceRows::new(rows), run, &mut |_, _| {}, opts)
}

/// Run the testbench on rows from `src`, streamed: each row is made when the
/// unit is ready for it, each output beat compared with golden as it comes,
/// and each row's output beats handed to `sink` with the row's tag once they
/// are all there (in row order; a row whose output never completes is not).
pub fn run_softmax_stream<S: RowSource>(
    module: &Module,
    cfg: &SoftmaxConfig,
    src: &mut S,
    run: &SoftmaxRun,
    sink: &mut dyn FnMut(S::Tag, &[OutBeat]),
    opts: StreamOptions,
) -> Result<SoftmaxReport> {
    let build = BuildOptions { trace: run.trace.is_some(), x_randomize: run.x_seed.is_some() };
    let built = build_module(module, build)?;
    let mut m = built.lib.instantiate(run.x_seed)?;
    if let Some(path) = &run.trace {
        m.trace_to(path)?;
    }
    let p = Ports::of(&m, cfg)?;
    let mut no_progress = |_| {};
    let progress: &mut dyn FnMut(u64) = match opts.progress {
        Some(f) => f,
        None => &mut no_progress,
    };
    let t0 = Instant::now();
    let out = simulate(&mut m, &p, cfg, src, run, None, opts.keep_history, sink, progress);
    let sim_seconds = t0.elapsed().as_secs_f64();
    if run.trace.is_some() {
        m.trace_flush();
    }
    drop(m);

    let mut waveform = run.trace.clone();
    if let (Some((cycle, _)), None) = (&out.first, &run.trace) {
        let traced = build_module(module, BuildOptions { trace: true, ..build })?;
        let mut tm = traced.lib.instantiate(run.x_seed)?;
        let dir = waves_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-seed{}.fst", built.top, run.seed));
        tm.trace_to(&path)?;
        let tp = Ports::of(&tm, cfg)?;
        src.restart();
        simulate(&mut tm, &tp, cfg, src, run, Some(cycle + 4), false, &mut |_, _| {}, &mut |_| {});
        tm.trace_flush();
        waveform = Some(path);
    }
    Ok(SoftmaxReport {
        cycles: out.cycles,
        mismatches: out.mismatches,
        first_mismatch: out.first.map(|(_, s)| s),
        rows: out.unit_rows,
        elements: out.elements,
        outputs: out.outputs,
        timing: out.timing,
        input_span: out.input_span,
        latency: out.latency,
        overflow: (out.overflow, out.golden_overflow),
        build_seconds: built.build_seconds,
        cache_hit: built.lib.cache_hit(),
        sim_seconds,
        waveform,
    })
}
