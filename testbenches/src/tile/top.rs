//! The systolic tile's testbench: drives a command program and its operand
//! streams into the RTL (with optional random gaps and back-pressure),
//! collects the result stream, and compares it with `golden::tile` and the
//! golden GEMM.

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
    pub rows: Vec<Vec<i32>>,
    /// Cycles from the first operand (A or B row) accepted to the last result row delivered.
    pub cycles: u64,
    /// All simulated cycles.
    pub total_cycles: u64,
    pub sim_seconds: f64,
    /// A protocol or liveness failure (the watchdog), if any.
    pub error: Option<String>,
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
    fn of(m: &Model) -> Result<Ports> {
        Ok(Ports {
            clk: m.port("clk")?,
            rst: m.port("rst")?,
            cmd_valid: m.port("cmd_valid")?,
            cmd_ready: m.port("cmd_ready")?,
            cmd_op: m.port("cmd_op")?,
            cmd_rows: m.port("cmd_rows")?,
            cmd_accumulate: m.port("cmd_accumulate")?,
            cmd_requant: m.port("cmd_requant")?,
            cmd_col: m.port("cmd_col")?,
            cmd_all_cols: m.port("cmd_all_cols")?,
            cmd_multiplier: m.port("cmd_multiplier")?,
            cmd_shift: m.port("cmd_shift")?,
            cmd_zero_point: m.port("cmd_zero_point")?,
            a_valid: m.port("s_axis_a_tvalid")?,
            a_ready: m.port("s_axis_a_tready")?,
            a_data: m.port("s_axis_a_tdata")?,
            b_valid: m.port("s_axis_b_tvalid")?,
            b_ready: m.port("s_axis_b_tready")?,
            b_data: m.port("s_axis_b_tdata")?,
            c_valid: m.port("m_axis_c_tvalid")?,
            c_ready: m.port("m_axis_c_tready")?,
            c_data: m.port("m_axis_c_tdata")?,
            c_last: m.port("m_axis_c_tlast")?,
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

/// Simulate `prog` on a fresh model; stop after `stop_at` cycles if given.
fn simulate(m: &mut Model, cfg: &SystolicConfig, prog: &Program, run: &TileRun, stop_at: Option<u64>) -> TileOutcome {
    let p = Ports::of(m).expect("the tile has its ports");
    let mut rng = ChaCha8Rng::seed_from_u64(run.seed);
    let expected: usize =
        prog.cmds.iter().map(|c| if let Command::Read { rows, .. } = c { *rows as usize } else { 0 }).sum();
    let ncols = cfg.cols as usize;
    let (mut ci, mut ai, mut bi) = (0usize, 0usize, 0usize);
    let (mut c_on, mut a_on, mut b_on) = (false, false, false);
    let mut words = Vec::new();
    let mut out = TileOutcome::default();
    let (mut first, mut last) = (None, 0u64);
    let mut quiet = 0u64;
    let mut reads_left: Vec<u32> =
        prog.cmds.iter().filter_map(|c| if let Command::Read { rows, .. } = c { Some(*rows) } else { None }).collect();
    reads_left.reverse();
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
        // Valid never depends on ready, and stays up until the handshake.
        if !c_on && ci < prog.cmds.len() && !rng.gen_bool(run.gap) {
            c_on = true;
            drive_cmd(m, &p, &prog.cmds[ci]);
        }
        if !a_on && ai < prog.a_rows.len() && !rng.gen_bool(run.gap) {
            a_on = true;
            set_lanes(m, p.a_data, &prog.a_rows[ai], &mut words);
        }
        if !b_on && bi < prog.b_rows.len() && !rng.gen_bool(run.gap) {
            b_on = true;
            set_lanes(m, p.b_data, &prog.b_rows[bi], &mut words);
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

        let mut progress = false;
        if c_on && m.get(p.cmd_ready) != 0 {
            c_on = false;
            ci += 1;
            progress = true;
        }
        if a_on && m.get(p.a_ready) != 0 {
            a_on = false;
            ai += 1;
            first.get_or_insert(cycle);
            progress = true;
        }
        if b_on && m.get(p.b_ready) != 0 {
            b_on = false;
            bi += 1;
            first.get_or_insert(cycle);
            progress = true;
        }
        if ready && m.get(p.c_valid) != 0 {
            out.rows.push(get_lanes(m, p.c_data, ncols, &mut words));
            last = cycle;
            progress = true;
            rows_in_read += 1;
            let want_last = reads_left.last() == Some(&rows_in_read);
            if (m.get(p.c_last) != 0) != want_last {
                out.error =
                    Some(format!("cycle {cycle}: m_axis_c_tlast = {} on row {rows_in_read} of a READ", !want_last));
            }
            if want_last {
                reads_left.pop();
                rows_in_read = 0;
            }
            if out.rows.len() > expected {
                out.error = Some(format!("cycle {cycle}: more result rows than the program reads ({expected})"));
            }
        }
        m.set(p.clk, 1);
        m.step();
        m.set(p.clk, 0);
        cycle += 1;
        quiet = if progress { 0 } else { quiet + 1 };
        if out.error.is_some() {
            break;
        }
        let done = ci == prog.cmds.len() && out.rows.len() == expected;
        if done && m.get(p.idle) != 0 {
            break;
        }
        if quiet >= WATCHDOG {
            let mut stuck = Vec::new();
            if c_on {
                stuck.push(format!("cmd (command {ci}: {:?}, cmd_ready low)", prog.cmds[ci]));
            }
            if a_on {
                stuck.push(format!("s_axis_a (row {ai}, tready low)"));
            }
            if b_on {
                stuck.push(format!("s_axis_b (row {bi}, tready low)"));
            }
            if out.rows.len() < expected {
                stuck.push(format!("m_axis_c ({} of {expected} rows delivered, tvalid low)", out.rows.len()));
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
    out.sim_seconds = t0.elapsed().as_secs_f64();
    out.total_cycles = cycle;
    out.cycles = first.map(|f| last.saturating_sub(f) + 1).unwrap_or(0);
    out
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
                let o = simulate(&mut m, &self.cfg, prog, run, None);
                m.trace_flush();
                Ok((o, Some(path.clone())))
            }
            None => {
                let mut m = self.lib.instantiate(run.x_seed)?;
                Ok((simulate(&mut m, &self.cfg, prog, run, None), None))
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
        simulate(&mut m, &self.cfg, prog, run, Some(cycles + 4));
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
    /// The result (int32, or int8 values when requantized), from the RTL.
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
}

impl GemmReport {
    pub fn sim_cycles_per_sec(&self) -> f64 {
        self.total_cycles as f64 / self.sim_seconds.max(1e-9)
    }
}

/// Run `A·B` (optionally requantized) through the tile and compare with golden.
pub fn run_gemm(
    sim: &TileSim,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    requant: Option<&Requantization>,
    run: &TileRun,
) -> Result<GemmReport> {
    let plan = gemm_program(&sim.cfg, a, b, requant).map_err(|e| anyhow!("{e}"))?;
    let model_rows = TileModel::new(&sim.cfg).run(&plan.program).map_err(|e| anyhow!("{e}"))?;
    let (out, trace) = sim.run(&plan.program, run)?;
    let c = plan.assemble(&out.rows);
    let golden_c = gemm(a, b).map_err(|e| anyhow!("{e}"))?;
    let want: Vec<i32> = match requant {
        Some(q) => requantize(&golden_c, q).data.iter().map(|&v| v as i32).collect(),
        None => golden_c.data.clone(),
    };
    let mut mismatches = 0u64;
    let mut first = out.error.clone();
    // Row by row against the command-level model (catches a wrong padding lane too)...
    for (i, want_row) in model_rows.iter().enumerate() {
        match out.rows.get(i) {
            Some(got) if got == want_row => {}
            Some(got) => {
                mismatches += got.iter().zip(want_row).filter(|(g, w)| g != w).count() as u64;
                first.get_or_insert_with(|| format!("result row {i}: RTL {got:?}, golden {want_row:?}"));
            }
            None => {
                mismatches += want_row.len() as u64;
                first.get_or_insert_with(|| format!("result row {i} never came (got {} rows)", out.rows.len()));
            }
        }
    }
    mismatches += out.rows.len().saturating_sub(model_rows.len()) as u64 * sim.cfg.cols as u64;
    // ...and the assembled matrix against the golden GEMM.
    for (idx, (g, w)) in c.data.iter().zip(&want).enumerate() {
        if g != w {
            mismatches += 1;
            first.get_or_insert_with(|| format!("C[{}][{}]: RTL {g}, golden {w}", idx / c.cols, idx % c.cols));
        }
    }
    if out.error.is_some() && mismatches == 0 {
        mismatches = 1;
    }
    let waveform = match (mismatches, trace) {
        (_, Some(t)) => Some(t),
        (0, None) => None,
        (_, None) => Some(sim.waveform(&plan.program, run, out.total_cycles, "gemm")?),
    };
    let macs = (a.rows * a.cols * b.cols) as u64;
    let (r, cc) = (sim.cfg.rows as f64, sim.cfg.cols as f64);
    Ok(GemmReport {
        m: a.rows,
        k: a.cols,
        n: b.cols,
        c,
        cycles: out.cycles,
        macs,
        utilization: macs as f64 / (r * cc * out.cycles.max(1) as f64),
        mismatches,
        first_mismatch: first,
        total_cycles: out.total_cycles,
        sim_seconds: out.sim_seconds,
        waveform,
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
