//! The processing element of the weight-stationary systolic array.
//!
//! Behaviour is specified by `golden::pe` (and `docs/pe.md`); this file is
//! its hardware. Data moves one PE per cycle: activations east, partial sums
//! south, weights south (through the shadow register, while the active weight
//! keeps computing), and the swap flag east alongside the activation it
//! belongs to, so a whole array changes weights on the activation wavefront.

use golden::PeConfig;

use crate::core::{Bit, Module, Result, SInt};

/// The module name, which carries the parameters: `serrano_pe_i8_acc32`.
pub fn pe_name(cfg: &PeConfig) -> String {
    format!("serrano_pe_i8_acc{}", cfg.acc_bits)
}

/// One PE: `psum <= psum_in + a_in × w`, with a double-buffered weight.
pub fn pe(cfg: &PeConfig) -> Result<Module> {
    let acc = SInt(cfg.acc_bits);
    let mut m = Module::new(&pe_name(cfg));
    m.doc("Processing element of the weight-stationary systolic array (int8 x int8, wrapping accumulate).");
    m.doc("psum_out <= psum_in + a_in * w; a_out <= a_in; the weight is double-buffered:");
    m.doc("w_load shifts w_in into the shadow register (w_out feeds the PE below),");
    m.doc("w_swap makes the shadow weight active from the next cycle and travels east as swap_out.");

    let a_in = m.input_doc("a_in", SInt(8), "activation, from the west")?;
    let psum_in = m.input_doc("psum_in", acc, "partial sum, from the north")?;
    let w_in = m.input_doc("w_in", SInt(8), "next weight, shifting south")?;
    let w_load = m.input_doc("w_load", Bit, "load w_in into the shadow weight")?;
    let w_swap = m.input_doc("w_swap", Bit, "make the shadow weight active")?;

    let w_next = m.reg("w_next", SInt(8)).reset(0).enable(&w_load).doc("shadow weight").d(&w_in)?;
    let w = m.reg("w", SInt(8)).reset(0).enable(&w_swap).doc("active weight").d(&w_next)?;

    // The int8 x int8 product is exact in 16 bits; widen it to the accumulator.
    let product = m.node("product", a_in.mul_wide(&w))?;
    let a = m.reg("a", SInt(8)).reset(0).doc("activation, to the east").d(&a_in)?;
    let psum = m.reg("psum", acc).reset(0).doc("partial sum, to the south").d(&psum_in + product.sext(cfg.acc_bits))?;
    let swap = m.reg("swap", Bit).reset(0).doc("swap flag, to the east").d(&w_swap)?;

    m.output_doc("a_out", &a, "activation, to the east")?;
    m.output_doc("psum_out", &psum, "partial sum, to the south")?;
    m.output_doc("w_out", &w_next, "shadow weight, to the PE below")?;
    m.output_doc("swap_out", &swap, "swap flag, to the east")?;
    Ok(m)
}
