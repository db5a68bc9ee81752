//! The input side: which beat is taken, where it sits in its row, and the
//! row buffer's write port.

use golden::softmax::SoftmaxParams;

use crate::core::{mux, Bit, Expr, Memory, Module, Record, Reg, Result, UInt};

use super::pipe::{ulit, wrap, Widths};

/// The `s_axis_*` ports and `scale_k`, as declared by the top.
pub(super) struct InPorts {
    pub valid: Expr,
    pub data: Expr,
    pub keep: Expr,
    pub user: Expr,
    pub last: Expr,
    pub scale_k: Expr,
}

/// A beat as it is taken, before any register.
pub(super) struct Accepted {
    /// A beat is taken in this cycle.
    pub accept: Expr,
    /// `s_axis_tready`: a wire, driven by the output side ([`super::output`]),
    /// which knows the buffer's room and the row queue's fill.
    pub tready: Expr,
    /// It is its row's first beat.
    pub first: Expr,
    /// It ends its row: `tlast`, or the row reached `max_len` and is cut.
    pub last: Expr,
    /// Its index in the row (0 for the first beat).
    pub idx: Expr,
    /// Lanes that enter the max and the sum: kept and not masked.
    pub valid: Expr,
    /// Sticky: a row was cut.
    pub overflow: Expr,
}

/// The row buffer: a block RAM of `{valid, keep, x}` per beat, used as a FIFO.
/// The input side writes it; the read pointer and the occupancy are
/// advanced by the output side.
pub(super) struct RowBuffer {
    pub mem: Memory,
    pub rd_ptr: Reg,
    pub fifo_cnt: Reg,
}

/// In: the input ports. Out: the accepted beat with its place in the row
/// (to the accumulator), and the row buffer with that beat written into it.
pub(super) fn accept(m: &mut Module, p: &SoftmaxParams, w: &Widths, s: &InPorts) -> Result<(Accepted, RowBuffer)> {
    let (iw, aw, cntw) = (w.iw, w.aw, w.cntw);
    let max_beats = p.max_beats as u64;

    let tready = m.wire("s_tready_w", Bit)?;
    let accept = m.node("accept", &s.valid & &tready)?;
    let a_cnt = m.reg("a_cnt", UInt(iw)).reset(0).build()?;
    let first_in = m.node("first_in", a_cnt.q.cmp_eq(0))?;
    let at_cap = m.node("at_cap", a_cnt.q.cmp_eq(max_beats as i64 - 1))?;
    let last_in = m.node("last_in", &s.last | &at_cap)?;
    let a_cnt_next = if max_beats == 1 { ulit(0, iw) } else { mux(&last_in, &ulit(0, iw), &(&a_cnt.q + 1)) };
    m.set_next(&a_cnt, mux(&accept, &a_cnt_next, &a_cnt.q))?;
    let overflow = m.reg("overflow_q", Bit).reset(0).build()?;
    m.set_next(&overflow, &overflow.q | (&accept & &at_cap & !&s.last))?;

    // The row buffer: a beat record per entry, used as a FIFO.
    let valid_in = m.node("valid_in", &s.keep & !&s.user)?;
    let beat = buffer_beat(p);
    let buf = m.memory("rowbuf", beat.ty(), w.depth)?;
    let wr_ptr = m.reg("wr_ptr", UInt(aw)).reset(0).build()?;
    let rd_ptr = m.reg("rd_ptr", UInt(aw)).reset(0).build()?;
    let fifo_cnt = m.reg("fifo_cnt", UInt(cntw)).reset(0).build()?;
    let word = beat.pack(m, "rowbuf_in", &[("x", &s.data), ("keep", &s.keep), ("valid", &valid_in)])?;
    m.mem_write(&buf, &accept, &wr_ptr.q, &word)?;
    m.set_next(&wr_ptr, mux(&accept, &wrap(&wr_ptr.q, w), &wr_ptr.q))?;

    let accepted = Accepted {
        accept,
        tready,
        first: first_in,
        last: last_in,
        idx: a_cnt.q,
        valid: valid_in,
        overflow: overflow.q,
    };
    Ok((accepted, RowBuffer { mem: buf, rd_ptr, fifo_cnt }))
}

/// A beat as the row buffer holds it: the logits `x`, the input beat's
/// `tkeep`, and which lanes are valid elements (kept and not masked).
pub(super) fn buffer_beat(p: &SoftmaxParams) -> Record {
    let lanes = p.lanes as u32;
    Record::new("rowbuf", &[("x", UInt(lanes * p.in_bits)), ("keep", UInt(lanes)), ("valid", UInt(lanes))])
}
