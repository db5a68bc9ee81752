//! The softmax unit's output in the core: the unit's beats in, scratchpad
//! lines with byte strobes out (to a line writer walking the SOFTMAX
//! command's output rows).
//!
//! Beats of `lanes * out_bits / 8` bytes are packed densely into lines,
//! `line_bytes / beat bytes` to a line, each row from byte 0 of a new line:
//! a row's last line goes out after its `tlast` beat, however full. A byte
//! is strobed iff its lane's `tkeep` is set, so the bytes past a row's end
//! are left as they were.
//!
//! One line register: a full line waits in it for `m_axis_tready`, and the
//! next beat is taken in the cycle it leaves, so a line per cycle passes.
//!
//! With `out_bits` = 8 only, an input `int8_out` (the SOFTMAX command's
//! field, held by the core for the whole command) turns each UQ0.8 lane
//! into the int8 UQ0.7 byte the tile takes, before packing: see
//! [`int8_prob`]. Nothing of it is emitted for `out_bits` = 16, where the
//! decoder refuses the field.

use crate::blocks::common::lanes::{index_bits, lit};
use crate::blocks::common::params::check_range;
use crate::core::{cat, mux, Bit, Bundle, Expr, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const SOFTMAX_DRAIN_BLOCK: &str = "serrano_softmax_drain";

/// `serrano_softmax_drain_l16_n16_o8`.
pub fn softmax_drain_name(line_bytes: u32, lanes: u32, out_bits: u32) -> String {
    format!("serrano_softmax_drain_l{line_bytes}_n{lanes}_o{out_bits}")
}

pub fn softmax_drain(line_bytes: u32, lanes: u32, out_bits: u32) -> Result<Module> {
    check_range(SOFTMAX_DRAIN_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(SOFTMAX_DRAIN_BLOCK, "lanes", lanes, 1..=64)?;
    crate::blocks::common::params::check_one_of(SOFTMAX_DRAIN_BLOCK, "out_bits", out_bits, &[8, 16])?;
    let ob = out_bits / 8;
    let bb = lanes * ob;
    if !line_bytes.is_multiple_of(bb) {
        return Err(crate::core::HdlError::parameter(
            SOFTMAX_DRAIN_BLOCK,
            format!("lanes * out_bits / 8 = {bb}: must divide line_bytes = {line_bytes}"),
        ));
    }
    let (lb, n) = (line_bytes, lanes);
    let bpl = lb / bb;
    let qb = index_bits(bpl as u64);
    let mut m = Module::new(&softmax_drain_name(lb, n, out_bits));
    m.doc(&format!(
        "Softmax drain: {bpl} beat(s) of {n} x UQ0.{out_bits} packed per {lb}-byte line, rows on new lines."
    ));
    let s = m.bundle_ports("s_axis", &Bundle::axis(8 * bb, false, true, 0), Role::Slave)?;
    let s_keep = m.input_doc("s_axis_tkeep", UInt(n), "lane i holds an element of the row")?;
    let beat = if out_bits == 8 {
        let int8 = m.input_doc("int8_out", Bit, "write each UQ0.8 probability as int8 UQ0.7")?;
        let conv = int8_prob(&mut m, &s.get("tdata")?, n)?;
        m.node("beat", mux(&int8, &conv, &s.get("tdata")?))?
    } else {
        s.get("tdata")?
    };
    let out = m.bundle_ports("m_axis", &Bundle::axis(8 * lb, true, false, 0), Role::Master)?;

    let full = m.reg("full_q", Bit).reset(0).doc("the line register holds a line to send").build()?;
    let q = m.reg("q", UInt(qb)).reset(0).doc("the next beat's place in the line").build()?;
    let data =
        m.reg("line_q", UInt(8 * lb)).no_reset().doc("the line being packed (qualified by full_q and q)").build()?;
    let keep = m.reg("keep_q", UInt(lb)).reset(0).doc("its byte strobes").build()?;

    let leaving = m.node("leaving", &full.q & out.get("tready")?)?;
    let s_ready = m.node("s_ready", !&full.q | &leaving)?;
    let take = m.node("take", s.get("tvalid")? & &s_ready)?;
    // A beat starts a new line when the register is empty of beats (q = 0).
    let fresh = m.node("fresh", q.q.cmp_eq(lit(0, qb)))?;
    let lane_bytes: Vec<Expr> = (0..n).rev().map(|i| s_keep.bit(i).repeat(ob)).collect();
    let refs: Vec<&Expr> = lane_bytes.iter().collect();
    let beat_keep = cat(&refs);
    let place = |v: &Expr, unit: u32| -> Vec<(Expr, Expr)> {
        (0..bpl)
            .map(|i| {
                let w = v.width();
                let total = unit * lb;
                let shifted = if i == 0 { v.zext(total) } else { cat(&[v, &lit(0, w * i)]).zext(total) };
                (q.q.cmp_eq(lit(i as u128, qb)), shifted)
            })
            .collect()
    };
    let pd = place(&beat, 8);
    let pk = place(&beat_keep, 1);
    let pick = |c: &[(Expr, Expr)]| crate::blocks::common::lanes::pmux(&c[1..], &c[0].1);
    let base_d = mux(&fresh, &lit(0, 8 * lb), &data.q);
    let base_k = mux(&fresh, &lit(0, lb), &keep.q);
    m.set_next(&data, mux(&take, &(&base_d | pick(&pd)), &data.q))?;
    m.set_next(&keep, mux(&take, &(&base_k | pick(&pk)), &mux(&leaving, &lit(0, lb), &keep.q)))?;
    let closes = m.node("closes", s.get("tlast")? | q.q.cmp_eq(lit(bpl as u128 - 1, qb)))?;
    m.set_next(&q, mux(&take, &mux(&closes, &lit(0, qb), &(&q.q + 1)), &q.q))?;
    m.set_next(&full, (&take & &closes) | (&full.q & !&leaving))?;

    s.drive(&mut m, "tready", &s_ready)?;
    out.drive(&mut m, "tdata", &data.q)?;
    out.drive(&mut m, "tkeep", &keep.q)?;
    out.drive(&mut m, "tvalid", &full.q)?;
    Ok(m)
}

/// The `lanes` UQ0.8 probabilities `y` of `beat` (lane i on bits 8i+7:8i)
/// as int8 UQ0.7, `min(127, (y + 1) >> 1)`: round half up to 7 fractional
/// bits, then saturate, since `y` = 255 rounds to 128, one past int8
/// (`golden::softmax::to_int8_prob`, the spec). `(y + 1) >> 1` is built as
/// `(y >> 1) + y[0]`, an 8-bit add whose sum (at most 128) needs no slice,
/// and only `y` = 255 saturates.
fn int8_prob(m: &mut Module, beat: &Expr, lanes: u32) -> Result<Expr> {
    let mut out = Vec::new();
    for i in (0..lanes).rev() {
        let y = m.node(&format!("prob{i}"), beat.slice(8 * i + 7, 8 * i))?;
        let half = y.slice(7, 1).zext(8) + y.bit(0).zext(8);
        out.push(mux(&y.cmp_eq(255), &lit(127, 8), &half));
    }
    let refs: Vec<&Expr> = out.iter().collect();
    m.node("int8_beat", cat(&refs))
}
