//! Quantized attention, one head: the specification the core's attention
//! programs (`serrano_runtime::attention`) must match bit for bit.
//!
//! `docs/numerics.md` ("Attention") states these steps in words:
//!
//! 1. `S = Q·Kᵀ`, int8 × int8 summed in int32 (the tile's GEMM rule);
//! 2. the logits `x = requant(S)` with the per-tensor `logit` parameters
//!    (the tile's requantization: round half up, saturate to int8): the
//!    TILE_READ that writes S to the scratchpad does it;
//! 3. `y = softmax_row(x)` with K = `k` and the row's mask (key `j` of query
//!    row `r` is masked when `j ≥ valid_len`, or, causal, when
//!    `j > causal_base + r`): the softmax unit;
//! 4. `p = to_int8_prob(y)`, int8 UQ0.7 (SOFTMAX `int8_out`);
//! 5. `O = P·V` in int32, then `requant(O)` with the `out` parameters
//!    (int8, the output scale).
//!
//! Masked keys have `p = 0`, so step 5 may sum over any superset of the
//! unmasked keys; step 3 does not depend on trailing masked logits either
//! (a beat without a valid element leaves the running max and sum alone).
//! That is why the core computes S only where a key can be unmasked.

use crate::softmax::{reference, to_int8_prob, Exp2, SoftmaxParams};
use crate::tile::gemm::{gemm, requantize, Matrix, Requant, Requantization};

/// The parameters of steps 2, 3 and 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionQuant {
    /// S (int32) to int8 logits.
    pub logit: Requant,
    /// The softmax scale K in UQ8.kf (`SoftmaxParams::scale_to_k` of the
    /// real value of one logit LSB).
    pub k: u64,
    /// P·V (int32, UQ0.7 × V's scale) to the int8 output.
    pub out: Requant,
}

/// Fractional bits of the int8 probabilities (UQ0.7).
pub const PROB_FRAC_BITS: u32 = 7;

impl AttentionQuant {
    /// The parameters for logits `x = round_half_up(S / 2^logit_shift)` whose
    /// real value is `x · 2^logit_shift · s_scale`, `s_scale` being the real
    /// value of one LSB of S (the inputs' scales and `1/sqrt(d)` folded in),
    /// and an output on V's scale: `O = round_half_up(P·V / 2^7)`.
    pub fn new(sp: &SoftmaxParams, logit_shift: u32, s_scale: f64) -> Result<AttentionQuant, String> {
        let logit = Requant { multiplier: 1, shift: logit_shift, zero_point: 0 };
        logit.validate()?;
        let k = sp.scale_to_k(s_scale * (1u64 << logit_shift) as f64)?;
        let out = Requant { multiplier: 1, shift: PROB_FRAC_BITS, zero_point: 0 };
        Ok(AttentionQuant { logit, k, out })
    }
}

/// Which keys a query row sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mask {
    /// Keys `j ≥ valid_len` are masked.
    pub valid_len: usize,
    /// Causal: key `j` of row `r` is masked when `j > base + r`.
    pub causal_base: Option<usize>,
}

impl Mask {
    pub fn masked(&self, r: usize, j: usize) -> bool {
        j >= self.valid_len || self.causal_base.is_some_and(|b| j > b + r)
    }
}

/// One head's result and its intermediates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadOutput {
    /// int8 logits, Lq × Lk (masked entries included: they are ignored).
    pub logits: Matrix<i8>,
    /// int8 UQ0.7 probabilities, Lq × Lk.
    pub probs: Matrix<i8>,
    /// The output, Lq × d.
    pub out: Matrix<i8>,
}

/// Steps 1 to 5 for queries `q` (Lq × d), keys `k` and values `v` (Lk × d).
pub fn attention_head(
    sp: &SoftmaxParams,
    exp2: &Exp2,
    q: &Matrix<i8>,
    k: &Matrix<i8>,
    v: &Matrix<i8>,
    quant: &AttentionQuant,
    mask: &Mask,
) -> Result<HeadOutput, String> {
    if q.cols != k.cols || k.rows != v.rows {
        return Err(format!(
            "shape mismatch: Q is {}x{}, K {}x{}, V {}x{}; Q and K need the same columns, K and V the same rows",
            q.rows, q.cols, k.rows, k.cols, v.rows, v.cols
        ));
    }
    let s = gemm(q, &transpose(k)).map_err(|e| format!("{e:?}"))?;
    let logits = requantize(&s, &Requantization::PerTensor(quant.logit));
    let mut probs = Matrix::zeros(q.rows, k.rows);
    for r in 0..q.rows {
        let x: Vec<i64> = (0..k.rows).map(|j| logits.at(r, j) as i64).collect();
        let m: Vec<bool> = (0..k.rows).map(|j| mask.masked(r, j)).collect();
        for (j, y) in sp.softmax_row(exp2, quant.k, &x, &m).into_iter().enumerate() {
            probs.set(r, j, to_int8_prob(y));
        }
    }
    let o = gemm(&probs, v).map_err(|e| format!("{e:?}"))?;
    let out = requantize(&o, &Requantization::PerTensor(quant.out));
    Ok(HeadOutput { logits, probs, out })
}

/// `m` transposed.
pub fn transpose(m: &Matrix<i8>) -> Matrix<i8> {
    let mut t = Matrix::zeros(m.cols, m.rows);
    for r in 0..m.rows {
        for c in 0..m.cols {
            t.set(c, r, m.at(r, c));
        }
    }
    t
}

/// float64 attention, for error measurement only: `softmax(s_scale · Q·Kᵀ)`
/// over the unmasked keys, times V, in units of V's (and the output's) LSB.
pub fn reference_head(q: &Matrix<i8>, k: &Matrix<i8>, v: &Matrix<i8>, s_scale: f64, mask: &Mask) -> Vec<Vec<f64>> {
    (0..q.rows)
        .map(|r| {
            let s: Vec<i64> =
                (0..k.rows).map(|j| (0..q.cols).map(|c| q.at(r, c) as i64 * k.at(j, c) as i64).sum()).collect();
            let valid: Vec<bool> = (0..k.rows).map(|j| !mask.masked(r, j)).collect();
            let p = reference(s_scale, &s, &valid);
            (0..v.cols).map(|n| (0..k.rows).map(|j| p[j] * v.at(j, n) as f64).sum()).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SoftmaxConfig;

    fn sm() -> SoftmaxParams {
        SoftmaxParams::new(&SoftmaxConfig { lanes: 4, max_len: 64, in_bits: 8, out_bits: 8, table_bits: 5 })
    }

    fn mat(rows: usize, cols: usize, seed: u64) -> Matrix<i8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let data = (0..rows * cols)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as i8
            })
            .collect();
        Matrix::from_vec(rows, cols, data).unwrap()
    }

    /// Each step by hand on one row: the head is the composition of the
    /// tile's GEMM and requantization, the softmax row and `to_int8_prob`.
    #[test]
    fn a_head_is_its_steps() {
        let sp = sm();
        let (q, k, v) = (mat(3, 16, 1), mat(10, 16, 2), mat(10, 8, 3));
        let quant = AttentionQuant::new(&sp, 9, 1.0 / 4096.0).unwrap();
        let mask = Mask { valid_len: 9, causal_base: Some(5) };
        let h = attention_head(&sp, &sp.exp2(), &q, &k, &v, &quant, &mask).unwrap();
        let r = 2;
        let x: Vec<i64> = (0..10)
            .map(|j| {
                let s: i32 = (0..16).map(|c| q.at(r, c) as i32 * k.at(j, c) as i32).sum();
                quant.logit.apply(s) as i64
            })
            .collect();
        let m: Vec<bool> = (0..10).map(|j| j >= 9 || j > 5 + r).collect();
        let y = sp.softmax_row(&sp.exp2(), quant.k, &x, &m);
        for (j, &yj) in y.iter().enumerate() {
            assert_eq!(h.probs.at(r, j), to_int8_prob(yj));
            assert_eq!(h.probs.at(r, j) == 0, m[j] || yj < 1);
        }
        for n in 0..8 {
            let o: i32 = (0..10).map(|j| h.probs.at(r, j) as i32 * v.at(j, n) as i32).sum();
            assert_eq!(h.out.at(r, n), quant.out.apply(o));
        }
    }

    /// Against float64, the output is within a few LSB: the logits' int8
    /// step, the softmax and the 7-bit probabilities each lose a little.
    #[test]
    fn a_head_is_close_to_float() {
        let sp = sm();
        let (q, k, v) = (mat(16, 32, 4), mat(40, 32, 5), mat(40, 16, 6));
        let s_scale = 1.5 / (5461.0 * (32f64).sqrt());
        let quant = AttentionQuant::new(&sp, 10, s_scale).unwrap();
        let mask = Mask { valid_len: 37, causal_base: Some(20) };
        let h = attention_head(&sp, &sp.exp2(), &q, &k, &v, &quant, &mask).unwrap();
        let f = reference_head(&q, &k, &v, s_scale, &mask);
        let worst = (0..16)
            .flat_map(|r| (0..16).map(move |n| (r, n)))
            .map(|(r, n)| (h.out.at(r, n) as f64 - f[r][n]).abs())
            .fold(0.0, f64::max);
        assert!(worst < 6.0, "max error {worst} LSB");
    }

    #[test]
    fn mismatched_shapes_are_named() {
        let sp = sm();
        let quant = AttentionQuant::new(&sp, 8, 1e-3).unwrap();
        let mask = Mask { valid_len: 4, causal_base: None };
        let e = attention_head(&sp, &sp.exp2(), &mat(2, 8, 1), &mat(4, 9, 1), &mat(4, 8, 1), &quant, &mask);
        assert!(e.unwrap_err().contains("Q is 2x8, K 4x9"));
    }
}
