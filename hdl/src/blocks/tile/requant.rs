//! One output lane's requantization, pipelined in two stages.
//!
//! `y = saturate_int8(round_half_up((acc × multiplier) / 2^shift) + zero_point)`,
//! sign-extended to 32 bits, or `acc` itself when `requant` is 0 (the rule is
//! `golden::tile::gemm::Requant::apply`). Stage 1 forms the exact 64-bit product;
//! stage 2 rounds, adds the zero point and saturates. Both stages advance
//! when `en` is 1 and hold otherwise (the output stream's back-pressure).
//! `multiplier`, `shift`, `zero_point` and `requant` must be steady while data
//! is in flight.

use crate::core::{mux, Bit, Expr, Module, Result, SInt, UInt};

pub const REQUANT_NAME: &str = "serrano_requant_i32_i8";

pub fn requant() -> Result<Module> {
    let mut m = Module::new(REQUANT_NAME);
    m.doc("Requantization of one lane: saturate_int8(round_half_up((acc * multiplier) >> shift) + zero_point),");
    m.doc("or acc unchanged when requant = 0. Two pipeline stages, advancing when en = 1.");
    let en = m.input_doc("en", Bit, "advance the pipeline")?;
    let acc = m.input_doc("acc", SInt(32), "accumulator value")?;
    let requant = m.input_doc("requant", Bit, "1: requantize; 0: pass acc through")?;
    let multiplier = m.input("multiplier", SInt(32))?;
    let shift = m.input_doc("shift", UInt(6), "0..=62")?;
    let zero_point = m.input("zero_point", SInt(8))?;

    // Stage 1: the exact product (|acc * multiplier| <= 2^62).
    let product = m.reg("product", SInt(64)).no_reset().enable(&en).doc("stage 1").d(acc.mul_wide(&multiplier))?;
    let acc_d = m.reg("acc_d", SInt(32)).no_reset().enable(&en).doc("stage 1").d(&acc)?;

    // Stage 2: round half up, add the zero point, saturate.
    // round_half_up(p / 2^s) = ((p >> (s - 1)) + 1) >> 1 for s >= 1, p for s = 0.
    let one = Expr::lit(1, UInt(6));
    let halved = m.node("halved", product.shr(&(&shift - &one)))?;
    let rounded = m.node("rounded", mux(&shift.cmp_eq(0), &product, &(&halved + 1).shr_const(1)))?;
    let biased = m.node("biased", &rounded + zero_point.sext(64))?;
    let hi = Expr::lit(127, SInt(64));
    let lo = Expr::lit(-128, SInt(64));
    let clamped = mux(&biased.cmp_gt(&hi), &hi, &mux(&biased.cmp_lt(&lo), &lo, &biased));
    let y8 = m.node("y8", clamped.trunc(8))?;
    let y = m.reg("y_q", SInt(32)).no_reset().enable(&en).doc("stage 2").d(mux(&requant, &y8.sext(32), &acc_d))?;
    m.output_doc("y", &y, "result, two enabled cycles after acc")?;
    Ok(m)
}

pub const BYPASS_NAME: &str = "serrano_requant_bypass_i32";

/// The lane of a tile built without requantization (`systolic.requant =
/// false`): the same two enabled pipeline stages, so the read path's timing
/// is the same, carrying `acc` unchanged.
pub fn bypass() -> Result<Module> {
    let mut m = Module::new(BYPASS_NAME);
    m.doc("Output lane of a tile without requantization: acc, delayed by two enabled pipeline stages.");
    let en = m.input_doc("en", Bit, "advance the pipeline")?;
    let acc = m.input_doc("acc", SInt(32), "accumulator value")?;
    let acc_d = m.reg("acc_d", SInt(32)).no_reset().enable(&en).doc("stage 1").d(&acc)?;
    let y = m.reg("y_q", SInt(32)).no_reset().enable(&en).doc("stage 2").d(&acc_d)?;
    m.output_doc("y", &y, "acc, two enabled cycles later")?;
    Ok(m)
}
