//! The host's float operations of a Llama-architecture model
//! (`docs/numerics.md`, "SmolLM2-135M on the core"): RMSNorm, RoPE, SwiGLU's
//! gating and the greedy pick. Both the float reference
//! (`runtime::llm::FloatModel`) and the int8 model ([`super::model`]) call
//! these, so the two evaluations differ only where the core computes.
//!
//! Everything is f64: the stored weights are f32 (widened exactly), and the
//! host has no reason to round its few operations per token more coarsely.

/// `x / sqrt(mean(x²) + ε) · g`, the mean summed in index order.
pub fn rms_norm(x: &[f64], gain: &[f32], eps: f64) -> Vec<f64> {
    let mean_sq = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    let scale = 1.0 / (mean_sq + eps).sqrt();
    x.iter().zip(gain).map(|(v, &g)| v * scale * g as f64).collect()
}

/// RoPE's frequencies `θ^(-2i/d)` for the pairs `i` of a head of `head_dim`.
pub fn rope_inv_freq(head_dim: usize, base: f64) -> Vec<f64> {
    (0..head_dim / 2).map(|i| base.powf(-2.0 * i as f64 / head_dim as f64)).collect()
}

/// Rotate each head's adjacent pairs `(2i, 2i+1)` in place by
/// `pos · inv_freq[i]` (ggml's "normal" RoPE mode).
pub fn rope(v: &mut [f64], head_dim: usize, pos: usize, inv_freq: &[f64]) {
    for head in v.chunks_exact_mut(head_dim) {
        for (i, pair) in head.chunks_exact_mut(2).enumerate() {
            let (sin, cos) = (pos as f64 * inv_freq[i]).sin_cos();
            let (a, b) = (pair[0], pair[1]);
            pair[0] = a * cos - b * sin;
            pair[1] = a * sin + b * cos;
        }
    }
}

/// `silu(gate) · up = gate / (1 + e^-gate) · up`, SwiGLU's gating.
pub fn swiglu(gate: &[f64], up: &[f64]) -> Vec<f64> {
    gate.iter().zip(up).map(|(&g, &u)| g / (1.0 + (-g).exp()) * u).collect()
}

/// The index of the largest value, the first on a tie (NaN never wins).
pub fn argmax<T: PartialOrd + Copy>(values: &[T]) -> u32 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_by_hand() {
        // mean(9, 16) = 12.5; 1/sqrt(12.5 + 0.5) applied, then the gains.
        let y = rms_norm(&[3.0, -4.0], &[1.0, 2.0], 0.5);
        let s = 1.0 / 13f64.sqrt();
        assert_eq!(y, vec![3.0 * s, -4.0 * s * 2.0]);
    }

    #[test]
    fn rope_rotates_pairs() {
        let f = rope_inv_freq(4, 100.0);
        assert_eq!(f, vec![1.0, 0.1]);
        let mut v = vec![1.0, 0.0, 0.0, 2.0];
        rope(&mut v, 4, 0, &f);
        assert_eq!(v, vec![1.0, 0.0, 0.0, 2.0]);
        rope(&mut v, 4, 3, &f);
        let want = [3f64.cos(), 3f64.sin(), -2.0 * 0.3f64.sin(), 2.0 * 0.3f64.cos()];
        v.iter().zip(want).for_each(|(a, b)| assert!((a - b).abs() < 1e-15));
    }

    #[test]
    fn swiglu_and_argmax() {
        assert_eq!(swiglu(&[0.0, 2.0], &[5.0, 3.0]), vec![0.0, 2.0 / (1.0 + (-2f64).exp()) * 3.0]);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, -1.0]), 1);
        assert_eq!(argmax(&[2.5f32]), 0);
    }
}
