//! The float reference of SmolLM2-135M (`docs/llm.md`, "The float
//! reference"): the model evaluated on its dequantized weights, with no
//! quantization of its own. Issue 15 uses it only to measure how often the
//! core's int8 evaluation picks the same next token
//! (`top1_agreement_float`); it is not the spec of anything the core computes.
//!
//! Arithmetic: the weights are the f32 values the file's blocks decode to;
//! every activation, sum, norm, RoPE angle and softmax is f64. Widening f32
//! to f64 is exact, so this is the f64 evaluation of the stored weights the
//! issue asks for, and its rounding error (about 1e-13 relative) is far below
//! any difference the int8 path could make: a disagreement on the top token
//! is the int8 path's, not the reference's.
//!
//! RoPE rotates adjacent pairs `(2i, 2i+1)` of each head by `pos·θ^(-2i/d)`
//! (ggml's "normal" mode): llama.cpp's converter permutes the Q and K rows of
//! Llama models from Hugging Face's half-split layout into this one.
//!
//! RMSNorm, RoPE, SwiGLU and argmax are `golden::llm::host`'s, the same
//! functions the int8 model's host steps use.

use std::fmt;

use golden::llm::host::{self, rms_norm, rope, rope_inv_freq, swiglu};

use super::weights::{HyperParams, Matrix, Weights};

/// Bad input to the float model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatModelError(pub String);

impl fmt::Display for FloatModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FloatModelError {}

/// The float reference with its KV cache.
#[derive(Debug, Clone)]
pub struct FloatModel<'w> {
    w: &'w Weights,
    /// How many layers run (issue 15's `--layers K`); the final norm and the
    /// LM head always do.
    layers: usize,
    /// Per layer, the keys and values of every position so far, each
    /// position `kv_dim` wide, RoPE already applied to the keys.
    keys: Vec<Vec<f64>>,
    values: Vec<Vec<f64>>,
    /// Positions run so far: kept apart from the caches, which are empty
    /// when no layer runs.
    len: usize,
    /// `θ^(-2i/d)` for each pair `i` of a head.
    inv_freq: Vec<f64>,
}

/// `out = W·x` with f64 sums. Four accumulators let the additions overlap
/// (one chain would wait on each add); the order is fixed, so results are
/// reproducible.
fn matvec(m: &Matrix, x: &[f64], out: &mut [f64]) {
    debug_assert_eq!((x.len(), out.len()), (m.cols, m.rows));
    for (r, o) in out.iter_mut().enumerate() {
        let row = m.row(r);
        let mut acc = [0f64; 4];
        let (body, tail) = row.split_at(row.len() / 4 * 4);
        for (w4, x4) in body.chunks_exact(4).zip(x.chunks_exact(4)) {
            for k in 0..4 {
                acc[k] += w4[k] as f64 * x4[k];
            }
        }
        let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (w, xi) in tail.iter().zip(&x[body.len()..]) {
            sum += *w as f64 * xi;
        }
        *o = sum;
    }
}

fn mat(m: &Matrix, x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; m.rows];
    matvec(m, x, &mut out);
    out
}

/// What [`FloatModel::forward_observed`] shows of one layer at one position:
/// the queries after RoPE (`n_heads · head_dim`), the layer's whole cache
/// (keys after RoPE and values, `kv_dim` per position so far), and the
/// inputs of its linear layers: the attention norm's output (Q, K, V), the
/// attention's output (O), the feed-forward norm's output (gate, up) and
/// `silu(gate)·up` (down).
#[derive(Clone, Copy, Debug)]
pub struct LayerView<'a> {
    pub layer: usize,
    pub q: &'a [f64],
    pub keys: &'a [f64],
    pub values: &'a [f64],
    pub attn_in: &'a [f64],
    pub o_in: &'a [f64],
    pub ffn_in: &'a [f64],
    pub down_in: &'a [f64],
}

impl<'w> FloatModel<'w> {
    /// All layers, an empty cache.
    pub fn new(weights: &'w Weights) -> FloatModel<'w> {
        let hp = &weights.hp;
        FloatModel {
            w: weights,
            layers: hp.n_layers,
            keys: vec![Vec::new(); hp.n_layers],
            values: vec![Vec::new(); hp.n_layers],
            len: 0,
            inv_freq: rope_inv_freq(hp.head_dim, hp.rope_base as f64),
        }
    }

    /// Only the first `layers` layers (0..=n_layers), then the final norm and
    /// the LM head. The cache is emptied.
    pub fn with_layers(weights: &'w Weights, layers: usize) -> Result<FloatModel<'w>, FloatModelError> {
        let n = weights.hp.n_layers;
        if layers > n {
            return Err(FloatModelError(format!("layers is {layers}: the model has {n}, so it must be in 0..={n}")));
        }
        let mut m = FloatModel::new(weights);
        m.layers = layers;
        Ok(m)
    }

    pub fn hyper_params(&self) -> &HyperParams {
        &self.w.hp
    }

    /// The layers that run.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// The number of positions in the cache (the next `forward`'s `pos`).
    pub fn position(&self) -> usize {
        self.len
    }

    /// Empty the cache.
    pub fn reset(&mut self) {
        self.keys.iter_mut().chain(self.values.iter_mut()).for_each(Vec::clear);
        self.len = 0;
    }

    /// Run `token` at position `pos` (which must be [`position`](Self::position):
    /// the cache is appended to), returning the logits over the vocabulary.
    pub fn forward(&mut self, token: u32, pos: usize) -> Result<Vec<f32>, FloatModelError> {
        Ok(self.forward_f64(token, pos)?.iter().map(|&v| v as f32).collect())
    }

    /// [`forward`](Self::forward) with the logits as computed, in f64.
    pub fn forward_f64(&mut self, token: u32, pos: usize) -> Result<Vec<f64>, FloatModelError> {
        self.forward_observed(token, pos, |_| {})
    }

    /// [`forward_f64`](Self::forward_f64), showing each layer's attention
    /// and linear layers' inputs to `observe` (calibration measures their ranges).
    pub fn forward_observed(
        &mut self,
        token: u32,
        pos: usize,
        observe: impl FnMut(LayerView),
    ) -> Result<Vec<f64>, FloatModelError> {
        let x = self.run_layers(token, pos, observe)?;
        let h = rms_norm(&x, &self.w.output_norm, self.w.hp.rms_eps as f64);
        Ok(mat(self.w.lm_head(), &h))
    }

    /// The layers only (no final norm nor LM head: calibration needs no
    /// logits), appending to the cache; returns the residual stream.
    pub fn run_layers(
        &mut self,
        token: u32,
        pos: usize,
        mut observe: impl FnMut(LayerView),
    ) -> Result<Vec<f64>, FloatModelError> {
        let hp = &self.w.hp;
        if token as usize >= hp.vocab {
            return Err(FloatModelError(format!("token is {token}: must be in 0..{}", hp.vocab)));
        }
        if pos != self.position() {
            return Err(FloatModelError(format!(
                "pos is {pos}: the cache holds {0} positions, so the next must be {0}",
                self.position()
            )));
        }
        if pos >= hp.context_len {
            return Err(FloatModelError(format!("pos is {pos}: must be in 0..{} (context length)", hp.context_len)));
        }
        let mut x: Vec<f64> = self.w.token_embd.row(token as usize).iter().map(|&v| v as f64).collect();
        for l in 0..self.layers {
            self.layer(l, pos, &mut x, &mut observe);
        }
        self.len += 1;
        Ok(x)
    }

    /// One transformer layer on the residual stream `x` at position `pos`.
    fn layer(&mut self, l: usize, pos: usize, x: &mut [f64], observe: &mut impl FnMut(LayerView)) {
        let hp = &self.w.hp;
        let lw = &self.w.layers[l];
        let eps = hp.rms_eps as f64;
        let (hd, kv_dim) = (hp.head_dim, hp.kv_dim());
        let group = hp.n_heads / hp.n_kv_heads;

        let h = rms_norm(x, &lw.attn_norm, eps);
        let mut q = mat(&lw.attn_q, &h);
        let mut k = mat(&lw.attn_k, &h);
        rope(&mut q, hd, pos, &self.inv_freq);
        rope(&mut k, hd, pos, &self.inv_freq);
        self.keys[l].extend_from_slice(&k);
        self.values[l].extend_from_slice(&mat(&lw.attn_v, &h));
        let (keys, values) = (&self.keys[l], &self.values[l]);

        // Causal by construction: the cache holds positions 0..=pos only.
        let scale = 1.0 / (hd as f64).sqrt();
        let mut attn = vec![0.0; hp.dim];
        let mut scores = vec![0.0; pos + 1];
        for head in 0..hp.n_heads {
            let qh = &q[head * hd..(head + 1) * hd];
            let kv_off = head / group * hd;
            for (t, s) in scores.iter_mut().enumerate() {
                let kt = &keys[t * kv_dim + kv_off..][..hd];
                *s = qh.iter().zip(kt).map(|(a, b)| a * b).sum::<f64>() * scale;
            }
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            scores.iter_mut().for_each(|s| *s = (*s - max).exp());
            let total: f64 = scores.iter().sum();
            let out = &mut attn[head * hd..(head + 1) * hd];
            for (t, p) in scores.iter().enumerate() {
                let vt = &values[t * kv_dim + kv_off..][..hd];
                out.iter_mut().zip(vt).for_each(|(o, v)| *o += p / total * v);
            }
        }
        x.iter_mut().zip(mat(&lw.attn_output, &attn)).for_each(|(xi, a)| *xi += a);

        let h2 = rms_norm(x, &lw.ffn_norm, eps);
        let gated = swiglu(&mat(&lw.ffn_gate, &h2), &mat(&lw.ffn_up, &h2));
        x.iter_mut().zip(mat(&lw.ffn_down, &gated)).for_each(|(xi, d)| *xi += d);
        let view = LayerView { layer: l, q: &q, keys, values, attn_in: &h, o_in: &attn, ffn_in: &h2, down_in: &gated };
        observe(view);
    }

    /// Empty the cache, run `prompt`, then pick the highest logit `n` times
    /// (the lowest id on a tie), feeding each pick back. Returns the `n` new
    /// ids (the prompt not included).
    pub fn generate_greedy(&mut self, prompt: &[u32], n: usize) -> Result<Vec<u32>, FloatModelError> {
        if prompt.is_empty() {
            return Err(FloatModelError("prompt is empty: greedy generation needs at least one token".into()));
        }
        let ctx = self.w.hp.context_len;
        // The last new token is returned, never run: it needs no position.
        let positions = prompt.len() + n.max(1) - 1;
        if positions > ctx {
            return Err(FloatModelError(format!(
                "prompt of {} tokens plus {n} new ones needs {positions} positions: more than the context length {ctx}",
                prompt.len()
            )));
        }
        self.reset();
        let mut logits = Vec::new();
        for (pos, &t) in prompt.iter().enumerate() {
            logits = self.forward_f64(t, pos)?;
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let next = argmax(&logits);
            out.push(next);
            if i + 1 < n {
                logits = self.forward_f64(next, prompt.len() + i)?;
            }
        }
        Ok(out)
    }
}

/// The index of the largest value, the first on a tie.
pub fn argmax(values: &[f64]) -> u32 {
    host::argmax(values)
}
