//! The softmax unit against `golden::softmax`, bit for bit: its exp2 and
//! reciprocal units over all (or sampled) inputs, directed rows, more than
//! 100,000 random rows (back-pressure, input gaps, X randomization), exact
//! cycle counts, deliberately wrong units, lint and synthesis.

use golden::softmax::{reciprocal, Beat, SoftmaxParams};
use golden::SoftmaxConfig;
use hdl::core::{emit, EmitOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::seed_from_env;
use testbenches::sim::{build_module, BuildOptions};
use testbenches::softmax::{
    logits, punch_keep, random_row, run_softmax, run_softmax_module, Dist, Row, SoftmaxReport, SoftmaxRun,
};

fn cfg(lanes: u32, max_len: u32, in_bits: u32, out_bits: u32, table_bits: u32) -> SoftmaxConfig {
    SoftmaxConfig { lanes, max_len, in_bits, out_bits, table_bits }
}

/// The narrow unit most random rows run on.
fn small() -> SoftmaxConfig {
    cfg(4, 64, 8, 8, 4)
}

/// int16 in, UQ0.16 out, lanes not a power of two.
fn wide() -> SoftmaxConfig {
    cfg(3, 48, 16, 16, 6)
}

fn check(r: &SoftmaxReport, what: &str) {
    if let Some(f) = r.failure() {
        panic!("{what}: {f}");
    }
}

fn rows_of(p: &SoftmaxParams, rng: &mut ChaCha8Rng, n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let mut row = random_row(rng, p).row(p);
            if i % 23 == 0 {
                punch_keep(rng, &mut row);
            }
            row
        })
        .collect()
}

// ---------------------------------------------------------------- units

/// Every input of the exp2 unit (and so every word of its ROM), for the
/// tables of 8- and 16-bit outputs.
#[test]
fn exp2_unit_matches_golden_for_every_input() {
    for c in [small(), SoftmaxConfig::default(), cfg(4, 64, 8, 16, 8)] {
        let p = SoftmaxParams::new(&c);
        let e = p.exp2();
        let module = hdl::blocks::softmax::top::exp2_unit(&p).unwrap();
        let built = build_module(&module, BuildOptions::default()).unwrap();
        let mut m = built.lib.instantiate(None).unwrap();
        let (clk, ce, phi, out) =
            (m.port("clk").unwrap(), m.port("ce").unwrap(), m.port("phi").unwrap(), m.port("p").unwrap());
        m.set(ce, 1);
        let n = 1u64 << p.exp_frac;
        let mut bad = 0;
        for i in 0..=n {
            if i < n {
                m.set(phi, i);
            }
            // p belongs to the phi of the previous cycle.
            if i > 0 {
                m.eval();
                let want = e.frac((i - 1) as u32) as u64;
                if m.get(out) != want {
                    bad += 1;
                    assert!(bad < 5, "phi={}: RTL {} golden {want}", i - 1, m.get(out));
                }
            }
            m.tick(clk);
        }
        assert_eq!(bad, 0);
        // With ce low the lookup holds.
        m.set(phi, 0);
        m.tick(clk);
        m.set(ce, 0);
        m.set(phi, n - 1);
        m.tick(clk);
        m.eval();
        assert_eq!(m.get(out), e.frac(0) as u64);
    }
}

/// The restoring divider: every divisor for 8-bit outputs, a sample (edges,
/// powers of two, random) for 16-bit; G+1 cycles each.
#[test]
fn reciprocal_unit_matches_golden() {
    let seed = seed_from_env("softmax_recip", 3);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for c in [small(), cfg(4, 64, 8, 16, 8)] {
        let p = SoftmaxParams::new(&c);
        let (g, h) = (p.recip_frac, p.norm_frac);
        let module = hdl::blocks::softmax::top::recip_unit(&p).unwrap();
        let built = build_module(&module, BuildOptions::default()).unwrap();
        let mut m = built.lib.instantiate(None).unwrap();
        let (clk, rst, start, sm, busy, q) = (
            m.port("clk").unwrap(),
            m.port("rst").unwrap(),
            m.port("start").unwrap(),
            m.port("sm").unwrap(),
            m.port("busy").unwrap(),
            m.port("q").unwrap(),
        );
        m.set(rst, 1);
        m.tick(clk);
        m.set(rst, 0);
        let lo = 1u64 << h;
        let hi = (1u64 << (h + 1)) - 1;
        let inputs: Vec<u64> = if h <= 14 {
            (lo..=hi).collect()
        } else {
            let mut v = vec![lo, lo + 1, hi, hi - 1, lo + lo / 2, (lo * 3) / 2 + 1];
            v.extend((0..20_000).map(|_| rng.gen_range(lo..=hi)));
            v
        };
        for &d in &inputs {
            m.set(start, 1);
            m.set(sm, d);
            m.tick(clk);
            m.set(start, 0);
            m.set(sm, 0); // sampled only with start
            let mut cycles = 0;
            loop {
                m.eval();
                if m.get(busy) == 0 {
                    break;
                }
                m.tick(clk);
                cycles += 1;
                assert!(cycles <= g + 1, "busy too long for Sm={d}");
            }
            assert_eq!(cycles, g + 1, "latency for Sm={d}");
            assert_eq!(m.get(q), reciprocal(d, g, h), "Sm = {d}");
        }
    }
}

// ---------------------------------------------------------------- rows

fn row(p: &SoftmaxParams, x: &[i64], mask: &[bool], scale: f64) -> Row {
    Row { k: p.scale_to_k(scale).unwrap(), beats: p.pack_row(x, mask) }
}

fn directed(c: &SoftmaxConfig) -> Vec<Row> {
    let p = SoftmaxParams::new(c);
    let (lo, hi) = (p.x_min(), p.x_max());
    let n = p.max_len;
    let none = |len: usize| vec![false; len];
    let mut rows = Vec::new();
    for s in [1.0 / 256.0, 0.1, 1.0] {
        // Length 1 (probability 1, saturated), at both ends of the range.
        rows.push(row(&p, &[lo], &none(1), s));
        rows.push(row(&p, &[hi], &none(1), s));
        // All equal; all the most negative logit; all the most positive.
        rows.push(row(&p, &vec![7; 13.min(n)], &none(13.min(n)), s));
        rows.push(row(&p, &vec![lo; n], &none(n), s));
        rows.push(row(&p, &vec![hi; n], &none(n), s));
        // One dominant element; the max first; the max last.
        let mut x = vec![lo; n];
        x[n / 2] = hi;
        rows.push(row(&p, &x, &none(n), s));
        let ramp: Vec<i64> = (0..n as i64).map(|i| lo + (i * (hi - lo)) / n as i64).collect();
        rows.push(row(&p, &ramp, &none(n), s));
        let fall: Vec<i64> = ramp.iter().rev().copied().collect();
        rows.push(row(&p, &fall, &none(n), s));
        // Fully masked; all but one masked; a causal limit.
        rows.push(row(&p, &ramp, &vec![true; n], s));
        let mut m = vec![true; n];
        m[n - 1] = false;
        rows.push(row(&p, &ramp, &m, s));
        let causal: Vec<bool> = (0..n).map(|j| j > n / 3).collect();
        rows.push(row(&p, &fall, &causal, s));
        // Length = max_len, random values; and lanes ± 1.
        let x: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % (hi - lo + 1) + lo).collect();
        rows.push(row(&p, &x, &none(n), s));
        for len in [p.lanes.saturating_sub(1).max(1), p.lanes + 1] {
            let len = len.min(n);
            rows.push(row(&p, &x[..len], &none(len), s));
        }
    }
    // The extremes of K: the smallest (every element nearly equal) and the
    // largest (everything but the max vanishes).
    let x: Vec<i64> = (0..n as i64).map(|i| (i * 31) % 200 - 100).collect();
    for k in [1, 2, (1u64 << p.k_bits) - 1] {
        rows.push(Row { k, beats: p.pack_row(&x, &none(n)) });
    }
    // A beat with no element at all (keep 0) in the middle of a row.
    let mut r = row(&p, &x, &none(n), 0.05);
    if r.beats.len() > 1 {
        r.beats[0].keep = 0;
    }
    rows.push(r);
    rows
}

#[test]
fn directed_rows_match_golden() {
    for c in [small(), wide(), cfg(1, 4, 8, 8, 2)] {
        let rows = directed(&c);
        let r = run_softmax(&c, &rows, &SoftmaxRun::full_speed(1)).unwrap();
        check(&r, &format!("{c:?}"));
        assert_eq!(r.rows as usize, rows.len());
        // The probabilities of a one-element row saturate at the largest code.
        assert_eq!(r.outputs[0].y[0], (1 << c.out_bits) - 1);
    }
}

#[test]
fn directed_rows_on_the_default_unit() {
    let c = SoftmaxConfig::default();
    let mut run = SoftmaxRun::full_speed(2);
    run.ready_prob = 0.7;
    let rows = directed(&c);
    let r = run_softmax(&c, &rows, &run).unwrap();
    check(&r, "default");
}

/// A row longer than max_len is cut at max_len: the beat that fills the
/// buffer ends the row (tlast out), the sticky overflow flag rises, and the
/// rest is a row of its own.
#[test]
fn rows_longer_than_max_len_are_cut() {
    let c = small();
    let p = SoftmaxParams::new(&c);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let x = logits(&mut rng, &p, Dist::Uniform, p.max_len + 9);
    let long = row(&p, &x, &vec![false; x.len()], 0.2);
    let rows = vec![row(&p, &x[..5], &[false; 5], 0.2), long, row(&p, &x[..7], &[false; 7], 0.3)];
    let r = run_softmax(&c, &rows, &SoftmaxRun::full_speed(1)).unwrap();
    check(&r, "overflow");
    assert_eq!(r.overflow, (true, true));
    assert_eq!(r.rows, 4, "the long row is cut into two");
    let lasts = r.outputs.iter().filter(|o| o.last).count();
    assert_eq!(lasts, 4);
}

// ---------------------------------------------------------------- random rows

/// Most of the 100,000 random rows: the narrow unit, random input gaps and
/// output back-pressure.
#[test]
fn random_rows_small_unit_with_backpressure() {
    let seed = seed_from_env("softmax_random_small", 10);
    let c = small();
    let p = SoftmaxParams::new(&c);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut total = 0;
    for (i, (ready, valid)) in [(1.0, 1.0), (0.5, 0.9), (0.85, 0.6), (0.3, 1.0)].into_iter().enumerate() {
        let rows = rows_of(&p, &mut rng, 20_000);
        let run = SoftmaxRun { seed: seed + i as u64, x_seed: None, trace: None, ready_prob: ready, valid_prob: valid };
        let r = run_softmax(&c, &rows, &run).unwrap();
        check(&r, &format!("ready {ready} valid {valid}"));
        total += r.rows;
    }
    assert!(total >= 80_000);
}

/// int16 logits and 16-bit outputs, three lanes.
#[test]
fn random_rows_int16_in_uq16_out() {
    let seed = seed_from_env("softmax_random_wide", 11);
    let c = wide();
    let p = SoftmaxParams::new(&c);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rows = rows_of(&p, &mut rng, 10_000);
    let mut run = SoftmaxRun::full_speed(seed);
    run.ready_prob = 0.8;
    let r = run_softmax(&c, &rows, &run).unwrap();
    check(&r, "int16/uq16");
    assert_eq!(r.rows, 10_000);
}

/// X randomization: every register without a reset starts random; outputs
/// must not depend on it. Two X seeds.
#[test]
fn random_rows_with_x_randomization() {
    let seed = seed_from_env("softmax_xrand", 12);
    for (c, x_seed) in [(small(), 1), (cfg(5, 40, 8, 16, 7), 2)] {
        let p = SoftmaxParams::new(&c);
        let mut rng = ChaCha8Rng::seed_from_u64(seed + x_seed);
        let rows = rows_of(&p, &mut rng, 5_000);
        let run = SoftmaxRun { seed, x_seed: Some(x_seed), trace: None, ready_prob: 0.7, valid_prob: 0.9 };
        let r = run_softmax(&c, &rows, &run).unwrap();
        check(&r, &format!("x_seed {x_seed}"));
    }
}

/// Random rows on the default unit (16 lanes, rows up to 4096) and on a
/// 16-bit-output unit of the same size.
#[test]
fn random_rows_default_unit() {
    let seed = seed_from_env("softmax_random_default", 13);
    for (c, n) in [(SoftmaxConfig::default(), 600), (cfg(16, 4096, 8, 16, 8), 150)] {
        let p = SoftmaxParams::new(&c);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows = rows_of(&p, &mut rng, n);
        let mut run = SoftmaxRun::full_speed(seed);
        run.ready_prob = 0.9;
        let r = run_softmax(&c, &rows, &run).unwrap();
        check(&r, &format!("{c:?}"));
    }
}

// ---------------------------------------------------------------- cycles

/// Back-to-back rows of max_len on the default unit: one beat per cycle in,
/// no cycle lost between rows, and the documented latency.
#[test]
fn long_rows_stream_at_one_beat_per_cycle() {
    let c = SoftmaxConfig::default();
    let p = SoftmaxParams::new(&c);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let rows: Vec<Row> = (0..6)
        .map(|_| {
            let x = logits(&mut rng, &p, Dist::Uniform, p.max_len);
            row(&p, &x, &vec![false; p.max_len], 0.1)
        })
        .collect();
    let r = run_softmax(&c, &rows, &SoftmaxRun::full_speed(1)).unwrap();
    check(&r, "long rows");
    for (i, t) in r.timing.iter().enumerate() {
        assert_eq!(t.first_in, (i * p.max_beats) as u64, "row {i} started late");
        assert_eq!(t.last_in - t.first_in + 1, p.max_beats as u64);
        assert_eq!(t.first_out - t.last_in, latency(&p), "latency of row {i}");
        assert_eq!(t.last_out - t.first_out + 1, p.max_beats as u64);
    }
    assert_eq!(r.input_elements_per_cycle(), p.lanes as f64);
}

/// Cycles from a row's last input beat to its first output beat, when the
/// row does not wait for an earlier one (docs/softmax.md): 23 + G.
fn latency(p: &SoftmaxParams) -> u64 {
    23 + p.recip_frac as u64
}

/// One-beat rows back to back: one row per G + 2 cycles, the divider's pace.
#[test]
fn short_rows_are_paced_by_the_divider() {
    for c in [SoftmaxConfig::default(), cfg(4, 64, 8, 16, 8)] {
        let p = SoftmaxParams::new(&c);
        let rows: Vec<Row> = (0..20).map(|i| row(&p, &[i, -i, 3], &[false; 3], 0.5)).collect();
        let r = run_softmax(&c, &rows, &SoftmaxRun::full_speed(1)).unwrap();
        check(&r, "short rows");
        let interval = p.recip_frac as u64 + 2;
        for w in r.timing[4..].windows(2) {
            assert_eq!(w[1].first_out - w[0].first_out, interval, "{:?}", r.timing);
        }
        assert_eq!(r.timing[0].first_out - r.timing[0].last_in, latency(&p));
    }
}

// ---------------------------------------------------------------- can it fail?

/// A unit built for another table (same ports) must be caught, with a
/// waveform; so must one with a shorter row buffer (another F_sum).
#[test]
fn testbench_catches_a_wrong_unit_and_writes_a_waveform() {
    let c = small();
    let p = SoftmaxParams::new(&c);
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let rows = rows_of(&p, &mut rng, 300);
    for wrong in [cfg(4, 64, 8, 8, 2), cfg(4, 32, 8, 8, 4)] {
        let m = hdl::blocks::softmax::softmax(&wrong).unwrap();
        let r = run_softmax_module(&m, &c, &rows, &SoftmaxRun::full_speed(1)).unwrap();
        assert!(r.mismatches > 0, "a unit built for {wrong:?} passed");
        let wave = r.waveform.expect("a failing run leaves a waveform");
        assert!(std::fs::metadata(&wave).map(|m| m.len() > 0).unwrap_or(false));
    }
}

/// The golden side of the comparison is not trivially equal: a golden model
/// of another configuration disagrees with this unit's.
#[test]
fn golden_models_of_different_tables_differ() {
    let a = SoftmaxParams::new(&cfg(4, 64, 8, 16, 8));
    let b = SoftmaxParams::new(&cfg(4, 64, 8, 16, 3));
    let x: Vec<i64> = (0..64).map(|i| (i * 37) % 256 - 128).collect();
    let k = a.scale_to_k(0.05).unwrap();
    let m = vec![false; 64];
    assert_ne!(a.softmax_row(&a.exp2(), k, &x, &m), b.softmax_row(&b.exp2(), k, &x, &m));
}

// ---------------------------------------------------------------- Verilog

#[test]
fn softmax_verilog_is_lint_clean_and_synthesizes_without_latches() {
    let c = cfg(2, 8, 8, 8, 3);
    let m = hdl::blocks::softmax::softmax(&c).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = emit(&m, &EmitOptions::default()).unwrap();
    for f in &files {
        std::fs::write(dir.path().join(&f.file_name), &f.text).unwrap();
    }
    let names: Vec<String> = files.iter().map(|f| f.file_name.clone()).collect();
    let lint = std::process::Command::new("verilator")
        .current_dir(dir.path())
        .args(["--lint-only", "-Wall", "--top-module", m.name()])
        .args(&names)
        .output()
        .expect("verilator runs");
    let text = String::from_utf8_lossy(&lint.stderr).into_owned() + &String::from_utf8_lossy(&lint.stdout);
    assert!(lint.status.success() && text.trim().is_empty(), "{text}");
    let script = format!(
        "read_verilog {}; synth -top {}; \
         select -assert-none t:$dlatch t:$adlatch t:$_DLATCH_* t:$_DLATCHSR_*; \
         tee -o /dev/stdout stat",
        names.join(" "),
        m.name()
    );
    let y = std::process::Command::new("yosys")
        .current_dir(dir.path())
        .args(["-q", "-p", &script])
        .output()
        .expect("yosys runs");
    assert!(y.status.success(), "{}{}", String::from_utf8_lossy(&y.stdout), String::from_utf8_lossy(&y.stderr));
    // Every flop with a reset is a synchronous-reset one; the data-path
    // flops without reset are the ones the builder marked no_reset.
    let stat = String::from_utf8_lossy(&y.stdout);
    assert!(stat.contains("$_SDFF"), "{stat}");
}

/// The row beats a test builds are well formed: only the last beat of a row
/// carries tlast.
#[test]
fn packed_rows_are_well_formed() {
    let p = SoftmaxParams::new(&small());
    let b: Vec<Beat> = p.pack_row(&[1; 9], &[false; 9]);
    assert_eq!(b.len(), 3);
    assert!(!b[0].last && !b[1].last && b[2].last);
    assert_eq!(b[2].keep, 0b1);
}

// ---------------------------------------------------------------- accuracy

/// The accuracy benchmark (`cargo test --release -p serrano-testbenches
/// --test softmax -- --ignored --nocapture`): the golden model, which the RTL
/// matches bit for bit, against float64 softmax over random rows of uniform
/// length 1..=4096 and log-uniform scale 1/256..1, for 8- and 16-bit
/// outputs. Prints max and mean error in LSB per distribution and overall,
/// and checks the targets of the issue.
#[test]
#[ignore]
fn softmax_accuracy_benchmark() {
    let seed = seed_from_env("softmax_accuracy", 1);
    let rows: usize = std::env::var("SERRANO_ACCURACY_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(8_000);
    for (c, max_target, mean_target) in [(SoftmaxConfig::default(), 1.0, 0.25), (cfg(16, 4096, 8, 16, 8), 2.0, 0.3)] {
        let res = testbenches::softmax::accuracy_sweep(&c, rows, seed);
        let mut all = golden::softmax::ErrorStats::default();
        println!("UQ0.{} (table_bits {}), {rows} rows, seed {seed}:", c.out_bits, c.table_bits);
        println!("  {:<10} {:>12} {:>10} {:>10}", "dist", "elements", "max LSB", "mean LSB");
        for (d, st) in &res {
            println!("  {:<10} {:>12} {:>10.4} {:>10.4}", format!("{d:?}"), st.elements, st.max_err, st.mean());
            all.merge(st);
        }
        println!(
            "  {:<10} {:>12} {:>10.4} {:>10.4}   (targets: max <= {max_target}, mean <= {mean_target})",
            "all",
            all.elements,
            all.max_err,
            all.mean()
        );
        assert!(all.max_err <= max_target, "max error {}", all.max_err);
        assert!(all.mean() <= mean_target, "mean error {}", all.mean());
        for (d, st) in &res {
            assert!(st.max_err <= max_target, "{d:?}: max error {}", st.max_err);
        }
    }
}
