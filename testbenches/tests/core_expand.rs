//! The core's macro expander (`hdl::blocks::accel::core_expand`) against
//! golden: for every preset and one odd geometry (8 activation slices per
//! line), thousands of commands (TILE_MATMULs with fields near their limits
//! and strides that saturate the line fields, refused macros of every kind,
//! ordinary commands, random bytes, random fetch responses) with gaps on
//! `cmd_valid`, back-pressure on `out_ready` and `flush` mid-stream. A valid
//! macro must come out as golden's `MatmulCmd::expand`, each pair encoded
//! with `Command::encode`, with the macro's index, response 0, and `last`
//! only on the final TILE_COMPUTE; every other command unchanged with
//! `last = 1`.

use std::collections::VecDeque;

use golden::core::isa::*;
use golden::core::CoreParams;
use golden::Config;
use hdl::blocks::accel::core_expand::core_expand;
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

fn preset(name: &str) -> Config {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../configs/{name}.toml"));
    Config::from_file(&path).unwrap()
}

/// A 2-row tile on 16-byte lines: 8 activation slices per line.
fn odd() -> Config {
    let mut cfg = preset("default");
    cfg.systolic.rows = 2;
    cfg.systolic.cols = 8;
    cfg.validate().unwrap();
    cfg
}

/// One command on the expander's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Word {
    raw: Raw,
    index: u64,
    resp: u64,
    last: u64,
}

/// A value in `[0, max]`, near 0 or `max` one time in four.
fn near(rng: &mut ChaCha8Rng, max: u64) -> u64 {
    match rng.gen_range(0..8) {
        0 => rng.gen_range(0..=max.min(3)),
        1 => max - rng.gen_range(0..=max.min(3)),
        _ => rng.gen_range(0..=max),
    }
}

/// A TILE_MATMUL golden expands (or, one time in three, one it refuses).
fn matmul(rng: &mut ChaCha8Rng, p: &CoreParams) -> MatmulCmd {
    let (r, n) = (p.systolic.rows, p.line / p.systolic.rows);
    let lmax = (1u64 << LINE_BITS) - 1;
    let small = |rng: &mut ChaCha8Rng| if rng.gen_bool(0.7) { rng.gen_range(0..64) } else { near(rng, lmax) as u32 };
    let mut m = MatmulCmd {
        b_line: near(rng, lmax) as u32,
        b_stride: small(rng),
        b_off: rng.gen_range(0..=255),
        b_fold_stride: small(rng),
        k_last: rng.gen_range(1..=r),
        a_line: near(rng, lmax) as u32,
        a_stride: small(rng),
        a_off: rng.gen_range(0..n),
        a_slice_stride: small(rng),
        rows: near(rng, (1 << COUNT_BITS) - 1) as u32,
        folds: if rng.gen_bool(0.9) { rng.gen_range(1..=6) } else { rng.gen_range(7..=40) },
        accumulate: rng.gen(),
    };
    if rng.gen_bool(0.33) {
        match rng.gen_range(0..4) {
            0 => m.folds = 0,
            1 => m.k_last = 0,
            2 => m.k_last = rng.gen_range(r + 1..=255),
            _ => m.a_off = rng.gen_range(n..=255),
        }
    }
    m
}

/// A random command on the expander's input.
fn offer(rng: &mut ChaCha8Rng, p: &CoreParams, index: u64) -> Word {
    let raw = match rng.gen_range(0..10) {
        0 => {
            let mut raw = [0u8; 32];
            rng.fill(&mut raw[..]);
            if rng.gen_bool(0.5) {
                raw[0] = OP_TILE_MATMUL;
            }
            raw
        }
        1 => Command::TileLoad { b_line: 3, b_stride: 1, b_off: 0, k_rows: 1 }.encode().unwrap(),
        2 => Command::Fence.encode().unwrap(),
        _ => {
            let mut raw = Command::TileMatmul(matmul(rng, p)).encode().unwrap();
            let rsv = op_info(OP_TILE_MATMUL).unwrap().reserved();
            if rng.gen_bool(0.05) {
                let (lsb, w) = rsv[rng.gen_range(0..rsv.len())];
                let b = lsb + rng.gen_range(0..w);
                raw[(b / 8) as usize] |= 1 << (b % 8);
            }
            raw
        }
    };
    let resp = if rng.gen_bool(0.05) { rng.gen_range(1..4) } else { 0 };
    Word { raw, index, resp, last: 1 }
}

/// What leaves for `w`: golden's pairs of a macro it expands, else `w`.
fn expect(w: &Word, p: &CoreParams) -> Vec<Word> {
    let m = match Command::decode(&w.raw) {
        Ok(Command::TileMatmul(m)) if w.resp < 2 && m.check(p).is_ok() => m,
        _ => return vec![w.clone()],
    };
    let cmds = m.expand(p);
    let n = cmds.len();
    cmds.iter()
        .enumerate()
        .map(|(i, c)| Word { raw: c.encode().unwrap(), index: w.index, resp: 0, last: (i + 1 == n) as u64 })
        .collect()
}

fn drive(sim: &mut Model, w: &Word) {
    let words: Vec<u32> = w.raw.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let port = sim.port("cmd_data").unwrap();
    sim.set_wide(port, &words).unwrap();
    set(sim, "cmd_index", w.index);
    set(sim, "cmd_resp", w.resp);
}

fn output(sim: &Model) -> Word {
    let words = sim.get_wide(sim.port("out_data").unwrap());
    let mut raw = [0u8; 32];
    for (k, w) in words.iter().enumerate() {
        raw[4 * k..4 * k + 4].copy_from_slice(&w.to_le_bytes());
    }
    Word { raw, index: get(sim, "out_index"), resp: get(sim, "out_resp"), last: get(sim, "out_last") }
}

fn run(sim: &mut Model, p: &CoreParams, commands: usize, seed: u64) {
    let clk = sim.port("clk").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    set(sim, "rst", 1);
    sim.tick(clk);
    set(sim, "rst", 0);
    let (mut offered, mut want): (Option<Word>, VecDeque<Word>) = (None, VecDeque::new());
    let (mut taken, mut out, mut expanded, mut flushed, mut index) = (0usize, 0usize, 0usize, 0usize, 0u64);
    let mut cycle = 0u64;
    while taken < commands {
        if offered.is_none() && rng.gen_bool(0.7) {
            offered = Some(offer(&mut rng, p, index));
            index = (index + 7) % (1 << 20);
        }
        if let Some(w) = &offered {
            drive(sim, w);
        }
        set(sim, "cmd_valid", offered.is_some() as u64);
        let flush = rng.gen_bool(0.003);
        set(sim, "flush", flush as u64);
        let ready = rng.gen_bool(0.7);
        set(sim, "out_ready", ready as u64);
        sim.eval();
        let (ov, cr) = (get(sim, "out_valid") == 1, get(sim, "cmd_ready") == 1);
        if flush {
            assert!(!ov && !cr, "cycle {cycle}: no handshake during flush (seed {seed})");
            flushed += want.len();
            want.clear();
        }
        if cr && offered.is_some() {
            let w = offered.take().unwrap();
            assert!(want.is_empty(), "cycle {cycle}: a command taken while {} are still to leave", want.len());
            let e = expect(&w, p);
            expanded += (e.len() > 1 || e[0] != w) as usize;
            want.extend(e);
            taken += 1;
        }
        if ov && ready {
            let got = output(sim);
            let w = want.pop_front().unwrap_or_else(|| panic!("cycle {cycle}: an output nothing explains: {got:?}"));
            assert_eq!(got, w, "cycle {cycle}: output {out} (seed {seed})");
            out += 1;
        }
        sim.tick(clk);
        cycle += 1;
        assert!(cycle < 200 * commands as u64, "stuck at cycle {cycle} (seed {seed})");
    }
    println!(
        "{taken} commands in, {out} out ({expanded} macros expanded, {flushed} dropped by flush) in {cycle} cycles"
    );
    assert!(expanded > commands / 4, "too few macros expanded: {expanded}");
}

#[test]
fn core_expand_matches_golden() {
    let seed = seed_from_env("core_expand_matches_golden", 21);
    for (name, cfg) in
        [("default", preset("default")), ("large", preset("large")), ("tiny", preset("tiny")), ("odd", odd())]
    {
        let p = CoreParams::new(&cfg).unwrap();
        let m = core_expand(&p).unwrap();
        let s = seed ^ name.len() as u64;
        println!("{name}: seed {s}");
        run_with_waveform(&m, &format!("{}-seed{s}", m.name()), |sim| run(sim, &p, 3_000, s));
    }
}

#[test]
fn core_expand_lints_clean() {
    for cfg in [preset("default"), preset("tiny"), preset("large"), odd()] {
        let p = CoreParams::new(&cfg).unwrap();
        testbenches::sim::lint_module(&core_expand(&p).unwrap()).unwrap();
    }
}

/// A macro of F folds with `out_ready` high: taken in one cycle, then one
/// command per cycle, 2F in all; the next command passes in the cycle after.
#[test]
fn core_expand_emits_one_command_per_cycle() {
    let p = CoreParams::new(&preset("default")).unwrap();
    let m = core_expand(&p).unwrap();
    let mm = MatmulCmd { folds: 5, k_last: 3, rows: 1, b_fold_stride: 16, a_slice_stride: 1, ..Default::default() };
    let words = [Command::TileMatmul(mm).encode().unwrap(), Command::Nop.encode().unwrap()];
    run_with_waveform(&m, "core_expand_throughput", |sim| {
        let clk = sim.port("clk").unwrap();
        set(sim, "rst", 1);
        sim.tick(clk);
        set(sim, "rst", 0);
        set(sim, "out_ready", 1);
        set(sim, "cmd_valid", 1);
        let (mut next, mut outs) = (0usize, Vec::new());
        for cycle in 0..20u64 {
            if next < 2 {
                drive(sim, &Word { raw: words[next], index: 9, resp: 0, last: 1 });
            }
            set(sim, "cmd_valid", (next < 2) as u64);
            sim.eval();
            if get(sim, "out_valid") == 1 {
                outs.push((cycle, output(sim).raw[0]));
            }
            next += get(sim, "cmd_ready") as usize;
            sim.tick(clk);
        }
        let want: Vec<(u64, u8)> = (1..=10)
            .map(|c| (c, if c % 2 == 1 { OP_TILE_LOAD } else { OP_TILE_COMPUTE }))
            .chain([(11, OP_NOP)])
            .collect();
        assert_eq!(outs, want, "(cycle, opcode) of each command out");
    });
}
