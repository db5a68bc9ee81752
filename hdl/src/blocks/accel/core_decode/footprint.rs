//! The decoder's footprint stage: the scoreboard intervals and the counter
//! amount of a command, computed over the MUL/MULD phases with one narrow
//! multiplier (see the decoder's module docs, "Timing").

use golden::core::isa::{COUNT_BITS, OP_DMA_LOAD, OP_SOFTMAX, OP_TILE_COMPUTE, OP_TILE_LOAD, OP_TILE_READ};
use golden::core::CoreParams;

use super::{fit, fld, Ops, Regs, DEND, DSET, END_BITS, MUL, MULD, P1, RADIX_BITS};
use crate::blocks::common::lanes::{index_bits, lit, pmux};
use crate::core::{mux, Expr, Module, Reg, Result};

/// What the footprint's phases give the phase sequence and the result.
pub(super) struct Foot {
    /// The MUL step that takes the multiplier's last digit.
    pub(super) mul_last: Expr,
    /// The MULD step that takes the DMA multiplier's last bit.
    pub(super) muld_last: Expr,
    /// SPAD_RANGE, in FIN.
    pub(super) spad: Expr,
    /// rd_lo, rd_hi, wr_lo, wr_hi and the counter amount: functions of
    /// registers that hold from FIN until the command leaves.
    pub(super) ends: [Expr; 4],
    pub(super) amount: Expr,
}

/// `e` (one digit's product) shifted by `RADIX_BITS · k`, to END_BITS.
fn digit_shift(e: &Expr, k: &Expr) -> Expr {
    let w = |n: u32| e.zext(END_BITS).shl_const(n);
    let cases: Vec<(Expr, Expr)> =
        (1..COUNT_BITS.div_ceil(RADIX_BITS)).map(|i| (k.cmp_eq(i as i64), w(i * RADIX_BITS))).collect();
    pmux(&cases, &w(0))
}

/// The footprint and the counter amount. Three lanes share one multiplier,
/// `count − 1`, taken 10 bits per MUL cycle (a 10-bit digit times a 20-bit
/// multiplicand, so no wide multiplier): lane A starts at its interval's
/// first line plus the lines of one access and adds `(count − 1) · stride`,
/// so it ends at the interval's end; lane B likewise for SOFTMAX's output;
/// lane C starts at `v` and adds `(count − 1) · v`, giving `count · v`
/// (TILE_COMPUTE rows·R·C, SOFTMAX rows·len, DMA rows·planes). DMA bytes are
/// `len × rows·planes`, one multiplier bit per MULD cycle (as the validator).
pub(super) fn footprint(
    m: &mut Module,
    p: &CoreParams,
    r: &Regs,
    o: &Ops,
    in_ph: &dyn Fn(i64) -> Expr,
) -> Result<Foot> {
    let d = &r.d.q;
    let w20 = |e: Expr| fit(&e, 20);
    let kind = fld(d, OP_DMA_LOAD, "kind")?;
    let (is_2d, is_3d) = (kind.cmp_eq(1), kind.cmp_eq(2));
    let one = lit(1, 20);
    let count = pmux(
        &[
            (o.tload.clone(), w20(fld(d, OP_TILE_LOAD, "k_rows")?)),
            (o.tcomp.clone(), fld(d, OP_TILE_COMPUTE, "rows")?),
            (o.tread.clone(), fld(d, OP_TILE_READ, "rows")?),
            (o.dma.clone(), mux(&(&is_2d | &is_3d), &w20(fld(d, OP_DMA_LOAD, "count1")?), &one)),
            (o.smax.clone(), fld(d, OP_SOFTMAX, "rows")?),
        ],
        &one,
    );
    let n1 = m.node("n1", &count - 1)?;
    let s1 = pmux(
        &[
            (o.tload.clone(), fld(d, OP_TILE_LOAD, "b_stride")?),
            (o.tcomp.clone(), fld(d, OP_TILE_COMPUTE, "a_stride")?),
            (o.tread.clone(), fld(d, OP_TILE_READ, "c_stride")?),
        ],
        &fld(d, OP_SOFTMAX, "x_stride")?,
    );
    let rc = lit((p.systolic.rows * p.systolic.cols) as u128, 20);
    let v = pmux(
        &[(o.dma.clone(), mux(&is_3d, &w20(fld(d, OP_DMA_LOAD, "count2")?), &one)), (o.tcomp.clone(), rc)],
        &fld(d, OP_SOFTMAX, "len")?,
    );
    // Lines per access: 1 for the tile's operands, ceil(row bytes / L) for
    // TILE_READ and SOFTMAX (an element is 1 or 2 bytes).
    let lb = index_bits(p.line as u64);
    let e = |v: u64| lit(v as u128, END_BITS);
    let ceil_lines = |bytes: Expr| (bytes + (p.line as i64 - 1)).shr_const(lb);
    let rq = fld(d, OP_TILE_READ, "requant")?.bit(0);
    let each_row = |row: u32| e((row as u64).div_ceil(p.line as u64));
    let rd_each = mux(&rq, &each_row(p.read_row_bytes(true)), &each_row(p.read_row_bytes(false)));
    let slen = fld(d, OP_SOFTMAX, "len")?.zext(END_BITS);
    let x_each = ceil_lines(slen.shl_const(p.softmax.in_bits / 16));
    let y_each = ceil_lines(slen.shl_const(p.softmax.out_bits / 16));
    let y_line = fld(d, OP_SOFTMAX, "y_line")?;
    let line_a = m.node(
        "line_a",
        pmux(
            &[
                (o.tload.clone(), fld(d, OP_TILE_LOAD, "b_line")?),
                (o.tcomp.clone(), fld(d, OP_TILE_COMPUTE, "a_line")?),
                (o.tread.clone(), fld(d, OP_TILE_READ, "c_line")?),
            ],
            &fld(d, OP_SOFTMAX, "x_line")?,
        ),
    )?;
    let each_a = pmux(&[(o.tread.clone(), rd_each), (o.smax.clone(), x_each)], &e(1));

    // P1 loads the lanes; MUL adds one digit's products per cycle.
    let p1 = in_ph(P1);
    let mul = in_ph(MUL);
    let digit = r.mp.q.slice(RADIX_BITS - 1, 0);
    let step = |m: &mut Module, lane: &Reg, mcand: &Reg, init: Expr| {
        let add = digit_shift(&mcand.q.mul_wide(&digit), &r.k.q);
        m.set_next(lane, pmux(&[(p1.clone(), init), (mul.clone(), &lane.q + add)], &lane.q))
    };
    step(m, &r.pa, &r.ma, line_a.zext(END_BITS) + each_a)?;
    step(m, &r.pb, &r.mb, y_line.zext(END_BITS) + y_each)?;
    step(m, &r.pc, &r.mc, v.zext(END_BITS))?;
    m.set_next(&r.ma, mux(&p1, &s1, &r.ma.q))?;
    m.set_next(&r.mb, mux(&p1, &fld(d, OP_SOFTMAX, "y_stride")?, &r.mb.q))?;
    m.set_next(&r.mc, mux(&p1, &v, &r.mc.q))?;
    let mp_next = r.mp.q.shr_const(RADIX_BITS);
    m.set_next(&r.mp, pmux(&[(p1.clone(), n1), (mul.clone(), mp_next.clone())], &r.mp.q))?;
    m.set_next(&r.k, pmux(&[(p1.clone(), lit(0, 2)), (mul.clone(), &r.k.q + 1)], &r.k.q))?;
    let mul_last = m.node("mul_last", &mul & mp_next.cmp_eq(0))?;

    // DMA: bytes = len × rows·planes (MULD), then the packet's lines from spad_line (DEND).
    let dset = in_ph(DSET);
    let muld = in_ph(MULD);
    let dm_next = r.dm.q.shr_const(1);
    m.set_next(&r.dm, pmux(&[(dset.clone(), r.pc.q.trunc(32)), (muld.clone(), dm_next.clone())], &r.dm.q))?;
    let len = fld(d, OP_DMA_LOAD, "len")?.zext(64);
    m.set_next(&r.dmc, pmux(&[(dset.clone(), len), (muld.clone(), r.dmc.q.shl_const(1))], &r.dmc.q))?;
    let dadd = mux(&r.dm.q.bit(0), &r.dmc.q, &lit(0, 64));
    m.set_next(&r.dq, pmux(&[(dset, lit(0, 64)), (muld.clone(), &r.dq.q + dadd)], &r.dq.q))?;
    let muld_last = m.node("muld_last", &muld & dm_next.cmp_eq(0))?;
    let spad_line = fld(d, OP_DMA_LOAD, "spad_line")?;
    let dlines = (r.dq.q.zext(65) + (p.line as i64 - 1)).shr_const(lb);
    let dend = m.node("dma_end", spad_line.zext(65) + dlines)?;
    // An end past 2^END_BITS is past the scratchpad too: saturate it.
    let sat = mux(&dend.shr_const(END_BITS).cmp_ne(0), &lit((1u128 << END_BITS) - 1, END_BITS), &dend.trunc(END_BITS));
    m.set_next(&r.dend, mux(&in_ph(DEND), &sat, &r.dend.q))?;

    // The intervals by opcode, and SPAD_RANGE (in FIN) on their full-width ends.
    let z = || lit(0, 20);
    let st = &o.store;
    let dl = &o.dma & !st;
    let rd_a = &o.tload | &o.tcomp | &o.smax;
    let rlo = pmux(&[(rd_a.clone(), line_a.clone()), (st.clone(), spad_line.clone())], &z());
    let rend = pmux(&[(rd_a, r.pa.q.clone()), (st.clone(), r.dend.q.clone())], &e(0));
    let wlo = pmux(&[(o.tread.clone(), line_a), (o.smax.clone(), y_line), (dl.clone(), spad_line)], &z());
    let wend =
        pmux(&[(o.tread.clone(), r.pa.q.clone()), (o.smax.clone(), r.pb.q.clone()), (dl, r.dend.q.clone())], &e(0));
    let rend = m.node("rend", rend)?;
    let wend = m.node("wend", wend)?;
    let amount = pmux(&[(o.dma.clone(), r.dq.q.clone()), (&o.tcomp | &o.smax, r.pc.q.zext(64))], &lit(0, 64));
    let lines = e(p.lines as u64);
    let spad = m.node("spad_past", rend.cmp_gt(&lines) | wend.cmp_gt(&lines))?;
    Ok(Foot { mul_last, muld_last, spad, ends: [rlo, rend, wlo, wend], amount })
}
