//! The systolic tile's specification, along the same seams as the hardware
//! (`hdl::blocks::tile`):
//!
//! * [`gemm`]: the numerics: `C = A·B` with int32 wrap, and requantization to
//!   int8 (round-half-up, saturation);
//! * [`pe`]: one processing element, cycle by cycle;
//! * [`model`]: the tile at the level of its commands (LOAD, COMPUTE, READ,
//!   QPARAM), and [`gemm_program`], the schedule that tiles a whole GEMM.
//!
//! Configuration: [`SystolicConfig`](crate::SystolicConfig) and
//! [`PeConfig`](crate::PeConfig). Tests against the RTL:
//! `testbenches/tests/pe.rs` and `testbenches/tests/tile.rs`.

pub mod gemm;
pub mod model;
pub mod pe;

pub use model::*;
