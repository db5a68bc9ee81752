use super::*;
use crate::config::SoftmaxConfig;

fn cfg(lanes: u32, max_len: u32, in_bits: u32, out_bits: u32, table_bits: u32) -> SoftmaxConfig {
    SoftmaxConfig { lanes, max_len, in_bits, out_bits, table_bits }
}

/// The (T, F) pairs a configuration can produce: F = out_bits + 6.
fn table_configs() -> Vec<(u32, u32)> {
    let mut v = Vec::new();
    for f in [14, 22] {
        for t in 2..=10 {
            v.push((t, f));
        }
    }
    v
}

/// A small deterministic generator, so these tests need no crate (SplitMix64).
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

#[test]
fn params_follow_the_documented_formulas() {
    let p = SoftmaxParams::new(&SoftmaxConfig::default());
    assert_eq!(p.max_beats, 256);
    assert_eq!((p.k_frac, p.k_bits), (24, 32));
    assert_eq!((p.exp_frac, p.interp_bits), (14, 9));
    assert_eq!((p.sum_frac, p.sum_bits), (25, 38));
    assert_eq!((p.out_frac, p.norm_frac, p.recip_frac), (13, 14, 14));
    let p = SoftmaxParams::new(&cfg(4, 8, 16, 16, 8));
    assert_eq!((p.k_frac, p.k_bits), (32, 40));
    assert_eq!(p.sum_frac, 16 + 5 + 3);
    assert_eq!(p.sum_bits, 24 + 4);
    // Tiny rows: F_sum keeps room for H < F_sum.
    let p = SoftmaxParams::new(&cfg(1, 1, 8, 8, 5));
    assert_eq!(p.sum_frac, 8 + 5 + 2);
    assert!(p.norm_frac < p.sum_frac);
    assert_eq!(clog2(1), 0);
    assert_eq!(clog2(2), 1);
    assert_eq!(clog2(4096), 12);
    assert_eq!(clog2(4097), 13);
}

#[test]
fn exp2_table_points_are_exact_and_far_from_rounding_boundaries() {
    for (t, f) in table_configs() {
        let tab = exp2_table(t, f);
        assert_eq!(tab.len(), (1 << t) + 1);
        assert_eq!(tab[0], 1 << f);
        assert_eq!(tab[1 << t], 1 << (f - 1));
        for (j, &v) in tab.iter().enumerate() {
            let exact = (1u64 << f) as f64 * (-(j as f64) / (1u64 << t) as f64).exp2();
            // round half up of the exact value
            assert_eq!(v as f64, (exact + 0.5).floor(), "T={t} F={f} j={j}");
            // No point lies within 1e-6 of a rounding boundary, so any exp2 good to
            // 1e-6 ulp (every libm is far better) produces this same table.
            let frac = exact - exact.floor();
            assert!((frac - 0.5).abs() > 1e-6, "T={t} F={f} j={j}: {exact} is too close to a rounding boundary");
        }
        for w in tab.windows(2) {
            assert!(w[0] > w[1], "table must fall strictly");
        }
    }
}

/// Exhaustive: every fraction input of every table the configuration allows.
#[test]
fn exp2_is_monotone_bounded_and_accurate_for_every_input() {
    for (t, f) in table_configs() {
        let e = Exp2::new(t, f);
        let tab = exp2_table(t, f);
        let r_bits = f - t;
        let one = (1u64 << f) as f64;
        // Interpolation error bound: the chord of 2^-x over a segment of
        // width h = 2^-T lies above the curve by at most h²/8·max|f''| =
        // h²·ln²2/8 (relative to 2^F); plus half an ulp for the table's
        // rounding and one ulp for the floor of the interpolation.
        let chord = (std::f64::consts::LN_2.powi(2) / 8.0) / (1u64 << (2 * t)) as f64 * one;
        let bound = chord + 1.5 + 1e-9;
        let mut prev = u32::MAX;
        let mut worst: f64 = 0.0;
        for phi in 0..(1u32 << f) {
            let p = e.frac(phi);
            // The same formula written out independently.
            let j = (phi >> r_bits) as usize;
            let r = (phi & ((1 << r_bits) - 1)) as u64;
            let want = tab[j] as u64 - (((tab[j] - tab[j + 1]) as u64 * r) >> r_bits);
            assert_eq!(p as u64, want, "T={t} F={f} phi={phi}");
            assert!(p <= prev, "not monotone at T={t} F={f} phi={phi}");
            assert!((1 << (f - 1)..=1 << f).contains(&p), "p = {p} out of range at phi={phi}");
            let exact = one * (-(phi as f64) / one).exp2();
            let err = p as f64 - exact;
            assert!(err.abs() <= bound, "T={t} F={f} phi={phi}: p={p}, exact {exact}, error {err} > {bound}");
            worst = worst.max(err.abs());
            prev = p;
        }
        assert!(worst > 0.0);
    }
}

/// Exhaustive: the restoring divider equals floor division for every
/// normalized input, and the reciprocal is within one ulp below 1/Sm.
#[test]
fn reciprocal_is_exact_floor_for_every_input() {
    for (g, h) in [(14u32, 14u32), (22, 22)] {
        for sm in (1u64 << h)..(1u64 << (h + 1)) {
            let q = reciprocal(sm, g, h);
            assert_eq!(restoring_reciprocal(sm, g, h), q, "G={g} H={h} Sm={sm}");
            assert!(q >= 1 << (g - 1) && q <= 1 << g, "Rm = {q} out of range for Sm = {sm}");
            // q = floor(2^(G+H)/Sm): q·Sm <= 2^(G+H) < (q+1)·Sm
            assert!(q * sm <= 1 << (g + h) && (q + 1) * sm > 1 << (g + h));
        }
    }
}

#[test]
#[should_panic(expected = "not normalized")]
fn reciprocal_rejects_an_unnormalized_input() {
    reciprocal(3, 14, 14);
}

fn run_row(p: &SoftmaxParams, s: f64, x: &[i64], mask: &[bool]) -> (Vec<u32>, Vec<f64>) {
    let e = p.exp2();
    let k = p.scale_to_k(s).unwrap();
    let y = p.softmax_row(&e, k, x, mask);
    let valid: Vec<bool> = mask.iter().map(|m| !m).collect();
    (y, reference(s, x, &valid))
}

fn max_err(p: &SoftmaxParams, y: &[u32], r: &[f64]) -> f64 {
    let mut st = ErrorStats::default();
    for (&y, &r) in y.iter().zip(r) {
        st.add(p.out_bits, y, r);
    }
    st.max_err
}

#[test]
fn directed_rows() {
    for out_bits in [8, 16] {
        let p = SoftmaxParams::new(&cfg(4, 64, 8, out_bits, if out_bits == 8 { 5 } else { 8 }));
        let ymax = p.y_max();
        // Length 1: probability 1, saturated to the largest code.
        for x in [-128, 0, 127] {
            let (y, _) = run_row(&p, 0.1, &[x], &[false]);
            assert_eq!(y, vec![ymax]);
        }
        // All equal: 1/n each (within rounding).
        for n in [2usize, 3, 5, 16, 64] {
            let (y, r) = run_row(&p, 0.5, &vec![37; n], &vec![false; n]);
            assert!(y.iter().all(|&v| v == y[0]));
            assert!(max_err(&p, &y, &r) <= 0.5 + 1e-3, "n={n}: {y:?}");
        }
        // All −128 (the most negative logit): as all equal.
        let (y, r) = run_row(&p, 1.0, &[-128; 8], &[false; 8]);
        assert_eq!(y, vec![(1u32 << out_bits) / 8; 8]);
        assert!(max_err(&p, &y, &r) <= 0.5);
        // One dominant element takes everything.
        let mut x = vec![-128i64; 40];
        x[17] = 127;
        let (y, r) = run_row(&p, 1.0, &x, &[false; 40]);
        assert_eq!(y[17], ymax);
        assert!(y.iter().enumerate().all(|(i, &v)| i == 17 || v == 0));
        assert!(max_err(&p, &y, &r) <= 1.0);
        // The max first or last in a long rising/falling row (the max rises
        // every beat in the rising row, so every beat rescales the sum).
        let rising: Vec<i64> = (0..64).map(|i| i * 4 - 128).collect();
        let falling: Vec<i64> = rising.iter().rev().copied().collect();
        for s in [1.0 / 256.0, 1.0 / 16.0, 0.3, 1.0] {
            for x in [&rising, &falling] {
                let (y, r) = run_row(&p, s, x, &[false; 64]);
                assert!(max_err(&p, &y, &r) <= 0.55, "s={s}: {y:?} vs {r:?}");
            }
        }
        // Fully masked: all zeros. Partly masked: masked elements are 0 and
        // the rest is normalized without them.
        let (y, _) = run_row(&p, 0.1, &[5, 6, 7], &[true; 3]);
        assert_eq!(y, vec![0, 0, 0]);
        let (y, r) = run_row(&p, 0.1, &[5, 100, 7, 8], &[false, true, false, true]);
        assert_eq!((y[1], y[3]), (0, 0));
        assert!(max_err(&p, &y, &r) <= 0.5 + 1e-3);
        // Length = max_len.
        let x: Vec<i64> = (0..64).map(|i| (i * 37 % 256) - 128).collect();
        let (y, r) = run_row(&p, 0.05, &x, &[false; 64]);
        assert!(max_err(&p, &y, &r) <= 0.55);
    }
}

#[test]
fn scale_conversion_and_its_errors() {
    let p = SoftmaxParams::new(&SoftmaxConfig::default());
    assert_eq!(p.scale_to_k(1.0).unwrap(), 24_204_406); // round(log2(e)·2^24)
    assert_eq!(p.scale_to_k(1.0 / 256.0).unwrap(), (24_204_406.0f64 / 256.0 + 0.5).floor() as u64);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = p.scale_to_k(bad).unwrap_err();
        assert!(e.contains("must be a positive finite number"), "{e}");
    }
    let e = p.scale_to_k(1e-12).unwrap_err();
    assert!(e.contains("rounds to 0"), "{e}");
    let e = p.scale_to_k(1000.0).unwrap_err();
    assert!(e.contains("exceeds"), "{e}");
    // Just inside both ends.
    assert_eq!(p.scale_to_k(3.0e-8).unwrap(), 1);
    assert!(p.scale_to_k(177.0).unwrap() < 1 << 32);
    assert!(p.scale_to_k(178.0).is_err());
}

#[test]
fn the_sum_never_falls_below_one_half_and_never_overflows() {
    // S >= 2^(F_sum - 1) whenever an element is valid (the max element
    // contributes p(c) >= 2^(F-1)), and S < 2^sum_bits.
    let mut rng = Mix(5);
    for &(lanes, max_len, in_bits) in &[(4u32, 64u32, 8u32), (3, 48, 16), (16, 4096, 8)] {
        let p = SoftmaxParams::new(&cfg(lanes, max_len, in_bits, 8, 4));
        let e = p.exp2();
        for _ in 0..200 {
            let n = rng.range(1, max_len as i64) as usize;
            let spread = rng.range(0, p.x_max());
            let x: Vec<i64> = (0..n).map(|_| rng.range(p.x_max() - spread, p.x_max())).collect();
            let mask: Vec<bool> = (0..n).map(|_| rng.next().is_multiple_of(7)).collect();
            let k = rng.range(1, (1 << p.k_bits) - 1) as u64 >> rng.range(0, 20);
            let beats = p.pack_row(&x, &mask);
            let st = p.accumulate(&e, k.max(1), &beats);
            if st.seen {
                assert!(st.s >= 1 << (p.sum_frac - 1), "{st:?}");
                assert!(st.s < 1 << p.sum_bits);
            } else {
                assert_eq!(st.s, 0);
            }
        }
        // The largest possible sum: every element equal (each term 1.0 when c = 0).
        let x = vec![0i64; max_len as usize];
        let beats = p.pack_row(&x, &vec![false; max_len as usize]);
        let st = p.accumulate(&e, 1 << p.k_frac, &beats);
        assert_eq!(st.s, (max_len as u64) << p.sum_frac);
        assert!(st.s < 1 << p.sum_bits);
    }
}

#[test]
fn online_order_is_normative_and_lanes_matter() {
    // A rising row rescales the sum every beat; packing the same row into
    // beats of another width changes where the shifts truncate, so results
    // may differ in the last bits: the spec fixes the beat-by-beat order.
    let x: Vec<i64> = (0..256).map(|i| if i % 3 == 0 { -128 } else { (i / 2) - 128 }).collect();
    let mask = vec![false; 256];
    let p1 = SoftmaxParams::new(&cfg(1, 256, 8, 16, 8));
    let p16 = SoftmaxParams::new(&cfg(16, 256, 8, 16, 8));
    let k = p1.scale_to_k(0.1).unwrap();
    let s1 = p1.accumulate(&p1.exp2(), k, &p1.pack_row(&x, &mask)).s;
    let s16 = p16.accumulate(&p16.exp2(), k, &p16.pack_row(&x, &mask)).s;
    assert_ne!(s1, s16, "online sums of different beat widths should differ here");
    let rel = (s1 as f64 - s16 as f64).abs() / s16 as f64;
    assert!(rel < 1e-5, "but only in the last bits: {rel}");
}

#[test]
fn stream_cuts_rows_longer_than_max_len() {
    let c = cfg(2, 4, 8, 8, 5);
    let mut s = SoftmaxStream::new(&c);
    let beat = |last| Beat { x: vec![1, 2], keep: 0b11, mask: 0, last };
    assert!(s.push(100_000, beat(false)).is_none());
    let (out, st) = s.push(100_000, beat(false)).expect("cut at max_beats");
    assert!(s.overflow);
    assert_eq!(out.len(), 2);
    assert!(out[1].last && !out[0].last);
    assert!(st.seen);
    // The next beat starts a new row, with a new K.
    let (out, _) = s.push(1, beat(true)).unwrap();
    assert_eq!(out.len(), 1);
    // Nearly equal probabilities for 1 and 2 at a tiny scale.
    assert_eq!(out[0].y, vec![128, 128]);
}

#[test]
fn keep_bits_pass_through_and_unkept_slots_are_zero() {
    let p = SoftmaxParams::new(&cfg(4, 16, 8, 8, 5));
    let e = p.exp2();
    let beats = vec![
        Beat { x: vec![10, 20, 30, 40], keep: 0b1010, mask: 0, last: false },
        Beat { x: vec![10, 20, 30, 40], keep: 0b0001, mask: 0b0001, last: true },
    ];
    let (out, _) = p.row(&e, p.scale_to_k(0.01).unwrap(), &beats);
    assert_eq!(out[0].keep, 0b1010);
    assert_eq!((out[0].y[0], out[0].y[2]), (0, 0));
    assert_eq!(out[1].y, vec![0, 0, 0, 0]);
    assert!(out[1].last);
    // Two valid elements, 20 and 40, at s = 0.01.
    let r = reference(0.01, &[20, 40], &[true, true]);
    assert!((out[0].y[1] as f64 - r[0] * 256.0).abs() <= 0.5);
    assert!((out[0].y[3] as f64 - r[1] * 256.0).abs() <= 0.5);
}

/// A modest accuracy check (the full benchmark is in testbenches): random
/// rows, 8- and 16-bit outputs, errors well inside the targets.
#[test]
fn accuracy_against_float64_on_random_rows() {
    let mut rng = Mix(11);
    for (out_bits, t, max_allowed) in [(8u32, 5u32, 1.0), (16, 8, 2.0)] {
        let p = SoftmaxParams::new(&cfg(16, 4096, 8, out_bits, t));
        let e = p.exp2();
        let mut st = ErrorStats::default();
        for _ in 0..60 {
            let n = rng.range(1, 1024) as usize;
            let s = (-8.0 * (rng.next() % 1000) as f64 / 1000.0).exp2();
            let x: Vec<i64> = (0..n).map(|_| rng.range(-128, 127)).collect();
            let k = p.scale_to_k(s).unwrap();
            let y = p.softmax_row(&e, k, &x, &vec![false; n]);
            let r = reference(s, &x, &vec![true; n]);
            for (&y, &r) in y.iter().zip(&r) {
                st.add(out_bits, y, r);
            }
        }
        assert!(st.max_err <= max_allowed, "O={out_bits}: {st:?}");
        assert!(st.mean() <= 0.25, "O={out_bits}: mean {}", st.mean());
    }
}
