//! Attention heads on the core, prefill and decode, from a paged KV cache.
//!
//! The numerics are `golden::attention` (the spec): S = Q·Kᵀ on the tile,
//! requantized to int8 logits by the TILE_READ that writes them, softmax on
//! the softmax unit with `int8_out` (UQ0.7 probabilities), P·V on the tile,
//! requantized to int8 by its TILE_READ. Nothing runs on the host.
//!
//! # The KV cache
//! K and V live in pages of `page_tokens` (P) tokens of one KV head, in two
//! pools (K and V) indexed by the same block number, as vLLM's PagedAttention
//! keeps them: block `b` of KV head `g` is page `b·kv_heads + g` of each pool.
//! A sequence's block table lists its blocks in token order; sequences share
//! the pools. A V page is P rows of d bytes (token-major); a K page is stored
//! transposed, d rows of P bytes (dimension-major), because the tile takes
//! Kᵀ as its weights: a fold is R dimensions × C keys, R rows of one page.
//!
//! # The program
//! For each sequence and KV head, the pages are listed in the DMA read
//! engine's page table and loaded with paged descriptors into page slots of
//! the scratchpad, a slot reused only when its page is no longer there: a K
//! page whole (S reads it page by page), a V page one column block of L
//! bytes at a time (the first pass of P·V reads block 0 of every page), each
//! load planned for the whole run and issued [`pages::LOOKAHEAD`] ahead. Decode appends the new tokens' K and V first:
//! each is loaded from a staging area and stored into its page (a 2-D
//! DMA_STORE scatters the K column, d bytes P apart), then a BARRIER (DRAM is
//! not tracked by the scoreboard). Query rows go in blocks (`rows`): a prefill
//! block is up to [`QUERY_BLOCK`] rows of one head; a decode block is the
//! query rows of every head sharing the KV head (grouped-query attention
//! reads K and V once for all of them). Per block:
//!
//! 1. DMA_LOAD the query rows; TILE_QPARAM the logit requantization;
//! 2. for every block of C keys a row of the block can see (causal blocks
//!    skip the keys no row sees): d/R folds of Kᵀ (TILE_LOAD, TILE_COMPUTE),
//!    then TILE_READ requantized into the logit rows;
//! 3. SOFTMAX with the mask (valid length, causal limit) into the
//!    probability rows;
//! 4. TILE_QPARAM the output requantization; for every C output columns, the
//!    folds of R keys of V, then TILE_READ; DMA_STORE the output rows.
//!
//! The blocks are software-pipelined: block n's steps 1 and 2 come before
//! block n − 1's step 4, and its softmax after it, so the tile computes the
//! next block's logits while the softmax unit works on the previous one (the
//! compute queue issues in order; a SOFTMAX runs beside the tile). Logits
//! and probabilities have two buffers each when two blocks' rows fit.
//!
//! When a run's pages outnumber the page table (`dma.table_entries`), the
//! sequences are split over several runs, each with its own table.

use golden::attention::{AttentionQuant, Mask};
use golden::core::{CoreParams, Counters, Ring};
use golden::tile::gemm::Matrix;

mod lower;
pub mod pages;
pub mod problem;

use lower::{lower, Regions};

use crate::backend::Backend;
use crate::error::RuntimeError;
use crate::layout::DramAlloc;
use crate::program::write_ring;

/// The most query rows of one head computed together in prefill: fewer
/// rows per block skip more of a causal mask's empty blocks, more rows use
/// each Kᵀ and V fold longer.
pub const QUERY_BLOCK: usize = 32;

fn input(m: String) -> RuntimeError {
    RuntimeError::Input(m)
}

/// The heads' shape and quantization, shared by every sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionSpec {
    /// d: bytes of a query, key or value row.
    pub d_head: usize,
    /// Query heads.
    pub heads: usize,
    /// K/V heads; query head h uses K/V head `h / (heads / kv_heads)`.
    pub kv_heads: usize,
    /// Tokens per KV-cache page (P).
    pub page_tokens: usize,
    /// Every head's numeric parameters.
    pub quant: AttentionQuant,
}

/// One sequence: its queries, its whole K/V context and its mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// Per query head, Lq × d.
    pub q: Vec<Matrix<i8>>,
    /// Per K/V head, L × d: the context, the new tokens last.
    pub k: Vec<Matrix<i8>>,
    pub v: Vec<Matrix<i8>>,
    /// The last `new_tokens` rows of K and V are appended to the cache by the
    /// program (decode); the others are in the cache already.
    pub new_tokens: usize,
    /// Query row r (of Lq) sees key j only when j ≤ L − Lq + r.
    pub causal: bool,
    /// Pool blocks holding the sequence's tokens, in order.
    pub blocks: Vec<u32>,
}

impl Sequence {
    pub fn context(&self) -> usize {
        self.k.first().map_or(0, |k| k.rows)
    }

    pub fn queries(&self) -> usize {
        self.q.first().map_or(0, |q| q.rows)
    }

    /// The golden mask of its query rows.
    pub fn mask(&self) -> Mask {
        let l = self.context();
        Mask { valid_len: l, causal_base: self.causal.then(|| l - self.queries()) }
    }
}

/// The outputs and what they cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttentionResult {
    /// Per sequence, per query head, Lq × d.
    pub out: Vec<Vec<Matrix<i8>>>,
    /// The core's counters, summed over the runs.
    pub counters: Counters,
    /// Runs (rings) the work took: more than one when the pages outnumber the page table.
    pub runs: usize,
    pub commands: usize,
    /// The multiply-accumulates the masks leave: Σ unmasked (query, key) pairs × d × 2.
    pub useful_macs: u64,
    /// Q, K and V read once per (sequence, KV head), the new K/V once, O written once.
    pub min_dram_bytes: u64,
}

/// Where everything is in DRAM.
pub(crate) struct Dram {
    pub(crate) q: u64,
    pub(crate) o: u64,
    pub(crate) k_pool: u64,
    pub(crate) v_pool: u64,
    pub(crate) stage: u64,
    pub(crate) page_bytes: u64,
}

/// The checked geometry of a call.
pub(crate) struct Geometry {
    pub(crate) l: usize,
    pub(crate) r: usize,
    pub(crate) c: usize,
    pub(crate) d: usize,
    pub(crate) pt: usize,
    pub(crate) group: usize,
    pub(crate) page_shift: u8,
    pub(crate) s_stride: usize,
    /// Query rows a block may have: its logit rows and its queries fit their regions.
    pub(crate) rows_fit: usize,
}

fn geometry(p: &CoreParams, spec: &AttentionSpec, seqs: &[Sequence], pool: usize) -> Result<Geometry, RuntimeError> {
    let (l, r, c) = (p.line as usize, p.systolic.rows as usize, p.systolic.cols as usize);
    let (d, pt) = (spec.d_head, spec.page_tokens);
    if !p.systolic.requant {
        return Err(input(
            "systolic.requant = false: attention needs the tile's requantization (S to int8 logits, P·V to int8)"
                .to_string(),
        ));
    }
    if p.softmax.out_bits != 8 {
        return Err(input(format!(
            "softmax.out_bits = {}: attention needs 8 (the tile takes the probabilities as int8 UQ0.7)",
            p.softmax.out_bits
        )));
    }
    if d == 0 || !d.is_multiple_of(l) {
        return Err(input(format!("d_head = {d}: must be a positive multiple of the core's line of {l} bytes")));
    }
    if spec.heads == 0 || spec.kv_heads == 0 || !spec.heads.is_multiple_of(spec.kv_heads) {
        return Err(input(format!(
            "heads = {}, kv_heads = {}: both at least 1, and kv_heads must divide heads",
            spec.heads, spec.kv_heads
        )));
    }
    let page_bytes = pt * d;
    if pt == 0 || !pt.is_multiple_of(l) || !page_bytes.is_power_of_two() || !(64..=1 << 30).contains(&page_bytes) {
        return Err(input(format!(
            "page_size = {pt} tokens: must be a multiple of the line ({l} bytes), with page_size × d_head = {page_bytes} \
             a power of two from 64 to 2^30 bytes"
        )));
    }
    let mut max_len = 0;
    let mut max_new = 0;
    for (i, s) in seqs.iter().enumerate() {
        check_sequence(i, s, spec, pool)?;
        max_len = max_len.max(s.context().div_ceil(c) * c);
        max_new = max_new.max(s.new_tokens);
    }
    if max_len > p.softmax.max_len as usize {
        return Err(input(format!(
            "a context of {max_len} keys (rounded up to the tile's {c} columns) is longer than the softmax unit's \
             max_len = {}",
            p.softmax.max_len
        )));
    }
    let s_stride = max_len.div_ceil(l).max(1);
    let regions = Regions::new(p);
    let page_lines = (page_bytes / l) as u32;
    let group = spec.heads / spec.kv_heads;
    let rows_fit = (regions.s.lines as usize / s_stride)
        .min(regions.q[0].lines as usize * l / d)
        .min(p.systolic.acc_depth as usize);
    // A decode block is the query row of every head of a group.
    if page_lines > regions.k.lines || rows_fit == 0 || (seqs.iter().any(|s| s.queries() == 1) && rows_fit < group) {
        return Err(input(format!(
            "the scratchpad ({} lines of {l} bytes) is too small for pages of {page_bytes} bytes and logit rows of \
             {max_len} keys",
            p.lines
        )));
    }
    if 2 * max_new * d > regions.s.lines as usize * l {
        return Err(input(format!("{max_new} new tokens per sequence do not fit the staging area")));
    }
    Ok(Geometry { l, r, c, d, pt, group, page_shift: page_bytes.trailing_zeros() as u8, s_stride, rows_fit })
}

fn check_sequence(i: usize, s: &Sequence, spec: &AttentionSpec, pool: usize) -> Result<(), RuntimeError> {
    let (l, lq) = (s.context(), s.queries());
    let shapes_ok = s.q.len() == spec.heads
        && s.k.len() == spec.kv_heads
        && s.v.len() == spec.kv_heads
        && s.q.iter().all(|q| q.rows == lq && q.cols == spec.d_head)
        && s.k.iter().chain(&s.v).all(|m| m.rows == l && m.cols == spec.d_head);
    if !shapes_ok {
        return Err(input(format!(
            "sequence {i}: needs {} query matrices of Lq × {d} and {} K and V matrices of L × {d}, all heads alike",
            spec.heads,
            spec.kv_heads,
            d = spec.d_head
        )));
    }
    if l == 0 || lq == 0 || lq > l || s.new_tokens > l {
        return Err(input(format!(
            "sequence {i}: {lq} queries, a context of {l} keys and {} new tokens: at least 1 query and 1 key, \
             no more queries or new tokens than keys",
            s.new_tokens
        )));
    }
    let pages = l.div_ceil(spec.page_tokens);
    if s.blocks.len() < pages {
        return Err(input(format!(
            "sequence {i}: a context of {l} tokens needs {pages} blocks of {} tokens; its block table has {}",
            spec.page_tokens,
            s.blocks.len()
        )));
    }
    if let Some((j, b)) = s.blocks.iter().enumerate().find(|(_, &b)| b as usize >= pool) {
        return Err(input(format!(
            "sequence {i}: block table entry {j} = {b} is out of range (the pool has {pool} blocks)"
        )));
    }
    Ok(())
}

/// Run attention for `seqs` on `backend`, the KV cache in a pool of
/// `pool_blocks` blocks: the host writes the cached tokens into their pages,
/// the program appends the new ones and computes every head.
pub fn attention<B: Backend>(
    backend: &mut B,
    spec: &AttentionSpec,
    seqs: &[Sequence],
    pool_blocks: usize,
) -> Result<AttentionResult, RuntimeError> {
    let cfg = backend.config().clone();
    let p = CoreParams::new(&cfg).map_err(input)?;
    spec.quant.logit.validate().map_err(input)?;
    spec.quant.out.validate().map_err(input)?;
    let g = geometry(&p, spec, seqs, pool_blocks)?;
    let (dram, mut alloc) = place(backend, &cfg, spec, seqs, pool_blocks, &g)?;
    // Sequences go in runs whose pages fit the page table.
    let cap = cfg.dma.table_entries as usize;
    let mut runs: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, s) in seqs.iter().enumerate() {
        let need = 2 * spec.kv_heads * s.context().div_ceil(g.pt);
        if need > cap {
            return Err(input(format!(
                "sequence {i}: its {need} K and V pages outnumber the page table (dma.table_entries = {cap}); \
                 use larger pages"
            )));
        }
        if used + need > cap {
            runs.push(Vec::new());
            used = 0;
        }
        runs.last_mut().expect("runs start with one").push(i);
        used += need;
    }
    let mut programs = Vec::new();
    for run in &runs {
        let (table, pb) = lower(&p, spec, seqs, run, &dram, &g);
        programs.push((table, pb.encode()?, pb.len()));
    }
    let longest = programs.iter().map(|x| x.2).max().unwrap_or(0);
    let ring = Ring { base: alloc.alloc((longest as u64 + 1) * 32).map_err(input)?, size: longest as u32 + 1 };
    let (mut head, mut counters, mut commands) = (0u32, Counters::default(), 0);
    for (table, bytes, n) in &programs {
        backend.set_page_table(true, table)?;
        let tail = write_ring(backend.memory(), ring, head, bytes)?;
        let st = backend.run(ring, head, tail)?;
        if let Some(f) = st.fault {
            return Err(RuntimeError::Fault(f));
        }
        counters.add(&st.counters);
        head = tail;
        commands += n;
    }
    let out = read_outputs(backend, spec, seqs, &dram);
    let (useful_macs, min_dram_bytes) = costs(spec, seqs);
    Ok(AttentionResult { out, counters, runs: runs.len(), commands, useful_macs, min_dram_bytes })
}

/// Useful MACs (unmasked pairs × d, for Q·Kᵀ and P·V) and the least DRAM traffic.
pub fn costs(spec: &AttentionSpec, seqs: &[Sequence]) -> (u64, u64) {
    let d = spec.d_head as u64;
    let (mut macs, mut bytes) = (0u64, 0u64);
    for s in seqs {
        let m = s.mask();
        let pairs: u64 = (0..s.queries()).map(|r| (0..s.context()).filter(|&j| !m.masked(r, j)).count() as u64).sum();
        macs += 2 * pairs * d * spec.heads as u64;
        let kv = 2 * s.context() as u64 * d * spec.kv_heads as u64;
        let new = 2 * s.new_tokens as u64 * d * spec.kv_heads as u64;
        bytes += kv + 2 * new + 2 * s.queries() as u64 * d * spec.heads as u64;
    }
    (macs, bytes)
}

/// Offsets of sequence `i`'s rows in the Q/O area and in the staging area.
pub(crate) fn q_offset(spec: &AttentionSpec, seqs: &[Sequence], i: usize) -> u64 {
    seqs[..i].iter().map(|s| (s.queries() * spec.heads * spec.d_head) as u64).sum()
}

pub(crate) fn stage_offset(spec: &AttentionSpec, seqs: &[Sequence], i: usize) -> u64 {
    seqs[..i].iter().map(|s| (2 * s.new_tokens * spec.kv_heads * spec.d_head) as u64).sum()
}

/// Allocate DRAM; write the queries, the cached tokens into their pages and
/// the new tokens into the staging area.
fn place<B: Backend>(
    backend: &mut B,
    cfg: &golden::config::Config,
    spec: &AttentionSpec,
    seqs: &[Sequence],
    pool: usize,
    g: &Geometry,
) -> Result<(Dram, DramAlloc), RuntimeError> {
    let space = if cfg.dma.addr_bits >= 64 { u64::MAX } else { 1u64 << cfg.dma.addr_bits };
    let mut alloc = DramAlloc::new(0x1_0000, space);
    let pb = (g.pt * g.d) as u64;
    let mut al = |bytes: u64, align: u64| -> Result<u64, RuntimeError> {
        // Pages are aligned to their size (the page table's entries are page bases).
        let a = alloc.alloc(bytes + align).map_err(input)?;
        Ok(a.div_ceil(align) * align)
    };
    let q_bytes = q_offset(spec, seqs, seqs.len());
    let pool_bytes = pool as u64 * spec.kv_heads as u64 * pb;
    let dram = Dram {
        q: al(q_bytes, 64)?,
        o: al(q_bytes, 64)?,
        k_pool: al(pool_bytes, pb)?,
        v_pool: al(pool_bytes, pb)?,
        stage: al(stage_offset(spec, seqs, seqs.len()).max(1), 64)?,
        page_bytes: pb,
    };
    let mem = backend.memory();
    for (i, s) in seqs.iter().enumerate() {
        let row = |m: &Matrix<i8>, t: usize| -> Vec<u8> { (0..g.d).map(|c| m.at(t, c) as u8).collect() };
        let mut a = dram.q + q_offset(spec, seqs, i);
        for q in &s.q {
            for t in 0..q.rows {
                mem.write(a, &row(q, t));
                a += g.d as u64;
            }
        }
        let cached = s.context() - s.new_tokens;
        for h in 0..spec.kv_heads {
            for t in 0..cached {
                let page = (s.blocks[t / g.pt] as u64 * spec.kv_heads as u64 + h as u64) * pb;
                let kcol = row(&s.k[h], t);
                for (c, b) in kcol.iter().enumerate() {
                    mem.write(dram.k_pool + page + (c * g.pt + t % g.pt) as u64, &[*b]);
                }
                // V: column blocks of L bytes, each P rows (module docs).
                let vrow = row(&s.v[h], t);
                for (w, blk) in vrow.chunks(g.l).enumerate() {
                    mem.write(dram.v_pool + page + ((w * g.pt + t % g.pt) * g.l) as u64, blk);
                }
            }
            let st = dram.stage + stage_offset(spec, seqs, i) + (2 * h * s.new_tokens * g.d) as u64;
            for (n, t) in (cached..s.context()).enumerate() {
                mem.write(st + (n * g.d) as u64, &row(&s.k[h], t));
                mem.write(st + ((s.new_tokens + n) * g.d) as u64, &row(&s.v[h], t));
            }
        }
    }
    Ok((dram, alloc))
}

fn read_outputs<B: Backend>(
    backend: &mut B,
    spec: &AttentionSpec,
    seqs: &[Sequence],
    dram: &Dram,
) -> Vec<Vec<Matrix<i8>>> {
    let mem = backend.memory();
    let d = spec.d_head;
    let mut buf = vec![0u8; d];
    seqs.iter()
        .enumerate()
        .map(|(i, s)| {
            let base = dram.o + q_offset(spec, seqs, i);
            (0..spec.heads)
                .map(|h| {
                    let mut o = Matrix::zeros(s.queries(), d);
                    for t in 0..s.queries() {
                        mem.read(base + ((h * s.queries() + t) * d) as u64, &mut buf);
                        (0..d).for_each(|c| o.set(t, c, buf[c] as i8));
                    }
                    o
                })
                .collect()
        })
        .collect()
}
