//! The int8 model's core steps ([`golden::llm::model::CoreSteps`]) on any
//! [`Backend`]: every linear layer is a [`gemm`] with int32 results, every
//! layer's attention runs through [`attention`] over a paged int8 KV cache.
//! The forward itself (its host steps) is the golden model's
//! ([`QuantModel::forward_on`]), so the logits are comparable bit for bit
//! with [`QuantModel::forward`].
//!
//! # Attention
//! [`AttentionSpec::quant`] is one set for all heads of a call, and decode
//! stacks a group's heads into one SOFTMAX. A group whose query heads share
//! their quantization is one call (its K/V pages read once); otherwise each
//! query head is one call with one head and one K/V head, its K/V pages read
//! once per query head.
//!
//! The sequence's block table has one block per `page_tokens` tokens of
//! its cache; each call places the cache: the host writes the cached tokens into
//! their pages and the program appends this forward's new ones.

use golden::core::Counters;
use golden::llm::model::{AttentionStep, CoreSteps, Shape};
use golden::tile::gemm::Matrix;

use crate::attention::{attention, AttentionSpec, Sequence};
use crate::backend::Backend;
use crate::gemm::{gemm, GemmOutput, OutputKind};
use crate::layer::HostOps;

/// Tokens per KV-cache page unless told otherwise.
pub const PAGE_TOKENS: usize = 64;

/// What the core steps cost, summed since the runner was made (or last [`CoreRunner::take_stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// The core's counters over every run.
    pub counters: Counters,
    /// M·K·N of the GEMMs and attention's unmasked pairs × d × 2.
    pub useful_macs: u64,
    /// The least DRAM traffic of the steps: each GEMM's operands once, each
    /// attention call's Q, K, V and output once.
    pub min_dram_bytes: u64,
    /// Weight bytes the GEMMs read (the part of `min_dram_bytes` every token must move).
    pub weight_bytes: u64,
    pub gemms: usize,
    pub attention_calls: usize,
    pub commands: usize,
}

impl RunStats {
    /// Add `o`'s figures to these.
    pub fn add(&mut self, o: &RunStats) {
        self.counters.add(&o.counters);
        self.useful_macs += o.useful_macs;
        self.min_dram_bytes += o.min_dram_bytes;
        self.weight_bytes += o.weight_bytes;
        self.gemms += o.gemms;
        self.attention_calls += o.attention_calls;
        self.commands += o.commands;
    }
}

/// The core steps on `backend`.
pub struct CoreRunner<'b, B: Backend> {
    backend: &'b mut B,
    page_tokens: usize,
    pub stats: RunStats,
}

impl<'b, B: Backend> CoreRunner<'b, B> {
    pub fn new(backend: &'b mut B, page_tokens: usize) -> CoreRunner<'b, B> {
        CoreRunner { backend, page_tokens, stats: RunStats::default() }
    }

    pub fn backend(&mut self) -> &mut B {
        self.backend
    }

    /// The stats so far, resetting them.
    pub fn take_stats(&mut self) -> RunStats {
        std::mem::take(&mut self.stats)
    }

    /// The block table for a context of `len` tokens, in a pool of just the
    /// blocks it needs (each call places the cache anew). The blocks run from
    /// the top of the pool down, so the table is not the identity: the DMA
    /// gathers the pages rather than streaming one region.
    fn blocks_for(&self, len: usize) -> (Vec<u32>, usize) {
        let pages = len.div_ceil(self.page_tokens.max(1));
        ((0..pages as u32).rev().collect(), pages)
    }
}

impl<B: Backend> CoreSteps for CoreRunner<'_, B> {
    fn gemm_i32(&mut self, a: &Matrix<i8>, w: &Matrix<i8>) -> Result<Matrix<i32>, String> {
        let r = gemm(self.backend, a, w, &OutputKind::Int32).map_err(|e| {
            let (n, after) = (self.stats.gemms, self.stats.attention_calls);
            format!("core GEMM {n} ({}x{}x{}, after {after} attention calls): {e}", a.rows, a.cols, w.cols)
        })?;
        self.stats.add(&RunStats {
            counters: r.counters,
            useful_macs: r.useful_macs,
            min_dram_bytes: r.min_dram_bytes,
            weight_bytes: (w.rows * w.cols) as u64,
            gemms: 1,
            commands: r.commands,
            ..RunStats::default()
        });
        match r.c {
            GemmOutput::Int32(c) => Ok(c),
            GemmOutput::Int8(_) => Err("core GEMM: returned int8 for an int32 request".into()),
        }
    }

    fn attention(&mut self, step: &AttentionStep) -> Result<Vec<Matrix<i8>>, String> {
        let group = step.q.len() / step.k.len().max(1);
        let context = step.k.first().map_or(0, |k| k.rows);
        let (blocks, pool) = self.blocks_for(context);
        let mut outs = Vec::with_capacity(step.q.len());
        for g in 0..step.k.len() {
            let heads = g * group..(g + 1) * group;
            // A group whose heads share their quantization is one call (K/V read once).
            let calls: Vec<_> = if step.quant[heads.clone()].iter().all(|q| *q == step.quant[heads.start]) {
                vec![heads]
            } else {
                heads.map(|h| h..h + 1).collect()
            };
            for hs in calls {
                let spec = AttentionSpec {
                    d_head: step.k[g].cols,
                    heads: hs.len(),
                    kv_heads: 1,
                    page_tokens: self.page_tokens,
                    quant: step.quant[hs.start],
                };
                let seq = Sequence {
                    q: step.q[hs.clone()].to_vec(),
                    k: vec![step.k[g].clone()],
                    v: vec![step.v[g].clone()],
                    new_tokens: step.new_tokens,
                    causal: step.mask.causal_base.is_some(),
                    blocks: blocks.clone(),
                };
                if seq.mask() != step.mask {
                    let (l, m) = (step.layer, step.mask);
                    return Err(format!("layer {l} attention: mask {m:?} is not a causal prefix mask"));
                }
                let r = attention(self.backend, &spec, &[seq], pool)
                    .map_err(|e| format!("layer {} heads {hs:?} attention on the core: {e}", step.layer))?;
                self.stats.add(&RunStats {
                    counters: r.counters,
                    useful_macs: r.useful_macs,
                    min_dram_bytes: r.min_dram_bytes,
                    attention_calls: 1,
                    commands: r.commands,
                    ..RunStats::default()
                });
                outs.extend(r.out.into_iter().next().ok_or("attention: no output")?);
            }
        }
        Ok(outs)
    }
}

/// The host's work for `positions` positions through `layers` layers and
/// the LM head, counted as `runtime::layer` counts it: per layer two
/// RMSNorms, RoPE on the Q and K heads, two residual additions and SwiGLU;
/// then the final RMSNorm. The bytes are f32 elements read and written
/// (their modelled time is those bytes over the core's bus).
pub fn host_ops(shape: &Shape, layers: usize, positions: usize) -> HostOps {
    let (w, f) = (shape.dim as u64, shape.ff_dim as u64);
    let rope = ((shape.n_heads + shape.n_kv_heads) * shape.head_dim) as u64;
    let per_layer_ops = 2 * 3 * w + 3 * rope + 2 * w + 3 * f;
    let per_layer_bytes = 4 * (2 * 2 * w + 2 * rope + 2 * 3 * w + 3 * f);
    let t = positions as u64;
    HostOps {
        operations: t * (layers as u64 * per_layer_ops + 3 * w),
        bytes: t * (layers as u64 * per_layer_bytes + 4 * 2 * w),
    }
}
