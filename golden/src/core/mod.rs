//! The Serrano core: the instruction set ([`isa`]) and the model that runs a
//! program from a memory image ([`model`]), as `docs/isa.md` specifies.
//!
//! Files: [`isa`] (the encoding), [`check`] (geometry, field checks,
//! footprints), [`model`] (the ring, status, counters, program errors),
//! `exec.rs` (what each command does, through golden::dma, golden::tile and
//! golden::softmax), [`spad`] (the scratchpad), [`dram`] (DRAM ranges for race
//! detection).

pub mod check;
pub mod dram;
mod exec;
pub mod isa;
pub mod matmul;
pub mod model;
pub mod spad;

pub use check::{check, retire_amount, CoreParams, Fault, Footprint};
pub use model::{AxiErrorRegion, CoreFault, CoreModel, Counters, ProgramError, Ring, RunStatus};

#[cfg(test)]
mod footprint_tests;
#[cfg(test)]
mod tests;
