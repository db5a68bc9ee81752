//! Every generated top of every preset (`configs/*.toml`) in a four-state
//! simulator (Icarus Verilog, through `testbenches::fourstate`): registers and
//! memories start as X, and X propagates instead of being randomized away.
//! Each run resets the top, idles (every VALID, READY, `tlast` with its
//! VALID, `idle` and `overflow` must be 0 or 1 on every cycle), then drives
//! one small real transaction with X-free inputs and checks that no payload
//! is X while its VALID is high and that the results equal golden:
//!
//! * the tile: LOAD, COMPUTE (overwrite, then accumulate: K is one more than
//!   the array's rows), READ of a 2-row GEMM, and with requantization
//!   hardware QPARAMs (every column, then one) and a requantizing READ, against
//!   `golden::tile::TileModel` (the accumulator and the weights have no
//!   reset: they may be X until written, but must never leak into a result);
//! * the softmax unit: a row of `lanes + 3` elements (a partial last beat,
//!   one masked element), a row whose first beat keeps no lane, and a row
//!   with every element masked, against
//!   `golden::softmax::SoftmaxStream` (the row buffer has no reset).
//!
//! The output streams are stalled one cycle in three, so the output
//! registers also hold a beat under back-pressure.
//!
//! The DMA top has its own file, `dma_fourstate.rs` (every register read).
//! [`covered_by`] names the test of every kind of top, so a new kind cannot
//! be added without deciding its four-state run.

use golden::softmax::{SoftmaxParams, SoftmaxStream};
use golden::tile::gemm::{gemm, Matrix, Requant};
use golden::tile::{gemm_program, Command, TileModel};
use golden::{Config, SoftmaxConfig, SystolicConfig};
use hdl::blocks::tile::top::{OP_COMPUTE, OP_LOAD, OP_QPARAM, OP_READ};
use hdl::blocks::{tops_by_kind, TopKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::fourstate::{FourState, Val};
use testbenches::seed_from_env;

/// Every preset in `configs/`, by name.
fn presets() -> Vec<(String, Config)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut v: Vec<(String, Config)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), Config::from_file(&p).unwrap()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(v.len() >= 3, "expected the presets in {}", dir.display());
    v
}

/// The test that runs each kind of top in Icarus.
fn covered_by(kind: TopKind) -> &'static str {
    match kind {
        TopKind::Tile => "fourstate::tile_in_every_preset",
        TopKind::Softmax => "fourstate::softmax_in_every_preset",
        TopKind::Dma => "dma_fourstate::registers_read_defined_values_in_a_four_state_simulator",
        TopKind::Core => "core_fourstate::the_core_reads_defined_values_in_a_four_state_simulator",
    }
}

#[test]
fn every_top_of_every_preset_has_a_four_state_run() {
    for (name, cfg) in presets() {
        for (kind, top) in tops_by_kind(&cfg).unwrap() {
            eprintln!("{name}: {} is run by {}", top.name(), covered_by(kind));
        }
    }
}

// ---------------------------------------------------------------- tile

/// The command port's fields for `cmd`.
fn tile_cmd(cmd: &Command) -> Vec<(&'static str, Val)> {
    let (op, rows, acc, rq, col, all, q) = match *cmd {
        Command::Load => (OP_LOAD, 0, false, false, 0, false, golden::tile::RESET_QPARAM),
        Command::Compute { rows, accumulate } => {
            (OP_COMPUTE, rows, accumulate, false, 0, false, golden::tile::RESET_QPARAM)
        }
        Command::Read { rows, requant } => (OP_READ, rows, false, requant, 0, false, golden::tile::RESET_QPARAM),
        Command::QParam { col, q } => (OP_QPARAM, 0, false, false, col.unwrap_or(0), col.is_none(), q),
    };
    vec![
        ("cmd_op", Val::U(op as u64)),
        ("cmd_rows", Val::U(rows as u64)),
        ("cmd_accumulate", Val::U(acc as u64)),
        ("cmd_requant", Val::U(rq as u64)),
        ("cmd_col", Val::U(col as u64)),
        ("cmd_all_cols", Val::U(all as u64)),
        ("cmd_multiplier", Val::S(q.multiplier as i64)),
        ("cmd_shift", Val::U(q.shift as u64)),
        ("cmd_zero_point", Val::S(q.zero_point as i64)),
    ]
}

fn random_matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Matrix<i8> {
    // Corner values often, so the wrap and saturation paths see them.
    let data = (0..rows * cols).map(|_| if rng.gen_bool(0.2) { [-128, 127][rng.gen_range(0..2)] } else { rng.gen() });
    Matrix::from_vec(rows, cols, data.collect()).unwrap()
}

fn tile_run(name: &str, cfg: &SystolicConfig, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (r, c) = (cfg.rows as usize, cfg.cols as usize);
    let (m, k, n) = (2, r + 1, c);
    let (a, b) = (random_matrix(&mut rng, m, k), random_matrix(&mut rng, k, n));
    let plan = gemm_program(cfg, &a, &b, None).unwrap();
    let mut program = plan.program.clone();
    if cfg.requant {
        // Every column's parameters, then the last column's alone.
        for col in [None, Some(c as u32 - 1)] {
            let q = Requant { multiplier: rng.gen(), shift: rng.gen_range(24..=40), zero_point: rng.gen() };
            program.cmds.push(Command::QParam { col, q });
        }
        program.cmds.push(Command::Read { rows: m as u32, requant: true });
    }
    let want = TileModel::new(cfg).run(&program).unwrap();
    assert_eq!(plan.assemble(&want[..m]), gemm(&a, &b).unwrap(), "golden's tile model and GEMM disagree");
    let want_last: Vec<bool> = program
        .cmds
        .iter()
        .flat_map(|cmd| match *cmd {
            Command::Read { rows, .. } => (0..rows).map(|i| i + 1 == rows).collect(),
            _ => vec![],
        })
        .collect();

    let top = hdl::blocks::tile::tile(cfg).unwrap();
    let mut fs = FourState::new(&format!("{name} tile"), &top);
    fs.stall("m_axis_c_tready", 3).idle(20);
    let (mut a_rows, mut b_rows) = (program.a_rows.iter(), program.b_rows.iter());
    let lanes = |row: &Vec<i8>| Val::Lanes(row.iter().map(|&x| x as i64).collect(), 8);
    for cmd in &program.cmds {
        fs.send("cmd_valid", &tile_cmd(cmd));
        let (stream, rows) = match *cmd {
            Command::Load => ("s_axis_b", r),
            Command::Compute { rows, .. } => ("s_axis_a", rows as usize),
            _ => continue,
        };
        for _ in 0..rows {
            let row = if stream == "s_axis_b" { b_rows.next() } else { a_rows.next() }.unwrap();
            fs.send(&format!("{stream}_tvalid"), &[(format!("{stream}_tdata").as_str(), lanes(row))]);
        }
    }
    fs.wait_beats("m_axis_c_tvalid", want.len(), 1_000);
    fs.wait_until("idle === 1'b1", 1_000, "idle after the last READ");
    fs.idle(20);
    let out = fs.run();

    let got = out.channel("m_axis_c_tvalid");
    if got.len() != want.len() {
        out.fail(&format!("{} result rows, want {}", got.len(), want.len()));
    }
    for (i, (beat, row)) in got.iter().zip(&want).enumerate() {
        let data: Vec<i32> = beat.lanes("m_axis_c_tdata", 32, true).iter().map(|&x| x as i32).collect();
        let last = beat.uint("m_axis_c_tlast") == 1;
        if &data != row || last != want_last[i] {
            out.fail(&format!(
                "result row {i} (cycle {}): {data:?} tlast {last}, golden {row:?} tlast {}",
                beat.cycle, want_last[i]
            ));
        }
    }
}

#[test]
fn tile_in_every_preset() {
    let seed = seed_from_env("fourstate tile", 8);
    for (name, cfg) in presets() {
        tile_run(&name, &cfg.systolic, seed);
    }
}

// ---------------------------------------------------------------- softmax

fn softmax_run(name: &str, cfg: &SoftmaxConfig, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let p = SoftmaxParams::new(cfg);
    let lanes = cfg.lanes as usize;
    let k = p.scale_to_k(rng.gen_range(0.05..1.0)).unwrap();
    let (lo, hi) = (p.x_min(), p.x_max());
    let long: Vec<i64> = (0..lanes + 3).map(|_| rng.gen_range(lo..=hi)).collect();
    let mut mask = vec![false; long.len()];
    mask[rng.gen_range(0..long.len())] = true;
    // A row with a beat that keeps no lane, and a row with every element masked.
    let mut empty_beat = p.pack_row(&[rng.gen_range(lo..=hi)], &[false]);
    empty_beat.insert(0, golden::softmax::Beat { x: vec![0; lanes], keep: 0, mask: 0, last: false });
    let masked = p.pack_row(&[rng.gen_range(lo..=hi), rng.gen_range(lo..=hi)], &[true, true]);
    let rows = [p.pack_row(&long, &mask), empty_beat, masked];

    let mut golden = SoftmaxStream::new(cfg);
    let want: Vec<_> = rows.iter().flatten().filter_map(|b| golden.push(k, b.clone())).flat_map(|(o, _)| o).collect();

    let top = hdl::blocks::softmax::softmax(cfg).unwrap();
    let mut fs = FourState::new(&format!("{name} softmax"), &top);
    fs.stall("m_axis_tready", 3).idle(20);
    for beat in rows.iter().flatten() {
        fs.send(
            "s_axis_tvalid",
            &[
                ("s_axis_tdata", Val::Lanes(beat.x.clone(), cfg.in_bits)),
                ("s_axis_tkeep", Val::U(beat.keep)),
                ("s_axis_tuser", Val::U(beat.mask)),
                ("s_axis_tlast", Val::U(beat.last as u64)),
                ("scale_k", Val::U(k)),
            ],
        );
    }
    fs.wait_beats("m_axis_tvalid", want.len(), 1_000);
    fs.idle(20);
    let out = fs.run();

    let got = out.channel("m_axis_tvalid");
    if got.len() != want.len() {
        out.fail(&format!("{} output beats, want {}", got.len(), want.len()));
    }
    for (i, (beat, w)) in got.iter().zip(&want).enumerate() {
        let y: Vec<u32> = beat.lanes("m_axis_tdata", cfg.out_bits, false).iter().map(|&v| v as u32).collect();
        let (keep, last) = (beat.uint("m_axis_tkeep"), beat.uint("m_axis_tlast") == 1);
        if y != w.y || keep != w.keep || last != w.last {
            out.fail(&format!(
                "output beat {i} (cycle {}): y {y:?} keep {keep:#x} last {last}, golden y {:?} keep {:#x} last {}",
                beat.cycle, w.y, w.keep, w.last
            ));
        }
    }
}

#[test]
fn softmax_in_every_preset() {
    let seed = seed_from_env("fourstate softmax", 8);
    for (name, cfg) in presets() {
        softmax_run(&name, &cfg.softmax, seed);
    }
}

// ---------------------------------------------------------------- the harness itself

/// A stream source whose payload register skips reset and is loaded only when
/// `load` is 1: with `load` held at 0, TDATA is X when TVALID rises.
fn leaky(data_reset: bool) -> hdl::core::Module {
    use hdl::core::{Bit, Module, UInt};
    let mut m = Module::new(if data_reset { "serrano_tight" } else { "serrano_leaky" });
    let go = m.input("go", Bit).unwrap();
    let load = m.input("load", Bit).unwrap();
    let din = m.input("din", UInt(8)).unwrap();
    let valid = m.reg("valid", Bit).reset(0).d(&go).unwrap();
    let data = m.reg("data", UInt(8)).enable(&load);
    let data = if data_reset { data.reset(0) } else { data.no_reset() }.d(&din).unwrap();
    m.output("m_axis_tvalid", &valid).unwrap();
    m.output("m_axis_tdata", &data).unwrap();
    m
}

/// The harness fails a payload that is X while its VALID is high, names the
/// cycle and the signal, and writes a waveform; and passes the same source
/// once its payload register has a reset.
#[test]
fn the_harness_catches_an_x_payload() {
    let run = |data_reset: bool| {
        let top = leaky(data_reset);
        let mut fs = FourState::new(if data_reset { "self-test tight" } else { "self-test leaky" }, &top);
        fs.idle(3).set(&[("go", Val::U(1))]).wait_beats("m_axis_tvalid", 2, 10);
        fs.run();
    };
    run(true);
    let err = std::panic::catch_unwind(|| run(false)).expect_err("an X payload must fail the run");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("FAIL cycle 4: m_axis_tdata = xxxxxxxx (X or Z while m_axis_tvalid is high)"), "{msg}");
    let vcd = msg.rsplit("waveform: ").next().unwrap().trim();
    assert!(std::fs::metadata(vcd).is_ok_and(|m| m.len() > 0), "no waveform at {vcd}");
}
