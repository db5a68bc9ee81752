//! The softmax unit's testbench (`hdl::blocks::softmax` against
//! `golden::softmax`).
//!
//! Files: [`top`] (the driver and the comparison), [`rows`] (random rows,
//! the accuracy sweep). Tests: `testbenches/tests/softmax.rs`.

pub mod rows;
pub mod top;

pub use rows::*;
pub use top::*;
