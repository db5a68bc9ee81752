//! Serrano's hardware description layer.
//!
//! * [`core`]: the Rust-embedded HDL. A block is a Rust function that builds a
//!   [`core::Module`]; the emitter turns it into Verilog-2005 that means exactly
//!   what the Rust says (see `docs/hdl.md`).
//! * [`blocks`]: the accelerator's blocks, one folder per block family.
//! * [`board`]: the FPGA board top, a measurement harness that puts any top
//!   on the few pins of a small FPGA package (not an accelerator block).

pub mod blocks;
pub mod board;
pub mod core;
