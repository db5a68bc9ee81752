//! The softmax unit's feed and drain in the core
//! (`hdl::blocks::accel::{softmax_feed, softmax_drain}`) against byte-level
//! models: random SOFTMAX commands (rows, lengths that end mid-beat and
//! mid-line, valid lengths, causal masks), lines with random gaps and beats
//! under random back-pressure, every beat's data, `tkeep`, mask, `tlast` and
//! `scale_k` compared; and the drain's packing of beats into lines with
//! strobes, a row's last line closed by `tlast`, and (UQ0.8 outputs) rows
//! written as int8 UQ0.7 (`to_int8_prob`) when `int8_out` is set. Shapes: the presets'
//! (16 B lines of 16 int8 lanes, 64 B lines of 32 int8 lanes in and UQ0.16
//! out, 8 B lines of 4 lanes) and several beats per line.

use std::collections::VecDeque;

use golden::softmax::to_int8_prob;
use hdl::blocks::accel::softmax_drain::softmax_drain;
use hdl::blocks::accel::softmax_feed::softmax_feed;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::seed_from_env;
use testbenches::sim::run_with_waveform;
use verilator_sys::Model;

fn set(sim: &mut Model, n: &str, v: u64) {
    let p = sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    sim.set(p, v);
}

fn get(sim: &Model, n: &str) -> u64 {
    sim.get(sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}")))
}

fn set_bytes(sim: &mut Model, n: &str, b: &[u8]) {
    let words: Vec<u32> = b.chunks(4).map(|c| c.iter().rev().fold(0u32, |a, x| a << 8 | *x as u32)).collect();
    let p = sim.port(n).unwrap();
    sim.set_wide(p, &words).unwrap();
}

fn get_bytes(sim: &Model, n: &str, len: usize) -> Vec<u8> {
    let w = sim.get_wide(sim.port(n).unwrap());
    (0..len).map(|i| (w[i / 4] >> (8 * (i % 4))) as u8).collect()
}

fn get_bits(sim: &Model, n: &str, bits: usize) -> Vec<bool> {
    let w = sim.get_wide(sim.port(n).unwrap());
    (0..bits).map(|i| w[i / 32] >> (i % 32) & 1 == 1).collect()
}

fn reset(sim: &mut Model) {
    set(sim, "rst", 1);
    let clk = sim.port("clk").unwrap();
    sim.tick(clk);
    set(sim, "rst", 0);
}

fn feed_run(sim: &mut Model, lb: usize, lanes: usize, in_bits: usize, seed: u64) {
    let clk = sim.port("clk").unwrap();
    let bb = lanes * in_bits / 8;
    let bpl = lb / bb;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    reset(sim);
    for c in 0..120 {
        let rows = rng.gen_range(1..=4u64);
        let len = rng.gen_range(1..=(3 * lanes * bpl) as u64 + 3);
        let valid_len = rng.gen_range(0..=len + 2);
        let causal = rng.gen_bool(0.5);
        let causal_base = rng.gen_range(0..=len);
        let k = rng.gen_range(1..1u64 << 30);
        for (f, v) in [("rows", rows), ("len", len), ("valid_len", valid_len), ("causal", causal as u64)] {
            set(sim, &format!("cmd_{f}"), v);
        }
        set(sim, "cmd_causal_base", causal_base);
        set(sim, "cmd_k", k);
        set(sim, "cmd_valid", 1);
        sim.eval();
        assert_eq!(get(sim, "cmd_ready"), 1, "command {c}: idle");
        sim.tick(clk);
        set(sim, "cmd_valid", 0);
        let nb = len.div_ceil(lanes as u64);
        let lines_per_row = nb.div_ceil(bpl as u64);
        for r in 0..rows {
            let lines: Vec<Vec<u8>> = (0..lines_per_row).map(|_| (0..lb).map(|_| rng.gen()).collect()).collect();
            let (mut taken, mut b, mut guard) = (0usize, 0u64, 0);
            while b < nb {
                guard += 1;
                assert!(guard < 10_000, "command {c} row {r}: hung at beat {b}");
                let v = rng.gen_bool(0.7);
                set(sim, "s_axis_tvalid", v as u64);
                let junk: Vec<u8> = (0..lb).map(|_| rng.gen()).collect();
                set_bytes(sim, "s_axis_tdata", lines.get(taken).unwrap_or(&junk));
                let ready = rng.gen_bool(0.7);
                set(sim, "m_axis_tready", ready as u64);
                sim.eval();
                assert_eq!(get(sim, "m_axis_tvalid"), v as u64, "command {c} row {r}: tvalid follows the line");
                if v && ready {
                    let l = (b / bpl as u64) as usize;
                    assert_eq!(l, taken, "command {c} row {r} beat {b}: from line {l}");
                    let q = (b % bpl as u64) as usize;
                    let what = format!("command {c} row {r} beat {b}");
                    assert_eq!(get_bytes(sim, "m_axis_tdata", bb), lines[l][q * bb..(q + 1) * bb], "{what}: data");
                    let keep = get_bits(sim, "m_axis_tkeep", lanes);
                    let mask = get_bits(sim, "m_axis_tuser", lanes);
                    for i in 0..lanes {
                        let j = b * lanes as u64 + i as u64;
                        assert_eq!(keep[i], j < len, "{what}: keep of lane {i}");
                        let masked = j >= valid_len || (causal && j > causal_base + r);
                        assert_eq!(mask[i], masked, "{what}: mask of lane {i}");
                    }
                    assert_eq!(get(sim, "m_axis_tlast"), (b + 1 == nb) as u64, "{what}: tlast");
                    assert_eq!(get(sim, "scale_k"), k, "{what}: scale_k");
                    b += 1;
                }
                if v && get(sim, "s_axis_tready") != 0 {
                    taken += 1;
                }
                sim.tick(clk);
            }
            assert_eq!(taken as u64, lines_per_row, "command {c} row {r}: lines taken");
        }
        set(sim, "s_axis_tvalid", 0);
        sim.eval();
        assert_eq!(get(sim, "busy"), 0, "command {c}: idle after its last row");
    }
}

fn drain_run(sim: &mut Model, lb: usize, lanes: usize, out_bits: usize, seed: u64) {
    let clk = sim.port("clk").unwrap();
    let ob = out_bits / 8;
    let bb = lanes * ob;
    let bpl = lb / bb;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    reset(sim);
    // Beats to send (data, lane keep, last, int8_out) and the lines they must become (data, byte keep).
    let mut beats: VecDeque<(Vec<u8>, Vec<bool>, bool, bool)> = VecDeque::new();
    let mut lines: VecDeque<(Vec<u8>, Vec<bool>)> = VecDeque::new();
    for _ in 0..300 {
        let nb = rng.gen_range(1..=3 * bpl + 1);
        // A row's probabilities as int8 (UQ0.8 outputs only), as the core holds the flag per command.
        let int8 = out_bits == 8 && rng.gen_bool(0.5);
        for chunk in (0..nb).collect::<Vec<_>>().chunks(bpl) {
            let (mut d, mut k) = (vec![0u8; lb], vec![false; lb]);
            for (slot, &b) in chunk.iter().enumerate() {
                let data: Vec<u8> = (0..bb).map(|_| rng.gen()).collect();
                let keep: Vec<bool> = (0..lanes).map(|_| rng.gen_bool(0.8)).collect();
                for i in 0..bb {
                    d[slot * bb + i] = if int8 { to_int8_prob(data[i] as u32) as u8 } else { data[i] };
                    k[slot * bb + i] = keep[i / ob];
                }
                beats.push_back((data, keep, b + 1 == nb, int8));
            }
            lines.push_back((d, k));
        }
    }
    let total = lines.len();
    let mut guard = 0;
    while !lines.is_empty() {
        guard += 1;
        assert!(guard < 100_000, "hung with {} lines left of {total}", lines.len());
        let v = !beats.is_empty() && rng.gen_bool(0.7);
        set(sim, "s_axis_tvalid", v as u64);
        if let Some((d, k, last, int8)) = beats.front() {
            set_bytes(sim, "s_axis_tdata", d);
            set(sim, "s_axis_tkeep", k.iter().enumerate().fold(0u64, |a, (i, x)| a | (*x as u64) << i));
            set(sim, "s_axis_tlast", *last as u64);
            if out_bits == 8 {
                set(sim, "int8_out", *int8 as u64);
            }
        }
        let ready = rng.gen_bool(0.6);
        set(sim, "m_axis_tready", ready as u64);
        sim.eval();
        if get(sim, "m_axis_tvalid") != 0 && ready {
            let (d, k) = lines.pop_front().unwrap();
            let n = total - lines.len();
            assert_eq!(get_bits(sim, "m_axis_tkeep", lb), k, "line {n}: tkeep");
            let got = get_bytes(sim, "m_axis_tdata", lb);
            for i in (0..lb).filter(|i| k[*i]) {
                assert_eq!(got[i], d[i], "line {n}: byte {i}");
            }
        }
        if v && get(sim, "s_axis_tready") != 0 {
            beats.pop_front();
        }
        sim.tick(clk);
    }
}

#[test]
fn softmax_feed_frames_and_masks_rows() {
    let seed = seed_from_env("softmax_feed_frames_and_masks_rows", 8);
    for (lb, lanes, ib) in [(16, 16, 8), (64, 32, 8), (8, 4, 8), (16, 2, 16), (64, 4, 8)] {
        let m = softmax_feed(lb as u32, lanes as u32, ib as u32, 30).unwrap();
        let s = seed ^ (lb * 1000 + lanes * 10 + ib) as u64;
        run_with_waveform(&m, &format!("{}-seed{s}", m.name()), |sim| feed_run(sim, lb, lanes, ib, s));
    }
}

#[test]
fn softmax_drain_packs_beats_into_lines() {
    let seed = seed_from_env("softmax_drain_packs_beats_into_lines", 9);
    for (lb, lanes, obits) in [(16, 16, 8), (64, 32, 16), (8, 4, 8), (64, 4, 16), (16, 2, 8)] {
        let m = softmax_drain(lb as u32, lanes as u32, obits as u32).unwrap();
        let s = seed ^ (lb * 1000 + lanes * 10 + obits) as u64;
        run_with_waveform(&m, &format!("{}-seed{s}", m.name()), |sim| drain_run(sim, lb, lanes, obits, s));
    }
}

#[test]
fn softmax_io_lints_clean_and_refuses_bad_shapes() {
    let mods = [
        softmax_feed(16, 16, 8, 24).unwrap(),
        softmax_feed(64, 32, 8, 24).unwrap(),
        softmax_drain(16, 16, 8).unwrap(),
        softmax_drain(64, 32, 16).unwrap(),
        softmax_drain(8, 4, 8).unwrap(),
    ];
    for m in mods {
        testbenches::sim::lint_module(&m).unwrap();
    }
    assert!(softmax_feed(16, 32, 8, 24).unwrap_err().to_string().contains("must divide"));
    assert!(softmax_drain(16, 16, 12).unwrap_err().to_string().contains("out_bits = 12"));
}
