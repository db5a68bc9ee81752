//! Symmetric int8 quantization of a float model's weights and activations
//! for the core's GEMMs (`docs/numerics.md`, "SmolLM2-135M on the core").
//!
//! One rule everywhere: a group of values with largest magnitude `m` gets the
//! scale `s = m / 127` (`s = 1` for an all-zero group, whose codes are all
//! zero anyway), and each value `v` the code
//! `clamp(round_half_away_from_zero(v / s), −127, 127)`. −128 is never used,
//! so negation stays exact and a code's magnitude never exceeds 127. All of
//! it in f64: `m / 127` and `v / s` are correctly rounded f64 operations.
//!
//! Weights: one scale per output channel (a row of `W` in `y = W·x`).
//! Activations into a GEMM: one scale per token (a row of `X`), computed on
//! the host from the values themselves. Attention's Q, K and V use static
//! scales ([`quantize_static`]) fixed by calibration.
//!
//! The core multiplies `X8 · W8ᵀ` in int32 (exact: 576 or 1536 products of
//! magnitude ≤ 127² stay far below 2³¹); the host dequantizes
//! `y = (acc · s_x[row]) · s_w[col]` in f64, in that order.

use crate::tile::gemm::{gemm, Matrix};

/// The largest code: symmetric, so −128 is unused.
pub const Q_MAX: f64 = 127.0;

/// The scale of a group whose largest magnitude is `max_abs`.
pub fn scale_for(max_abs: f64) -> f64 {
    if max_abs > 0.0 {
        max_abs / Q_MAX
    } else {
        1.0
    }
}

/// The code of `v` on scale `s`: round half away from zero, saturate to
/// ±127 (values beyond a static scale's range saturate). A NaN gives 0.
pub fn quantize(v: f64, s: f64) -> i8 {
    let q = (v / s).round();
    if q.is_nan() {
        0
    } else {
        q.clamp(-Q_MAX, Q_MAX) as i8
    }
}

/// The largest magnitude of `values` (0 for none).
pub fn max_abs<T: Copy + Into<f64>>(values: &[T]) -> f64 {
    values.iter().fold(0.0, |m, &v| f64::max(m, v.into().abs()))
}

/// A linear layer's weights as the core's GEMM operand.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantWeights {
    /// `W8ᵀ`, `in × out` (K × N): the tile's B operand, so `X8 · w` is the
    /// layer's output.
    pub w: Matrix<i8>,
    /// One scale per output channel (column of `w`).
    pub scales: Vec<f64>,
}

impl QuantWeights {
    /// Per-output-channel quantization of the `out × in` row-major f32
    /// matrix `data` (row `j` holds output `j`'s weights).
    pub fn new(out: usize, inp: usize, data: &[f32]) -> Result<QuantWeights, String> {
        QuantWeights::smoothed(out, inp, data, &vec![1.0; inp])
    }

    /// [`new`](Self::new) of the weights with input column `i` multiplied by
    /// `f[i]` (in f64) first: SmoothQuant's migration of an activation
    /// channel's range into the weights (the host divides that channel by
    /// `f[i]`, [`smooth`]).
    pub fn smoothed(out: usize, inp: usize, data: &[f32], f: &[f64]) -> Result<QuantWeights, String> {
        if data.len() != out * inp || out == 0 || inp == 0 || f.len() != inp {
            return Err(format!(
                "weights: {} values and {} factors for a {out} × {inp} matrix (both sizes at least 1)",
                data.len(),
                f.len()
            ));
        }
        let mut w = Matrix::zeros(inp, out);
        let mut scales = Vec::with_capacity(out);
        for (j, row) in data.chunks_exact(inp).enumerate() {
            let row: Vec<f64> = row.iter().zip(f).map(|(&v, &fi)| v as f64 * fi).collect();
            let s = scale_for(max_abs(&row));
            for (i, &v) in row.iter().enumerate() {
                w.set(i, j, quantize(v, s));
            }
            scales.push(s);
        }
        Ok(QuantWeights { w, scales })
    }

    /// Inputs (K).
    pub fn inputs(&self) -> usize {
        self.w.rows
    }

    /// Outputs (N).
    pub fn outputs(&self) -> usize {
        self.w.cols
    }
}

/// SmoothQuant's factor with α = 1/2 for an input channel whose activations
/// reach `act_max` and whose weights (over every matrix that reads it) reach
/// `w_max`: `f = sqrt(act_max / w_max)`, which leaves both with the range
/// `sqrt(act_max · w_max)`; 1 when either is 0 (nothing to balance).
pub fn smoothing_factor(act_max: f64, w_max: f64) -> f64 {
    if act_max > 0.0 && w_max > 0.0 {
        (act_max / w_max).sqrt()
    } else {
        1.0
    }
}

/// Host: every row's channel `i` divided by `f[i]`.
pub fn smooth(rows: &[Vec<f64>], f: &[f64]) -> Vec<Vec<f64>> {
    rows.iter().map(|r| r.iter().zip(f).map(|(v, fi)| v / fi).collect()).collect()
}

/// Activations quantized per token: the GEMM's A operand and its row scales.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantRows {
    pub x: Matrix<i8>,
    pub scales: Vec<f64>,
}

/// Per-row dynamic quantization of `rows` vectors of equal length.
pub fn quantize_rows(rows: &[Vec<f64>]) -> QuantRows {
    let cols = rows.first().map_or(0, Vec::len);
    let mut x = Matrix::zeros(rows.len(), cols);
    let mut scales = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), cols, "quantize_rows: row {r} has {} values, row 0 {cols}", row.len());
        let s = scale_for(max_abs(row));
        row.iter().enumerate().for_each(|(c, &v)| x.set(r, c, quantize(v, s)));
        scales.push(s);
    }
    QuantRows { x, scales }
}

/// `values` on one static scale `s`.
pub fn quantize_static(values: &[f64], s: f64) -> Vec<i8> {
    values.iter().map(|&v| quantize(v, s)).collect()
}

/// `(acc · s_rows[r]) · s_cols[c]` for every element.
pub fn dequantize(acc: &Matrix<i32>, s_rows: &[f64], s_cols: &[f64]) -> Vec<Vec<f64>> {
    (0..acc.rows).map(|r| (0..acc.cols).map(|c| acc.at(r, c) as f64 * s_rows[r] * s_cols[c]).collect()).collect()
}

/// The core's step of a linear layer: `X8 · W8ᵀ` in int32 (the tile's GEMM).
pub fn linear_acc(x: &QuantRows, w: &QuantWeights) -> Result<Matrix<i32>, String> {
    gemm(&x.x, &w.w).map_err(|e| e.to_string())
}

/// A linear layer as host quantization, core GEMM and host dequantization,
/// on already-quantized inputs (several layers share one input).
pub fn linear(x: &QuantRows, w: &QuantWeights) -> Result<Vec<Vec<f64>>, String> {
    Ok(dequantize(&linear_acc(x, w)?, &x.scales, &w.scales))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_by_hand() {
        // Largest magnitude 2.54 → s = 0.02; 0.01 / 0.02 = 0.5 rounds away to 1.
        let s = scale_for(2.54);
        assert_eq!(s, 2.54 / 127.0);
        assert_eq!(quantize(2.54, s), 127);
        assert_eq!(quantize(-2.54, s), -127);
        assert_eq!(quantize(0.03, 0.02), 2); // 1.5 away from zero
        assert_eq!(quantize(-0.03, 0.02), -2);
        assert_eq!(quantize(0.029, 0.02), 1);
        assert_eq!(quantize(100.0, 0.02), 127); // saturates
        assert_eq!(quantize(-100.0, 0.02), -127); // never −128
        assert_eq!(quantize(f64::NAN, 0.02), 0);
        assert_eq!(scale_for(0.0), 1.0);
    }

    #[test]
    fn weights_per_output_channel() {
        // Two outputs of three inputs; the second row is all zero.
        let q = QuantWeights::new(2, 3, &[1.0, -0.5, 0.25, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(q.scales, vec![1.0 / 127.0, 1.0]);
        assert_eq!((q.inputs(), q.outputs()), (3, 2));
        // Transposed: column 0 is output 0. 0.5·127 = 63.5 → −64, 0.25·127 = 31.75 → 32.
        assert_eq!(q.w.data, vec![127, 0, -64, 0, 32, 0]);
        assert!(QuantWeights::new(2, 3, &[0.0; 5]).unwrap_err().contains("5 values and 3 factors for a 2 × 3"));
        // Column 1 doubled: row 0 becomes (1, −1, 0.25), its largest magnitude 1.
        let s = QuantWeights::smoothed(2, 3, &[1.0, -0.5, 0.25, 0.0, 0.0, 0.0], &[1.0, 2.0, 1.0]).unwrap();
        assert_eq!(s.w.data, vec![127, 0, -127, 0, 32, 0]);
    }

    #[test]
    fn smoothing_balances_ranges() {
        assert_eq!(smoothing_factor(16.0, 0.25), 8.0); // both ranges become 2
        assert_eq!(smoothing_factor(0.0, 0.25), 1.0);
        assert_eq!(smoothing_factor(3.0, 0.0), 1.0);
        assert_eq!(smooth(&[vec![8.0, -3.0]], &[8.0, 2.0]), vec![vec![1.0, -1.5]]);
    }

    #[test]
    fn rows_gemm_and_dequantization() {
        let x = quantize_rows(&[vec![0.5, -1.0], vec![0.0, 0.0]]);
        assert_eq!(x.x.data, vec![64, -127, 0, 0]); // 63.5 → 64
        assert_eq!(x.scales, vec![1.0 / 127.0, 1.0]);
        let w = QuantWeights::new(1, 2, &[2.0, 2.0]).unwrap();
        let acc = linear_acc(&x, &w).unwrap();
        assert_eq!(acc.data, vec![(64 - 127) * 127, 0]);
        let y = linear(&x, &w).unwrap();
        assert_eq!(y, vec![vec![-8001.0 * (1.0 / 127.0) * (2.0 / 127.0)], vec![0.0]]);
        assert!((y[0][0] - (-126.0 / 127.0)).abs() < 1e-12); // 0.5 became 64/127: (64 − 127)·2/127
        assert_eq!(quantize_static(&[0.1, -0.3, 9.0], 0.1), vec![1, -3, 90]);
    }
}
