//! What every stage of the softmax unit builds with: the widths that follow
//! from the configuration, pipeline registers, lanes packed into vectors and
//! a shifter for amounts of any width. Not a stage: functions that build
//! signals inside the caller's module.

use golden::softmax::SoftmaxParams;

use crate::blocks::common::lanes::bits_for;
use crate::core::{cat, mux, Bit, Expr, Module, Result, UInt};

use super::top::buffer_depth;

/// Widths of the unit's internal signals, all derived from the parameters
/// (`docs/numerics.md` gives the numeric formats).
pub(super) struct Widths {
    /// Beats the row buffer holds.
    pub depth: u32,
    /// A row buffer address.
    pub aw: u32,
    /// The row buffer's occupancy, 0..=depth.
    pub cntw: u32,
    /// A beat's index in its row.
    pub iw: u32,
    /// The number of beats of a row.
    pub nbw: u32,
    /// The reference M = ceil(m*K / 2^kf).
    pub mw: u32,
    /// The integer part I of an exponent.
    pub iexp: u32,
    /// A summed term, UQ1.F_sum.
    pub ew: u32,
    /// An output term e_out, UQ1.F_out.
    pub eow: u32,
    /// The product e_out * Rm.
    pub vw: u32,
}

impl Widths {
    pub fn new(p: &SoftmaxParams) -> Widths {
        let max_beats = p.max_beats as u64;
        let depth = buffer_depth(p);
        let eow = p.out_frac + 1;
        Widths {
            depth,
            aw: bits_for(depth as u64 - 1),
            cntw: bits_for(depth as u64),
            iw: bits_for(max_beats - 1),
            nbw: bits_for(max_beats),
            mw: p.in_bits + 9,
            iexp: p.in_bits + p.k_bits - p.k_frac,
            ew: p.sum_frac + 1,
            eow,
            vw: eow + p.recip_frac + 1,
        }
    }
}

/// A data-path register (no reset: its valid bit has one) loading `v` when `en`.
pub(super) fn dreg(m: &mut Module, name: &str, v: &Expr, en: &Expr) -> Result<Expr> {
    let ty = v.ty().unwrap_or(Bit); // a broken expression is reported by d()
    m.reg(name, ty).no_reset().enable(en).d(v)
}

/// A control register with reset value 0.
pub(super) fn creg(m: &mut Module, name: &str, v: &Expr) -> Result<Expr> {
    let ty = v.ty().unwrap_or(Bit);
    m.reg(name, ty).reset(0).d(v)
}

/// Lanes packed into one vector, lane 0 in the low bits.
pub(super) fn pack(lanes: &[Expr]) -> Expr {
    let parts: Vec<&Expr> = lanes.iter().rev().collect();
    cat(&parts)
}

/// The lanes of a packed vector, each `w` bits.
pub(super) fn unpack(v: &Expr, lanes: usize, w: u32) -> Vec<Expr> {
    (0..lanes as u32).map(|i| v.slice((i + 1) * w - 1, i * w)).collect()
}

/// `v >> a` (logical) for any amount: amounts that reach past the width give
/// 0, and only as many amount bits as matter feed the shifter.
pub(super) fn shr_any(v: &Expr, a: &Expr) -> Expr {
    let w = v.width();
    let n = a.width();
    let s = bits_for(w as u64); // 2^s > w: amounts up to 2^s − 1 shift correctly
    if n <= s {
        return v.shr(a);
    }
    let big = a.slice(n - 1, s).any();
    let small = v.shr(&a.slice(s - 1, 0));
    mux(&big, &Expr::lit(0, UInt(w)), &small)
}

pub(super) fn ulit(v: u64, w: u32) -> Expr {
    Expr::lit(v as i128, UInt(w))
}

/// The row buffer address after `ptr`, wrapping at `depth` (not a power of two).
pub(super) fn wrap(ptr: &Expr, w: &Widths) -> Expr {
    mux(&ptr.cmp_eq(w.depth as i64 - 1), &ulit(0, w.aw), &(ptr + 1))
}
