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

/// One data-path register per lane, `<name>_<lane>`, lane `i` loading
/// `v[i]` when `en`. Lanes travel the pipelines as separate signals, not as
/// one packed vector: the Verilog then has one short line per lane, where a
/// packed vector's concatenation would be one line as long as all the lanes
/// together (Verilator 5.006 rejects a line of more than 40,000
/// preprocessor tokens, which 33 or more lanes reached).
pub(super) fn dregs(m: &mut Module, name: &str, v: &[Expr], en: &Expr) -> Result<Vec<Expr>> {
    v.iter().enumerate().map(|(i, e)| dreg(m, &format!("{name}_{i}"), e, en)).collect()
}

/// The lanes of a packed vector, each `w` bits.
pub(super) fn unpack(v: &Expr, lanes: usize, w: u32) -> Vec<Expr> {
    (0..lanes as u32).map(|i| v.slice((i + 1) * w - 1, i * w)).collect()
}

/// Lanes per concatenation in [`pack`].
const PACK_GROUP: usize = 8;

/// Lanes packed into one vector, lane 0 in the low bits, in named groups
/// `<name>_g<k>` of [`PACK_GROUP`] lanes (and groups of groups), so that no
/// concatenation is longer than one group.
pub(super) fn pack(m: &mut Module, name: &str, lanes: &[Expr]) -> Result<Expr> {
    let cat_of = |v: &[Expr]| {
        let parts: Vec<&Expr> = v.iter().rev().collect();
        cat(&parts)
    };
    if lanes.len() <= PACK_GROUP {
        return Ok(cat_of(lanes));
    }
    let groups = lanes
        .chunks(PACK_GROUP)
        .enumerate()
        .map(|(k, g)| m.node(&format!("{name}_g{k}"), cat_of(g)))
        .collect::<Result<Vec<Expr>>>()?;
    pack(m, &format!("{name}_g"), &groups)
}

/// A balanced binary tree of `op` over `leaves` (an odd node passes up a
/// level unchanged): every node a named wire `<name>_<level>_<i>`, level 1
/// the first above the leaves, and the root the wire `name`. Named nodes
/// keep each line one operation long; an expression tree written inline
/// would repeat an operand that `op` reads twice (a max: compare, then
/// select) on every level, doubling the line each time.
pub(super) fn tree(m: &mut Module, name: &str, leaves: Vec<Expr>, op: impl Fn(&Expr, &Expr) -> Expr) -> Result<Expr> {
    let mut level = leaves;
    let mut depth = 1;
    while level.len() > 1 {
        let top = level.len() <= 2;
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for (i, c) in level.chunks(2).enumerate() {
            next.push(match c {
                [a, b] if top => m.node(name, op(a, b))?,
                [a, b] => m.node(&format!("{name}_{depth}_{i}"), op(a, b))?,
                _ => c[0].clone(),
            });
        }
        level = next;
        depth += 1;
    }
    match level.pop() {
        Some(root) if depth > 1 => Ok(root),
        Some(leaf) => m.node(name, leaf),
        None => Err(m.err(name, "a tree needs at least one leaf")),
    }
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
