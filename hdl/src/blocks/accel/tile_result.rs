//! The tile's result path in the core: result rows in (the tile's
//! `m_axis_c`, `cols` int32 lanes), scratchpad lines with byte strobes out
//! (to a line writer).
//!
//! A TILE_READ's rows (`docs/isa.md`) are int32 (`4 * cols` bytes: lane `n`
//! at bytes `4n..4n+4`) or, with `requant`, int8 (`cols` bytes: the low byte
//! of each lane). A row of at least a line's bytes is cut into whole lines
//! (`row bytes / line_bytes` lines, first bytes first); a shorter row is
//! placed at bytes `[off * row bytes, (off + 1) * row bytes)` of one line,
//! with `tkeep` on exactly those bytes, so neighbouring slices of the line
//! are left as they were. The command ends with the tile's `tlast` row.
//!
//! No register on the data path: the tile's row is held (`s_axis_tready`
//! low) until its last line is taken.

use crate::blocks::common::lanes::{index_bits, lit, pmux};
use crate::blocks::common::params::check_range;
use crate::core::{cat, mux, Bit, Bundle, Expr, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const TILE_RESULT_BLOCK: &str = "serrano_tile_result";

/// `serrano_tile_result_l16_c16`.
pub fn tile_result_name(line_bytes: u32, cols: u32) -> String {
    format!("serrano_tile_result_l{line_bytes}_c{cols}")
}

/// Width of the slice index `off`: enough for the int8 rows' `line_bytes / cols` slices.
pub fn result_off_bits(line_bytes: u32, cols: u32) -> u32 {
    index_bits((line_bytes / cols) as u64)
}

/// A row of `row_bytes` (`data`) as lines: (lines per row, line `k`'s data, its keep) for `off`.
fn place(data: &Expr, row_bytes: u32, lb: u32, off: &Expr, k: &Expr) -> (u32, Expr, Expr) {
    let ob = off.width();
    if row_bytes >= lb {
        let n = row_bytes / lb;
        let kb = k.width();
        let cases: Vec<(Expr, Expr)> =
            (1..n).map(|i| (k.cmp_eq(lit(i as u128, kb)), data.slice(8 * lb * (i + 1) - 1, 8 * lb * i))).collect();
        return (n, pmux(&cases, &data.slice(8 * lb - 1, 0)), !lit(0, lb));
    }
    let slots = lb / row_bytes;
    let at = |i: u32| {
        let below = if i == 0 { None } else { Some(lit(0, 8 * row_bytes * i)) };
        let above = lb - row_bytes * (i + 1);
        let mut parts: Vec<Expr> = Vec::new();
        if above > 0 {
            parts.push(lit(0, 8 * above));
        }
        parts.push(data.clone());
        parts.extend(below);
        let refs: Vec<&Expr> = parts.iter().collect();
        let keep = lit(((1u128 << row_bytes) - 1) << (row_bytes * i), lb);
        (cat(&refs), keep)
    };
    let (d0, k0) = at(0);
    let mut dc: Vec<(Expr, Expr)> = Vec::new();
    let mut kc: Vec<(Expr, Expr)> = Vec::new();
    for i in 1..slots {
        let sel = off.cmp_eq(lit(i as u128, ob));
        let (d, k) = at(i);
        dc.push((sel.clone(), d));
        kc.push((sel, k));
    }
    (1, pmux(&dc, &d0), pmux(&kc, &k0))
}

pub fn tile_result(line_bytes: u32, cols: u32) -> Result<Module> {
    check_range(TILE_RESULT_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(TILE_RESULT_BLOCK, "cols", cols, 1..=line_bytes)?;
    let (lb, c) = (line_bytes, cols);
    if !lb.is_power_of_two() || !lb.is_multiple_of(c) {
        return Err(crate::core::HdlError::parameter(
            TILE_RESULT_BLOCK,
            format!("cols = {c}, line_bytes = {lb}: line_bytes must be a power of two that cols divides"),
        ));
    }
    let ob = result_off_bits(lb, c);
    let mut m = Module::new(&tile_result_name(lb, c));
    m.doc(&format!("Tile result path: rows of {c} int32 (or requantized int8) lanes to {lb}-byte scratchpad lines."));
    let cmd = m.bundle_ports("cmd", &Bundle::valid_ready(&[("requant", 1), ("off", ob)]), Role::Slave)?;
    let s = m.bundle_ports("s_axis", &Bundle::axis(32 * c, false, true, 0), Role::Slave)?;
    let out = m.bundle_ports("m_axis", &Bundle::axis(8 * lb, true, false, 0), Role::Master)?;

    let busy = m.reg("busy_q", Bit).reset(0).doc("a READ's rows are being written").build()?;
    let start = m.node("start", cmd.get("valid")? & !&busy.q)?;
    let requant = m.reg("requant_q", Bit).reset(0).enable(&start).d(cmd.get("requant")?)?;
    let off = m.reg("off_q", UInt(ob)).reset(0).enable(&start).d(cmd.get("off")?)?;
    if c == lb {
        m.allow_unused(&off, "every row fills whole lines: off is always 0")?;
    }
    let n32 = (4 * c / lb).max(1);
    let kb = index_bits(n32 as u64);
    let k = m.reg("k", UInt(kb)).reset(0).doc("line of the row being sent").build()?;

    let row = s.get("tdata")?;
    let bytes: Vec<Expr> = (0..c).rev().map(|n| row.slice(32 * n + 7, 32 * n)).collect();
    let refs: Vec<&Expr> = bytes.iter().collect();
    let int8 = m.node("int8_row", cat(&refs))?;
    let (n_wide, d32, k32) = place(&row, 4 * c, lb, &off, &k.q);
    let (_, d8, k8) = place(&int8, c, lb, &off, &k.q);
    let last_line = m.node("last_line", &requant | k.q.cmp_eq(lit(n_wide as u128 - 1, kb)))?;
    let valid = m.node("valid_w", &busy.q & s.get("tvalid")?)?;
    let sent = m.node("sent", &valid & out.get("tready")?)?;
    let row_done = m.node("row_done", &sent & &last_line)?;
    m.set_next(&k, mux(&row_done, &lit(0, kb), &mux(&sent, &(&k.q + 1), &k.q)))?;
    m.set_next(&busy, &start | (&busy.q & !(&row_done & s.get("tlast")?)))?;

    cmd.drive(&mut m, "ready", !&busy.q)?;
    s.drive(&mut m, "tready", &busy.q & &last_line & out.get("tready")?)?;
    out.drive(&mut m, "tdata", mux(&requant, &d8, &d32))?;
    out.drive(&mut m, "tkeep", mux(&requant, &k8, &k32))?;
    out.drive(&mut m, "tvalid", &valid)?;
    m.output_doc("busy", &busy.q, "a READ's rows are being written")?;
    Ok(m)
}
