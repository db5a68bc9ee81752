//! The scratchpad line writer: a stream of lines in, scratchpad writes out,
//! at the addresses of one [`line_walk`] per command. The DMA load path and
//! the result paths of the tile and the softmax unit write through it.
//!
//! * `cmd_*` (valid/ready): `base`, `stride` (lines), `inner` (lines per
//!   row), `rows`; counts 1..=2^line_bits. Taken only when idle.
//! * `s_axis_*`: the lines, `tkeep` bit `k` writes byte `k` (the rest of the
//!   line is left as it was). One beat per line; the command's line count
//!   decides where it ends (no `tlast`).
//! * `w_*`: a scratchpad writer client (`line`, `data`, `strb`, valid/ready).
//! * `done` is high in the cycle the command's last line is written; `busy`
//!   while a command is in progress.
//!
//! Nothing is registered on the data path: a beat is written in the cycle it
//! is taken, and `s_axis_tready` is the scratchpad's `w_ready`.

use crate::blocks::accel::line_walk::{line_walk, WalkCmd};
use crate::blocks::common::params::check_range;
use crate::core::{Bit, Bundle, Module, Result, Role};

/// The block's name in parameter errors.
pub const SPAD_WRITER_BLOCK: &str = "serrano_spad_writer";

/// `serrano_spad_writer_l16_a14`.
pub fn spad_writer_name(line_bytes: u32, line_bits: u32) -> String {
    format!("serrano_spad_writer_l{line_bytes}_a{line_bits}")
}

/// Bits of a walk's row count: the instruction set's counts (a row stride
/// of 0 may repeat a line more times than the scratchpad has lines).
pub const WALK_ROW_BITS: u32 = golden::core::isa::table::COUNT_BITS;

/// The command bundle of the line reader and writer.
pub fn walk_cmd_bundle(line_bits: u32, extra: &[(&str, u32)]) -> Bundle {
    let mut f = vec![("base", line_bits), ("stride", line_bits), ("inner", line_bits + 1), ("rows", WALK_ROW_BITS)];
    f.extend_from_slice(extra);
    Bundle::valid_ready(&f)
}

pub fn spad_writer(line_bytes: u32, line_bits: u32) -> Result<Module> {
    check_range(SPAD_WRITER_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(SPAD_WRITER_BLOCK, "line_bits", line_bits, 1..=24)?;
    let (lb, aw) = (line_bytes, line_bits);
    let mut m = Module::new(&spad_writer_name(lb, aw));
    m.doc(&format!("Scratchpad line writer: {lb}-byte lines from a stream to a walk of line addresses."));
    let cmd = m.bundle_ports("cmd", &walk_cmd_bundle(aw, &[]), Role::Slave)?;
    let s = m.bundle_ports("s_axis", &Bundle::axis(8 * lb, true, false, 0), Role::Slave)?;
    let w = m.bundle_ports("w", &Bundle::valid_ready(&[("line", aw), ("data", 8 * lb), ("strb", lb)]), Role::Master)?;

    let busy = m.reg("busy_q", Bit).reset(0).doc("a command is in progress").build()?;
    let start = m.node("start", cmd.get("valid")? & !&busy.q)?;
    let (base, stride, inner, rows) = (cmd.get("base")?, cmd.get("stride")?, cmd.get("inner")?, cmd.get("rows")?);
    let step = m.node("step", &busy.q & s.get("tvalid")? & w.get("ready")?)?;
    let walk =
        line_walk(&mut m, aw, &start, &WalkCmd { base: &base, stride: &stride, inner: &inner, rows: &rows }, &step)?;
    let done = m.node("done_w", &step & &walk.last)?;
    m.set_next(&busy, &start | (&busy.q & !&done))?;

    cmd.drive(&mut m, "ready", !&busy.q)?;
    s.drive(&mut m, "tready", &busy.q & w.get("ready")?)?;
    w.drive(&mut m, "valid", &busy.q & s.get("tvalid")?)?;
    w.drive(&mut m, "line", &walk.line)?;
    w.drive(&mut m, "data", s.get("tdata")?)?;
    w.drive(&mut m, "strb", s.get("tkeep")?)?;
    m.output_doc("busy", &busy.q, "a command is in progress")?;
    m.output_doc("done", &done, "the command's last line is written this cycle")?;
    Ok(m)
}
