//! The attention program (the steps of `super`'s module docs): the
//! scratchpad regions, the page slots and the commands of each query block.

use golden::core::isa::SoftmaxCmd;
use golden::core::CoreParams;
use golden::dma::Descriptor;

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

/// A page: (sequence, 2 × K/V head + 0 for K or 1 for V, page index).
type PageKey = (usize, usize, usize);

/// Page slots of one region: each remembers its page and which of the
/// page's chunks are loaded (pages are loaded a chunk at a time, in the order
/// the folds use them).
struct Slots {
    region: Region,
    page_lines: u32,
    held: Vec<Option<(PageKey, Vec<bool>)>>,
    next: usize,
}

impl Slots {
    fn new(region: Region, page_lines: u32) -> Slots {
        let n = (region.lines / page_lines) as usize;
        Slots { region, page_lines, held: vec![None; n], next: 0 }
    }

    /// The first line of the slot holding page `key` (taking the next slot
    /// round the ring if it is not held), and whether chunk `chunk` of
    /// `chunks` must be loaded into it.
    fn ensure(&mut self, key: PageKey, chunk: usize, chunks: usize) -> (u32, bool) {
        let i = match self.held.iter().position(|h| h.as_ref().is_some_and(|(k, _)| *k == key)) {
            Some(i) => i,
            None => {
                let i = self.next;
                self.next = (self.next + 1) % self.held.len();
                self.held[i] = Some((key, vec![false; chunks]));
                i
            }
        };
        let loaded = &mut self.held[i].as_mut().expect("just set").1;
        let load = !std::mem::replace(&mut loaded[chunk], true);
        (self.region.start + i as u32 * self.page_lines, load)
    }
}

/// Chunk loads issued ahead of the folds that use them, so that the DMA
/// streams while the tile works; not further than [`LOOKAHEAD`] chunks,
/// so that a load waiting in the scoreboard does not hold back the folds.
struct Loads {
    list: Vec<(Descriptor, u32)>,
    issued: usize,
}

/// Chunks loaded ahead of the one the next fold needs.
pub const LOOKAHEAD: usize = 4;

impl Loads {
    /// Issue every load up to `need` (the loads the next fold needs) and
    /// [`LOOKAHEAD`] beyond.
    fn upto(&mut self, pb: &mut ProgramBuilder, need: usize) {
        let end = (need + LOOKAHEAD).min(self.list.len());
        while self.issued < end {
            let (d, line) = self.list[self.issued];
            pb.dma_load(d, line);
            self.issued += 1;
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
    let (mut kslots, mut vslots) = (Slots::new(regions.k, page_lines), Slots::new(regions.v, page_lines));
    let mut table = Vec::new();
    let mut qbuf = 0;
    for &i in run {
        let s = &seqs[i];
        let pages = s.context().div_ceil(g.pt);
        for h in 0..spec.kv_heads {
            let page_addr =
                |pool: u64, n: usize| pool + (s.blocks[n] as u64 * spec.kv_heads as u64 + h as u64) * dram.page_bytes;
            let kt = table.len();
            table.extend((0..pages).map(|n| page_addr(dram.k_pool, n)));
            let vt = table.len();
            table.extend((0..pages).map(|n| page_addr(dram.v_pool, n)));
            let src = KvSource { seq: i, head: h, k_table: kt as u16, v_table: vt as u16 };
            for blk in query_blocks(p, spec, seqs, i, h, dram, g) {
                qbuf ^= 1;
                let regs = (regions.q[qbuf], regions.o[qbuf]);
                block(&mut pb, spec, &blk, &src, regs, &regions, &mut kslots, &mut vslots, g);
            }
        }
    }
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
    p: &CoreParams,
    spec: &AttentionSpec,
    seqs: &[Sequence],
    i: usize,
    h: usize,
    dram: &Dram,
    g: &Geometry,
) -> Vec<QueryBlock> {
    let s = &seqs[i];
    let (l, lq) = (s.context(), s.queries());
    let regions = Regions::new(p);
    let fit = (regions.s.lines as usize / g.s_stride).min(regions.q[0].lines as usize * g.l / g.d);
    let cap = fit.min(p.systolic.acc_depth as usize);
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
    let step = QUERY_BLOCK.min(cap);
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

/// One query block: Q·Kᵀ, softmax, P·V, store (module docs, steps 1 to 4).
///
/// A K page is d rows of P keys; its chunk `c` is the R rows of fold `c`. A
/// V page is d/L column blocks of P rows of L bytes; its chunk `w` is block
/// `w`, what pass `w` of P·V reads. The chunks are loaded in the order the
/// folds use them (every K chunk, then V block by block), so the DMA keeps
/// streaming while pass 0 of P·V already runs.
#[allow(clippy::too_many_arguments)]
fn block(
    pb: &mut ProgramBuilder,
    spec: &AttentionSpec,
    b: &QueryBlock,
    src: &KvSource,
    (qreg, oreg): (Region, Region),
    regions: &Regions,
    kslots: &mut Slots,
    vslots: &mut Slots,
    g: &Geometry,
) {
    let (l, r, c, d, pt) = (g.l, g.r, g.c, g.d, g.pt);
    let row_lines = (d / l) as u32;
    let s_stride = g.s_stride as u32;
    let rows = b.rows as u32;
    let (kchunks, vchunks) = (d.div_ceil(r), d / l);
    let pages = b.keys.div_ceil(pt);
    // The chunks in the order the folds use them, each with its slot line
    // and the loads issued up to it.
    let mut loads = Loads { list: Vec::new(), issued: 0 };
    let mut chunk =
        |slots: &mut Slots, table: u16, kind: usize, n: usize, ch: usize, nch: usize, off: usize, len: usize| {
            let (line, load) = slots.ensure((src.seq, src.head * 2 + kind, n), ch, nch);
            if load {
                let desc = Descriptor::paged((n * pt * d + off) as u64, len as u32, table, g.page_shift);
                loads.list.push((desc, line + (off / l) as u32));
            }
            (line, loads.list.len())
        };
    let kfold: Vec<Vec<(u32, usize)>> = (0..pages)
        .map(|n| {
            (0..kchunks)
                .map(|ch| chunk(kslots, src.k_table, 0, n, ch, kchunks, ch * r * pt, r.min(d - ch * r) * pt))
                .collect()
        })
        .collect();
    let vblock: Vec<Vec<(u32, usize)>> = (0..vchunks)
        .map(|w| (0..pages).map(|n| chunk(vslots, src.v_table, 1, n, w, vchunks, w * pt * l, pt * l)).collect())
        .collect();
    pb.dma_load(Descriptor::linear(b.q, (b.rows * d) as u32), qreg.start);
    pb.tile_qparam(None, spec.quant.logit);
    // 2. S = Q·Kᵀ, C keys at a time; row i of fold f is dimension f·R + i of a K page.
    for n0 in (0..b.keys).step_by(c) {
        let (in_page, b_off) = ((n0 % pt) / l, ((n0 % l) / c) as u32);
        for (f, kf) in (0..d).step_by(r).enumerate() {
            let (kp, need) = kfold[n0 / pt][f];
            loads.upto(pb, need);
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
    for n0 in (0..d).step_by(c) {
        let w = n0 / l;
        for kf in (0..b.keys).step_by(r) {
            let (vp, need) = vblock[w][kf / pt];
            loads.upto(pb, need);
            let b_line = vp + (w * pt + kf % pt) as u32;
            pb.tile_load(b_line, 1, ((n0 % l) / c) as u32, r.min(b.keys - kf) as u32);
            let a_line = regions.p.start + (kf / l) as u32;
            pb.tile_compute(a_line, s_stride, ((kf % l) / r) as u32, rows, kf > 0);
        }
        pb.tile_read(oreg.start + (n0 / l) as u32, row_lines, ((n0 % l) / c) as u32, rows, true);
    }
    loads.upto(pb, usize::MAX - LOOKAHEAD);
    pb.dma_store(Descriptor::linear(b.o, (b.rows * d) as u32), oreg.start);
}
