//! The scratchpad line reader: a walk of line addresses ([`line_walk`]) read
//! from the scratchpad and sent out as a stream with back-pressure. The DMA
//! store path and the operand paths of the tile and the softmax unit read
//! through it.
//!
//! * `cmd_*` (valid/ready): `base`, `stride`, `inner`, `rows` as for the
//!   writer, and `last_bytes` (1..=line bytes): the bytes kept in the
//!   command's last line (`tkeep`), so a packet of any byte length is framed
//!   as the DMA write engine expects. Taken when the reader is idle or in the
//!   cycle its last read issues, so back-to-back commands read without a gap.
//! * `r_*`: a scratchpad reader client; the line comes back on `r_rdata`
//!   with `r_rvalid` one cycle after the request is taken.
//! * `m_axis_*`: the lines, `tuser` = last line of a row, `tlast` = last
//!   line of the command, `tkeep` all ones but on the last line.
//!
//! A read is issued only while the output FIFO has room for it and for the
//! read still in flight, so no returned line is ever dropped and a
//! back-pressured stream stops the reads; with a ready consumer a line
//! leaves every cycle.

use crate::blocks::accel::line_walk::{line_walk, WalkCmd};
use crate::blocks::accel::spad_writer::walk_cmd_bundle;
use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{bits_for, lit, mask_lt};
use crate::blocks::common::params::check_range;
use crate::core::{cat, Bit, Bundle, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const SPAD_READER_BLOCK: &str = "serrano_spad_reader";
/// Lines the output FIFO holds: the read in flight plus two, so the stream runs at one line per cycle.
const FIFO_DEPTH: u32 = 4;

/// `serrano_spad_reader_l16_a14`.
pub fn spad_reader_name(line_bytes: u32, line_bits: u32) -> String {
    format!("serrano_spad_reader_l{line_bytes}_a{line_bits}")
}

pub fn spad_reader(line_bytes: u32, line_bits: u32) -> Result<Module> {
    check_range(SPAD_READER_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(SPAD_READER_BLOCK, "line_bits", line_bits, 1..=24)?;
    let (lb, aw) = (line_bytes, line_bits);
    let kb = bits_for(lb as u64);
    let mut m = Module::new(&spad_reader_name(lb, aw));
    m.doc(&format!("Scratchpad line reader: a walk of {lb}-byte lines to a stream, with back-pressure."));
    let cmd = m.bundle_ports("cmd", &walk_cmd_bundle(aw, &[("last_bytes", kb)]), Role::Slave)?;
    let r = m.bundle_ports("r", &Bundle::valid_ready(&[("line", aw)]), Role::Master)?;
    let r_rvalid = m.input_doc("r_rvalid", Bit, "r_rdata is the line read one cycle ago")?;
    let r_rdata = m.input("r_rdata", UInt(8 * lb))?;
    let out = m.bundle_ports("m_axis", &Bundle::axis(8 * lb, true, true, 1), Role::Master)?;

    let busy = m.reg("busy_q", Bit).reset(0).doc("lines of the command are still to be read").build()?;
    let last_issue = m.wire("last_issue", Bit)?;
    let cmd_ready = m.node("cmd_ready_w", !&busy.q | &last_issue)?;
    let start = m.node("start", cmd.get("valid")? & &cmd_ready)?;
    let last_bytes = m.reg("last_bytes", UInt(kb)).reset(0).enable(&start).d(cmd.get("last_bytes")?)?;

    let fifo_w = 8 * lb + lb + 2;
    let f = fifo(fifo_w, FIFO_DEPTH)?;
    let cw = bits_for(FIFO_DEPTH as u64);
    let in_flight = m.reg("in_flight", Bit).reset(0).doc("a read's line arrives next cycle").build()?;
    let count = m.wire("fifo_count", UInt(cw))?;
    let room = m.node("room", (&count + in_flight.q.zext(cw)).cmp_lt(lit(FIFO_DEPTH as u128, cw)))?;
    let want = m.node("want", &busy.q & &room)?;
    let issue = m.node("issue", &want & r.get("ready")?)?;
    let (base, stride, inner, rows) = (cmd.get("base")?, cmd.get("stride")?, cmd.get("inner")?, cmd.get("rows")?);
    let walk =
        line_walk(&mut m, aw, &start, &WalkCmd { base: &base, stride: &stride, inner: &inner, rows: &rows }, &issue)?;
    m.assign(&last_issue, &issue & &walk.last)?;
    m.set_next(&busy, &start | (&busy.q & !&last_issue))?;
    m.set_next(&in_flight, &issue)?;
    // What travels with the line: tkeep, row end and last, captured at issue.
    let keep = mask_lt(&last_bytes, lb);
    let full = !lit(0, lb);
    let meta = cat(&[&walk.last, &walk.row_end, &crate::core::mux(&walk.last, &keep, &full)]);
    let meta_q = m.reg("meta_q", UInt(lb + 2)).reset(0).enable(&issue).d(meta)?;

    let u = m.instance(
        "u_fifo",
        &f,
        &[("in_valid", &r_rvalid), ("in_data", &cat(&[&meta_q, &r_rdata])), ("out_ready", &out.get("tready")?)],
    )?;
    m.assign(&count, u.out("count")?)?;
    let head = u.out("out_data")?;
    // The FIFO never refuses: a read is issued only with room for its line.
    m.allow_unused(&u.out("in_ready")?, "reads are issued only when the FIFO has room")?;

    cmd.drive(&mut m, "ready", &cmd_ready)?;
    r.drive(&mut m, "valid", &want)?;
    r.drive(&mut m, "line", &walk.line)?;
    out.drive(&mut m, "tdata", head.slice(8 * lb - 1, 0))?;
    out.drive(&mut m, "tkeep", head.slice(9 * lb - 1, 8 * lb))?;
    out.drive(&mut m, "tuser", head.bit(9 * lb))?;
    out.drive(&mut m, "tlast", head.bit(9 * lb + 1))?;
    out.drive(&mut m, "tvalid", u.out("out_valid")?)?;
    m.output_doc("busy", &busy.q, "lines of the command are still to be read")?;
    Ok(m)
}
