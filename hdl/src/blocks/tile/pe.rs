//! The processing element of the weight-stationary systolic array.
//!
//! Behaviour is specified by `golden::pe` (and `docs/pe.md`); this file is its
//! hardware. Activations move east one PE per cycle and partial sums south.
//! The weight is double-buffered: the shadow register loads from the column's
//! weight bus while the active weight computes, and the swap flag travels east
//! one cycle ahead of the first activation of a new fold, so every PE changes
//! weights exactly on the activation wavefront and the array never stops for a
//! weight change.
//!
//! Why the swap leads by a cycle: the multiplier then reads the active weight
//! straight from its register, with no weight multiplexer in front of it, so
//! on Xilinx the whole PE datapath (B registers for the two weights, the
//! multiplier, the post-adder for `psum_in`, the P register) is one DSP48E1
//! with no LUT.

use golden::PeConfig;

use crate::blocks::common::params::check_range;
use crate::core::{Bit, Module, Result, SInt};

use super::mul::mul_s8x8;

/// The module name, which carries the parameters: `serrano_pe_i8_acc32`.
pub fn pe_name(cfg: &PeConfig) -> String {
    format!("serrano_pe_i8_acc{}", cfg.acc_bits)
}

/// One PE: `product <= a_in × w; psum <= psum_in + product`, with a double-buffered weight.
pub fn pe(cfg: &PeConfig) -> Result<Module> {
    // PeConfig's documented range: at least the 16 bits of the product the
    // sum adds, at most the 64 bits golden's model wraps in.
    check_range("serrano_pe", "acc_bits", cfg.acc_bits, 16..=64)?;
    let acc = SInt(cfg.acc_bits);
    let mut m = Module::new(&pe_name(cfg));
    m.doc("Processing element of the weight-stationary systolic array (int8 x int8, wrapping accumulate).");
    m.doc("product <= a_in * w; psum_out <= psum_in + product; a_out <= a_in. The weight is double-buffered: w_load writes");
    m.doc("w_in into the shadow register; w_swap copies it into the active weight at this edge, so the");
    m.doc("next cycle's activation is the first to use it; the flag travels east as swap_out.");

    let a_in = m.input_doc("a_in", SInt(8), "activation, from the west")?;
    let psum_in = m.input_doc("psum_in", acc, "partial sum, from the north")?;
    let w_in = m.input_doc("w_in", SInt(8), "weight, from the column's weight bus")?;
    let w_load = m.input_doc("w_load", Bit, "write w_in into the shadow weight")?;
    let w_swap = m.input_doc("w_swap", Bit, "the next cycle's a_in is the first activation of a new fold")?;

    let w_next = m.reg("w_next", SInt(8)).reset(0).enable(&w_load).doc("shadow weight").d(&w_in)?;
    // The shadow weight before this edge: a load in the same cycle takes effect after it.
    let w = m.reg("w", SInt(8)).reset(0).enable(&w_swap).doc("active weight").d(&w_next)?;

    // The int8 x int8 product is exact in 16 bits. It is registered: psum_in
    // meets the product of the previous cycle's activation (the array's
    // one-cycle row skew makes that the same activation row), so the
    // multiplier and the 32-bit adder are separate pipeline stages.
    let mul = m.instance("u_mul", &mul_s8x8()?, &[("a", &a_in), ("b", &w)])?;
    let product = m.reg("product", SInt(16)).reset(0).doc("a_in x w, one cycle later").d(mul.out("y")?)?;
    let a = m.reg("a", SInt(8)).reset(0).doc("activation, to the east").d(&a_in)?;
    let psum = m.reg("psum", acc).reset(0).doc("partial sum, to the south").d(&psum_in + product.sext(cfg.acc_bits))?;
    let swap = m.reg("swap", Bit).reset(0).doc("swap flag, to the east").d(&w_swap)?;

    m.output_doc("a_out", &a, "activation, to the east")?;
    m.output_doc("psum_out", &psum, "partial sum, to the south")?;
    m.output_doc("swap_out", &swap, "swap flag, to the east")?;
    Ok(m)
}
