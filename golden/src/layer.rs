//! A decoder-only transformer layer in integers (Llama/SmolLM2 style): the
//! specification of `serrano_runtime::layer`, which runs the GEMMs and the
//! attention on the core and the rest on the host.
//!
//! `docs/numerics.md` ("A transformer layer") states each rule in words.
//! The residual stream is int8 (one scale for the layer). For the tokens `X`
//! (T × W):
//!
//! 1. `N1 = rms_norm(X, γ1)`;
//! 2. `QKV = requant(N1 · Wqkv)` per column (the tile's rule), split into H
//!    query heads and G K/V heads of d columns each;
//! 3. RoPE on every query and key head at the tokens' positions;
//! 4. attention per head (`golden::attention`), K/V head `h / (H / G)`,
//!    against the sequence's cache and the new tokens, causal;
//! 5. `X1 = residual(X, requant(O · Wo))`;
//! 6. `N2 = rms_norm(X1, γ2)`; `GU = requant(N2 · Wgu)` (gate columns, then up);
//! 7. `Hm = swiglu(gate, up)`; `X2 = residual(X1, requant(Hm · Wd))`.
//!
//! Steps 1, 3, 5's and 7's additions and 7's SwiGLU run on the host (the
//! core has no unit for them); steps 2, 4 and the projections run on the core.

use crate::attention::{attention_head, AttentionQuant, Mask};
use crate::numeric::div_round_half_up;
use crate::softmax::SoftmaxParams;
use crate::tile::gemm::{gemm, requantize, Matrix, Requant, Requantization};

/// γ is int8 with 6 fractional bits: 64 is 1.0.
pub const GAMMA_ONE: i64 = 64;
/// The normalized value 1.0 is 32 in the int8 output (±4 RMS fit).
pub const NORM_ONE: i64 = 32;

/// `y_i = saturate_int8(round_half_up(x_i · γ_i · 32 / (64 · rms)))` with
/// `rms = max(1, isqrt(floor(Σ x² / W)))`: the RMS is an integer square root
/// (floor), the division rounds half up.
pub fn rms_norm(x: &[i8], gamma: &[i8]) -> Vec<i8> {
    let w = x.len().max(1) as i64;
    let ms = x.iter().map(|&v| (v as i64) * (v as i64)).sum::<i64>() / w;
    let rms = isqrt(ms).max(1);
    x.iter()
        .zip(gamma)
        .map(|(&v, &g)| sat8(div_round_half_up(v as i64 * g as i64 * NORM_ONE, GAMMA_ONE * rms)))
        .collect()
}

/// floor(sqrt(v)) for v ≥ 0, exactly (Newton's method on integers).
pub fn isqrt(v: i64) -> i64 {
    if v < 2 {
        return v.max(0);
    }
    let mut x = v;
    let mut y = (x + 1) / 2;
    while y < x {
        x = y;
        y = (x + v / x) / 2;
    }
    x
}

pub fn sat8(v: i64) -> i8 {
    v.clamp(-128, 127) as i8
}

/// The residual addition: `saturate_int8(x + a)`.
pub fn residual(x: &[i8], a: &[i8]) -> Vec<i8> {
    x.iter().zip(a).map(|(&x, &a)| sat8(x as i64 + a as i64)).collect()
}

/// Fractional bits of the RoPE cosines and sines.
pub const ROPE_FRAC: u32 = 14;

/// `round_half_up(2^14 · (cos, sin)(pos · θ^(−2i/d)))` for pair `i` of a head
/// of `d`. The float64 angle is rounded to 14 bits; an angle whose value
/// lies within float error of a rounding boundary could round either way on
/// another platform's `cos`, which the tests would show.
pub fn rope_coefficients(pos: usize, i: usize, d: usize, theta: f64) -> (i64, i64) {
    let angle = pos as f64 * theta.powf(-2.0 * i as f64 / d as f64);
    let q = |v: f64| (v * (1u64 << ROPE_FRAC) as f64 + 0.5).floor() as i64;
    (q(angle.cos()), q(angle.sin()))
}

/// RoPE on one head row (the "rotate half" pairing of Llama: element `i` is
/// paired with `i + d/2`): `y_i = sat8(rhu((x_i·c − x_j·s) / 2^14))`,
/// `y_j = sat8(rhu((x_i·s + x_j·c) / 2^14))`, rhu = round half up.
pub fn rope(x: &[i8], pos: usize, theta: f64) -> Vec<i8> {
    let d = x.len();
    let half = d / 2;
    let mut y = x.to_vec();
    for i in 0..half {
        let (c, s) = rope_coefficients(pos, i, d, theta);
        let (a, b) = (x[i] as i64, x[i + half] as i64);
        y[i] = sat8(div_round_half_up(a * c - b * s, 1 << ROPE_FRAC));
        y[i + half] = sat8(div_round_half_up(a * s + b * c, 1 << ROPE_FRAC));
    }
    y
}

/// The gate's int8 step: 1/16 (a gate of ±8 fits).
pub const GATE_FRAC: u32 = 4;
/// SwiGLU's output shift: `h = sat8(rhu(T[g] · u / 2^7))`.
pub const SWIGLU_SHIFT: u32 = 7;

/// `T[g] = round_half_up(16 · silu(g / 16))`, the SiLU table of every int8 gate
/// (index `g + 128`), from -4 to 127.
pub fn silu_table() -> Vec<i64> {
    (-128i64..=127)
        .map(|g| {
            let x = g as f64 / (1 << GATE_FRAC) as f64;
            let silu = x / (1.0 + (-x).exp());
            (silu * (1 << GATE_FRAC) as f64 + 0.5).floor() as i64
        })
        .collect()
}

/// `h_i = sat8(round_half_up(T[g_i] · u_i / 2^7))`.
pub fn swiglu(table: &[i64], gate: &[i8], up: &[i8]) -> Vec<i8> {
    gate.iter()
        .zip(up)
        .map(|(&g, &u)| sat8(div_round_half_up(table[(g as i64 + 128) as usize] * u as i64, 1 << SWIGLU_SHIFT)))
        .collect()
}

/// A layer's shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerShape {
    /// W: the residual stream's width.
    pub width: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub d_head: usize,
    /// F: the MLP's hidden width.
    pub ffn: usize,
    pub rope_theta: f64,
}

impl LayerShape {
    /// SmolLM2-135M's layer: width 576, 9 query heads sharing 3 K/V heads of
    /// 64, SwiGLU MLP of 1536, RoPE θ = 100,000.
    pub fn smollm2_135m() -> LayerShape {
        LayerShape { width: 576, heads: 9, kv_heads: 3, d_head: 64, ffn: 1536, rope_theta: 100_000.0 }
    }

    /// Columns of the fused QKV projection: H·d query, G·d key, G·d value.
    pub fn qkv_cols(&self) -> usize {
        (self.heads + 2 * self.kv_heads) * self.d_head
    }

    /// Weight bytes (int8): Wqkv, Wo, Wgu, Wd.
    pub fn weight_bytes(&self) -> u64 {
        let (w, f) = (self.width, self.ffn);
        (w * self.qkv_cols() + self.heads * self.d_head * w + w * 2 * f + f * w) as u64
    }
}

/// The weights and every requantization.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWeights {
    pub gamma1: Vec<i8>,
    pub wqkv: Matrix<i8>,
    pub q_qkv: Vec<Requant>,
    pub attn: AttentionQuant,
    pub wo: Matrix<i8>,
    pub q_o: Vec<Requant>,
    pub gamma2: Vec<i8>,
    /// W × 2F: the gate's F columns, then the up projection's.
    pub wgu: Matrix<i8>,
    pub q_gu: Vec<Requant>,
    pub wd: Matrix<i8>,
    pub q_d: Vec<Requant>,
}

/// One sequence's step: its new tokens and its cache before them.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerInput {
    /// T × W: the new tokens' residual stream.
    pub x: Matrix<i8>,
    /// Per K/V head, P × d: the cached keys (after RoPE) and values of
    /// positions 0..P; the new tokens are at P..P + T.
    pub k_cache: Vec<Matrix<i8>>,
    pub v_cache: Vec<Matrix<i8>>,
}

/// `rms_norm` of every row.
pub fn rms_norm_rows(x: &Matrix<i8>, gamma: &[i8]) -> Matrix<i8> {
    map_rows(x, x.cols, |r| rms_norm(r, gamma))
}

/// `f` of every row of `x`, giving rows of `cols`.
pub fn map_rows(x: &Matrix<i8>, cols: usize, f: impl Fn(&[i8]) -> Vec<i8>) -> Matrix<i8> {
    let mut y = Matrix::zeros(x.rows, cols);
    for t in 0..x.rows {
        let row: Vec<i8> = (0..x.cols).map(|c| x.at(t, c)).collect();
        for (c, v) in f(&row).into_iter().enumerate() {
            y.set(t, c, v);
        }
    }
    y
}

/// Columns `c0..c0 + n` of `x`.
pub fn columns(x: &Matrix<i8>, c0: usize, n: usize) -> Matrix<i8> {
    map_rows(x, n, |r| r[c0..c0 + n].to_vec())
}

/// Queries per head, keys and values per K/V head.
pub type Heads = (Vec<Matrix<i8>>, Vec<Matrix<i8>>, Vec<Matrix<i8>>);

/// The QKV projection's output split into heads, RoPE applied to queries
/// and keys at positions `pos0..`: (queries per head, keys and values per K/V head).
pub fn split_qkv(shape: &LayerShape, qkv: &Matrix<i8>, pos0: usize) -> Heads {
    let d = shape.d_head;
    let rot = |m: Matrix<i8>| {
        let mut y = m.clone();
        for t in 0..m.rows {
            let row: Vec<i8> = (0..d).map(|c| m.at(t, c)).collect();
            for (c, v) in rope(&row, pos0 + t, shape.rope_theta).into_iter().enumerate() {
                y.set(t, c, v);
            }
        }
        y
    };
    let q = (0..shape.heads).map(|h| rot(columns(qkv, h * d, d))).collect();
    let k0 = shape.heads * d;
    let k = (0..shape.kv_heads).map(|g| rot(columns(qkv, k0 + g * d, d))).collect();
    let v0 = k0 + shape.kv_heads * d;
    let v = (0..shape.kv_heads).map(|g| columns(qkv, v0 + g * d, d)).collect();
    (q, k, v)
}

/// Rows of `a` then rows of `b`.
pub fn stack(a: &Matrix<i8>, b: &Matrix<i8>) -> Matrix<i8> {
    let mut y = Matrix::zeros(a.rows + b.rows, a.cols.max(b.cols));
    for t in 0..a.rows + b.rows {
        for c in 0..y.cols {
            y.set(t, c, if t < a.rows { a.at_or_zero(t, c) } else { b.at_or_zero(t - a.rows, c) });
        }
    }
    y
}

/// Heads side by side: row t is head 0's row t, then head 1's, ...
pub fn concat_heads(heads: &[Matrix<i8>]) -> Matrix<i8> {
    let (rows, d) = (heads[0].rows, heads[0].cols);
    let mut y = Matrix::zeros(rows, d * heads.len());
    for (h, m) in heads.iter().enumerate() {
        for t in 0..rows {
            for c in 0..d {
                y.set(t, h * d + c, m.at(t, c));
            }
        }
    }
    y
}

fn project(x: &Matrix<i8>, w: &Matrix<i8>, q: &[Requant]) -> Result<Matrix<i8>, String> {
    let c = gemm(x, w).map_err(|e| format!("{e:?}"))?;
    Ok(requantize(&c, &Requantization::PerColumn(q.to_vec())))
}

/// Steps 1 to 7 for one sequence: the new residual stream (T × W).
pub fn forward(sp: &SoftmaxParams, shape: &LayerShape, w: &LayerWeights, s: &LayerInput) -> Result<Matrix<i8>, String> {
    let n1 = rms_norm_rows(&s.x, &w.gamma1);
    let qkv = project(&n1, &w.wqkv, &w.q_qkv)?;
    let o = attend(sp, shape, &w.attn, s, &qkv)?;
    let a = project(&o, &w.wo, &w.q_o)?;
    let x1 = residual_rows(&s.x, &a);
    let gu = project(&rms_norm_rows(&x1, &w.gamma2), &w.wgu, &w.q_gu)?;
    let hm = swiglu_rows(&gu, shape.ffn);
    let m = project(&hm, &w.wd, &w.q_d)?;
    Ok(residual_rows(&x1, &m))
}

/// Steps 3 and 4 for one sequence: RoPE on its QKV rows, attention of every
/// head against its cache and the new tokens (causal); the heads side by side (T × H·d).
pub fn attend(
    sp: &SoftmaxParams,
    shape: &LayerShape,
    quant: &AttentionQuant,
    s: &LayerInput,
    qkv: &Matrix<i8>,
) -> Result<Matrix<i8>, String> {
    let past = s.k_cache.first().map_or(0, |k| k.rows);
    let (q, k, v) = split_qkv(shape, qkv, past);
    let group = shape.heads / shape.kv_heads;
    let (t, l) = (s.x.rows, past + s.x.rows);
    let mask = Mask { valid_len: l, causal_base: Some(l - t) };
    let e = sp.exp2();
    let mut o = Vec::new();
    for (h, qh) in q.iter().enumerate() {
        let g = h / group;
        let (kk, vv) = (stack(&s.k_cache[g], &k[g]), stack(&s.v_cache[g], &v[g]));
        o.push(attention_head(sp, &e, qh, &kk, &vv, quant, &mask)?.out);
    }
    Ok(concat_heads(&o))
}

/// Rows `r0..r0 + n` of `x`.
pub fn rows(x: &Matrix<i8>, r0: usize, n: usize) -> Matrix<i8> {
    let mut y = Matrix::zeros(n, x.cols);
    for t in 0..n {
        for c in 0..x.cols {
            y.set(t, c, x.at(r0 + t, c));
        }
    }
    y
}

/// The rows of every matrix, in order (at least one matrix).
pub fn stack_all(ms: &[Matrix<i8>]) -> Matrix<i8> {
    ms.iter().skip(1).fold(ms[0].clone(), |a, b| stack(&a, b))
}

/// `residual` of every row.
pub fn residual_rows(x: &Matrix<i8>, a: &Matrix<i8>) -> Matrix<i8> {
    let mut y = Matrix::zeros(x.rows, x.cols);
    for t in 0..x.rows {
        for c in 0..x.cols {
            y.set(t, c, sat8(x.at(t, c) as i64 + a.at(t, c) as i64));
        }
    }
    y
}

/// `swiglu` of every row of the gate/up projection (F gate columns, then F up).
pub fn swiglu_rows(gu: &Matrix<i8>, ffn: usize) -> Matrix<i8> {
    let table = silu_table();
    map_rows(gu, ffn, |r| swiglu(&table, &r[..ffn], &r[ffn..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_is_the_floor_of_the_root() {
        for v in (0..100_000i64).chain([i64::MAX / 4, 16_129 * 16_129 - 1, 16_129 * 16_129]) {
            let r = isqrt(v);
            assert!(r * r <= v && (r + 1) * (r + 1) > v, "{v}: {r}");
        }
    }

    #[test]
    fn rms_norm_maps_the_rms_to_32() {
        let x: Vec<i8> = (0..64).map(|i| if i % 2 == 0 { 50 } else { -50 }).collect();
        let g = vec![64i8; 64];
        assert!(rms_norm(&x, &g).iter().all(|&y| y == 32 || y == -32));
        // γ = 2.0 doubles; an all-zero row stays zero (rms is at least 1).
        let g2 = vec![127i8; 64];
        assert_eq!(rms_norm(&x, &g2)[0], 64);
        assert!(rms_norm(&[0; 8], &[64; 8]).iter().all(|&y| y == 0));
    }

    #[test]
    fn rope_at_position_zero_is_the_identity_and_rotates_later() {
        let x: Vec<i8> = (0..16).map(|i| (i * 7 - 50) as i8).collect();
        assert_eq!(rope(&x, 0, 100_000.0), x);
        let y = rope(&x, 3, 100_000.0);
        assert_ne!(y, x);
        // Pair 0 turns by 3 radians: (x0, x8) = (-50, 6) becomes about (48.65, -13.0).
        assert_eq!((y[0], y[8]), (49, -13));
    }

    #[test]
    fn swiglu_follows_silu() {
        let t = silu_table();
        assert_eq!((t[128], t[128 + 16], t[128 + 127]), (0, 12, 127));
        assert_eq!(*t.iter().min().unwrap(), -4);
        assert_eq!(swiglu(&t, &[16, -16, -128], &[100, 100, 100]), vec![9, -3, 0]);
    }
}
