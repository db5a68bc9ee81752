//! The systolic tile's testbench: drives a command program and its operand
//! streams into the RTL (with optional random gaps and back-pressure),
//! collects the result stream, and compares it with `golden::tile` and the
//! golden GEMM.
//!
//! A GEMM is streamed: its program is made one output block (one READ) at a
//! time as the tile takes it, and each result row is compared with golden as
//! it comes out, so a run holds its operands, a block or two of program and
//! (only if asked for) the result, never the whole program or a history of
//! rows.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use golden::tile::gemm::{gemm, requantize, Matrix, Requantization};
use golden::tile::{gemm_program, Command, Program, TileModel};
use golden::SystolicConfig;
use hdl::blocks::tile::top::{tile, OP_COMPUTE, OP_LOAD, OP_QPARAM, OP_READ};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use verilator_sys::{Library, Model, Port};

use crate::sim::{build_module, waves_dir, BuildOptions};

/// How to drive the tile.
#[derive(Clone, Debug)]
pub struct TileRun {
    /// Seed of the random gaps and back-pressure.
    pub seed: u64,
    /// `Some(s)`: random initial register and memory contents from seed `s`.
    pub x_seed: Option<u64>,
    /// Probability that a stream (commands, A, B) holds back its next item for a cycle.
    pub gap: f64,
    /// Probability that `m_axis_c_tready` is low in a cycle.
    pub stall: f64,
    /// Write an FST of the run here.
    pub trace: Option<PathBuf>,
}

impl TileRun {
    /// A run in which the testbench never stalls the tile.
    pub fn full_speed(seed: u64) -> TileRun {
        TileRun { seed, x_seed: None, gap: 0.0, stall: 0.0, trace: None }
    }
}

/// What a program run produced and measured.
#[derive(Clone, Debug, Default)]
pub struct TileOutcome {
    /// The result rows, in order (a program run; a GEMM compares them as
    /// they come and keeps none).
    pub rows: Vec<Vec<i32>>,
    /// Cycles from the first operand (A or B row) accepted to the last result row delivered.
    pub cycles: u64,
    /// All simulated cycles.
    pub total_cycles: u64,
    pub sim_seconds: f64,
    /// A protocol or liveness failure (the watchdog), if any.
    pub error: Option<String>,
    /// The most operand rows (A and B) the testbench held at once.
    pub peak_rows: usize,
}

struct Ports {
    clk: Port,
    rst: Port,
    cmd_valid: Port,
    cmd_ready: Port,
    cmd_op: Port,
    cmd_rows: Port,
    cmd_accumulate: Port,
    cmd_requant: Port,
    cmd_col: Port,
    cmd_all_cols: Port,
    cmd_multiplier: Port,
    cmd_shift: Port,
    cmd_zero_point: Port,
    a_valid: Port,
    a_ready: Port,
    a_data: Port,
    b_valid: Port,
    b_ready: Port,
    b_data: Port,
    c_valid: Port,
    c_ready: Port,
    c_data: Port,
    c_last: Port,
    idle: Port,
}

impl Ports {
    /// The command port and the three streams, bound by prefix from the
    /// bundles the tile declares them with (`hdl::blocks::tile::top`).
    fn of(m: &Model, cfg: &SystolicConfig) -> Result<Ports> {
        use crate::axi::ports::{AxisPorts, BusPorts};
        use hdl::blocks::tile::top as t;
        let cmd = BusPorts::bind(m, "cmd", &t::cmd_bundle(cfg))?;
        let a = AxisPorts::bind(m, "s_axis_a", &t::a_bundle(cfg))?;
        let b = AxisPorts::bind(m, "s_axis_b", &t::b_bundle(cfg))?;
        let c = AxisPorts::bind_with(m, "m_axis_c", &t::c_bundle(cfg), &["tlast"])?;
        Ok(Ports {
            clk: m.port("clk")?,
            rst: m.port("rst")?,
            cmd_valid: cmd.get("valid")?,
            cmd_ready: cmd.get("ready")?,
            cmd_op: cmd.get("op")?,
            cmd_rows: cmd.get("rows")?,
            cmd_accumulate: cmd.get("accumulate")?,
            cmd_requant: cmd.get("requant")?,
            cmd_col: cmd.get("col")?,
            cmd_all_cols: cmd.get("all_cols")?,
            cmd_multiplier: cmd.get("multiplier")?,
            cmd_shift: cmd.get("shift")?,
            cmd_zero_point: cmd.get("zero_point")?,
            a_valid: a.tvalid,
            a_ready: a.tready,
            a_data: a.tdata,
            b_valid: b.tvalid,
            b_ready: b.tready,
            b_data: b.tdata,
            c_valid: c.tvalid,
            c_ready: c.tready,
            c_data: c.tdata,
            c_last: c.last(),
            idle: m.port("idle")?,
        })
    }
}

/// Pack int8 lanes (lane 0 in the low byte) onto a port of any width.
fn set_lanes(m: &mut Model, p: Port, lanes: &[i8], words: &mut Vec<u32>) {
    if p.width() <= 64 {
        let v = lanes.iter().enumerate().fold(0u64, |acc, (i, &x)| acc | ((x as u8 as u64) << (8 * i)));
        m.set(p, v);
    } else {
        words.clear();
        words.resize(p.words(), 0);
        for (i, &x) in lanes.iter().enumerate() {
            words[i / 4] |= (x as u8 as u32) << (8 * (i % 4));
        }
        m.set_wide(p, words).expect("lanes fit the port");
    }
}

/// Unpack int32 lanes (lane 0 in the low word).
fn get_lanes(m: &Model, p: Port, n: usize, words: &mut Vec<u32>) -> Vec<i32> {
    if p.width() <= 64 {
        let v = m.get(p);
        (0..n).map(|j| (v >> (32 * j)) as u32 as i32).collect()
    } else {
        words.resize(p.words(), 0);
        m.get_wide_into(p, words);
        words[..n].iter().map(|&w| w as i32).collect()
    }
}

fn drive_cmd(m: &mut Model, p: &Ports, cmd: &Command) {
    let (op, rows, acc, rq, col, all, q) = match *cmd {
        Command::Load => (OP_LOAD, 0, false, false, 0, false, None),
        Command::Compute { rows, accumulate } => (OP_COMPUTE, rows, accumulate, false, 0, false, None),
        Command::Read { rows, requant } => (OP_READ, rows, false, requant, 0, false, None),
        Command::QParam { col, q } => (OP_QPARAM, 0, false, false, col.unwrap_or(0), col.is_none(), Some(q)),
    };
    m.set(p.cmd_op, op as u64);
    m.set(p.cmd_rows, rows as u64);
    m.set(p.cmd_accumulate, acc as u64);
    m.set(p.cmd_requant, rq as u64);
    m.set(p.cmd_col, col as u64);
    m.set(p.cmd_all_cols, all as u64);
    let q = q.unwrap_or(golden::tile::RESET_QPARAM);
    m.set_signed(p.cmd_multiplier, q.multiplier as i64);
    m.set(p.cmd_shift, q.shift as u64);
    m.set_signed(p.cmd_zero_point, q.zero_point as i64);
}

/// Cycles without any handshake before the watchdog fires.
const WATCHDOG: u64 = 10_000;

/// The three input streams of a program, pulled in chunks as the tile takes
/// them: a whole [`Program`] as one chunk, or a GEMM one block at a time.
struct Feed<'a> {
    next: Box<dyn FnMut() -> Option<Program> + 'a>,
    exhausted: bool,
    cmds: VecDeque<Command>,
    a: VecDeque<Vec<i8>>,
    b: VecDeque<Vec<i8>>,
    /// Row counts of the READs pulled whose rows have not all come out yet.
    reads: VecDeque<u32>,
    /// The most operand rows (A and B) held at once: what streaming saves.
    peak_rows: usize,
}

impl<'a> Feed<'a> {
    fn new(next: impl FnMut() -> Option<Program> + 'a) -> Feed<'a> {
        Feed {
            next: Box::new(next),
            exhausted: false,
            cmds: VecDeque::new(),
            a: VecDeque::new(),
            b: VecDeque::new(),
            reads: VecDeque::new(),
            peak_rows: 0,
        }
    }

    fn whole(prog: &'a Program) -> Feed<'a> {
        let mut once = Some(prog.clone());
        Feed::new(move || once.take())
    }

    /// Pull the next chunk; false once there is none.
    fn pull(&mut self) -> bool {
        if self.exhausted {
            return false;
        }
        match (self.next)() {
            Some(p) => {
                self.reads.extend(p.cmds.iter().filter_map(|c| match c {
                    Command::Read { rows, .. } => Some(*rows),
                    _ => None,
                }));
                self.cmds.extend(p.cmds);
                self.a.extend(p.a_rows);
                self.b.extend(p.b_rows);
                self.peak_rows = self.peak_rows.max(self.a.len() + self.b.len());
                true
            }
            None => {
                self.exhausted = true;
                false
            }
        }
    }

    fn has_cmd(&mut self) -> bool {
        while self.cmds.is_empty() && self.pull() {}
        !self.cmds.is_empty()
    }

    fn has_a(&mut self) -> bool {
        while self.a.is_empty() && self.pull() {}
        !self.a.is_empty()
    }

    fn has_b(&mut self) -> bool {
        while self.b.is_empty() && self.pull() {}
        !self.b.is_empty()
    }
}

/// How often (in cycles) a run reports its progress.
const PROGRESS_EVERY: u64 = 1 << 14;

/// Simulate the program of `feed` (whose READs return `expected` rows in
/// all) on a fresh model; stop after `stop_at` cycles if given. Each result
/// row goes to `on_row` with its cycle as it comes out.
#[allow(clippy::too_many_arguments)]
fn simulate(
    m: &mut Model,
    cfg: &SystolicConfig,
    feed: &mut Feed,
    expected: usize,
    run: &TileRun,
    stop_at: Option<u64>,
    on_row: &mut dyn FnMut(u64, Vec<i32>),
    progress: &mut dyn FnMut(u64),
) -> TileOutcome {
    let p = Ports::of(m, cfg).expect("the tile has its ports");
    let mut rng = ChaCha8Rng::seed_from_u64(run.seed);
    let ncols = cfg.cols as usize;
    // Items handed to the tile so far, for messages.
    let (mut ci, mut ai, mut bi) = (0usize, 0usize, 0usize);
    let (mut c_on, mut a_on, mut b_on) = (false, false, false);
    let mut offered_cmd = None;
    let mut words = Vec::new();
    let mut out = TileOutcome::default();
    let mut delivered = 0usize;
    let (mut first, mut last) = (None, 0u64);
    let mut quiet = 0u64;
    let mut rows_in_read = 0u32;

    // Reset for two cycles.
    m.set(p.rst, 1);
    m.set(p.clk, 0);
    for _ in 0..2 {
        m.tick(p.clk);
    }
    m.set(p.rst, 0);
    m.set(p.clk, 0);
    let t0 = Instant::now();
    let mut cycle = 0u64;
    loop {
        if stop_at == Some(cycle) {
            break;
        }
        if cycle.is_multiple_of(PROGRESS_EVERY) {
            progress(delivered as u64);
        }
        // Valid never depends on ready, and stays up until the handshake.
        if !c_on && feed.has_cmd() && !rng.gen_bool(run.gap) {
            c_on = true;
            let cmd = feed.cmds.pop_front().expect("has_cmd");
            drive_cmd(m, &p, &cmd);
            offered_cmd = Some(cmd);
        }
        if !a_on && feed.has_a() && !rng.gen_bool(run.gap) {
            a_on = true;
            let row = feed.a.pop_front().expect("has_a");
            set_lanes(m, p.a_data, &row, &mut words);
        }
        if !b_on && feed.has_b() && !rng.gen_bool(run.gap) {
            b_on = true;
            let row = feed.b.pop_front().expect("has_b");
            set_lanes(m, p.b_data, &row, &mut words);
        }
        m.set(p.cmd_valid, c_on as u64);
        m.set(p.a_valid, a_on as u64);
        m.set(p.b_valid, b_on as u64);
        let ready = !rng.gen_bool(run.stall);
        m.set(p.c_ready, ready as u64);
        // Two evaluations a cycle: this one (clock low) settles the inputs; the
        // rising edge below. The clock falls without one: the next cycle's
        // evaluation covers it.
        m.step();

        let mut progressed = false;
        if c_on && m.get(p.cmd_ready) != 0 {
            c_on = false;
            ci += 1;
            progressed = true;
        }
        if a_on && m.get(p.a_ready) != 0 {
            a_on = false;
            ai += 1;
            first.get_or_insert(cycle);
            progressed = true;
        }
        if b_on && m.get(p.b_ready) != 0 {
            b_on = false;
            bi += 1;
            first.get_or_insert(cycle);
            progressed = true;
        }
        if ready && m.get(p.c_valid) != 0 {
            on_row(cycle, get_lanes(m, p.c_data, ncols, &mut words));
            delivered += 1;
            last = cycle;
            progressed = true;
            rows_in_read += 1;
            let want_last = feed.reads.front() == Some(&rows_in_read);
            if (m.get(p.c_last) != 0) != want_last {
                out.error =
                    Some(format!("cycle {cycle}: m_axis_c_tlast = {} on row {rows_in_read} of a READ", !want_last));
            }
            if want_last {
                feed.reads.pop_front();
                rows_in_read = 0;
            }
            if delivered > expected {
                out.error = Some(format!("cycle {cycle}: more result rows than the program reads ({expected})"));
            }
        }
        m.set(p.clk, 1);
        m.step();
        m.set(p.clk, 0);
        cycle += 1;
        quiet = if progressed { 0 } else { quiet + 1 };
        if out.error.is_some() {
            break;
        }
        let done = !c_on && !feed.has_cmd() && delivered == expected;
        if done && m.get(p.idle) != 0 {
            break;
        }
        if quiet >= WATCHDOG {
            let mut stuck = Vec::new();
            if let (true, Some(cmd)) = (c_on, &offered_cmd) {
                stuck.push(format!("cmd (command {ci}: {cmd:?}, cmd_ready low)"));
            }
            if a_on {
                stuck.push(format!("s_axis_a (row {ai}, tready low)"));
            }
            if b_on {
                stuck.push(format!("s_axis_b (row {bi}, tready low)"));
            }
            if delivered < expected {
                stuck.push(format!("m_axis_c ({delivered} of {expected} rows delivered, tvalid low)"));
            }
            if done {
                stuck.push("idle never rose after the last result".into());
            }
            out.error = Some(format!(
                "watchdog: no handshake for {WATCHDOG} cycles at cycle {cycle}; stuck: {}",
                stuck.join("; ")
            ));
            break;
        }
    }
    progress(delivered as u64);
    out.sim_seconds = t0.elapsed().as_secs_f64();
    out.total_cycles = cycle;
    out.cycles = first.map(|f| last.saturating_sub(f) + 1).unwrap_or(0);
    out.peak_rows = feed.peak_rows;
    out
}

/// Rows a program's READs return.
fn read_rows(prog: &Program) -> usize {
    prog.cmds.iter().map(|c| if let Command::Read { rows, .. } = c { *rows as usize } else { 0 }).sum()
}

/// Simulate a whole program, collecting its result rows.
fn simulate_program(
    m: &mut Model,
    cfg: &SystolicConfig,
    prog: &Program,
    run: &TileRun,
    stop_at: Option<u64>,
) -> TileOutcome {
    let mut rows = Vec::new();
    let mut feed = Feed::whole(prog);
    let mut o = simulate(m, cfg, &mut feed, read_rows(prog), run, stop_at, &mut |_, r| rows.push(r), &mut |_| {});
    o.rows = rows;
    o
}

/// The tile for `cfg`, built (or found in the cache).
pub struct TileSim {
    pub cfg: SystolicConfig,
    pub lib: Library,
    pub build_seconds: f64,
    pub top: String,
}

impl TileSim {
    pub fn build(cfg: &SystolicConfig) -> Result<TileSim> {
        let module = tile(cfg).map_err(|e| anyhow!("{e}"))?;
        let built = build_module(&module, BuildOptions::default())?;
        Ok(TileSim { cfg: *cfg, lib: built.lib, build_seconds: built.build_seconds, top: built.top })
    }

    /// Run a program (into `run.trace` if given, with a traced build); returns
    /// the outcome and the waveform written, if any.
    pub fn run(&self, prog: &Program, run: &TileRun) -> Result<(TileOutcome, Option<PathBuf>)> {
        match &run.trace {
            Some(path) => {
                let mut m = TileSim::build_traced(&self.cfg)?.instantiate(run.x_seed)?;
                m.trace_to(path)?;
                let o = simulate_program(&mut m, &self.cfg, prog, run, None);
                m.trace_flush();
                Ok((o, Some(path.clone())))
            }
            None => {
                let mut m = self.lib.instantiate(run.x_seed)?;
                Ok((simulate_program(&mut m, &self.cfg, prog, run, None), None))
            }
        }
    }

    fn build_traced(cfg: &SystolicConfig) -> Result<Library> {
        let module = tile(cfg).map_err(|e| anyhow!("{e}"))?;
        Ok(build_module(&module, BuildOptions { trace: true, ..Default::default() })?.lib)
    }

    /// Re-run `prog` with tracing for `cycles` cycles into `target/waves/`.
    pub fn waveform(&self, prog: &Program, run: &TileRun, cycles: u64, name: &str) -> Result<PathBuf> {
        let lib = TileSim::build_traced(&self.cfg)?;
        let mut m = lib.instantiate(run.x_seed)?;
        let dir = waves_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-{name}-seed{}.fst", self.top, run.seed));
        m.trace_to(&path)?;
        simulate_program(&mut m, &self.cfg, prog, run, Some(cycles + 4));
        m.trace_flush();
        Ok(path)
    }
}

/// The figures of one GEMM through the tile.
#[derive(Clone, Debug)]
pub struct GemmReport {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    /// The result (int32, or int8 values when requantized), from the RTL;
    /// 0×0 unless [`GemmOptions::keep_c`].
    pub c: Matrix<i32>,
    pub cycles: u64,
    pub macs: u64,
    pub utilization: f64,
    /// Elements that differ from golden (plus rows missing or extra).
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    pub total_cycles: u64,
    pub sim_seconds: f64,
    pub waveform: Option<PathBuf>,
    /// The most operand rows (A and B) the testbench held at once: a block or
    /// two of the program, however large the GEMM.
    pub peak_rows: usize,
}

impl GemmReport {
    pub fn sim_cycles_per_sec(&self) -> f64 {
        self.total_cycles as f64 / self.sim_seconds.max(1e-9)
    }
}

/// Options of [`run_gemm_with`].
#[derive(Default)]
pub struct GemmOptions<'a> {
    /// Keep the RTL's result matrix in [`GemmReport::c`] (M×N int32).
    pub keep_c: bool,
    /// Called every few thousand cycles with the result rows delivered so
    /// far, of [`gemm_result_rows`].
    pub progress: Option<&'a mut dyn FnMut(u64)>,
}

/// Result rows the tile sends for an M×N result: one per row of C and block
/// of `cols` columns.
pub fn gemm_result_rows(cfg: &SystolicConfig, m: usize, n: usize) -> u64 {
    m as u64 * n.div_ceil(cfg.cols as usize) as u64
}

/// Bytes a streamed GEMM with inner dimension `k` holds besides its operands
/// and its result: the program and expectations of the blocks in flight (up
/// to two in the feed, one being checked, one being made).
pub fn gemm_stream_bytes(cfg: &SystolicConfig, k: usize) -> u128 {
    // A Vec's header plus its heap block with allocator overhead.
    let vec = |bytes: u128| 24 + bytes.max(1).div_ceil(16) * 16 + 16;
    let (r, c, depth, k) = (cfg.rows as u128, cfg.cols as u128, cfg.acc_depth as u128, k as u128);
    let folds = k.div_ceil(r);
    let program = depth * folds * vec(r) + folds * r * vec(c) + folds * 2 * 16;
    let slices = depth * k + k * c;
    let expect = depth * (vec(4 * c) + vec(4 * c) + 48);
    4 * (program + slices + expect) + depth * c * 4
}

/// A GEMM's program one output block at a time (the rows of one accumulator
/// pass times one block of `cols` columns, ending in its READ), in the order
/// of [`gemm_program`]; concatenated, the blocks' programs are its program.
struct GemmBlocks<'a> {
    cfg: SystolicConfig,
    a: &'a Matrix<i8>,
    b: &'a Matrix<i8>,
    requant: Option<&'a Requantization>,
    m0: usize,
    n0: usize,
}

/// One output block: its program, and the operands it covers.
struct Block {
    program: Program,
    m0: usize,
    n0: usize,
    a: Matrix<i8>,
    b: Matrix<i8>,
    requant: Option<Requantization>,
}

impl<'a> GemmBlocks<'a> {
    fn new(cfg: &SystolicConfig, a: &'a Matrix<i8>, b: &'a Matrix<i8>, requant: Option<&'a Requantization>) -> Self {
        GemmBlocks { cfg: *cfg, a, b, requant, m0: 0, n0: 0 }
    }
}

impl Iterator for GemmBlocks<'_> {
    type Item = Result<Block, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let (m, k, n) = (self.a.rows, self.a.cols, self.b.cols);
        if self.m0 >= m || n == 0 {
            return None;
        }
        let (m0, n0) = (self.m0, self.n0);
        let rows = (m - m0).min(self.cfg.acc_depth as usize);
        let cols = (n - n0).min(self.cfg.cols as usize);
        self.n0 += self.cfg.cols as usize;
        if self.n0 >= n {
            self.n0 = 0;
            self.m0 += self.cfg.acc_depth as usize;
        }
        let a = Matrix { rows, cols: k, data: self.a.data[m0 * k..(m0 + rows) * k].to_vec() };
        let b = Matrix {
            rows: k,
            cols,
            data: (0..k).flat_map(|kk| (n0..n0 + cols).map(move |j| (kk, j))).map(|(kk, j)| self.b.at(kk, j)).collect(),
        };
        let requant = self.requant.map(|q| match q {
            Requantization::PerTensor(q) => Requantization::PerTensor(*q),
            Requantization::PerColumn(v) => Requantization::PerColumn(v.get(n0..n0 + cols).unwrap_or(&[]).to_vec()),
        });
        let mut program = match gemm_program(&self.cfg, &a, &b, requant.as_ref()) {
            Ok(plan) => plan.program,
            Err(e) => return Some(Err(e.to_string())),
        };
        // The whole program sets per-tensor parameters once, at its start.
        if (m0, n0) != (0, 0) && matches!(requant, Some(Requantization::PerTensor(_))) {
            if let Some(Command::QParam { col: None, .. }) = program.cmds.first() {
                program.cmds.remove(0);
            }
        }
        Some(Ok(Block { program, m0, n0, a, b, requant }))
    }
}

/// One result row as golden has it.
struct ExpectedRow {
    /// The row of the command-level model (every lane, padding included).
    model: Vec<i32>,
    /// Where it goes in C, and the golden GEMM's values there.
    c_row: usize,
    n0: usize,
    golden: Vec<i32>,
}

/// Compares result rows with golden as they come out of the RTL.
struct Checker<'a> {
    blocks: GemmBlocks<'a>,
    model: TileModel,
    expect: VecDeque<ExpectedRow>,
    cols: usize,
    /// Result rows that had an expected row.
    matched: u64,
    mismatches: u64,
    first: Option<String>,
    first_cycle: Option<u64>,
    c: Option<Matrix<i32>>,
    error: Option<String>,
}

impl Checker<'_> {
    /// Expect the next block's rows.
    fn refill(&mut self) -> bool {
        let block = match self.blocks.next() {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                self.error.get_or_insert(e);
                return false;
            }
            None => return false,
        };
        let model_rows = match self.model.run(&block.program) {
            Ok(r) => r,
            Err(e) => {
                self.error.get_or_insert(e.to_string());
                return false;
            }
        };
        let golden = match gemm(&block.a, &block.b) {
            Ok(g) => g,
            Err(e) => {
                self.error.get_or_insert(e.to_string());
                return false;
            }
        };
        let golden: Vec<i32> = match &block.requant {
            Some(q) => requantize(&golden, q).data.iter().map(|&v| v as i32).collect(),
            None => golden.data,
        };
        let w = block.b.cols;
        for (i, model) in model_rows.into_iter().enumerate() {
            let g = golden.get(i * w..(i + 1) * w).unwrap_or(&[]).to_vec();
            self.expect.push_back(ExpectedRow { model, c_row: block.m0 + i, n0: block.n0, golden: g });
        }
        true
    }

    fn mismatch(&mut self, cycle: u64, what: impl FnOnce() -> String) {
        if self.first.is_none() {
            self.first = Some(what());
            self.first_cycle = Some(cycle);
        }
    }

    fn row(&mut self, cycle: u64, got: Vec<i32>) {
        let index = self.matched;
        while self.expect.is_empty() && self.refill() {}
        let Some(want) = self.expect.pop_front() else {
            // A row beyond the program's: every lane is wrong.
            self.mismatches += self.cols as u64;
            self.mismatch(cycle, || format!("result row {index}: RTL {got:?} beyond the program's rows"));
            return;
        };
        self.matched += 1;
        // Against the command-level model (catches a wrong padding lane too)...
        if got != want.model {
            self.mismatches += got.iter().zip(&want.model).filter(|(g, w)| g != w).count() as u64;
            self.mismatches += got.len().abs_diff(want.model.len()) as u64;
            self.mismatch(cycle, || format!("result row {index}: RTL {got:?}, golden {:?}", want.model));
        }
        // ...and the lanes that are C against the golden GEMM.
        for (j, w) in want.golden.iter().enumerate() {
            let g = got.get(j).copied().unwrap_or_default();
            if g != *w {
                self.mismatches += 1;
                let (r, c) = (want.c_row, want.n0 + j);
                self.mismatch(cycle, || format!("C[{r}][{c}]: RTL {g}, golden {w}"));
            }
        }
        if let Some(c) = &mut self.c {
            for (j, &g) in got.iter().take(want.golden.len()).enumerate() {
                c.set(want.c_row, want.n0 + j, g);
            }
        }
    }
}

/// The program of a GEMM as a feed, block by block; a block that cannot be
/// made ends the feed and leaves its error in `err`.
fn block_feed<'a>(
    cfg: &SystolicConfig,
    a: &'a Matrix<i8>,
    b: &'a Matrix<i8>,
    requant: Option<&'a Requantization>,
    err: &'a RefCell<Option<String>>,
) -> Feed<'a> {
    let mut blocks = GemmBlocks::new(cfg, a, b, requant);
    Feed::new(move || match blocks.next()? {
        Ok(b) => Some(b.program),
        Err(e) => {
            err.borrow_mut().get_or_insert(e);
            None
        }
    })
}

/// Run `A·B` (optionally requantized) through the tile and compare with
/// golden, keeping the result in [`GemmReport::c`].
pub fn run_gemm(
    sim: &TileSim,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    requant: Option<&Requantization>,
    run: &TileRun,
) -> Result<GemmReport> {
    run_gemm_with(sim, a, b, requant, run, GemmOptions { keep_c: true, progress: None })
}

/// Run `A·B` through the tile, streamed: the program is made block by block
/// as the tile takes it and every result row is compared with the
/// command-level model and the golden GEMM as it comes out.
pub fn run_gemm_with(
    sim: &TileSim,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    requant: Option<&Requantization>,
    run: &TileRun,
    opts: GemmOptions,
) -> Result<GemmReport> {
    // Shapes, requantization against the tile: the first block says what the
    // whole program would.
    if a.cols != b.rows {
        bail!("{}", golden::tile::gemm::ShapeError { a: (a.rows, a.cols), b: (b.rows, b.cols) });
    }
    if let Some(Requantization::PerColumn(v)) = requant {
        if v.len() != b.cols {
            bail!("{} per-column requant parameters for N = {} columns", v.len(), b.cols);
        }
    }
    match GemmBlocks::new(&sim.cfg, a, b, requant).next() {
        Some(Ok(_)) => {}
        Some(Err(e)) => bail!("{e}"),
        None => bail!("empty GEMM: M={}, K={}, N={}; each must be at least 1", a.rows, a.cols, b.cols),
    }
    let expected = gemm_result_rows(&sim.cfg, a.rows, b.cols) as usize;
    let mut checker = Checker {
        blocks: GemmBlocks::new(&sim.cfg, a, b, requant),
        model: TileModel::new(&sim.cfg),
        expect: VecDeque::new(),
        cols: sim.cfg.cols as usize,
        matched: 0,
        mismatches: 0,
        first: None,
        first_cycle: None,
        c: opts.keep_c.then(|| Matrix::zeros(a.rows, b.cols)),
        error: None,
    };
    let feed_error = RefCell::new(None);
    let mut m = match &run.trace {
        Some(path) => {
            let mut m = TileSim::build_traced(&sim.cfg)?.instantiate(run.x_seed)?;
            m.trace_to(path)?;
            m
        }
        None => sim.lib.instantiate(run.x_seed)?,
    };
    let mut no_progress = |_| {};
    let progress: &mut dyn FnMut(u64) = match opts.progress {
        Some(p) => p,
        None => &mut no_progress,
    };
    let mut feed = block_feed(&sim.cfg, a, b, requant, &feed_error);
    let out = simulate(&mut m, &sim.cfg, &mut feed, expected, run, None, &mut |cy, r| checker.row(cy, r), progress);
    if run.trace.is_some() {
        m.trace_flush();
    }
    drop(m);
    drop(feed);
    if let Some(e) = feed_error.into_inner().or(checker.error.take()) {
        bail!("the GEMM's program: {e}");
    }
    let mut mismatches = checker.mismatches;
    let mut first = out.error.clone().or(checker.first.take());
    if checker.matched < expected as u64 {
        mismatches += (expected as u64 - checker.matched) * sim.cfg.cols as u64;
        first
            .get_or_insert_with(|| format!("result row {} never came (got {} rows)", checker.matched, checker.matched));
    }
    if out.error.is_some() && mismatches == 0 {
        mismatches = 1;
    }
    let waveform = match (&run.trace, mismatches) {
        (Some(t), _) => Some(t.clone()),
        (None, 0) => None,
        (None, _) => {
            // Trace up to a few cycles past the first mismatch (or the whole run for a hang).
            let stop = checker.first_cycle.filter(|_| out.error.is_none()).unwrap_or(out.total_cycles);
            let lib = TileSim::build_traced(&sim.cfg)?;
            let mut tm = lib.instantiate(run.x_seed)?;
            let dir = waves_dir();
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{}-gemm-seed{}.fst", sim.top, run.seed));
            tm.trace_to(&path)?;
            let unused = RefCell::new(None);
            let mut feed = block_feed(&sim.cfg, a, b, requant, &unused);
            simulate(&mut tm, &sim.cfg, &mut feed, expected, run, Some(stop + 4), &mut |_, _| {}, &mut |_| {});
            tm.trace_flush();
            Some(path)
        }
    };
    let macs = (a.rows * a.cols * b.cols) as u64;
    let (r, cc) = (sim.cfg.rows as f64, sim.cfg.cols as f64);
    Ok(GemmReport {
        m: a.rows,
        k: a.cols,
        n: b.cols,
        c: checker.c.take().unwrap_or_else(|| Matrix::zeros(0, 0)),
        cycles: out.cycles,
        macs,
        utilization: macs as f64 / (r * cc * out.cycles.max(1) as f64),
        mismatches,
        first_mismatch: first,
        total_cycles: out.total_cycles,
        sim_seconds: out.sim_seconds,
        waveform,
        peak_rows: out.peak_rows,
    })
}

/// A random int8 matrix: uniform, or (with `corner`) drawn from the extremes.
pub fn random_matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize, corner: bool) -> Matrix<i8> {
    let data = (0..rows * cols)
        .map(|_| if corner { [-128i8, 127, -1, 0, 1][rng.gen_range(0..5)] } else { rng.gen() })
        .collect();
    Matrix::from_vec(rows, cols, data).expect("sized")
}

/// Fail with the report's details if it has mismatches.
pub fn check_gemm(r: &GemmReport, what: &str) -> Result<()> {
    if r.mismatches > 0 {
        bail!(
            "{what}: {} mismatches; first: {}; waveform: {}",
            r.mismatches,
            r.first_mismatch.as_deref().unwrap_or("-"),
            r.waveform.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use golden::tile::gemm::Requant;

    /// The blocks, concatenated, are exactly the program of `gemm_program`:
    /// streaming changes what is held, not what the tile sees.
    #[test]
    fn blocks_concatenate_to_the_whole_program() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let q = |rng: &mut ChaCha8Rng| Requant {
            multiplier: rng.gen(),
            shift: rng.gen_range(0..=62),
            zero_point: rng.gen(),
        };
        for (rows, cols, depth) in [(2, 3, 4), (4, 4, 256), (3, 2, 5)] {
            let cfg = SystolicConfig { rows, cols, acc_depth: depth, requant: true };
            for (m, k, n) in [(1, 1, 1), (9, 7, 8), (11, 5, 3), (4, 13, 7)] {
                let (a, b) = (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, false));
                let per_tensor = Requantization::PerTensor(q(&mut rng));
                let per_column = Requantization::PerColumn((0..n).map(|_| q(&mut rng)).collect());
                for requant in [None, Some(&per_tensor), Some(&per_column)] {
                    let whole = gemm_program(&cfg, &a, &b, requant).unwrap().program;
                    let mut joined = Program::default();
                    for block in GemmBlocks::new(&cfg, &a, &b, requant) {
                        let p = block.unwrap().program;
                        joined.cmds.extend(p.cmds);
                        joined.a_rows.extend(p.a_rows);
                        joined.b_rows.extend(p.b_rows);
                    }
                    assert_eq!(joined, whole, "{cfg:?} M={m} K={k} N={n} {requant:?}");
                    assert_eq!(read_rows(&whole) as u64, gemm_result_rows(&cfg, m, n));
                }
            }
        }
    }

    /// A GEMM of 40 output blocks holds at most two blocks of program, and
    /// still matches golden (the whole program has 2,080 A rows).
    #[test]
    fn a_streamed_gemm_holds_a_block_or_two() {
        let cfg = SystolicConfig { rows: 2, cols: 2, acc_depth: 4, requant: true };
        let sim = TileSim::build(&cfg).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (m, k, n) = (40, 25, 8);
        let (a, b) = (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, false));
        let whole = gemm_program(&cfg, &a, &b, None).unwrap().program;
        assert_eq!(whole.a_rows.len(), 2080);
        let mut calls = Vec::new();
        let mut progress = |d| calls.push(d);
        let opts = GemmOptions { keep_c: false, progress: Some(&mut progress) };
        let r = run_gemm_with(&sim, &a, &b, None, &TileRun::full_speed(1), opts).unwrap();
        check_gemm(&r, "streamed").unwrap();
        assert_eq!((r.c.rows, r.c.cols), (0, 0), "C is not kept unless asked for");
        let block_rows = 13 * 4 + 13 * 2;
        assert!(r.peak_rows <= 2 * block_rows, "{} rows held", r.peak_rows);
        assert_eq!(calls.last(), Some(&gemm_result_rows(&cfg, m, n)));
        // The same GEMM with C kept gives golden's C.
        let r = run_gemm(&sim, &a, &b, None, &TileRun::full_speed(1)).unwrap();
        assert_eq!(r.c, gemm(&a, &b).unwrap());
    }

    /// The streamed comparison catches a wrong tile: one whose accumulator is
    /// shallower than the program is made for (7 rows against 4: the same
    /// port widths, so the ports bind), with a waveform.
    #[test]
    fn a_streamed_gemm_catches_a_wrong_tile() {
        let claimed = SystolicConfig { rows: 2, cols: 2, acc_depth: 7, requant: true };
        let actual = TileSim::build(&SystolicConfig { acc_depth: 4, ..claimed }).unwrap();
        let sim = TileSim { cfg: claimed, ..actual };
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (a, b) = (random_matrix(&mut rng, 8, 5, false), random_matrix(&mut rng, 5, 3, false));
        let r = run_gemm_with(&sim, &a, &b, None, &TileRun::full_speed(1), GemmOptions::default()).unwrap();
        assert!(r.mismatches > 0, "a tile with half the accumulator passed");
        assert!(r.first_mismatch.is_some());
        let wave = r.waveform.expect("a failing run leaves a waveform");
        assert!(std::fs::metadata(&wave).map(|m| m.len() > 0).unwrap_or(false));
    }
}
