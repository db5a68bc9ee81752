//! A transformer layer step on the core (`golden::layer` is the spec): the
//! four projections as GEMMs with per-column requantization, attention from
//! the paged KV cache, and the operations the core has no unit for
//! (RMSNorm, RoPE, SwiGLU, the residual additions) on the host, between the
//! core's runs.
//!
//! A batch of sequences is stepped together: their new tokens are stacked
//! into the rows of each projection, so every weight matrix is read once per
//! step for the whole batch; attention runs every sequence against its own
//! context and pages.

pub mod problem;

use golden::core::Counters;
use golden::layer::{
    concat_heads, residual_rows, rms_norm_rows, rows, split_qkv, stack, stack_all, swiglu_rows, LayerInput, LayerShape,
    LayerWeights,
};
use golden::tile::gemm::{Matrix, Requant, Requantization};

use crate::attention::{attention, AttentionSpec, Sequence};
use crate::backend::Backend;
use crate::error::RuntimeError;
use crate::gemm::{gemm, GemmOutput, OutputKind};

/// The host's share of a step: element operations and the bytes they read
/// and write (their modelled time is those bytes over the core's bus, as if
/// a unit of the core streamed them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostOps {
    pub operations: u64,
    pub bytes: u64,
}

/// A step's result and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerResult {
    /// Per sequence, T × W: the residual stream after the layer.
    pub out: Vec<Matrix<i8>>,
    /// The core's counters over every run of the step.
    pub counters: Counters,
    /// Multiply-accumulates the step needs on the core: the projections' M·K·N and attention's unmasked pairs.
    pub core_macs: u64,
    pub host: HostOps,
    pub commands: usize,
    /// Weights once and every sequence's K and V once.
    pub min_dram_bytes: u64,
}

/// How the KV cache is paged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page_tokens: usize,
    /// Per sequence, its blocks in token order (room for the new tokens included).
    pub blocks: Vec<Vec<u32>>,
    pub pool_blocks: usize,
}

/// `x · w`, requantized per column, on the core.
fn project<B: Backend>(
    backend: &mut B,
    x: &Matrix<i8>,
    w: &Matrix<i8>,
    q: &[Requant],
    acc: &mut LayerResult,
) -> Result<Matrix<i8>, RuntimeError> {
    let r = gemm(backend, x, w, &OutputKind::Requant(Requantization::PerColumn(q.to_vec())))?;
    acc.counters.add(&r.counters);
    acc.core_macs += r.useful_macs;
    acc.commands += r.commands;
    match r.c {
        GemmOutput::Int8(c) => Ok(c),
        GemmOutput::Int32(_) => Err(RuntimeError::Backend("a requantized GEMM returned int32".into())),
    }
}

/// One layer step for `seqs` on `backend`.
pub fn layer<B: Backend>(
    backend: &mut B,
    shape: &LayerShape,
    w: &LayerWeights,
    seqs: &[LayerInput],
    paging: &Paging,
) -> Result<LayerResult, RuntimeError> {
    let bad = |m: String| RuntimeError::Input(m);
    if seqs.is_empty() || paging.blocks.len() != seqs.len() {
        return Err(bad(format!(
            "{} sequences and {} block tables: need at least one, one table each",
            seqs.len(),
            paging.blocks.len()
        )));
    }
    if let Some(i) =
        seqs.iter().position(|s| s.x.cols != shape.width || s.x.rows == 0 || s.k_cache.len() != shape.kv_heads)
    {
        return Err(bad(format!(
            "sequence {i}: needs T ≥ 1 rows of width {} and a cache for each of the {} K/V heads",
            shape.width, shape.kv_heads
        )));
    }
    let mut acc = LayerResult {
        out: Vec::new(),
        counters: Counters::default(),
        core_macs: 0,
        host: HostOps::default(),
        commands: 0,
        min_dram_bytes: shape.weight_bytes(),
    };
    let (wd, d) = (shape.width as u64, shape.d_head as u64);
    let tokens: u64 = seqs.iter().map(|s| s.x.rows as u64).sum();
    let x = stack_all(&seqs.iter().map(|s| s.x.clone()).collect::<Vec<_>>());
    // 1-2. RMSNorm on the host, the QKV projection on the core.
    let qkv = project(backend, &rms_norm_rows(&x, &w.gamma1), &w.wqkv, &w.q_qkv, &mut acc)?;
    // 3. RoPE on the host; 4. attention on the core, appending the new K and V to the cache.
    let mut r0 = 0;
    let mut aseqs = Vec::new();
    for (i, s) in seqs.iter().enumerate() {
        let t = s.x.rows;
        let past = s.k_cache[0].rows;
        let (q, k, v) = split_qkv(shape, &rows(&qkv, r0, t), past);
        r0 += t;
        let k: Vec<_> = (0..shape.kv_heads).map(|g| stack(&s.k_cache[g], &k[g])).collect();
        let v: Vec<_> = (0..shape.kv_heads).map(|g| stack(&s.v_cache[g], &v[g])).collect();
        acc.min_dram_bytes += 2 * (past + t) as u64 * d * shape.kv_heads as u64;
        aseqs.push(Sequence { q, k, v, new_tokens: t, causal: true, blocks: paging.blocks[i].clone() });
    }
    let spec = AttentionSpec {
        d_head: shape.d_head,
        heads: shape.heads,
        kv_heads: shape.kv_heads,
        page_tokens: paging.page_tokens,
        quant: w.attn,
    };
    let a = attention(backend, &spec, &aseqs, paging.pool_blocks)?;
    acc.counters.add(&a.counters);
    acc.core_macs += a.useful_macs;
    acc.commands += a.commands;
    // 5. The output projection on the core, the residual on the host.
    let o = stack_all(&a.out.iter().map(|heads| concat_heads(heads)).collect::<Vec<_>>());
    let x1 = residual_rows(&x, &project(backend, &o, &w.wo, &w.q_o, &mut acc)?);
    // 6-7. RMSNorm, the gate/up projection, SwiGLU, the down projection, the residual.
    let gu = project(backend, &rms_norm_rows(&x1, &w.gamma2), &w.wgu, &w.q_gu, &mut acc)?;
    let m = project(backend, &swiglu_rows(&gu, shape.ffn), &w.wd, &w.q_d, &mut acc)?;
    let x2 = residual_rows(&x1, &m);
    let mut r0 = 0;
    for s in seqs {
        acc.out.push(rows(&x2, r0, s.x.rows));
        r0 += s.x.rows;
    }
    // Host work per token: two RMSNorms (square, sum, scale: 3 per element,
    // reading and writing W), RoPE on H + G heads (6 per pair: 3 per
    // element), two residual additions (read 2W, write W), SwiGLU (lookup,
    // multiply, shift: read 2F, write F).
    let (rope, f) = ((shape.heads + shape.kv_heads) as u64 * d, shape.ffn as u64);
    acc.host.operations = tokens * (2 * 3 * wd + 3 * rope + 2 * wd + 3 * f);
    acc.host.bytes = tokens * (2 * 2 * wd + 2 * rope + 2 * 3 * wd + 3 * f);
    Ok(acc)
}
