//! Serrano's Verilator-driven testbenches: drivers, monitors and the glue that
//! turns an `hdl` module into a running model and compares it, cycle by cycle,
//! with the golden model.
//!
//! One folder per block family, named as in `hdl::blocks` and `golden`:
//! [`tile`], [`softmax`], [`dma`], plus the AXI components in [`axi`] and
//! [`fourstate`], the four-state (Icarus Verilog) harness for any top.
//!
//! Conventions: random stimulus comes from a seeded RNG whose
//! seed is printed and can be set with `SERRANO_SEED`; a failing simulation is
//! re-run with tracing and leaves an FST waveform under `target/waves/`, whose
//! path the failure message gives.

pub mod axi;
pub mod core;

pub mod dma;
pub mod fourstate;
pub mod npy;
pub mod sim;
pub mod softmax;
pub mod tile;

pub use sim::{build_module, seed_from_env, waves_dir, Built};
