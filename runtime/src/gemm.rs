//! GEMM from DRAM: `C = A·B` for int8 A (M×K) and B (K×N), int32 results or
//! int8 requantized per tensor or per column, for any M, K, N.
//!
//! # DRAM layout (the runtime's job)
//! A and B are padded with zeros: A's rows to a multiple of the line L, B's
//! to a multiple of `na = max(L, S)` columns, where S is the output *store
//! group* (below). They are laid out in the order the core loads them: A
//! slice by slice ([`a_offset`]), B group by group ([`b_offset`]), so every
//! DMA_LOAD is one contiguous packet moved in long bursts. C is written by
//! the core row-major with a pitch of B's padded columns (× 4 for int32);
//! the runtime reads back M×N.
//!
//! # Tiling
//! * M is cut into blocks of `mb` rows (at most `acc_depth`), N into groups
//!   of `ng` columns (B's chunk width) and, within a group, blocks of C
//!   columns (the accumulator's width); K into A chunks of `kc` bytes (a
//!   multiple of L) and B chunks of `kb` rows (a multiple of R).
//! * For each M block, N group and C block, every fold of K is loaded
//!   (TILE_LOAD from the B chunk) and computed (TILE_COMPUTE over the A chunk,
//!   the first fold overwriting, the rest accumulating); then TILE_READ
//!   writes the block to a C buffer. A store group is `S = C · max(1, L / row)`
//!   columns, `row` being a block row's bytes (4C or C): blocks whose rows are
//!   shorter than a line share the line (`c_off`) and are stored together, so
//!   every DMA_STORE packet is whole lines.
//! * When a whole row of A fits its buffer (`kc` = A's pitch), an A block is
//!   loaded once and stays while every N group goes by; when a B group with
//!   the whole of K fits, it is loaded once per M block. Otherwise (K larger
//!   than the buffers) the chunks are reloaded for each C block.
//!
//! # Buffers
//! Two buffers each for A, B and C in the regions of
//! [`GemmRegions`](crate::layout::GemmRegions), in different banks; each new
//! chunk goes to the other buffer, so on the hardware the next chunk's load,
//! this chunk's compute and the previous block's store overlap (the
//! scoreboard orders them only where their lines meet). A chunks are loaded
//! in slices of [`A_SLICE_LINES`] lines of K per row and B chunks
//! [`B_FOLDS_PER_LOAD`] folds per DMA_LOAD, each placed just before the
//! first fold that needs it, so the tile starts after one slice rather than
//! a whole chunk. Then every load is moved [`HOIST_FOLDS`] folds earlier
//! in program order where nothing in between conflicts with it, so that it
//! reaches the load engine early enough to hide the memory latency.

use golden::core::{CoreParams, Counters, Ring};
use golden::dma::Descriptor;
use golden::tile::gemm::{Matrix, Requant, Requantization};

use crate::backend::Backend;
use crate::error::RuntimeError;
use crate::layout::{DramAlloc, GemmRegions, Region};
use crate::program::{write_ring, ProgramBuilder};

/// What the GEMM returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputKind {
    Int32,
    Requant(Requantization),
}

/// The result matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GemmOutput {
    Int32(Matrix<i32>),
    Int8(Matrix<i8>),
}

/// The tiling the lowering chose (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    pub mb: usize,
    /// A's chunk of K, bytes (a multiple of L).
    pub kc: usize,
    /// B's chunk of K, rows (a multiple of R).
    pub kb: usize,
    pub ng: usize,
    /// Store group, columns.
    pub s: usize,
    /// The whole of K stays in the scratchpad: A's rows (`kc` = A's pitch) and B's group (`kb` ≥ K).
    pub resident_k: bool,
    /// A's chunks are loaded in slices of this many bytes of K (a multiple of L).
    pub slice: usize,
}

/// Where the operands are in DRAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmDram {
    pub a: u64,
    pub b: u64,
    pub c: u64,
    pub pitch_a: usize,
    pub pitch_b: usize,
    pub pitch_c: usize,
}

/// A GEMM's result and what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GemmResult {
    pub c: GemmOutput,
    /// The core's architectural counters for the run.
    pub counters: Counters,
    /// A, B and C once each, unpadded: the least DRAM traffic a GEMM can have.
    pub min_dram_bytes: u64,
    /// M·K·N (the counters' `macs` also counts the array's zero padding).
    pub useful_macs: u64,
    pub commands: usize,
    pub tiling: Tiling,
}

fn input(m: String) -> RuntimeError {
    RuntimeError::Input(m)
}

/// A's chunks are loaded in slices of one line of K per row: A is laid out
/// in DRAM slice by slice ([`a_offset`]), so a slice is one contiguous
/// packet (long bursts at full speed), and the first fold waits for one
/// slice, not the whole chunk.
pub const A_SLICE_LINES: usize = 1;

/// Folds of B rows one DMA_LOAD brings: more per load means fewer commands
/// in flight per fold, so the scoreboard's entries reach further ahead.
pub const B_FOLDS_PER_LOAD: usize = 4;

/// Folds of tile work each DMA_LOAD is moved ahead of where its data is
/// first used ([`ProgramBuilder::hoist_loads`]): the core dispatches in
/// order and its compute queue holds only a few folds, so a load placed
/// where it is needed would start too late to hide the memory latency. 8
/// folds was the best of 2 to 32 for the layer's M = 1 GEMMs at latency 100
/// (`serrano run gemm --preset default --m 1 --k 576 --n 1536`: 70,787 cycles
/// unhoisted, 61,568 hoisted, against 55,332 for the bytes alone).
pub const HOIST_FOLDS: u32 = 8;

/// Where byte `(i, j)` of B (padded to `pitch_b` columns) is in B's DRAM
/// region: by N group (`ng` columns, the last one narrower), then row by
/// row, so the R rows of a fold in a group are one contiguous packet.
pub fn b_offset(t: &Tiling, k: usize, pitch_b: usize, i: usize, j: usize) -> usize {
    let g0 = j / t.ng * t.ng;
    g0 * k + i * t.ng.min(pitch_b - g0) + (j - g0)
}

/// Where byte `(i, j)` of A (padded to `pitch_a` columns) is in A's DRAM
/// region: by M block (`mb` rows), then by chunk of K (`kc` bytes), then by
/// slice (`slice` bytes), then row by row, so every slice of every block is
/// the packet its DMA_LOAD moves, whole and in order.
pub fn a_offset(t: &Tiling, m: usize, pitch_a: usize, i: usize, j: usize) -> usize {
    let (m0, k0) = (i / t.mb * t.mb, j / t.kc * t.kc);
    let rows = t.mb.min(m - m0);
    let kc = t.kc.min(pitch_a - k0);
    let j0 = (j - k0) / t.slice * t.slice;
    let w = t.slice.min(kc - j0);
    m0 * pitch_a + rows * (k0 + j0) + (i - m0) * w + (j - k0 - j0)
}

/// The tiling for an M×K×N GEMM on core `p`.
pub fn plan(
    p: &CoreParams,
    m: usize,
    k: usize,
    n: usize,
    requant: bool,
) -> Result<(Tiling, usize, usize), RuntimeError> {
    let (l, r, c, d) =
        (p.line as usize, p.systolic.rows as usize, p.systolic.cols as usize, p.systolic.acc_depth as usize);
    let eb = if requant { 1 } else { 4 };
    let row = c * eb;
    let s = c * (l / row).max(1);
    let na = s.max(l);
    let regions = GemmRegions::new(p);
    let (la, lb, lc) = (regions.a[0].lines as usize, regions.b[0].lines as usize, regions.c[0].lines as usize);
    let c_lines = row.max(l) / l;
    let pitch_a = k.div_ceil(l) * l;
    let pitch_b = n.div_ceil(na) * na;
    let mb0 = m.min(d).min(lc / c_lines).min(32_768);
    let too_small =
        || input(format!("the scratchpad ({} lines of {l} bytes) is too small for this GEMM's buffers", p.lines));
    // A: whole rows stay when a row fits the buffer (fewer rows per M block
    // if need be); else chunks of K with as many rows as the accumulator takes.
    let a_row_lines = pitch_a / l;
    let (mb, kc) = if a_row_lines <= la {
        (mb0.min(la / a_row_lines), pitch_a)
    } else {
        let mb = mb0.min(la);
        (mb, (la / mb.max(1)) * l)
    };
    // B: groups of one store group (B is laid out group by group in DRAM, so
    // a fold of a group is one packet however narrow; narrow groups load
    // only what the next C blocks use), narrower if that lets the whole of K
    // stay; chunks of K rows (a multiple of R) as the buffer allows.
    let mut ng = na.min(pitch_b);
    if k * ng / l > lb {
        ng = (lb * l / k / na * na).max(na);
    }
    let kb = (lb * l / ng / r * r).min(k.div_ceil(r) * r).min(65_535 / r * r);
    if mb == 0 || kb == 0 {
        return Err(too_small());
    }
    let resident_k = kc == pitch_a && kb >= k;
    Ok((Tiling { mb, kc, kb, ng, s, resident_k, slice: A_SLICE_LINES * l }, pitch_a, pitch_b))
}

/// One of two alternating buffers, remembering which chunk it holds.
struct Buffers {
    regions: [Region; 2],
    cur: usize,
    key: Option<(usize, usize)>,
}

impl Buffers {
    fn new(regions: [Region; 2]) -> Buffers {
        Buffers { regions, cur: 1, key: None }
    }

    /// The line of the buffer holding chunk `key`, and whether it must be loaded.
    fn ensure(&mut self, key: (usize, usize)) -> (u32, bool) {
        if self.key == Some(key) {
            return (self.regions[self.cur].start, false);
        }
        self.cur ^= 1;
        self.key = Some(key);
        (self.regions[self.cur].start, true)
    }
}

fn count16(v: usize) -> u16 {
    u16::try_from(v).expect("the tiling keeps DMA row counts below 65536")
}

/// The program of an M×K×N GEMM with the operands at `dram`.
pub fn lower(
    p: &CoreParams,
    (m, k, n): (usize, usize, usize),
    out: &OutputKind,
    dram: &GemmDram,
    t: &Tiling,
) -> ProgramBuilder {
    let (l, r, c) = (p.line as usize, p.systolic.rows as usize, p.systolic.cols as usize);
    let requant = matches!(out, OutputKind::Requant(_));
    let eb = if requant { 1 } else { 4 };
    let row = c * eb;
    let c_lines = (row.max(l) / l) as u32;
    let regions = GemmRegions::new(p);
    let (mut abuf, mut bbuf) = (Buffers::new(regions.a), Buffers::new(regions.b));
    let mut cbuf = 1usize;
    let n_end = n.div_ceil(t.s) * t.s; // the last store group's end
    let mut pb = ProgramBuilder::new();
    if let OutputKind::Requant(Requantization::PerTensor(q)) = out {
        pb.tile_qparam(None, *q);
    }
    for m0 in (0..m).step_by(t.mb) {
        let mb = t.mb.min(m - m0);
        for g0 in (0..n_end).step_by(t.ng) {
            let ng = t.ng.min(dram.pitch_b - g0);
            for n0 in (g0..(g0 + ng).min(n_end)).step_by(c) {
                let (mut a_line, mut b_line, mut a_loading, mut b_loading) = (0, 0, false, false);
                for kf in (0..k).step_by(r) {
                    // The chunks this fold is in; a new chunk goes to the other buffer.
                    let (k0, kb0) = (kf / t.kc * t.kc, kf / t.kb * t.kb);
                    if kf == k0 {
                        (a_line, a_loading) = abuf.ensure((m0, k0));
                    }
                    if kf == kb0 {
                        (b_line, b_loading) = bbuf.ensure((g0, kb0));
                    }
                    // A's slice j holds K bytes [j·slice, (j+1)·slice) of the chunk for
                    // every row, row m at `m · width / L` lines from the slice's start.
                    let (kc, kk) = (t.kc.min(dram.pitch_a - k0), kf - k0);
                    let (j0, w) = (kk / t.slice * t.slice, t.slice.min(kc - kk / t.slice * t.slice));
                    // Loads go in program order where they are first needed, so the
                    // first fold waits for one A slice and its own B rows only.
                    if a_loading && kk == j0 {
                        let addr = dram.a + a_offset(t, m, dram.pitch_a, m0, k0 + j0) as u64;
                        pb.dma_load(Descriptor::linear(addr, (mb * w) as u32), a_line + (j0 / l * mb) as u32);
                    }
                    let (k_rows, b_row) = (r.min(k - kf), b_line as usize + (kf - kb0) * (ng / l));
                    // B_FOLDS_PER_LOAD folds of the chunk per DMA_LOAD (fewer commands in flight).
                    if b_loading && (kf - kb0).is_multiple_of(B_FOLDS_PER_LOAD * r) {
                        let rows = (B_FOLDS_PER_LOAD * r).min(t.kb.min(k - kb0) - (kf - kb0));
                        let addr = dram.b + b_offset(t, k, dram.pitch_b, kf, g0) as u64;
                        pb.dma_load(Descriptor::linear(addr, (rows * ng) as u32), b_row as u32);
                    }
                    let bl = b_row + (n0 - g0) / l;
                    pb.tile_load(bl as u32, (ng / l) as u32, (((n0 - g0) % l) / c) as u32, k_rows as u32);
                    let al = a_line as usize + j0 / l * mb + (kk - j0) / l;
                    let a_off = ((kk % l) / r) as u32;
                    pb.tile_compute(al as u32, (w / l) as u32, a_off, mb as u32, kf > 0);
                }
                if let OutputKind::Requant(Requantization::PerColumn(v)) = out {
                    for j in 0..c {
                        let q = v.get(n0 + j).copied().unwrap_or(Requant { multiplier: 0, shift: 0, zero_point: 0 });
                        pb.tile_qparam(Some(j as u32), q);
                    }
                }
                let j = (n0 % t.s) / c;
                if j == 0 {
                    cbuf ^= 1;
                }
                let c_line = regions.c[cbuf].start;
                pb.tile_read(c_line, c_lines, if row < l { j as u32 } else { 0 }, mb as u32, requant);
                if n0 + c == n0 - n0 % t.s + t.s {
                    let addr = dram.c + (m0 * dram.pitch_c + (n0 + c - t.s) * eb) as u64;
                    let d = Descriptor::strided_2d(addr, (t.s * eb) as u32, count16(mb), dram.pitch_c as u64);
                    pb.dma_store(d, c_line);
                }
            }
        }
    }
    pb.fence();
    // Folds between two loads become one TILE_MATMUL each.
    pb.fuse_folds(p);
    pb.hoist_loads(p, HOIST_FOLDS);
    pb
}

/// Run `A·B` on `backend`: place A and B in DRAM (zero-padded), lower, run,
/// read C back.
pub fn gemm<B: Backend>(
    backend: &mut B,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    out: &OutputKind,
) -> Result<GemmResult, RuntimeError> {
    let cfg = backend.config().clone();
    let p = CoreParams::new(&cfg).map_err(input)?;
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if a.cols != b.rows {
        return Err(input(format!(
            "shape mismatch: A is {m}x{k} and B is {}x{n}; A's columns must equal B's rows",
            b.rows
        )));
    }
    if m == 0 || k == 0 || n == 0 {
        return Err(input(format!("empty GEMM: M={m}, K={k}, N={n}; each must be at least 1")));
    }
    let requant = matches!(out, OutputKind::Requant(_));
    if requant && !cfg.systolic.requant {
        return Err(input(golden::tile::NO_REQUANT.to_string()));
    }
    if let OutputKind::Requant(q) = out {
        let qs: Vec<Requant> = match q {
            Requantization::PerTensor(q) => vec![*q],
            Requantization::PerColumn(v) if v.len() == n => v.clone(),
            Requantization::PerColumn(v) => {
                return Err(input(format!("{} per-column requant parameters for N = {n} columns", v.len())))
            }
        };
        qs.iter().try_for_each(|q| q.validate()).map_err(input)?;
    }
    let (t, pitch_a, pitch_b) = plan(&p, m, k, n, requant)?;
    let eb = if requant { 1 } else { 4 };
    let space = if cfg.dma.addr_bits >= 64 { u64::MAX } else { 1u64 << cfg.dma.addr_bits };
    let mut alloc = DramAlloc::new(0x1_0000, space);
    let al = |alloc: &mut DramAlloc, bytes: usize| alloc.alloc(bytes as u64).map_err(input);
    let dram = GemmDram {
        a: al(&mut alloc, m * pitch_a)?,
        b: al(&mut alloc, k * pitch_b)?,
        c: al(&mut alloc, m * pitch_b * eb)?,
        pitch_a,
        pitch_b,
        pitch_c: pitch_b * eb,
    };
    let mem = backend.memory();
    // A slice by slice (`a_offset`): each slice's row segment in one write.
    for i in 0..m {
        let mut j = 0;
        while j < pitch_a {
            let k0 = j / t.kc * t.kc;
            let kc = t.kc.min(pitch_a - k0);
            let end = (k0 + ((j - k0) / t.slice + 1) * t.slice).min(k0 + kc);
            let seg: Vec<u8> = (j..end).map(|x| a.at_or_zero(i, x) as u8).collect();
            mem.write(dram.a + a_offset(&t, m, pitch_a, i, j) as u64, &seg);
            j = end;
        }
    }
    // B group by group (`b_offset`): each group's row segment in one write.
    for i in 0..k {
        for g0 in (0..pitch_b).step_by(t.ng) {
            let seg: Vec<u8> = (g0..(g0 + t.ng).min(pitch_b)).map(|j| b.at_or_zero(i, j) as u8).collect();
            mem.write(dram.b + b_offset(&t, k, pitch_b, i, g0) as u64, &seg);
        }
    }
    let program = lower(&p, (m, k, n), out, &dram, &t);
    let bytes = program.encode()?;
    let ring = Ring { base: al(&mut alloc, bytes.len() + 32)?, size: (program.len() + 1) as u32 };
    let tail = write_ring(backend.memory(), ring, 0, &bytes)?;
    let st = backend.run(ring, 0, tail)?;
    if let Some(f) = st.fault {
        return Err(RuntimeError::Fault(f));
    }
    let mem = backend.memory();
    let mut raw = vec![0u8; n * eb];
    let c = if requant {
        let mut cm = Matrix::zeros(m, n);
        for i in 0..m {
            mem.read(dram.c + (i * dram.pitch_c) as u64, &mut raw);
            (0..n).for_each(|j| cm.set(i, j, raw[j] as i8));
        }
        GemmOutput::Int8(cm)
    } else {
        let mut cm = Matrix::zeros(m, n);
        for i in 0..m {
            mem.read(dram.c + (i * dram.pitch_c) as u64, &mut raw);
            (0..n).for_each(|j| cm.set(i, j, i32::from_le_bytes(raw[4 * j..4 * j + 4].try_into().unwrap())));
        }
        GemmOutput::Int32(cm)
    };
    Ok(GemmResult {
        c,
        counters: st.counters,
        min_dram_bytes: (m * k + k * n + m * n * eb) as u64,
        useful_macs: (m * k * n) as u64,
        commands: program.len(),
        tiling: t,
    })
}
