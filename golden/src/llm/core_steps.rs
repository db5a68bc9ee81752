//! The steps of the int8 model's forward that run on the core
//! ([`CoreSteps`]), and their golden implementation ([`GoldenCore`]): a
//! runtime implements the same trait on a core, and the one forward
//! ([`QuantModel::forward_on`]) makes their logits comparable bit for bit.

use super::model::QuantModel;
use crate::attention::{attention_head, AttentionQuant, Mask};
use crate::softmax::{Exp2, SoftmaxParams};
use crate::tile::gemm::{gemm, Matrix};

/// One layer's attention as the core runs it: every query head against the
/// whole int8 cache of its key/value head (query head `h` reads key/value
/// head `h / (q.len() / k.len())`).
#[derive(Clone, Copy, Debug)]
pub struct AttentionStep<'a> {
    pub layer: usize,
    /// Per query head, the int8 queries (rows × head_dim).
    pub q: &'a [Matrix<i8>],
    /// Per key/value head, the whole cache (positions × head_dim), this
    /// forward's positions last.
    pub k: &'a [Matrix<i8>],
    pub v: &'a [Matrix<i8>],
    /// The cache's last `new_tokens` rows are this forward's (a core appends
    /// them to its paged cache; the others are there already).
    pub new_tokens: usize,
    /// Per query head, its quantization.
    pub quant: &'a [AttentionQuant],
    pub mask: Mask,
}

/// The steps of a forward that run on the core.
pub trait CoreSteps {
    /// `a · w` in int32: `a` the int8 activations (M × K), `w` the int8
    /// weights (K × N); the tile's GEMM.
    fn gemm_i32(&mut self, a: &Matrix<i8>, w: &Matrix<i8>) -> Result<Matrix<i32>, String>;
    /// Every query head's int8 output (rows × head_dim), in head order.
    fn attention(&mut self, step: &AttentionStep) -> Result<Vec<Matrix<i8>>, String>;
}

/// The core steps computed by the golden primitives.
pub struct GoldenCore<'m> {
    sp: &'m SoftmaxParams,
    exp2: &'m Exp2,
}

impl<'m> GoldenCore<'m> {
    pub fn new(model: &'m QuantModel) -> GoldenCore<'m> {
        GoldenCore { sp: &model.sp, exp2: &model.exp2 }
    }
}

impl CoreSteps for GoldenCore<'_> {
    fn gemm_i32(&mut self, a: &Matrix<i8>, w: &Matrix<i8>) -> Result<Matrix<i32>, String> {
        gemm(a, w).map_err(|e| e.to_string())
    }

    fn attention(&mut self, st: &AttentionStep) -> Result<Vec<Matrix<i8>>, String> {
        let group = st.q.len() / st.k.len().max(1);
        let heads = st.q.iter().zip(st.quant).enumerate();
        heads
            .map(|(h, (q, quant))| {
                let (k, v) = (&st.k[h / group], &st.v[h / group]);
                Ok(attention_head(self.sp, self.exp2, q, k, v, quant, &st.mask)?.out)
            })
            .collect()
    }
}
