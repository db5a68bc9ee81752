//! The streaming integer softmax: the specification of the softmax unit.
//!
//! `docs/numerics.md` (section "Softmax") states these rules in words; this
//! file implements that text step by step, in integers. The RTL
//! (`hdl::blocks::softmax`) must match it bit for bit.
//!
//! A row of logits `x` (int8 or int16) arrives in beats of `lanes` slots. A
//! slot holds an element when its keep bit is set; an element takes part when
//! it is kept and not masked ("valid"). With `K = s·log2(e)` in fixed point
//! (UQ8.kf, `kf = in_bits + 16` fractional bits), the unit computes, for every
//! valid element, `y = 2^-(Δ·K + c) / Σ 2^-(Δ·K + c)` with `Δ = max − x`
//! and `c` the row's alignment offset (see below), in the online order
//! written in [`SoftmaxParams::row`]:
//!
//! * the running max `m` is exact (integers);
//! * the running reference `M = ceil(m·K)` is an integer, so when the max
//!   rises the running sum is rescaled by a pure shift (`floor(S / 2^(M' − M))`);
//!   every element's exponent magnitude is `u = M·2^kf − x·K = Δ·K + c`
//!   with `c = (−m·K) mod 2^kf`;
//! * `2^-u` is split into an integer shift `I = floor(u / 2^kf)` and a fraction
//!   looked up in a table of `2^table_bits` segments with linear interpolation
//!   ([`Exp2`], table from [`exp2_table`], shared with the RTL);
//! * the sum is exact within a beat; between beats the online order is
//!   normative (two-pass and online sums differ in their last bits);
//! * the reciprocal of the sum is normalized and computed by a restoring
//!   divider ([`reciprocal`], [`restoring_reciprocal`]);
//! * `y = round_half_up(e·R)` saturated to UQ0.`out_bits`.
//!
//! Floats appear only in [`scale_to_k`] (turning a user's scale into `K`), in
//! [`exp2_table`] (generating the constant table; a test proves every entry is
//! far from a rounding boundary, so any correctly rounded `exp2` gives the same
//! table) and in [`reference`] (float64 softmax, to measure error).
//!
//! Files: [`numerics`] (parameters, exp2, reciprocal), [`model`] (beats,
//! rows, the stream), [`reference`] (float64, for error measurement).
//! Configuration: [`SoftmaxConfig`](crate::SoftmaxConfig). Tests against the
//! RTL: `testbenches/tests/softmax.rs`.

pub mod model;
pub mod numerics;
pub mod reference;

pub use model::*;
pub use numerics::*;
pub use reference::*;

#[cfg(test)]
mod tests;
