//! Serrano's hardware description layer.
//!
//! * [`core`]: the Rust-embedded HDL. A block is a Rust function that builds a
//!   [`core::Module`]; the emitter turns it into Verilog-2005 that means exactly
//!   what the Rust says (see `docs/hdl.md`).
//! * [`blocks`]: the accelerator's blocks, one file each.

pub mod blocks;
pub mod core;
