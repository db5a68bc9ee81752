//! The systolic tile's testbenches (`hdl::blocks::tile` against
//! `golden::tile`).
//!
//! Files: [`pe`] (one processing element, every output every cycle),
//! [`top`] (the whole tile: command programs, operand streams, GEMMs).
//! Tests: `testbenches/tests/pe.rs` and `testbenches/tests/tile.rs`.

pub mod pe;
pub mod top;

pub use top::*;
