//! The attention program (the steps of `super`'s module docs): the
//! scratchpad regions, the page slots and the commands of each query block.

use golden::core::isa::SoftmaxCmd;
use golden::core::CoreParams;
use golden::dma::Descriptor;

use super::pages::{Pages, Slots, Use};
use super::{q_offset, stage_offset, AttentionSpec, Dram, Geometry, Sequence, QUERY_BLOCK};
use crate::layout::Region;
use crate::program::ProgramBuilder;

/// Scratchpad regions of the attention program.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Regions {
    pub(crate) q: [Region; 2],
    pub(crate) o: [Region; 2],
    pub(crate) s: Region,
    pub(crate) p: Region,
    pub(crate) k: Region,
    pub(crate) v: Region,
}

impl Regions {
    /// Sixteenths of the scratchpad: Q 1, O 1 (two buffers each), logits 3,
    /// probabilities 3, K pages 4, V pages 4 (a 1,024-token context of d = 64
    /// stays whole in the default core's 64 KiB of V slots).
    pub(crate) fn new(p: &CoreParams) -> Regions {
        let u = p.lines / 16;
        let r = |start: u32, lines: u32| Region { start, lines };
        Regions {
            q: [r(0, u / 2), r(u / 2, u / 2)],
            o: [r(u, u / 2), r(u + u / 2, u / 2)],
            s: r(2 * u, 3 * u),
            p: r(5 * u, 3 * u),
            k: r(8 * u, 4 * u),
            v: r(12 * u, 4 * u),
        }
    }
}

/// One block of query rows against one sequence's K/V head.
struct QueryBlock {
    /// DRAM address of the rows (d bytes each, consecutive) and of their outputs.
    q: u64,
    o: u64,
    rows: usize,
    /// Keys the block computes (a multiple of C, up to the context rounded up).
    keys: usize,
    mask: SoftmaxCmd,
}

/// The program and page table of the sequences `run`.
pub(crate) fn lower(
    p: &CoreParams,
    spec: &AttentionSpec,
    seqs: &[Sequence],
    run: &[usize],
    dram: &Dram,
    g: &Geometry,
) -> (Vec<u64>, ProgramBuilder) {
    let regions = Regions::new(p);
    let mut pb = ProgramBuilder::new();
    append_new_tokens(&mut pb, spec, seqs, run, dram, g, &regions);
    let page_lines = (g.pt * g.d / g.l) as u32;
    let mut pages = Pages::new(Slots::new(regions.k, page_lines), Slots::new(regions.v, page_lines));
    let mut table = Vec::new();
    // Plan every block's folds first, so that loads run ahead across blocks.
    let mut blocks = Vec::new();
    for &i in run {
        let s = &seqs[i];
        let np = s.context().div_ceil(g.pt);
        for h in 0..spec.kv_heads {
            let page_addr =
                |pool: u64, n: usize| pool + (s.blocks[n] as u64 * spec.kv_heads as u64 + h as u64) * dram.page_bytes;
            let kt = table.len();
            table.extend((0..np).map(|n| page_addr(dram.k_pool, n)));
            let vt = table.len();
            table.extend((0..np).map(|n| page_addr(dram.v_pool, n)));
            let src = KvSource { seq: i, head: h, k_table: kt as u16, v_table: vt as u16 };
            for blk in query_blocks(spec, seqs, i, h, dram, g) {
                let uses = plan(&mut pages, &blk, &src, g);
                blocks.push((blk, uses));
            }
        }
    }
    let mut pos = 0;
    for (n, (blk, uses)) in blocks.iter().enumerate() {
        let regs = (regions.q[n % 2], regions.o[n % 2]);
        block(&mut pb, spec, blk, uses, &mut pages, &mut pos, regs, &regions, g);
    }
    pages.loads.rest(&mut pb);
    pb.fence();
    pb.fuse_folds(p);
    (table, pb)
}

struct KvSource {
    seq: usize,
    head: usize,
    k_table: u16,
    v_table: u16,
}

/// The query blocks of sequence `i` against K/V head `h`.
fn query_blocks(
    spec: &AttentionSpec,
    seqs: &[Sequence],
    i: usize,
    h: usize,
    dram: &Dram,
    g: &Geometry,
) -> Vec<QueryBlock> {
    let s = &seqs[i];
    let (l, lq) = (s.context(), s.queries());
    let base = dram.q + q_offset(spec, seqs, i);
    let obase = dram.o + q_offset(spec, seqs, i);
    let mask = |rows: usize, first: usize, keys: usize| SoftmaxCmd {
        rows: rows as u32,
        len: keys as u32,
        valid_len: l as u32,
        causal: s.causal,
        causal_base: (l - lq + first) as u32,
        ..Default::default()
    };
    let heads = h * g.group..(h + 1) * g.group;
    let mut out = Vec::new();
    if lq == 1 {
        // Decode: the group's query rows together.
        let keys = l.div_ceil(g.c) * g.c;
        let at = (heads.start * lq * g.d) as u64;
        out.push(QueryBlock { q: base + at, o: obase + at, rows: g.group, keys, mask: mask(g.group, 0, keys) });
        return out;
    }
    let step = QUERY_BLOCK.min(g.rows_fit);
    for hq in heads {
        for m0 in (0..lq).step_by(step) {
            let rows = step.min(lq - m0);
            let seen = if s.causal { (l - lq + m0 + rows).min(l) } else { l };
            let keys = seen.div_ceil(g.c) * g.c;
            let at = ((hq * lq + m0) * g.d) as u64;
            out.push(QueryBlock { q: base + at, o: obase + at, rows, keys, mask: mask(rows, m0, keys) });
        }
    }
    out
}

/// Decode's appends: each new token's K column and V row stored into its
/// page from the staging area, then a BARRIER before any page is loaded.
fn append_new_tokens(
    pb: &mut ProgramBuilder,
    spec: &AttentionSpec,
    seqs: &[Sequence],
    run: &[usize],
    dram: &Dram,
    g: &Geometry,
    regions: &Regions,
) {
    let row_lines = (g.d / g.l) as u32;
    let mut any = false;
    let mut line = regions.s.start;
    for &i in run {
        let s = &seqs[i];
        let nt = s.new_tokens;
        if nt == 0 {
            continue;
        }
        for h in 0..spec.kv_heads {
            let st = dram.stage + stage_offset(spec, seqs, i) + (2 * h * nt * g.d) as u64;
            if line + 2 * nt as u32 * row_lines > regions.s.start + regions.s.lines {
                line = regions.s.start; // the scoreboard orders the reuse
            }
            pb.dma_load(Descriptor::linear(st, (2 * nt * g.d) as u32), line);
            for (n, t) in (s.context() - nt..s.context()).enumerate() {
                let page = (s.blocks[t / g.pt] as u64 * spec.kv_heads as u64 + h as u64) * dram.page_bytes;
                let at = (t % g.pt) as u64;
                let kd = Descriptor::strided_2d(dram.k_pool + page + at, 1, g.d as u16, g.pt as u64);
                pb.dma_store(kd, line + n as u32 * row_lines);
                // V pages are d/L column blocks of P rows of L bytes.
                let vd = Descriptor::strided_2d(
                    dram.v_pool + page + at * g.l as u64,
                    g.l as u32,
                    (g.d / g.l) as u16,
                    (g.pt * g.l) as u64,
                );
                pb.dma_store(vd, line + (nt + n) as u32 * row_lines);
            }
            line += 2 * nt as u32 * row_lines;
            any = true;
        }
    }
    if any {
        pb.barrier();
    }
}

/// The page chunks each fold of a block reads: S's folds (per C keys, per
/// fold of d) and P·V's (per pass of C columns, per fold of R keys).
struct BlockUses {
    s: Vec<Vec<Use>>,
    pv: Vec<Vec<Use>>,
}

/// Plan a block's folds in the order [`block`] emits them.
///
/// A K page is d rows of P keys; its chunk `c` is the R rows of fold `c`. A
/// V page is d/L column blocks of P rows of L bytes; its chunk `w` is block
/// `w`, what the passes over columns `w·L..` read. The chunks are loaded in
/// the order the folds use them (every K chunk, then V block by block), so
/// the DMA keeps streaming while the first pass of P·V already runs.
fn plan(pages: &mut Pages, b: &QueryBlock, src: &KvSource, g: &Geometry) -> BlockUses {
    let (l, r, c, d, pt) = (g.l, g.r, g.c, g.d, g.pt);
    let (kchunks, vchunks) = (d.div_ceil(r), d / l);
    let paged = |n: usize, off: usize, len: usize, table: u16| {
        (Descriptor::paged((n * pt * d + off) as u64, len as u32, table, g.page_shift), (off / l) as u32)
    };
    let s = (0..b.keys)
        .step_by(c)
        .map(|n0| {
            (0..kchunks)
                .map(|f| {
                    let (n, len) = (n0 / pt, r.min(d - f * r) * pt);
                    let key = (src.seq, 2 * src.head, n);
                    pages.use_chunk(false, key, f, kchunks, || paged(n, f * r * pt, len, src.k_table))
                })
                .collect()
        })
        .collect();
    let pv = (0..d)
        .step_by(c)
        .map(|n0| {
            let w = n0 / l;
            (0..b.keys)
                .step_by(r)
                .map(|kf| {
                    let (n, key) = (kf / pt, (src.seq, 2 * src.head + 1, kf / pt));
                    pages.use_chunk(true, key, w, vchunks, || paged(n, w * pt * l, pt * l, src.v_table))
                })
                .collect()
        })
        .collect();
    BlockUses { s, pv }
}

/// One query block: Q·Kᵀ, softmax, P·V, store (module docs, steps 1 to 4).
#[allow(clippy::too_many_arguments)]
fn block(
    pb: &mut ProgramBuilder,
    spec: &AttentionSpec,
    b: &QueryBlock,
    uses: &BlockUses,
    pages: &mut Pages,
    pos: &mut usize,
    (qreg, oreg): (Region, Region),
    regions: &Regions,
    g: &Geometry,
) {
    let (l, r, c, d, pt) = (g.l, g.r, g.c, g.d, g.pt);
    let row_lines = (d / l) as u32;
    let s_stride = g.s_stride as u32;
    let rows = b.rows as u32;
    let mut next = |pb: &mut ProgramBuilder, u: Use| {
        pages.loads.upto(pb, u.need, *pos);
        *pos += 1;
        u.line
    };
    pb.dma_load(Descriptor::linear(b.q, (b.rows * d) as u32), qreg.start);
    pb.tile_qparam(None, spec.quant.logit);
    // 2. S = Q·Kᵀ, C keys at a time; row i of fold f is dimension f·R + i of a K page.
    for (kb, n0) in (0..b.keys).step_by(c).enumerate() {
        let (in_page, b_off) = ((n0 % pt) / l, ((n0 % l) / c) as u32);
        for (f, kf) in (0..d).step_by(r).enumerate() {
            let kp = next(pb, uses.s[kb][f]);
            let b_line = kp + (kf * pt / l + in_page) as u32;
            pb.tile_load(b_line, (pt / l) as u32, b_off, r.min(d - kf) as u32);
            let a_line = qreg.start + (kf / l) as u32;
            pb.tile_compute(a_line, row_lines, ((kf % l) / r) as u32, rows, kf > 0);
        }
        pb.tile_read(regions.s.start + (n0 / l) as u32, s_stride, b_off, rows, true);
    }
    // 3. The probabilities, int8 UQ0.7.
    let sm = SoftmaxCmd {
        x_line: regions.s.start,
        x_stride: s_stride,
        y_line: regions.p.start,
        y_stride: s_stride,
        k: spec.quant.k,
        int8_out: true,
        ..b.mask
    };
    pb.softmax(sm);
    // 4. O = P·V, C output columns at a time; row i of a fold is key kf + i, one line of block w.
    pb.tile_qparam(None, spec.quant.out);
    for (pass, n0) in (0..d).step_by(c).enumerate() {
        let w = n0 / l;
        for (f, kf) in (0..b.keys).step_by(r).enumerate() {
            let vp = next(pb, uses.pv[pass][f]);
            let b_line = vp + (w * pt + kf % pt) as u32;
            pb.tile_load(b_line, 1, ((n0 % l) / c) as u32, r.min(b.keys - kf) as u32);
            let a_line = regions.p.start + (kf / l) as u32;
            pb.tile_compute(a_line, s_stride, ((kf % l) / r) as u32, rows, kf > 0);
        }
        pb.tile_read(oreg.start + (n0 / l) as u32, row_lines, ((n0 % l) / c) as u32, rows, true);
    }
    pb.dma_store(Descriptor::linear(b.o, (b.rows * d) as u32), oreg.start);
}
