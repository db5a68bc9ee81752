//! Calibration of the int8 model's static attention scales (`docs/numerics.md`,
//! "SmolLM2-135M on the core"): the float reference runs a fixed English text
//! (`calibration.txt`, written for this repository and unrelated to any test
//! prompt), and each layer's largest magnitudes of Q, K and V after RoPE, per
//! head, and of the attention logits `q·k/√d` over every causal pair are
//! recorded. `golden::llm::model` turns them into scales and logit shifts.
//!
//! Also the bridge from the runtime's weights to the golden model's input.

use golden::llm::model::{F32Matrix, LayerCalibration, LayerInput, ModelInput, QuantModel, Shape};
use golden::softmax::SoftmaxParams;

use super::float_model::{FloatModel, FloatModelError, LayerView};
use super::tokenizer::Tokenizer;
use super::weights::{HyperParams, Matrix, Weights};

/// The calibration text.
pub const CALIBRATION_TEXT: &str = include_str!("calibration.txt");

/// The golden model's shape of these hyper-parameters.
pub fn shape(hp: &HyperParams) -> Shape {
    Shape {
        n_layers: hp.n_layers,
        dim: hp.dim,
        n_heads: hp.n_heads,
        n_kv_heads: hp.n_kv_heads,
        head_dim: hp.head_dim,
        ff_dim: hp.ff_dim,
        vocab: hp.vocab,
        rope_base: hp.rope_base as f64,
        rms_eps: hp.rms_eps as f64,
        context_len: hp.context_len,
    }
}

fn f32m(m: &Matrix) -> F32Matrix<'_> {
    F32Matrix { rows: m.rows, cols: m.cols, data: &m.data }
}

/// The golden model's input: the first `layers` layers of `w` (checked by
/// the caller against `n_layers`).
pub fn model_input(w: &Weights, layers: usize) -> ModelInput<'_> {
    ModelInput {
        shape: shape(&w.hp),
        token_embd: f32m(&w.token_embd),
        output_norm: &w.output_norm,
        lm_head: f32m(w.lm_head()),
        layers: w.layers[..layers.min(w.layers.len())]
            .iter()
            .map(|l| LayerInput {
                attn_norm: &l.attn_norm,
                attn_q: f32m(&l.attn_q),
                attn_k: f32m(&l.attn_k),
                attn_v: f32m(&l.attn_v),
                attn_output: f32m(&l.attn_output),
                ffn_norm: &l.ffn_norm,
                ffn_gate: f32m(&l.ffn_gate),
                ffn_up: f32m(&l.ffn_up),
                ffn_down: f32m(&l.ffn_down),
            })
            .collect(),
    }
}

/// Fold one layer's view at one position into its maxima.
fn observe(hp: &HyperParams, cal: &mut LayerCalibration, v: &LayerView) {
    let (d, kv_dim) = (hp.head_dim, hp.kv_dim());
    let group = hp.n_heads / hp.n_kv_heads;
    let max_abs = |s: &[f64]| s.iter().fold(0f64, |m, x| m.max(x.abs()));
    let fold = |m: &mut Vec<f64>, x: &[f64]| m.iter_mut().zip(x).for_each(|(m, x)| *m = m.max(x.abs()));
    fold(&mut cal.attn_in_max, v.attn_in);
    fold(&mut cal.o_in_max, v.o_in);
    fold(&mut cal.ffn_in_max, v.ffn_in);
    fold(&mut cal.down_in_max, v.down_in);
    let last = v.keys.len() - kv_dim;
    for h in 0..hp.n_kv_heads {
        cal.k_max[h] = cal.k_max[h].max(max_abs(&v.keys[last + h * d..][..d]));
        cal.v_max[h] = cal.v_max[h].max(max_abs(&v.values[last + h * d..][..d]));
    }
    let scale = 1.0 / (d as f64).sqrt();
    for h in 0..hp.n_heads {
        let q = &v.q[h * d..][..d];
        cal.q_max[h] = cal.q_max[h].max(max_abs(q));
        for key in v.keys.chunks_exact(kv_dim) {
            let k = &key[h / group * d..][..d];
            let s = q.iter().zip(k).map(|(a, b)| a * b).sum::<f64>() * scale;
            cal.logit_max[h] = cal.logit_max[h].max(s.abs());
        }
    }
}

/// The maxima of the first `layers` layers over `tokens` (run from position 0;
/// layers beyond the model's are an error).
pub fn calibrate_tokens(w: &Weights, tokens: &[u32], layers: usize) -> Result<Vec<LayerCalibration>, FloatModelError> {
    let hp = &w.hp;
    let mut fm = FloatModel::with_layers(w, layers)?;
    let empty = LayerCalibration {
        q_max: vec![0.0; hp.n_heads],
        k_max: vec![0.0; hp.n_kv_heads],
        v_max: vec![0.0; hp.n_kv_heads],
        logit_max: vec![0.0; hp.n_heads],
        attn_in_max: vec![0.0; hp.dim],
        o_in_max: vec![0.0; hp.dim],
        ffn_in_max: vec![0.0; hp.dim],
        down_in_max: vec![0.0; hp.ff_dim],
    };
    let mut cal = vec![empty; layers];
    for (pos, &t) in tokens.iter().enumerate() {
        fm.run_layers(t, pos, |v| observe(hp, &mut cal[v.layer], &v))?;
    }
    Ok(cal)
}

/// [`calibrate_tokens`] on [`CALIBRATION_TEXT`].
pub fn calibrate(w: &Weights, tok: &Tokenizer, layers: usize) -> Result<Vec<LayerCalibration>, String> {
    let ids = tok.encode(CALIBRATION_TEXT);
    calibrate_tokens(w, &ids, layers).map_err(|e| e.to_string())
}

/// The int8 model of the first `layers` layers, calibrated on [`CALIBRATION_TEXT`].
pub fn quant_model(w: &Weights, tok: &Tokenizer, layers: usize, sp: &SoftmaxParams) -> Result<QuantModel, String> {
    let cal = calibrate(w, tok, layers)?;
    QuantModel::new(&model_input(w, layers), &cal, sp)
}
