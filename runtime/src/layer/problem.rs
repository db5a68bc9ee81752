//! Layer problems for benchmarks and tests: random int8 weights whose
//! per-column requantization is calibrated on the step's own activations
//! (as post-training quantization calibrates on sample data), random caches,
//! and random block tables from one shuffled pool.

use golden::attention::AttentionQuant;
use golden::layer::{attend, rms_norm_rows, rows, stack_all, swiglu_rows, LayerInput, LayerShape, LayerWeights};
use golden::softmax::SoftmaxParams;
use golden::tile::gemm::{gemm, requantize, Matrix, Requant, Requantization};

use super::Paging;
use crate::random::Rng;

/// A layer step: shape, weights, sequences, paging.
#[derive(Clone, Debug)]
pub struct LayerProblem {
    pub shape: LayerShape,
    pub weights: LayerWeights,
    pub seqs: Vec<LayerInput>,
    pub paging: Paging,
}

/// Each projection's outputs are scaled to this RMS (in int8 LSB).
pub const TARGET_RMS: f64 = 24.0;

/// Per-column parameters that bring each column of `acc` to `TARGET_RMS`:
/// `multiplier / 2^shift` ≈ target / the column's RMS, the multiplier in
/// `2^30..2^31`.
pub fn calibrate(acc: &Matrix<i32>) -> Vec<Requant> {
    (0..acc.cols)
        .map(|c| {
            let ms = (0..acc.rows).map(|r| (acc.at(r, c) as f64).powi(2)).sum::<f64>() / acc.rows.max(1) as f64;
            let f = if ms > 0.0 { TARGET_RMS / ms.sqrt() } else { 1.0 };
            let shift = (30 - f.log2().floor() as i64).clamp(0, 62) as u32;
            let multiplier = (f * 2f64.powi(shift as i32)).round().clamp(1.0, i32::MAX as f64) as i32;
            Requant { multiplier, shift, zero_point: 0 }
        })
        .collect()
}

fn calibrated(x: &Matrix<i8>, w: &Matrix<i8>) -> (Vec<Requant>, Matrix<i8>) {
    let acc = gemm(x, w).expect("shapes agree by construction");
    let q = calibrate(&acc);
    let y = requantize(&acc, &Requantization::PerColumn(q.clone()));
    (q, y)
}

/// A random step of `shape`: one sequence per entry of `seqs` (new tokens,
/// cached tokens before them), pages of `page_tokens`.
pub fn random(
    sp: &SoftmaxParams,
    shape: &LayerShape,
    seqs: &[(usize, usize)],
    page_tokens: usize,
    seed: u64,
) -> Result<LayerProblem, String> {
    let mut rng = Rng::new(seed);
    let (w, d, g) = (shape.width, shape.d_head, shape.kv_heads);
    let inputs: Vec<LayerInput> = seqs
        .iter()
        .map(|&(t, past)| LayerInput {
            x: rng.matrix(t, w, 64),
            k_cache: (0..g).map(|_| rng.matrix(past, d, 48)).collect(),
            v_cache: (0..g).map(|_| rng.matrix(past, d, 48)).collect(),
        })
        .collect();
    let gamma = |rng: &mut Rng| (0..w).map(|_| 48 + (rng.next_u64() % 33) as i8).collect::<Vec<i8>>();
    let (gamma1, gamma2) = (gamma(&mut rng), gamma(&mut rng));
    let wqkv = rng.matrix(w, shape.qkv_cols(), 127);
    let wo = rng.matrix(shape.heads * d, w, 127);
    let wgu = rng.matrix(w, 2 * shape.ffn, 127);
    let wd = rng.matrix(shape.ffn, w, 127);
    // Calibrate each projection on the batch's activations, in layer order.
    let x = stack_all(&inputs.iter().map(|s| s.x.clone()).collect::<Vec<_>>());
    let (q_qkv, qkv) = calibrated(&rms_norm_rows(&x, &gamma1), &wqkv);
    // Logits: S of two RMS-24 heads has an RMS of about 576·√d; one logit LSB
    // is 2^shift of S (±127 spans ±5 RMS), and the real logits have an RMS of about 1.5.
    let s_rms = TARGET_RMS * TARGET_RMS * (d as f64).sqrt();
    let logit_shift = (5.0 * s_rms / 127.0).log2().round().max(0.0) as u32;
    let attn = AttentionQuant::new(sp, logit_shift, 1.5 / s_rms)?;
    let mut weights = LayerWeights {
        gamma1,
        wqkv,
        q_qkv,
        attn,
        wo,
        q_o: Vec::new(),
        gamma2,
        wgu,
        q_gu: Vec::new(),
        wd,
        q_d: Vec::new(),
    };
    // The attention output for calibrating Wo: golden, sequence by sequence.
    let mut o_rows = Vec::new();
    let mut r0 = 0;
    for s in &inputs {
        o_rows.push(attend(sp, shape, &attn, s, &rows(&qkv, r0, s.x.rows))?);
        r0 += s.x.rows;
    }
    let o = stack_all(&o_rows);
    let (q_o, a) = calibrated(&o, &weights.wo);
    weights.q_o = q_o;
    let x1 = golden::layer::residual_rows(&x, &a);
    let (q_gu, gu) = calibrated(&rms_norm_rows(&x1, &weights.gamma2), &weights.wgu);
    weights.q_gu = q_gu;
    let (q_d, _) = calibrated(&swiglu_rows(&gu, shape.ffn), &weights.wd);
    weights.q_d = q_d;
    // Block tables from one shuffled pool, room for the new tokens included.
    let pages: Vec<usize> = seqs.iter().map(|&(t, past)| (t + past).div_ceil(page_tokens.max(1))).collect();
    let (blocks, pool_blocks) = rng.block_tables(&pages);
    Ok(LayerProblem { shape: *shape, weights, seqs: inputs, paging: Paging { page_tokens, blocks, pool_blocks } })
}
