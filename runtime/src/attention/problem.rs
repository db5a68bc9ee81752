//! Attention problems for benchmarks and tests: random int8 operands, a
//! shared pool of KV pages handed out in shuffled order, the golden and the
//! float64 answers.

use golden::attention::{attention_head, reference_head, AttentionQuant};
use golden::softmax::SoftmaxParams;
use golden::tile::gemm::Matrix;

use super::{AttentionSpec, Sequence};
use crate::random::Rng;

/// The shape of a problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub d_head: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub page_tokens: usize,
    /// Per sequence: (queries, context). Decode is 1 query with 1 new token.
    pub seqs: Vec<(usize, usize)>,
    pub causal: bool,
    pub decode: bool,
}

/// A problem: the spec, the sequences and the pool's size.
#[derive(Clone, Debug)]
pub struct Problem {
    pub spec: AttentionSpec,
    pub seqs: Vec<Sequence>,
    pub pool_blocks: usize,
    /// The real value of one LSB of S (`1/sqrt(d)` and the operands' scales folded in).
    pub s_scale: f64,
}

/// The logit step: S over `2^shift` so that ±127 spans about ±5 standard
/// deviations of S for uniform int8 operands (σ ≈ 5,461·√d): the largest of
/// a few thousand logits rarely saturates, and a saturated maximum is what
/// hurts a softmax most.
pub fn logit_shift(d_head: usize) -> u32 {
    (215.0 * (d_head as f64).sqrt()).log2().round().max(0.0) as u32
}

/// Random operands scaled so that the real logits have a standard
/// deviation of about 1.5 (attention that is neither flat nor one-hot).
pub fn random(sp: &SoftmaxParams, shape: &Shape, seed: u64) -> Result<Problem, String> {
    let mut rng = Rng::new(seed);
    let d = shape.d_head;
    let s_scale = 1.5 / (5461.0 * (d as f64).sqrt());
    let quant = AttentionQuant::new(sp, logit_shift(d), s_scale)?;
    let spec = AttentionSpec {
        d_head: d,
        heads: shape.heads,
        kv_heads: shape.kv_heads,
        page_tokens: shape.page_tokens,
        quant,
    };
    let pt = shape.page_tokens.max(1);
    let pages: Vec<usize> = shape.seqs.iter().map(|&(_, l)| l.div_ceil(pt)).collect();
    let (tables, pool_blocks) = rng.block_tables(&pages);
    let seqs = shape
        .seqs
        .iter()
        .zip(tables)
        .map(|(&(lq, l), blocks)| Sequence {
            q: (0..shape.heads).map(|_| rng.matrix(lq, d, 127)).collect(),
            k: (0..shape.kv_heads).map(|_| rng.matrix(l, d, 127)).collect(),
            v: (0..shape.kv_heads).map(|_| rng.matrix(l, d, 127)).collect(),
            new_tokens: usize::from(shape.decode).min(l),
            causal: shape.causal,
            blocks,
        })
        .collect();
    Ok(Problem { spec, seqs, pool_blocks, s_scale })
}

/// The golden outputs of one sequence, per query head.
pub fn golden(sp: &SoftmaxParams, spec: &AttentionSpec, s: &Sequence) -> Result<Vec<Matrix<i8>>, String> {
    let e = sp.exp2();
    let group = spec.heads / spec.kv_heads;
    (0..spec.heads)
        .map(|h| {
            let g = h / group;
            attention_head(sp, &e, &s.q[h], &s.k[g], &s.v[g], &spec.quant, &s.mask()).map(|o| o.out)
        })
        .collect()
}

/// The float64 outputs of one sequence, per query head, in output LSB.
pub fn float(spec: &AttentionSpec, s: &Sequence, s_scale: f64) -> Vec<Vec<Vec<f64>>> {
    let group = spec.heads / spec.kv_heads;
    (0..spec.heads).map(|h| reference_head(&s.q[h], &s.k[h / group], &s.v[h / group], s_scale, &s.mask())).collect()
}
