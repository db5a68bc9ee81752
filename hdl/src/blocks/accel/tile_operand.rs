//! The tile's operand feed in the core: scratchpad lines in (from a line
//! reader), tile rows out (to `s_axis_a` or `s_axis_b` of the tile).
//!
//! A row is one `slice`-byte slice of a line: bytes `[off * slice, off *
//! slice + slice)`, `off < line_bytes / slice` (TILE_COMPUTE's `a_off`,
//! TILE_LOAD's `b_off` in `docs/isa.md`). A command sends `rows` rows: the
//! first `valid_rows` are slices of the lines that arrive, the rest are
//! zero rows that take no line (TILE_LOAD's weight rows past `k_rows`), so
//! the tile always gets the rows its command expects. `m_axis_tlast` marks
//! the command's last row.
//!
//! No register on the data path: a row leaves in the cycle its line arrives.

use crate::blocks::common::lanes::{index_bits, lit, pmux};
use crate::blocks::common::params::check_range;
use crate::core::{mux, Bit, Bundle, Expr, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const TILE_OPERAND_BLOCK: &str = "serrano_tile_operand";
/// Width of row counts: up to 65536 rows (the deepest accumulator).
pub const ROW_BITS: u32 = 17;

/// `serrano_tile_operand_l16_s16`.
pub fn tile_operand_name(line_bytes: u32, slice: u32) -> String {
    format!("serrano_tile_operand_l{line_bytes}_s{slice}")
}

/// Width of the slice index `off` for lines of `line_bytes` and slices of `slice` bytes.
pub fn off_bits(line_bytes: u32, slice: u32) -> u32 {
    index_bits((line_bytes / slice) as u64)
}

pub fn tile_operand(line_bytes: u32, slice: u32) -> Result<Module> {
    check_range(TILE_OPERAND_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(TILE_OPERAND_BLOCK, "slice", slice, 1..=line_bytes)?;
    if !line_bytes.is_multiple_of(slice) {
        return Err(crate::core::HdlError::parameter(
            TILE_OPERAND_BLOCK,
            format!("slice = {slice}: must divide line_bytes = {line_bytes}"),
        ));
    }
    let (lb, sb) = (line_bytes, slice);
    let ob = off_bits(lb, sb);
    let mut m = Module::new(&tile_operand_name(lb, sb));
    m.doc(&format!("Tile operand feed: {sb}-byte slices of {lb}-byte scratchpad lines, zero rows past valid_rows."));
    let cmd = m.bundle_ports(
        "cmd",
        &Bundle::valid_ready(&[("off", ob), ("rows", ROW_BITS), ("valid_rows", ROW_BITS)]),
        Role::Slave,
    )?;
    let s = m.bundle_ports("s_axis", &Bundle::axis(8 * lb, false, false, 0), Role::Slave)?;
    let out = m.bundle_ports("m_axis", &Bundle::axis(8 * sb, false, true, 0), Role::Master)?;

    let busy = m.reg("busy_q", Bit).reset(0).doc("a command's rows are being sent").build()?;
    let start = m.node("start", cmd.get("valid")? & !&busy.q)?;
    let off = m.reg("off_q", UInt(ob)).reset(0).enable(&start).d(cmd.get("off")?)?;
    let rows = m.reg("rows_q", UInt(ROW_BITS)).reset(0).enable(&start).d(cmd.get("rows")?)?;
    let valid_rows = m.reg("valid_rows_q", UInt(ROW_BITS)).reset(0).enable(&start).d(cmd.get("valid_rows")?)?;
    if lb == sb {
        m.allow_unused(&off, "a line holds one slice: off is always 0")?;
    }
    let row = m.reg("row", UInt(ROW_BITS)).reset(0).doc("rows sent of the command").build()?;
    let from_line = m.node("from_line", row.q.cmp_lt(&valid_rows))?;
    let last = m.node("last_row", (&row.q + 1).cmp_eq(&rows))?;

    let line = s.get("tdata")?;
    let slices: Vec<(Expr, Expr)> =
        (1..lb / sb).map(|i| (off.cmp_eq(lit(i as u128, ob)), line.slice(8 * sb * (i + 1) - 1, 8 * sb * i))).collect();
    let slice_q = pmux(&slices, &line.slice(8 * sb - 1, 0));
    let valid = m.node("valid_w", &busy.q & mux(&from_line, &s.get("tvalid")?, &lit(1, 1)))?;
    let sent = m.node("sent", &valid & out.get("tready")?)?;
    m.set_next(&row, mux(&start, &lit(0, ROW_BITS), &mux(&sent, &(&row.q + 1), &row.q)))?;
    m.set_next(&busy, &start | (&busy.q & !(&sent & &last)))?;

    cmd.drive(&mut m, "ready", !&busy.q)?;
    s.drive(&mut m, "tready", &busy.q & &from_line & out.get("tready")?)?;
    out.drive(&mut m, "tdata", mux(&from_line, &slice_q, &lit(0, 8 * sb)))?;
    out.drive(&mut m, "tlast", &last)?;
    out.drive(&mut m, "tvalid", &valid)?;
    m.output_doc("busy", &busy.q, "a command's rows are being sent")?;
    Ok(m)
}
