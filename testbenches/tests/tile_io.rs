//! The tile's operand feed and result path in the core
//! (`hdl::blocks::accel::{tile_operand, tile_result}`) against byte-level
//! models: random commands (slice index, rows, zero rows; int32 or int8
//! rows, slice of a line), inputs with random gaps and outputs with random
//! back-pressure, every output beat compared. Shapes: the presets' lines and
//! tile edges (16/16, 64/32, 8/4) and a row shorter than a line.

use std::collections::VecDeque;

use hdl::blocks::accel::tile_operand::tile_operand;
use hdl::blocks::accel::tile_result::tile_result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::seed_from_env;
use testbenches::sim::run_with_waveform;
use verilator_sys::Model;

fn port(sim: &Model, n: &str) -> verilator_sys::Port {
    sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}"))
}

fn set_bytes(sim: &mut Model, n: &str, b: &[u8]) {
    let words: Vec<u32> = b.chunks(4).map(|c| c.iter().rev().fold(0u32, |a, x| a << 8 | *x as u32)).collect();
    let p = port(sim, n);
    sim.set_wide(p, &words).unwrap();
}

fn get_bytes(sim: &Model, n: &str, len: usize) -> Vec<u8> {
    let w = sim.get_wide(port(sim, n));
    (0..len).map(|i| (w[i / 4] >> (8 * (i % 4))) as u8).collect()
}

fn set(sim: &mut Model, n: &str, v: u64) {
    let p = port(sim, n);
    sim.set(p, v);
}

fn get(sim: &Model, n: &str) -> u64 {
    sim.get(port(sim, n))
}

fn reset(sim: &mut Model) {
    set(sim, "rst", 1);
    let clk = port(sim, "clk");
    sim.tick(clk);
    set(sim, "rst", 0);
}

fn operand_case(lb: usize, sb: usize, seed: u64) {
    let m = tile_operand(lb as u32, sb as u32).unwrap();
    let name = format!("{}-seed{seed}", m.name());
    run_with_waveform(&m, &name, |sim| operand_run(sim, lb, sb, seed));
}

fn operand_run(sim: &mut Model, lb: usize, sb: usize, seed: u64) {
    let clk = port(sim, "clk");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    reset(sim);
    for cmd in 0..200 {
        let off = rng.gen_range(0..lb / sb);
        let rows = rng.gen_range(1..=40u64);
        let valid_rows = if cmd % 2 == 0 { rows } else { rng.gen_range(1..=rows) };
        set(sim, "cmd_off", off as u64);
        set(sim, "cmd_rows", rows);
        set(sim, "cmd_valid_rows", valid_rows);
        set(sim, "cmd_valid", 1);
        sim.eval();
        assert_eq!(get(sim, "cmd_ready"), 1, "command {cmd}: idle");
        sim.tick(clk);
        set(sim, "cmd_valid", 0);
        let lines: Vec<Vec<u8>> = (0..valid_rows).map(|_| (0..lb).map(|_| rng.gen()).collect()).collect();
        let (mut taken, mut sent, mut guard) = (0usize, 0u64, 0);
        while sent < rows {
            guard += 1;
            assert!(guard < 10_000, "command {cmd}: hung at row {sent}");
            let v = (taken as u64) < valid_rows && rng.gen_bool(0.6);
            set(sim, "s_axis_tvalid", v as u64);
            // With no line to offer, garbage: a zero row must not come from the bus.
            let junk: Vec<u8> = (0..lb).map(|_| rng.gen()).collect();
            set_bytes(sim, "s_axis_tdata", lines.get(taken).map(|l| l.as_slice()).unwrap_or(&junk));
            let r = rng.gen_bool(0.6);
            set(sim, "m_axis_tready", r as u64);
            sim.eval();
            if get(sim, "m_axis_tvalid") != 0 && r {
                let want: Vec<u8> = if sent < valid_rows {
                    lines[sent as usize][off * sb..off * sb + sb].to_vec()
                } else {
                    vec![0; sb]
                };
                assert_eq!(get_bytes(sim, "m_axis_tdata", sb), want, "command {cmd} row {sent}");
                assert_eq!(get(sim, "m_axis_tlast"), (sent + 1 == rows) as u64, "command {cmd} row {sent}: tlast");
                sent += 1;
            }
            if v && get(sim, "s_axis_tready") != 0 {
                taken += 1;
            }
            sim.tick(clk);
        }
        assert_eq!(taken as u64, valid_rows, "command {cmd}: lines taken");
    }
}

fn result_case(lb: usize, c: usize, seed: u64) {
    let m = tile_result(lb as u32, c as u32).unwrap();
    let name = format!("{}-seed{seed}", m.name());
    run_with_waveform(&m, &name, |sim| result_run(sim, lb, c, seed));
}

fn result_run(sim: &mut Model, lb: usize, c: usize, seed: u64) {
    let clk = port(sim, "clk");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    reset(sim);
    for cmd in 0..200 {
        let requant = rng.gen_bool(0.5);
        let row_bytes = if requant { c } else { 4 * c };
        let off = if row_bytes < lb { rng.gen_range(0..lb / row_bytes) } else { 0 };
        set(sim, "cmd_requant", requant as u64);
        set(sim, "cmd_off", off as u64);
        set(sim, "cmd_valid", 1);
        sim.eval();
        assert_eq!(get(sim, "cmd_ready"), 1, "command {cmd}: idle");
        sim.tick(clk);
        set(sim, "cmd_valid", 0);
        let rows: Vec<Vec<u8>> = (0..rng.gen_range(1..=12)).map(|_| (0..4 * c).map(|_| rng.gen()).collect()).collect();
        // The lines each row must become: (data, keep).
        let mut want: VecDeque<(Vec<u8>, u128)> = VecDeque::new();
        for r in &rows {
            let bytes: Vec<u8> = if requant { (0..c).map(|n| r[4 * n]).collect() } else { r.clone() };
            if row_bytes >= lb {
                for k in 0..row_bytes / lb {
                    want.push_back((bytes[k * lb..(k + 1) * lb].to_vec(), (1u128 << lb) - 1));
                }
            } else {
                let mut line = vec![0u8; lb];
                line[off * row_bytes..(off + 1) * row_bytes].copy_from_slice(&bytes);
                want.push_back((line, ((1u128 << row_bytes) - 1) << (off * row_bytes)));
            }
        }
        let (mut fed, mut guard) = (0usize, 0);
        while !want.is_empty() {
            guard += 1;
            assert!(guard < 10_000, "command {cmd}: hung");
            let v = fed < rows.len() && rng.gen_bool(0.7);
            set(sim, "s_axis_tvalid", v as u64);
            let junk: Vec<u8> = (0..4 * c).map(|_| rng.gen()).collect();
            set_bytes(sim, "s_axis_tdata", rows.get(fed).map(|r| r.as_slice()).unwrap_or(&junk));
            set(sim, "s_axis_tlast", (fed + 1 == rows.len()) as u64);
            let r = rng.gen_bool(0.6);
            set(sim, "m_axis_tready", r as u64);
            sim.eval();
            if get(sim, "m_axis_tvalid") != 0 && r {
                let (d, k) = want.pop_front().expect("a line the model expects");
                let keep = get(sim, "m_axis_tkeep") as u128;
                assert_eq!(keep, k, "command {cmd}: tkeep");
                let got = get_bytes(sim, "m_axis_tdata", lb);
                for i in (0..lb).filter(|i| k >> i & 1 == 1) {
                    assert_eq!(got[i], d[i], "command {cmd}: byte {i}");
                }
            }
            if v && get(sim, "s_axis_tready") != 0 {
                fed += 1;
            }
            sim.tick(clk);
        }
        assert_eq!(fed, rows.len(), "command {cmd}: rows taken");
        sim.eval();
        assert_eq!(get(sim, "busy"), 0, "command {cmd}: idle after the tlast row");
    }
}

#[test]
fn operand_feed_slices_lines_and_pads_rows() {
    let seed = seed_from_env("operand_feed_slices_lines_and_pads_rows", 3);
    for (lb, sb) in [(16, 16), (64, 32), (8, 4), (16, 2)] {
        operand_case(lb, sb, seed ^ (lb * 131 + sb) as u64);
    }
}

#[test]
fn result_path_cuts_and_places_rows() {
    let seed = seed_from_env("result_path_cuts_and_places_rows", 4);
    for (lb, c) in [(16, 16), (64, 32), (8, 4), (16, 2), (64, 8)] {
        result_case(lb, c, seed ^ (lb * 131 + c) as u64);
    }
}

#[test]
fn tile_io_lints_clean_and_refuses_bad_shapes() {
    let mods =
        [tile_operand(16, 16), tile_operand(64, 32), tile_result(16, 16), tile_result(64, 32), tile_result(8, 4)];
    for m in mods {
        let m = m.unwrap();
        testbenches::sim::lint_module(&m).unwrap();
    }
    assert!(tile_operand(16, 3).unwrap_err().to_string().contains("must divide"));
    assert!(tile_result(16, 32).unwrap_err().to_string().contains("cols = 32"));
}
