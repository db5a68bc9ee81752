//! The PE's int8 × int8 multiplier, as a module of its own.
//!
//! Why a module for one `*`: synthesis tools merge a multiplier whose product
//! feeds an adder into one multiply-accumulate tree as wide as the sum. For
//! the PE's `psum_in + a × w` that is a 32-bit-wide tree of partial products:
//! on iCE40 (no DSP) about 400 LUTs against about 220 for an 8 × 8 multiplier
//! and a 32-bit adder, and about 9,400 transistors in the generic estimate
//! against about 5,200. Kept apart, the multiplier is mapped as what it is.
//! FPGA flows that want the multiply-add-register in one DSP (DSP48E1 on
//! Xilinx, whose post-adder and P register take the sum) flatten it back into
//! the PE; `serrano area` and `serrano fpga` do so for every `serrano_mul_*`.

use crate::core::{Module, Result, SInt};

pub const MUL_S8X8_NAME: &str = "serrano_mul_s8x8";

/// `y = a × b`, exact in 16 bits (|y| <= 2^14).
pub fn mul_s8x8() -> Result<Module> {
    let mut m = Module::new(MUL_S8X8_NAME);
    m.doc("Signed 8 x 8 multiplier, exact 16-bit product (combinational). Kept as its own module so that");
    m.doc("synthesis maps an 8 x 8 multiplier rather than a multiply-accumulate tree as wide as the sum.");
    let a = m.input("a", SInt(8))?;
    let b = m.input("b", SInt(8))?;
    m.output("y", a.mul_wide(&b))?;
    Ok(m)
}
