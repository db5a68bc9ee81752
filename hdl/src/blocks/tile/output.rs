//! The tile's output side: the FIFO after the read pipeline that takes the
//! C stream's back-pressure, and the relaxed row interlock it makes
//! possible (a COMPUTE may overwrite a row the READ before it has not read
//! yet, when that READ is sure to read it in time).

use golden::SystolicConfig;

use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::bits_for;
use crate::core::{cat, mux, Expr, Module, Result, UInt};

use super::dispatch::{seq_bits, ComputeState, ReadState};
use super::engines::{out_fifo_depth, ReadIssue};
use super::top::{rows_bits, Ports};

/// The C stream: valid, data and last.
pub(super) struct CStream {
    pub valid: Expr,
    pub data: Expr,
    pub last: Expr,
}

/// Whether the row comp_m names next cycle (row m', at most comp_m + 1, or
/// 0 after a dispatch) may be issued then although the pending READ has not
/// read it: its first overwrite reaches bank 0 R + 3 cycles after issue, and
/// the READ is sure to read it earlier when
/// - the READ's COMPUTE has row m' and issued it at least C + 1 cycles
///   before (it has passed chain stage C − 2), so it is written in the last
///   column by R + 2 cycles after m' is issued;
/// - the READ is caught up (every written row but the one it reads now has
///   been read), so it reads each row the cycle after it is written;
/// - the output FIFO has room for rows read_m..=m' besides those in flight,
///   so back-pressure cannot stop the READ before m'.
///
/// Each condition, once true, stays true for the rows below m' and for the
/// cycles until m' is read (rows are written in order, one a cycle at most).
pub(super) fn read_in_time(
    m: &mut Module,
    cfg: &SystolicConfig,
    comp: &ComputeState,
    read: &ReadState,
    go_compute: &Expr,
    rel_early: &Expr,
) -> Result<Expr> {
    let rw = rows_bits(cfg);
    // Both candidates from registers, go_compute selecting last: through the
    // candidates' adders and compares it was the iCE40 tile's critical path.
    let after_dispatch = in_time_for(cfg, read, rel_early, &Expr::lit(0, UInt(rw + 1)));
    let next_row = in_time_for(cfg, read, rel_early, &(comp.m.zext(rw + 1) + 1));
    m.node("read_in_time", mux(go_compute, &after_dispatch, &next_row))
}

/// The conditions of `read_in_time` for row `next_m` (rows_bits + 1 wide).
fn in_time_for(cfg: &SystolicConfig, read: &ReadState, rel_early: &Expr, next_m: &Expr) -> Expr {
    let (rw, sw) = (rows_bits(cfg), seq_bits(cfg));
    let depth = out_fifo_depth(cfg);
    let issued_early = rel_early.as_signed().cmp_gt(next_m.zext(sw).as_signed());
    let its_row = next_m.cmp_lt(read.src_rows.zext(rw + 1));
    let caught = !read.rel.as_signed().cmp_gt((read.m.zext(sw) + 1).as_signed());
    let w = bits_for(depth as u64).max(rw + 1) + 2;
    let room = (read.outstanding.zext(w) + next_m.zext(w)).cmp_lt(&(read.m.zext(w) + depth as i64));
    issued_early & its_row & caught & room
}

/// In: the read pipeline's last stage (the result lanes, `rd_v3`, `rd_l3`)
/// and `m_axis_c_tready`. Out: the C stream. A row leaves the pipeline
/// straight onto the stream while the FIFO is empty (no added latency), and
/// into the FIFO when it is not taken; the FIFO's head is sent first. The
/// read engine issues a row only while fewer than the FIFO's depth are
/// outstanding, so the FIFO never overflows and the pipeline never stalls.
pub(super) fn output_buffer(
    m: &mut Module,
    cfg: &SystolicConfig,
    ports: &Ports,
    read: &ReadState,
    rd: &ReadIssue,
    lanes: &Expr,
) -> Result<CStream> {
    let c = cfg.cols;
    let depth = out_fifo_depth(cfg);
    let ow = bits_for(depth as u64);
    let [v1, v2, v3] = &read.v;
    let in_pipe = v1.q.zext(ow) + v2.q.zext(ow) + v3.q.zext(ow);
    // Outstanding rows are in the pipeline or in the FIFO.
    let empty = m.node("out_fifo_empty", read.outstanding.q.cmp_eq(&in_pipe))?;
    let push = m.node("out_fifo_push", &v3.q & !(&empty & &ports.c_ready))?;
    let word = cat(&[&read.l[2].q, lanes]);
    let f = fifo(32 * c + 1, depth)?;
    let u = m.instance("u_out_fifo", &f, &[("in_valid", &push), ("in_data", &word), ("out_ready", &ports.c_ready)])?;
    let head = u.out("out_data")?;
    let valid = m.node("c_valid", mux(&empty, &v3.q, &u.out("out_valid")?))?;
    let data = mux(&empty, lanes, &head.slice(32 * c - 1, 0));
    let last = mux(&empty, &read.l[2].q, &head.slice(32 * c, 32 * c));
    let c_fire = &valid & &ports.c_ready;
    let next = &read.outstanding.q + rd.rd_issue.zext(ow) - c_fire.zext(ow);
    m.set_next(&read.outstanding, next)?;
    let why = "the read engine keeps fewer than the FIFO's depth rows outstanding";
    m.allow_unused(&u.out("in_ready")?, why)?;
    m.allow_unused(&u.out("count")?, why)?;
    Ok(CStream { valid, data, last })
}
