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
    // Every block's query blocks first, then their folds planned in the
    // order they are emitted, so that loads run ahead across blocks.
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
            blocks.extend(query_blocks(spec, seqs, i, h, dram, g).into_iter().map(|b| (b, src)));
        }
    }
    // Software pipelining: block n's S is emitted before block n − 1's P·V,
    // and its softmax after, so the tile computes the next logits while the
    // softmax unit works (the compute queue issues in order; the softmax
    // runs beside the tile). Two logit and probability buffers when they
    // fit, else the scoreboard orders the reuse.
    let max_rows = blocks.iter().map(|(b, _)| b.rows).max().unwrap_or(0);
    let double = 2 * max_rows * g.s_stride <= regions.s.lines.min(regions.p.lines) as usize;
    let bufs = |n: usize| {
        let half = |r: Region| if double { r.start + (n % 2) as u32 * (r.lines / 2) } else { r.start };
        (half(regions.s), half(regions.p))
    };
    let n = blocks.len();
    let mut uses = Vec::with_capacity(n);
    for step in 0..=n {
        let s_uses = (step < n).then(|| plan_s(&mut pages, &blocks[step].0, &blocks[step].1, g));
        let pv_uses = (step >= 1).then(|| plan_pv(&mut pages, &blocks[step - 1].0, &blocks[step - 1].1, g));
        uses.push((s_uses, pv_uses));
    }
    let mut pos = 0;
    for (step, (s_uses, pv_uses)) in uses.iter().enumerate() {
        if let Some(u) = s_uses {
            let (b, (sb, _)) = (&blocks[step].0, bufs(step));
            logits(&mut pb, spec, b, u, &mut pages, &mut pos, regions.q[step % 2], sb, g);
        }
        if let Some(u) = pv_uses {
            let (b, (_, pbuf)) = (&blocks[step - 1].0, bufs(step - 1));
            outputs(&mut pb, spec, b, u, &mut pages, &mut pos, regions.o[(step - 1) % 2], pbuf, g);
        }
        if s_uses.is_some() {
            let (b, (sb, pbuf)) = (&blocks[step].0, bufs(step));
            pb.softmax(SoftmaxCmd {
                x_line: sb,
                x_stride: g.s_stride as u32,
                y_line: pbuf,
                y_stride: g.s_stride as u32,
                k: spec.quant.k,
                int8_out: true,
                ..b.mask
            });
        }
    }
    pages.loads.rest(&mut pb);
    pb.fence();
    pb.fuse_folds(p);
    (table, pb)
}

#[derive(Clone, Copy)]
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

/// Plan the folds of a block's S = Q·Kᵀ (per C keys, per fold of d), in
/// the order [`logits`] emits them. A K page is d rows of P keys, loaded
/// whole: S reads it page by page.
fn plan_s(pages: &mut Pages, b: &QueryBlock, src: &KvSource, g: &Geometry) -> Vec<Vec<Use>> {
    let (c, d, pt) = (g.c, g.d, g.pt);
    let kchunks = d.div_ceil(g.r);
    (0..b.keys)
        .step_by(c)
        .map(|n0| {
            let (n, key) = (n0 / pt, (src.seq, 2 * src.head, n0 / pt));
            (0..kchunks).map(|_| pages.use_chunk(false, key, 0, 1, || paged(g, n, 0, d * pt, src.k_table))).collect()
        })
        .collect()
}

/// Plan the folds of a block's P·V (per pass of C columns, per fold of R
/// keys), in the order [`outputs`] emits them. A V page is d/L column
/// blocks of P rows of L bytes; its chunk `w` is block `w`, what the passes
/// over columns `w·L..` read, so the first pass starts after one block of
/// each page, not whole pages.
fn plan_pv(pages: &mut Pages, b: &QueryBlock, src: &KvSource, g: &Geometry) -> Vec<Vec<Use>> {
    let (l, r, c, d, pt) = (g.l, g.r, g.c, g.d, g.pt);
    let vchunks = d / l;
    (0..d)
        .step_by(c)
        .map(|n0| {
            let w = n0 / l;
            (0..b.keys)
                .step_by(r)
                .map(|kf| {
                    let (n, key) = (kf / pt, (src.seq, 2 * src.head + 1, kf / pt));
                    pages.use_chunk(true, key, w, vchunks, || paged(g, n, w * pt * l, pt * l, src.v_table))
                })
                .collect()
        })
        .collect()
}

/// Page `n`'s bytes `[off, off + len)` through the page table from entry
/// `table`, and the line of the slot they go to.
fn paged(g: &Geometry, n: usize, off: usize, len: usize, table: u16) -> (Descriptor, u32) {
    (Descriptor::paged((n * g.pt * g.d + off) as u64, len as u32, table, g.page_shift), (off / g.l) as u32)
}

/// A block's logits: its queries loaded, S = Q·Kᵀ (module docs, steps 1
/// and 2) into the logit buffer `s_line`.
#[allow(clippy::too_many_arguments)]
fn logits(
    pb: &mut ProgramBuilder,
    spec: &AttentionSpec,
    b: &QueryBlock,
    uses: &[Vec<Use>],
    pages: &mut Pages,
    pos: &mut usize,
    qreg: Region,
    s_line: u32,
    g: &Geometry,
) {
    let (l, r, c, d, pt) = (g.l, g.r, g.c, g.d, g.pt);
    let row_lines = (d / l) as u32;
    let rows = b.rows as u32;
    pb.dma_load(Descriptor::linear(b.q, (b.rows * d) as u32), qreg.start);
    pb.tile_qparam(None, spec.quant.logit);
    // C keys at a time; row i of fold f is dimension f·R + i of a K page.
    for (kb, n0) in (0..b.keys).step_by(c).enumerate() {
        let (in_page, b_off) = ((n0 % pt) / l, ((n0 % l) / c) as u32);
        for (f, kf) in (0..d).step_by(r).enumerate() {
            let kp = next(pb, pages, uses[kb][f], pos);
            let b_line = kp + (kf * pt / l + in_page) as u32;
            pb.tile_load(b_line, (pt / l) as u32, b_off, r.min(d - kf) as u32);
            let a_line = qreg.start + (kf / l) as u32;
            pb.tile_compute(a_line, row_lines, ((kf % l) / r) as u32, rows, kf > 0);
        }
        pb.tile_read(s_line + (n0 / l) as u32, g.s_stride as u32, b_off, rows, true);
    }
}

/// A block's outputs: O = P·V from the probability buffer `p_line`, C
/// output columns at a time, then stored (module docs, steps 4 and 5).
#[allow(clippy::too_many_arguments)]
fn outputs(
    pb: &mut ProgramBuilder,
    spec: &AttentionSpec,
    b: &QueryBlock,
    uses: &[Vec<Use>],
    pages: &mut Pages,
    pos: &mut usize,
    oreg: Region,
    p_line: u32,
    g: &Geometry,
) {
    let (l, r, c, d, pt) = (g.l, g.r, g.c, g.d, g.pt);
    let (row_lines, rows) = ((d / l) as u32, b.rows as u32);
    pb.tile_qparam(None, spec.quant.out);
    // Row i of a fold is key kf + i, one line of V block w.
    for (pass, n0) in (0..d).step_by(c).enumerate() {
        let w = n0 / l;
        for (f, kf) in (0..b.keys).step_by(r).enumerate() {
            let vp = next(pb, pages, uses[pass][f], pos);
            let b_line = vp + (w * pt + kf % pt) as u32;
            pb.tile_load(b_line, 1, ((n0 % l) / c) as u32, r.min(b.keys - kf) as u32);
            let a_line = p_line + (kf / l) as u32;
            pb.tile_compute(a_line, g.s_stride as u32, ((kf % l) / r) as u32, rows, kf > 0);
        }
        pb.tile_read(oreg.start + (n0 / l) as u32, row_lines, ((n0 % l) / c) as u32, rows, true);
    }
    pb.dma_store(Descriptor::linear(b.o, (b.rows * d) as u32), oreg.start);
}

/// Before the next fold: the loads it needs (and those ahead); its slot's line.
fn next(pb: &mut ProgramBuilder, pages: &mut Pages, u: Use, pos: &mut usize) -> u32 {
    pages.loads.upto(pb, u.need, *pos);
    *pos += 1;
    u.line
}
