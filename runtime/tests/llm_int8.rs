//! The int8 golden model of SmolLM2-135M (`golden::llm::model`) on the real
//! model file (installed by `make model`): one layer's intermediates against
//! independent computations, and the whole model's top token at one decode
//! position against the float reference.
//!
//! The 64-token `top1_agreement_float` measurement is an example binary:
//! `cargo run --release -p serrano-runtime --example llm_int8_agreement`.

use std::path::Path;
use std::sync::OnceLock;

use golden::attention::reference_head;
use golden::llm::host::argmax;
use golden::llm::model::{KvCache, QuantModel};
use golden::softmax::SoftmaxParams;
use golden::Config;
use runtime::llm::calibrate::{calibrate_tokens, model_input, CALIBRATION_TEXT};
use runtime::llm::{load_model, model_path, FloatModel, Model};

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load_model(&model_path().unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}")))
}

/// The default preset's softmax unit, the one the core's attention uses.
fn softmax() -> SoftmaxParams {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/default.toml");
    SoftmaxParams::new(&Config::from_file(&path).unwrap().softmax)
}

/// The int8 model of the first `layers` layers, calibrated on the first
/// `cal_tokens` tokens of the calibration text (all of it makes the
/// 30-layer float pass too slow for a test at opt-level 1).
fn quant(layers: usize, cal_tokens: usize) -> QuantModel {
    let m = model();
    let ids = m.tokenizer.encode(CALIBRATION_TEXT);
    assert!(ids.len() >= 300, "the calibration text is {} tokens", ids.len());
    let cal = calibrate_tokens(&m.weights, &ids[..cal_tokens.min(ids.len())], layers).unwrap();
    QuantModel::new(&model_input(&m.weights, layers), &cal, &softmax()).unwrap()
}

const PROMPT: [u32; 4] = [6403, 1980, 253, 655]; // "Once upon a time"

/// `‖a − b‖ / ‖b‖` over all rows.
fn rel_err(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let (mut d, mut n) = (0.0, 0.0);
    for (ra, rb) in a.iter().zip(b) {
        for (x, y) in ra.iter().zip(rb) {
            d += (x - y) * (x - y);
            n += y * y;
        }
    }
    (d / n).sqrt()
}

/// Layer 0 over the prompt: the quantized input, Q's integer GEMM, each
/// head's attention and the float-level results against independent
/// computations.
#[test]
fn one_layer_intermediates() {
    let m = model();
    let qm = quant(1, 400);
    let mut cache = KvCache::new(&qm);
    let fw = qm.forward(&mut cache, &PROMPT, Some(0)).unwrap();
    let t = fw.trace.expect("layer 0 runs");
    let l = &qm.layers[0];
    let hp = &m.weights.hp;
    let (d, dim) = (hp.head_dim, hp.dim);
    assert_eq!((fw.logits.len(), fw.logits[0].len(), cache.len()), (4, hp.vocab, 4));

    // The attention input: RMSNorm written out here, smoothed, then the
    // per-token rule max/127 with round half away from zero.
    let g = &m.weights.layers[0].attn_norm;
    for (r, &tok) in PROMPT.iter().enumerate() {
        let e: Vec<f64> = m.weights.token_embd.row(tok as usize).iter().map(|&v| v as f64).collect();
        let inv = 1.0 / (e.iter().map(|v| v * v).sum::<f64>() / dim as f64 + hp.rms_eps as f64).sqrt();
        let h: Vec<f64> = (0..dim).map(|i| e[i] * inv * g[i] as f64 / l.smooth_attn[i]).collect();
        let s = h.iter().fold(0f64, |a, v| a.max(v.abs())) / 127.0;
        assert_eq!(t.h.scales[r], s, "row {r} scale");
        for (i, v) in h.iter().enumerate() {
            assert_eq!(t.h.x.at(r, i), (v / s).round() as i8, "row {r} channel {i}");
        }
    }

    // Q's GEMM: plain int32 dot products of the codes.
    for r in 0..4 {
        for c in (0..dim).step_by(37) {
            let want: i32 = (0..dim).map(|i| t.h.x.at(r, i) as i32 * l.wq.w.at(i, c) as i32).sum();
            assert_eq!(t.q_acc.at(r, c), want, "Q acc ({r}, {c})");
        }
    }

    // Each head against float64 softmax attention on the same int8 Q, K, V:
    // within a few output LSB (the int8 logits, the unit's exp2 and the
    // 7-bit probabilities each lose a little).
    let group = hp.n_heads / hp.n_kv_heads;
    let mask = golden::attention::Mask { valid_len: 4, causal_base: Some(0) };
    for (h, head) in t.heads.iter().enumerate() {
        let s_scale = l.attn.s_q[h] * l.attn.s_k[h / group] / (d as f64).sqrt();
        let f = reference_head(&t.q8[h], &t.k8[h / group], &t.v8[h / group], s_scale, &mask);
        for (r, fr) in f.iter().enumerate() {
            for (c, fv) in fr.iter().enumerate() {
                let e = (head.at(r, c) as f64 - fv).abs();
                assert!(e <= 4.0, "head {h} ({r}, {c}): int8 {} float {fv}", head.at(r, c));
            }
        }
    }

    // Against the float reference's own layer: Q after RoPE, the attention
    // output and SwiGLU's output within a few percent.
    let mut fm = FloatModel::with_layers(&m.weights, 1).unwrap();
    let (mut q, mut o, mut gated) = (Vec::new(), Vec::new(), Vec::new());
    for (pos, &tok) in PROMPT.iter().enumerate() {
        fm.run_layers(tok, pos, |v| {
            q.push(v.q.to_vec());
            o.push(v.o_in.to_vec());
            gated.push(v.down_in.to_vec());
        })
        .unwrap();
    }
    let errs = [rel_err(&t.q, &q), rel_err(&t.attn, &o), rel_err(&t.gated, &gated)];
    println!("relative errors of Q, attention output, SwiGLU output: {errs:?}");
    assert!(errs[0] < 0.02 && errs[1] < 0.08 && errs[2] < 0.08, "{errs:?}");
}

/// All 30 layers: prefill "Once upon a" then one decode position ("time"),
/// whose top token must be the float reference's (",").
#[test]
fn full_model_decode_position_top1_matches_float() {
    let m = model();
    let qm = quant(m.weights.hp.n_layers, 24);
    let mut cache = KvCache::new(&qm);
    qm.forward(&mut cache, &PROMPT[..3], None).unwrap();
    let logits = qm.forward(&mut cache, &PROMPT[3..], None).unwrap().logits;
    let mut fm = FloatModel::new(&m.weights);
    let mut f = Vec::new();
    for (pos, &tok) in PROMPT.iter().enumerate() {
        f = fm.forward_f64(tok, pos).unwrap();
    }
    assert_eq!(argmax(&f), 28);
    assert_eq!(argmax(&logits[0]), argmax(&f), "int8 top token against the float reference's");
}

#[test]
fn bad_input_is_named() {
    let qm = quant(1, 8);
    let mut cache = KvCache::new(&qm);
    let e = qm.forward(&mut cache, &[49_152], None).unwrap_err();
    assert!(e.contains("token 49152: must be in 0..49152"), "{e}");
    assert!(qm.forward(&mut cache, &[], None).unwrap_err().contains("tokens is empty"));
    assert!(qm.generate_greedy(&[], 2).unwrap_err().contains("prompt is empty"));
    let e = calibrate_tokens(&model().weights, &[1], 31).unwrap_err().to_string();
    assert!(e.contains("layers is 31"), "{e}");
}
