//! The processing element of the weight-stationary systolic array.
//!
//! Behaviour is specified by `golden::pe` (and `docs/pe.md`); this file is its
//! hardware. Activations move east one PE per cycle and partial sums south.
//! The weight is double-buffered: the shadow register loads from the column's
//! weight bus while the active weight computes, and the swap flag travels east
//! with the first activation of a new fold, so every PE changes weights exactly
//! on the activation wavefront and the array never stops for a weight change.

use golden::PeConfig;

use crate::core::{mux, Bit, Module, Result, SInt};

/// The module name, which carries the parameters: `serrano_pe_i8_acc32`.
pub fn pe_name(cfg: &PeConfig) -> String {
    format!("serrano_pe_i8_acc{}", cfg.acc_bits)
}

/// One PE: `psum <= psum_in + a_in × w`, with a double-buffered weight.
pub fn pe(cfg: &PeConfig) -> Result<Module> {
    let acc = SInt(cfg.acc_bits);
    let mut m = Module::new(&pe_name(cfg));
    m.doc("Processing element of the weight-stationary systolic array (int8 x int8, wrapping accumulate).");
    m.doc("psum_out <= psum_in + a_in * w; a_out <= a_in. The weight is double-buffered: w_load writes");
    m.doc("w_in into the shadow register; w_swap marks the first activation of a new fold, which (and");
    m.doc("every later one) uses the shadow weight; the flag travels east with it as swap_out.");

    let a_in = m.input_doc("a_in", SInt(8), "activation, from the west")?;
    let psum_in = m.input_doc("psum_in", acc, "partial sum, from the north")?;
    let w_in = m.input_doc("w_in", SInt(8), "weight, from the column's weight bus")?;
    let w_load = m.input_doc("w_load", Bit, "write w_in into the shadow weight")?;
    let w_swap = m.input_doc("w_swap", Bit, "a_in is the first activation of a new fold")?;

    let w_next = m.reg("w_next", SInt(8)).reset(0).enable(&w_load).doc("shadow weight").d(&w_in)?;
    let w = m.reg("w", SInt(8)).reset(0).doc("active weight").build()?;
    // The weight this cycle's activation meets: the new one from the swap on.
    let w_eff = m.node("w_eff", mux(&w_swap, &w_next, &w))?;
    m.set_next(&w, &w_eff)?;

    // The int8 x int8 product is exact in 16 bits; widen it to the accumulator.
    let product = m.node("product", a_in.mul_wide(&w_eff))?;
    let a = m.reg("a", SInt(8)).reset(0).doc("activation, to the east").d(&a_in)?;
    let psum = m.reg("psum", acc).reset(0).doc("partial sum, to the south").d(&psum_in + product.sext(cfg.acc_bits))?;
    let swap = m.reg("swap", Bit).reset(0).doc("swap flag, to the east").d(&w_swap)?;

    m.output_doc("a_out", &a, "activation, to the east")?;
    m.output_doc("psum_out", &psum, "partial sum, to the south")?;
    m.output_doc("swap_out", &swap, "swap flag, to the east")?;
    Ok(m)
}
