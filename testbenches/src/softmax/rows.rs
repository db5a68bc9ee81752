//! The random row generator shared by the tests, the accuracy benchmark
//! and `serrano sim softmax`, and error measurement against float64.

use golden::softmax::{reference, ErrorStats, SoftmaxParams};
use golden::SoftmaxConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

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
