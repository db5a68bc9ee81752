//! SmolLM2-135M (any Llama-architecture model) as the core computes it: the
//! specification of the int8 evaluation (`docs/numerics.md`, "SmolLM2-135M
//! on the core").
//!
//! A forward is a fixed sequence of named steps. Core steps go through the
//! [`CoreSteps`] trait: the int8 GEMM with int32 results for every linear
//! layer, and attention over the int8 KV cache. [`GoldenCore`] implements
//! them with the golden primitives the core implements (the tile's GEMM,
//! [`attention_head`](crate::attention::attention_head)); a runtime implements them on a core, and because
//! there is one forward ([`QuantModel::forward_on`]) its logits are
//! comparable with golden's bit for bit. Host steps are the functions named
//! `host_*` here and in [`super::host`], all in f64.
//!
//! The model here takes plain f32 matrices in (no runtime types): the weights
//! are quantized once by [`QuantModel::new`], with the static attention
//! scales derived from calibrated maxima ([`LayerCalibration`]).

pub use super::core_steps::{AttentionStep, CoreSteps, GoldenCore};
use super::host::{argmax, rms_norm, rope, rope_inv_freq, swiglu};
use super::quant::{
    dequantize, quantize_rows, quantize_static, scale_for, smooth, smoothing_factor, QuantRows, QuantWeights,
};
use crate::attention::{AttentionQuant, Mask};
use crate::softmax::{Exp2, SoftmaxParams};
use crate::tile::gemm::{Matrix, MAX_SHIFT};

/// A linear layer: the core's int32 GEMM between the host's quantization
/// and dequantization.
fn linear<C: CoreSteps + ?Sized>(core: &mut C, x: &QuantRows, w: &QuantWeights) -> Result<Vec<Vec<f64>>, String> {
    Ok(dequantize(&core.gemm_i32(&x.x, &w.w)?, &x.scales, &w.scales))
}

/// The model's shape and host constants.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub n_layers: usize,
    pub dim: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
    pub ff_dim: usize,
    pub vocab: usize,
    pub rope_base: f64,
    pub rms_eps: f64,
    pub context_len: usize,
}

impl Shape {
    pub fn kv_dim(&self) -> usize {
        self.n_kv_heads * self.head_dim
    }

    fn validate(&self) -> Result<(), String> {
        let sizes = [self.n_layers, self.dim, self.n_heads, self.n_kv_heads, self.ff_dim, self.vocab, self.context_len];
        if sizes.contains(&0) {
            return Err(format!("shape {self:?}: every size must be at least 1"));
        }
        if self.n_heads * self.head_dim != self.dim || !self.head_dim.is_multiple_of(2) {
            return Err(format!(
                "shape: head_dim {} times n_heads {} must equal dim {}, and head_dim must be even",
                self.head_dim, self.n_heads, self.dim
            ));
        }
        if !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return Err(format!("shape: n_kv_heads {} must divide n_heads {}", self.n_kv_heads, self.n_heads));
        }
        Ok(())
    }
}

/// A row-major f32 matrix, `rows × cols` (a weight matrix has one row per output).
#[derive(Clone, Copy, Debug)]
pub struct F32Matrix<'a> {
    pub rows: usize,
    pub cols: usize,
    pub data: &'a [f32],
}

/// One layer's float weights.
#[derive(Clone, Debug)]
pub struct LayerInput<'a> {
    pub attn_norm: &'a [f32],
    pub attn_q: F32Matrix<'a>,
    pub attn_k: F32Matrix<'a>,
    pub attn_v: F32Matrix<'a>,
    pub attn_output: F32Matrix<'a>,
    pub ffn_norm: &'a [f32],
    pub ffn_gate: F32Matrix<'a>,
    pub ffn_up: F32Matrix<'a>,
    pub ffn_down: F32Matrix<'a>,
}

/// The float model to quantize. `layers` may hold fewer than
/// `shape.n_layers` layers: only those run (issue 15's `--layers K`), then
/// the final norm and the LM head.
#[derive(Clone, Debug)]
pub struct ModelInput<'a> {
    pub shape: Shape,
    pub token_embd: F32Matrix<'a>,
    pub output_norm: &'a [f32],
    /// `vocab × dim`; the embedding itself when the model ties them.
    pub lm_head: F32Matrix<'a>,
    pub layers: Vec<LayerInput<'a>>,
}

/// One layer's calibrated maxima (largest magnitudes seen by the float
/// evaluation of the calibration text): Q after RoPE per query head, K after
/// RoPE and V per key/value head, the real attention logit `q·k/√d` per
/// query head over every causal pair, and per channel the inputs of the
/// linear layers (attention norm's output, attention output, feed-forward
/// norm's output, `silu(gate)·up`), which set the smoothing factors.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerCalibration {
    pub q_max: Vec<f64>,
    pub k_max: Vec<f64>,
    pub v_max: Vec<f64>,
    pub logit_max: Vec<f64>,
    pub attn_in_max: Vec<f64>,
    pub o_in_max: Vec<f64>,
    pub ffn_in_max: Vec<f64>,
    pub down_in_max: Vec<f64>,
}

/// One layer's static attention quantization, derived from its calibration.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerAttnQuant {
    /// Scales of Q (per query head), K and V (per key/value head).
    pub s_q: Vec<f64>,
    pub s_k: Vec<f64>,
    pub s_v: Vec<f64>,
    /// Per query head: the shift of S to int8 logits and the head's
    /// [`AttentionQuant`].
    pub logit_shift: Vec<u32>,
    pub quant: Vec<AttentionQuant>,
}

/// The smallest shift `s` with `max_s ≤ 127 · 2^s`: int8 logits then cover
/// the calibrated range (larger ones saturate).
pub fn logit_shift_for(max_s: f64) -> Result<u32, String> {
    (0..=MAX_SHIFT)
        .find(|&s| max_s <= 127.0 * (1u64 << s) as f64)
        .ok_or_else(|| format!("logit range {max_s} LSB of S needs a shift above {MAX_SHIFT}"))
}

impl LayerAttnQuant {
    pub fn new(sp: &SoftmaxParams, shape: &Shape, cal: &LayerCalibration) -> Result<LayerAttnQuant, String> {
        let (h, kv) = (shape.n_heads, shape.n_kv_heads);
        let lens = [cal.q_max.len(), cal.k_max.len(), cal.v_max.len(), cal.logit_max.len()];
        if lens != [h, kv, kv, h] {
            return Err(format!(
                "calibration has {lens:?} maxima for q, k, v, logits: the model needs [{h}, {kv}, {kv}, {h}]"
            ));
        }
        let all = cal.q_max.iter().chain(&cal.k_max).chain(&cal.v_max).chain(&cal.logit_max);
        if let Some(bad) = all.copied().find(|m| !(m.is_finite() && *m >= 0.0)) {
            return Err(format!("calibration maximum {bad}: must be finite and at least 0"));
        }
        let s_q: Vec<f64> = cal.q_max.iter().map(|&m| scale_for(m)).collect();
        let s_k: Vec<f64> = cal.k_max.iter().map(|&m| scale_for(m)).collect();
        let s_v: Vec<f64> = cal.v_max.iter().map(|&m| scale_for(m)).collect();
        let (mut logit_shift, mut quant) = (Vec::new(), Vec::new());
        for head in 0..h {
            let s_scale = s_q[head] * s_k[head / (h / kv)] / (shape.head_dim as f64).sqrt();
            let shift = logit_shift_for(cal.logit_max[head] / s_scale)?;
            quant.push(AttentionQuant::new(sp, shift, s_scale).map_err(|e| format!("head {head}: {e}"))?);
            logit_shift.push(shift);
        }
        Ok(LayerAttnQuant { s_q, s_k, s_v, logit_shift, quant })
    }
}

/// One layer quantized. Each `smooth_*` holds the smoothing factors of one
/// input (the attention norm's output for Q, K, V; the attention output for
/// O; the feed-forward norm's output for gate and up; `silu(gate)·up` for
/// down): the weights were quantized with their columns multiplied by them,
/// and the host divides the activations by them before quantizing.
#[derive(Clone, Debug)]
pub struct QuantLayer {
    pub smooth_attn: Vec<f64>,
    pub smooth_o: Vec<f64>,
    pub smooth_ffn: Vec<f64>,
    pub smooth_down: Vec<f64>,
    pub attn_norm: Vec<f32>,
    pub wq: QuantWeights,
    pub wk: QuantWeights,
    pub wv: QuantWeights,
    pub wo: QuantWeights,
    pub ffn_norm: Vec<f32>,
    pub w_gate: QuantWeights,
    pub w_up: QuantWeights,
    pub w_down: QuantWeights,
    pub attn: LayerAttnQuant,
}

/// The whole model as the core runs it.
#[derive(Clone, Debug)]
pub struct QuantModel {
    pub shape: Shape,
    pub sp: SoftmaxParams,
    pub(crate) exp2: Exp2,
    /// `vocab × dim` f32: the embedding look-up is a host step.
    token_embd: Vec<f32>,
    pub output_norm: Vec<f32>,
    pub lm_head: QuantWeights,
    pub layers: Vec<QuantLayer>,
    inv_freq: Vec<f64>,
}

fn weights(m: &F32Matrix, rows: usize, cols: usize, f: &[f64], what: &str) -> Result<QuantWeights, String> {
    if (m.rows, m.cols) != (rows, cols) {
        return Err(format!("{what} is {}×{}: the shape needs {rows}×{cols}", m.rows, m.cols));
    }
    QuantWeights::smoothed(rows, cols, m.data, f).map_err(|e| format!("{what}: {e}"))
}

/// The smoothing factors of an input with calibrated channel maxima
/// `act_max`, read by the matrices `mats` (all `· × act_max.len()`).
fn smoothing(act_max: &[f64], mats: &[&F32Matrix], what: &str) -> Result<Vec<f64>, String> {
    let n = act_max.len();
    if let Some(m) = mats.iter().find(|m| m.cols != n || m.data.len() != m.rows * n) {
        return Err(format!("{what}: {} channel maxima for a matrix of {} inputs", n, m.cols));
    }
    if let Some(bad) = act_max.iter().find(|m| !(m.is_finite() && **m >= 0.0)) {
        return Err(format!("{what}: calibrated maximum {bad} must be finite and at least 0"));
    }
    let mut w_max = vec![0f64; n];
    for m in mats {
        for row in m.data.chunks_exact(n) {
            row.iter().zip(&mut w_max).for_each(|(&v, w)| *w = w.max((v as f64).abs()));
        }
    }
    Ok(act_max.iter().zip(&w_max).map(|(&a, &w)| smoothing_factor(a, w)).collect())
}

fn gain(g: &[f32], dim: usize, what: &str) -> Result<Vec<f32>, String> {
    if g.len() != dim {
        return Err(format!("{what} has {} gains: the shape needs {dim}", g.len()));
    }
    Ok(g.to_vec())
}

impl QuantLayer {
    fn new(l: usize, w: &LayerInput, cal: &LayerCalibration, sp: &SoftmaxParams, s: &Shape) -> Result<Self, String> {
        let (d, kv, ff) = (s.dim, s.kv_dim(), s.ff_dim);
        let name = |t: &str| format!("layer {l} {t}");
        let fa = smoothing(&cal.attn_in_max, &[&w.attn_q, &w.attn_k, &w.attn_v], &name("attention input"))?;
        let fo = smoothing(&cal.o_in_max, &[&w.attn_output], &name("attention output"))?;
        let ff_in = smoothing(&cal.ffn_in_max, &[&w.ffn_gate, &w.ffn_up], &name("feed-forward input"))?;
        let fd = smoothing(&cal.down_in_max, &[&w.ffn_down], &name("down input"))?;
        Ok(QuantLayer {
            attn_norm: gain(w.attn_norm, d, &name("attn_norm"))?,
            wq: weights(&w.attn_q, d, d, &fa, &name("attn_q"))?,
            wk: weights(&w.attn_k, kv, d, &fa, &name("attn_k"))?,
            wv: weights(&w.attn_v, kv, d, &fa, &name("attn_v"))?,
            wo: weights(&w.attn_output, d, d, &fo, &name("attn_output"))?,
            ffn_norm: gain(w.ffn_norm, d, &name("ffn_norm"))?,
            w_gate: weights(&w.ffn_gate, ff, d, &ff_in, &name("ffn_gate"))?,
            w_up: weights(&w.ffn_up, ff, d, &ff_in, &name("ffn_up"))?,
            w_down: weights(&w.ffn_down, d, ff, &fd, &name("ffn_down"))?,
            attn: LayerAttnQuant::new(sp, s, cal).map_err(|e| name(&e))?,
            smooth_attn: fa,
            smooth_o: fo,
            smooth_ffn: ff_in,
            smooth_down: fd,
        })
    }
}

/// The int8 key/value cache: per layer and key/value head, one row of
/// `head_dim` codes per position (on that head's static scale).
#[derive(Clone, Debug, PartialEq)]
pub struct KvCache {
    len: usize,
    head_dim: usize,
    keys: Vec<Vec<Vec<i8>>>,
    values: Vec<Vec<Vec<i8>>>,
}

impl KvCache {
    pub fn new(model: &QuantModel) -> KvCache {
        let per_layer = vec![Vec::new(); model.shape.n_kv_heads];
        let layers = model.layers.len();
        KvCache {
            len: 0,
            head_dim: model.shape.head_dim,
            keys: vec![per_layer.clone(); layers],
            values: vec![per_layer; layers],
        }
    }

    /// Positions held (the next forward's first position).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Layer `l`, key/value head `h`: keys and values, `len × head_dim`.
    pub fn head(&self, l: usize, h: usize) -> (Matrix<i8>, Matrix<i8>) {
        let m = |v: &Vec<i8>| Matrix::from_vec(v.len() / self.head_dim, self.head_dim, v.clone()).expect("whole rows");
        (m(&self.keys[l][h]), m(&self.values[l][h]))
    }
}

/// The intermediates of one layer over a forward's positions (rows).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerTrace {
    pub layer: usize,
    /// The residual stream in.
    pub x_in: Vec<Vec<f64>>,
    /// The attention norm's output quantized per token.
    pub h: QuantRows,
    /// Q's int32 GEMM result and Q after dequantization and RoPE.
    pub q_acc: Matrix<i32>,
    pub q: Vec<Vec<f64>>,
    /// Per query head, the int8 queries (rows × head_dim).
    pub q8: Vec<Matrix<i8>>,
    /// Per key/value head, the whole int8 cache after this forward.
    pub k8: Vec<Matrix<i8>>,
    pub v8: Vec<Matrix<i8>>,
    /// Per query head, its int8 output.
    pub heads: Vec<Matrix<i8>>,
    /// The heads' outputs dequantized (rows × dim), and the stream after the
    /// attention's residual add.
    pub attn: Vec<Vec<f64>>,
    pub x_mid: Vec<Vec<f64>>,
    /// `silu(gate) · up`, the down projection's input.
    pub gated: Vec<Vec<f64>>,
    pub x_out: Vec<Vec<f64>>,
}

/// A forward's results: per position the logits, and optionally one layer's trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    pub logits: Vec<Vec<f32>>,
    pub trace: Option<LayerTrace>,
}

/// Host: RMSNorm of every row.
pub fn host_rms_norm(x: &[Vec<f64>], gain: &[f32], eps: f64) -> Vec<Vec<f64>> {
    x.iter().map(|r| rms_norm(r, gain, eps)).collect()
}

/// Host: `x += y`, row by row.
pub fn host_residual_add(x: &mut [Vec<f64>], y: &[Vec<f64>]) {
    x.iter_mut().zip(y).for_each(|(xr, yr)| xr.iter_mut().zip(yr).for_each(|(a, b)| *a += b));
}

/// Host: columns `head·d .. (head+1)·d` of every row on static scale `s`,
/// as the `rows × d` int8 operand of one head.
pub fn host_quantize_head(x: &[Vec<f64>], head: usize, d: usize, s: f64) -> Matrix<i8> {
    let data = x.iter().flat_map(|r| quantize_static(&r[head * d..(head + 1) * d], s)).collect();
    Matrix::from_vec(x.len(), d, data).expect("rows × d codes")
}

/// Host: the heads' int8 outputs, each on its value head's scale, back to
/// float rows of `n_heads · d`.
pub fn host_dequantize_heads(heads: &[Matrix<i8>], s_v: &[f64], group: usize) -> Vec<Vec<f64>> {
    let rows = heads.first().map_or(0, |h| h.rows);
    (0..rows)
        .map(|r| {
            heads
                .iter()
                .enumerate()
                .flat_map(|(h, o)| (0..o.cols).map(move |c| o.at(r, c) as f64 * s_v[h / group]))
                .collect()
        })
        .collect()
}

impl QuantModel {
    /// Quantize `input`'s weights; `cal` has one entry per layer of `input`,
    /// `sp` is the softmax unit the core's attention uses.
    pub fn new(input: &ModelInput, cal: &[LayerCalibration], sp: &SoftmaxParams) -> Result<QuantModel, String> {
        let s = &input.shape;
        s.validate()?;
        if input.layers.len() > s.n_layers || cal.len() != input.layers.len() {
            return Err(format!(
                "{} layers with {} calibrations: need equal counts, at most n_layers = {}",
                input.layers.len(),
                cal.len(),
                s.n_layers
            ));
        }
        let e = &input.token_embd;
        if (e.rows, e.cols, e.data.len()) != (s.vocab, s.dim, s.vocab * s.dim) {
            return Err(format!("token_embd is {}×{}: the shape needs {}×{}", e.rows, e.cols, s.vocab, s.dim));
        }
        let layers = input.layers.iter().zip(cal).enumerate();
        Ok(QuantModel {
            shape: s.clone(),
            sp: *sp,
            exp2: sp.exp2(),
            token_embd: e.data.to_vec(),
            output_norm: gain(input.output_norm, s.dim, "output_norm")?,
            lm_head: weights(&input.lm_head, s.vocab, s.dim, &vec![1.0; s.dim], "lm_head")?,
            layers: layers.map(|(l, (w, c))| QuantLayer::new(l, w, c, sp, s)).collect::<Result<_, _>>()?,
            inv_freq: rope_inv_freq(s.head_dim, s.rope_base),
        })
    }

    /// Host: the embeddings of `tokens` (f32 widened to f64).
    pub fn host_embed(&self, tokens: &[u32]) -> Vec<Vec<f64>> {
        let d = self.shape.dim;
        tokens.iter().map(|&t| self.token_embd[t as usize * d..][..d].iter().map(|&v| v as f64).collect()).collect()
    }

    /// Run `tokens` at positions `cache.len()..`, appending to the cache.
    /// Returns each position's logits and, when `trace_layer` names a layer
    /// that runs, that layer's intermediates.
    pub fn forward(&self, cache: &mut KvCache, tokens: &[u32], trace_layer: Option<usize>) -> Result<Forward, String> {
        self.forward_on(&mut GoldenCore::new(self), cache, tokens, trace_layer)
    }

    /// [`QuantModel::forward`] with the core steps done by `core`.
    pub fn forward_on<C: CoreSteps + ?Sized>(
        &self,
        core: &mut C,
        cache: &mut KvCache,
        tokens: &[u32],
        trace_layer: Option<usize>,
    ) -> Result<Forward, String> {
        let s = &self.shape;
        let start = cache.len;
        if cache.keys.len() != self.layers.len() || cache.head_dim != s.head_dim {
            return Err("cache: made for another model (KvCache::new(model) makes one)".into());
        }
        if tokens.is_empty() {
            return Err("tokens is empty: a forward runs at least one position".into());
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= s.vocab) {
            return Err(format!("token {t}: must be in 0..{}", s.vocab));
        }
        let limit = s.context_len.min(self.sp.max_len);
        if start + tokens.len() > limit {
            return Err(format!(
                "{} positions after {start} cached: at most {limit} in all (context length {}, softmax row {})",
                tokens.len(),
                s.context_len,
                self.sp.max_len
            ));
        }
        let mut x = self.host_embed(tokens);
        let mut trace = None;
        for l in 0..self.layers.len() {
            let t = self.layer(core, l, cache, start, &mut x)?;
            if trace_layer == Some(l) {
                trace = Some(t);
            }
        }
        cache.len += tokens.len();
        let h = quantize_rows(&host_rms_norm(&x, &self.output_norm, s.rms_eps));
        let logits = linear(core, &h, &self.lm_head)?;
        Ok(Forward { logits: logits.iter().map(|r| r.iter().map(|&v| v as f32).collect()).collect(), trace })
    }

    /// One layer on the rows `x` at positions `start..`: the named steps.
    fn layer<C: CoreSteps + ?Sized>(
        &self,
        core: &mut C,
        l: usize,
        cache: &mut KvCache,
        start: usize,
        x: &mut [Vec<f64>],
    ) -> Result<LayerTrace, String> {
        let (s, w) = (&self.shape, &self.layers[l]);
        let (d, group) = (s.head_dim, s.n_heads / s.n_kv_heads);
        let x_in = x.to_vec();
        let h = quantize_rows(&smooth(&host_rms_norm(x, &w.attn_norm, s.rms_eps), &w.smooth_attn));
        let q_acc = core.gemm_i32(&h.x, &w.wq.w)?;
        let mut q = dequantize(&q_acc, &h.scales, &w.wq.scales);
        let mut k = linear(core, &h, &w.wk)?;
        let v = linear(core, &h, &w.wv)?;
        for (r, (qr, kr)) in q.iter_mut().zip(&mut k).enumerate() {
            rope(qr, d, start + r, &self.inv_freq);
            rope(kr, d, start + r, &self.inv_freq);
        }
        for kvh in 0..s.n_kv_heads {
            cache.keys[l][kvh].extend(host_quantize_head(&k, kvh, d, w.attn.s_k[kvh]).data);
            cache.values[l][kvh].extend(host_quantize_head(&v, kvh, d, w.attn.s_v[kvh]).data);
        }
        let kv: Vec<(Matrix<i8>, Matrix<i8>)> = (0..s.n_kv_heads).map(|h| cache.head(l, h)).collect();
        let mask = Mask { valid_len: start + x.len(), causal_base: Some(start) };
        let q8: Vec<Matrix<i8>> = (0..s.n_heads).map(|h| host_quantize_head(&q, h, d, w.attn.s_q[h])).collect();
        let (k8, v8): (Vec<Matrix<i8>>, Vec<Matrix<i8>>) = kv.into_iter().unzip();
        let step = AttentionStep { layer: l, q: &q8, k: &k8, v: &v8, new_tokens: x.len(), quant: &w.attn.quant, mask };
        let heads = core.attention(&step)?;
        if heads.len() != s.n_heads || heads.iter().any(|o| (o.rows, o.cols) != (x.len(), d)) {
            return Err(format!("layer {l} attention: the core returned a wrong number or shape of head outputs"));
        }
        let attn = host_dequantize_heads(&heads, &w.attn.s_v, group);
        host_residual_add(x, &linear(core, &quantize_rows(&smooth(&attn, &w.smooth_o)), &w.wo)?);
        let x_mid = x.to_vec();

        let h2 = quantize_rows(&smooth(&host_rms_norm(x, &w.ffn_norm, s.rms_eps), &w.smooth_ffn));
        let (gate, up) = (linear(core, &h2, &w.w_gate)?, linear(core, &h2, &w.w_up)?);
        let gated: Vec<Vec<f64>> = gate.iter().zip(&up).map(|(g, u)| swiglu(g, u)).collect();
        host_residual_add(x, &linear(core, &quantize_rows(&smooth(&gated, &w.smooth_down)), &w.w_down)?);
        Ok(LayerTrace { layer: l, x_in, h, q_acc, q, q8, k8, v8, heads, attn, x_mid, gated, x_out: x.to_vec() })
    }

    /// Greedy generation: run `prompt` from an empty cache, then pick the
    /// largest logit (the first on a tie) `n` times, feeding each pick back.
    /// Returns the new ids and, per pick, the logits it was taken from.
    pub fn generate_greedy(&self, prompt: &[u32], n: usize) -> Result<(Vec<u32>, Vec<Vec<f32>>), String> {
        if prompt.is_empty() {
            return Err("prompt is empty: greedy generation needs at least one token".into());
        }
        let mut cache = KvCache::new(self);
        let mut logits = self.forward(&mut cache, prompt, None)?.logits.pop().expect("one row per token");
        let (mut ids, mut all) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let next = argmax(&logits);
            ids.push(next);
            // The last pick is returned, never run.
            let new = if i + 1 < n { self.forward(&mut cache, &[next], None)?.logits.pop() } else { None };
            all.push(std::mem::replace(&mut logits, new.unwrap_or_default()));
        }
        Ok((ids, all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_shift_covers_the_range() {
        assert_eq!(logit_shift_for(0.0), Ok(0));
        assert_eq!(logit_shift_for(127.0), Ok(0));
        assert_eq!(logit_shift_for(127.5), Ok(1));
        assert_eq!(logit_shift_for(254.0), Ok(1));
        assert_eq!(logit_shift_for(127.0 * 1024.0 + 1.0), Ok(11));
        assert!(logit_shift_for(f64::INFINITY).unwrap_err().contains("above 62"));
    }

    #[test]
    fn heads_are_cut_and_put_back() {
        let x = vec![vec![0.1, 0.2, -0.3, 0.4], vec![1.0, 0.0, 0.0, -1.0]];
        let m = host_quantize_head(&x, 1, 2, 0.01);
        assert_eq!(m.data, vec![-30, 40, 0, -100]);
        let out = |data: Vec<i8>| Matrix::from_vec(1, 2, data).unwrap();
        // Two query heads sharing one value head of scale 0.5.
        let y = host_dequantize_heads(&[out(vec![2, -4]), out(vec![6, 0])], &[0.5], 2);
        assert_eq!(y, vec![vec![1.0, -2.0, 3.0, 0.0]]);
    }
}
