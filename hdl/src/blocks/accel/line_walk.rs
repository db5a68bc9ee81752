//! The scratchpad address walk shared by the line reader and writer: `rows`
//! rows of `inner` consecutive lines, row `r` starting at `base + r * stride`
//! (line addresses wrap at the scratchpad's size). Not a block: a function
//! that adds the walk's registers to a module.
//!
//! One walk covers every access pattern of the core: a DMA packet (one row
//! of `ceil(bytes / line)` lines), a tile operand (`rows` rows of one line,
//! `stride` apart), an int32 result row or a softmax row (several lines per
//! row).

use crate::blocks::common::lanes::lit;
use crate::core::{mux, Expr, Module, Result, UInt};

/// The walk's current line and where it stands.
pub struct LineWalk {
    pub line: Expr,
    /// The current line is the last of its row.
    pub row_end: Expr,
    /// The current line is the walk's last.
    pub last: Expr,
}

/// The command that starts a walk: line addresses of `aw` bits, counts of `aw + 1` bits (1..=2^aw).
pub struct WalkCmd<'a> {
    pub base: &'a Expr,
    pub stride: &'a Expr,
    pub inner: &'a Expr,
    pub rows: &'a Expr,
}

/// Start the walk `cmd` when `start`; move to the next line when `step`.
pub fn line_walk(m: &mut Module, aw: u32, start: &Expr, cmd: &WalkCmd, step: &Expr) -> Result<LineWalk> {
    let cw = aw + 1;
    let row_base = m.reg("walk_row", UInt(aw)).reset(0).doc("the current row's first line").build()?;
    let offset = m.reg("walk_offset", UInt(aw)).reset(0).doc("the line within the row").build()?;
    let stride = m.reg("walk_stride", UInt(aw)).reset(0).build()?;
    let inner = m.reg("walk_inner", UInt(cw)).reset(0).doc("lines per row").build()?;
    let inner_left = m.reg("walk_inner_left", UInt(cw)).reset(0).doc("lines left in the row").build()?;
    let rw = cmd.rows.width();
    let rows_left = m.reg("walk_rows_left", UInt(rw)).reset(0).doc("rows left, this one included").build()?;
    let row_end = m.node("walk_row_end", inner_left.q.cmp_eq(lit(1, cw)))?;
    let last = m.node("walk_last", &row_end & rows_left.q.cmp_eq(lit(1, rw)))?;
    let next_row = &row_end & step;
    let next_line = step & !&row_end;

    m.set_next(&stride, mux(start, cmd.stride, &stride.q))?;
    m.set_next(&inner, mux(start, cmd.inner, &inner.q))?;
    let row_next = mux(&next_row, &(&row_base.q + &stride.q), &row_base.q);
    m.set_next(&row_base, mux(start, cmd.base, &row_next))?;
    let off_next = mux(&next_row, &lit(0, aw), &mux(&next_line, &(&offset.q + 1), &offset.q));
    m.set_next(&offset, mux(start, &lit(0, aw), &off_next))?;
    let il_next = mux(&next_row, &inner.q, &mux(&next_line, &(&inner_left.q - 1), &inner_left.q));
    m.set_next(&inner_left, mux(start, cmd.inner, &il_next))?;
    let rl_next = mux(&next_row, &(&rows_left.q - 1), &rows_left.q);
    m.set_next(&rows_left, mux(start, cmd.rows, &rl_next))?;
    let line = m.node("walk_line", &row_base.q + &offset.q)?;
    Ok(LineWalk { line, row_end, last })
}
