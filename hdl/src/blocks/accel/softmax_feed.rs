//! The softmax unit's input in the core: scratchpad lines in (from a line
//! reader walking the SOFTMAX command's rows), the unit's beats out, with
//! the row framing, the masks and the scale the command gives
//! (`docs/isa.md`, SOFTMAX).
//!
//! A row of `len` elements of `in_bits` is dense from byte 0 of its first
//! line, so a line holds `line_bytes / beat_bytes` beats (`beat_bytes =
//! lanes * in_bits / 8`) and a row is `ceil(len / lanes)` beats; the beats
//! of a row's last line past the row are dropped with the line. For element
//! `j` of row `r`: `tkeep` is `j < len`; `tuser` (the mask) is
//! `j >= valid_len`, or `causal` and `j > causal_base + r`. `tlast` marks a
//! row's last beat, and `scale_k` is the command's K for every row.
//!
//! No register on the data path: a beat leaves in the cycle its line is
//! offered, and the line is taken with its last beat.

use crate::blocks::common::lanes::{index_bits, lit, pmux};
use crate::blocks::common::params::check_range;
use crate::core::{cat, mux, Bit, Bundle, Expr, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const SOFTMAX_FEED_BLOCK: &str = "serrano_softmax_feed";
/// Width of row counts and element indices (as the instruction set's counts).
pub const COUNT: u32 = 20;

/// `serrano_softmax_feed_l16_n16_i8`.
pub fn softmax_feed_name(line_bytes: u32, lanes: u32, in_bits: u32) -> String {
    format!("serrano_softmax_feed_l{line_bytes}_n{lanes}_i{in_bits}")
}

pub fn softmax_feed(line_bytes: u32, lanes: u32, in_bits: u32, k_bits: u32) -> Result<Module> {
    check_range(SOFTMAX_FEED_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(SOFTMAX_FEED_BLOCK, "lanes", lanes, 1..=64)?;
    check_range(SOFTMAX_FEED_BLOCK, "k_bits", k_bits, 1..=64)?;
    crate::blocks::common::params::check_one_of(SOFTMAX_FEED_BLOCK, "in_bits", in_bits, &[8, 16])?;
    let bb = lanes * in_bits / 8;
    if !line_bytes.is_multiple_of(bb) {
        return Err(crate::core::HdlError::parameter(
            SOFTMAX_FEED_BLOCK,
            format!("lanes * in_bits / 8 = {bb}: must divide line_bytes = {line_bytes}"),
        ));
    }
    let (lb, n) = (line_bytes, lanes);
    let bpl = lb / bb;
    let qb = index_bits(bpl as u64);
    let mut m = Module::new(&softmax_feed_name(lb, n, in_bits));
    m.doc(&format!("Softmax feed: {bpl} beat(s) of {n} x int{in_bits} per {lb}-byte line, rows framed and masked."));
    let cmd = m.bundle_ports(
        "cmd",
        &Bundle::valid_ready(&[
            ("rows", COUNT),
            ("len", COUNT),
            ("valid_len", COUNT),
            ("causal", 1),
            ("causal_base", COUNT),
            ("k", k_bits),
        ]),
        Role::Slave,
    )?;
    let s = m.bundle_ports("s_axis", &Bundle::axis(8 * lb, false, false, 0), Role::Slave)?;
    let out = m.bundle_ports("m_axis", &Bundle::axis(8 * bb, false, true, 0), Role::Master)?;

    let busy = m.reg("busy_q", Bit).reset(0).doc("rows of a command are being sent").build()?;
    let start = m.node("start", cmd.get("valid")? & !&busy.q)?;
    let hold = |m: &mut Module, name: &str, w: u32, v: Expr| m.reg(name, UInt(w)).reset(0).enable(&start).d(v);
    let len = hold(&mut m, "len_q", COUNT, cmd.get("len")?)?;
    let valid_len = hold(&mut m, "valid_len_q", COUNT, cmd.get("valid_len")?)?;
    let causal = m.reg("causal_q", Bit).reset(0).enable(&start).d(cmd.get("causal")?)?;
    let k = hold(&mut m, "k_q", k_bits, cmd.get("k")?)?;
    let rows_left = m.reg("rows_left", UInt(COUNT)).reset(0).doc("rows left, this one included").build()?;
    let limit = m.reg("limit", UInt(COUNT + 1)).reset(0).doc("causal_base + r: the row's last unmasked j").build()?;
    let j0 = m.reg("j0", UInt(COUNT)).reset(0).doc("the beat's first element index").build()?;
    let q = m.reg("q", UInt(qb)).reset(0).doc("the beat's place in its line").build()?;

    let row_last = m.node("row_last", (j0.q.zext(COUNT + 1) + lanes as i64).cmp_ge(len.zext(COUNT + 1)))?;
    let line_last = m.node("line_last", &row_last | q.q.cmp_eq(lit(bpl as u128 - 1, qb)))?;
    let valid = m.node("valid_w", &busy.q & s.get("tvalid")?)?;
    let sent = m.node("sent", &valid & out.get("tready")?)?;
    let next_row = &sent & &row_last;
    let done = m.node("done_w", &next_row & rows_left.q.cmp_eq(lit(1, COUNT)))?;
    m.set_next(&busy, &start | (&busy.q & !&done))?;
    let rl = mux(&next_row, &(&rows_left.q - 1), &rows_left.q);
    m.set_next(&rows_left, mux(&start, &cmd.get("rows")?, &rl))?;
    let lim = mux(&next_row, &(&limit.q + 1), &limit.q);
    m.set_next(&limit, mux(&start, &cmd.get("causal_base")?.zext(COUNT + 1), &lim))?;
    let j_next = mux(&next_row, &lit(0, COUNT), &mux(&sent, &(&j0.q + lanes as i64), &j0.q));
    m.set_next(&j0, mux(&start, &lit(0, COUNT), &j_next))?;
    let q_next = mux(&(&sent & &line_last), &lit(0, qb), &mux(&sent, &(&q.q + 1), &q.q));
    m.set_next(&q, mux(&start, &lit(0, qb), &q_next))?;

    let line = s.get("tdata")?;
    let beats: Vec<(Expr, Expr)> =
        (1..bpl).map(|i| (q.q.cmp_eq(lit(i as u128, qb)), line.slice(8 * bb * (i + 1) - 1, 8 * bb * i))).collect();
    let beat = pmux(&beats, &line.slice(8 * bb - 1, 0));
    let mut keep = Vec::new();
    let mut mask = Vec::new();
    for i in (0..n).rev() {
        let j = m.node(&format!("elem{i}"), j0.q.zext(COUNT + 1) + i as i64)?;
        keep.push(j.cmp_lt(len.zext(COUNT + 1)));
        let late = j.cmp_ge(valid_len.zext(COUNT + 1)) | (&causal & j.cmp_gt(&limit.q));
        mask.push(late);
    }
    let keep_refs: Vec<&Expr> = keep.iter().collect();
    let mask_refs: Vec<&Expr> = mask.iter().collect();

    cmd.drive(&mut m, "ready", !&busy.q)?;
    s.drive(&mut m, "tready", &busy.q & out.get("tready")? & &line_last)?;
    out.drive(&mut m, "tdata", beat)?;
    out.drive(&mut m, "tlast", &row_last)?;
    out.drive(&mut m, "tvalid", &valid)?;
    m.output_doc("m_axis_tkeep", cat(&keep_refs), "lane i holds element j < len")?;
    m.output_doc("m_axis_tuser", cat(&mask_refs), "lane i is masked")?;
    m.output_doc("scale_k", &k, "the command's K, for every row")?;
    m.output_doc("busy", &busy.q, "rows of a command are being sent")?;
    Ok(m)
}
