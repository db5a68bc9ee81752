//! The PE's int8 × int8 multiplier, as a module of its own.
//!
//! Why a module for one `*`: so that area reports show the multiplier as a
//! block of its own (it is most of a PE), and flows can treat it apart.
//! Synthesis tools merge a multiplier whose product feeds an adder in the
//! same cycle into one multiply-accumulate tree as wide as the sum; for the
//! PE's 32-bit sum that tree is about twice the size of an 8 × 8 multiplier
//! and a 32-bit adder (on iCE40 about 400 LUTs against 220). The PE prevents
//! that by registering the product; keeping the multiplier in its own module
//! prevents it too where a flow synthesizes modules one by one. FPGA flows
//! that want multiply, add and registers in one DSP (DSP48E1 on Xilinx)
//! flatten it back into the PE; `serrano area` and `serrano fpga` do so for
//! every `serrano_mul_*`.

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
