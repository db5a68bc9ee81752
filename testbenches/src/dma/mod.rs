//! The DMA testbench: the `serrano_dma` top in Verilator with the AXI4 slave
//! memory model on `m_axi`, the protocol monitor on every cycle, an
//! AXI4-Lite driver programming descriptors through the registers, and an
//! AXI-Stream sink/source (or a loop from the read engine to the write engine
//! for copies). Results are compared with `golden::dma`: each engine's burst
//! sequence (address, length, size), every stream packet, every descriptor's
//! status and the final memory image.
//!
//! Files: [`scenario`] (jobs and reports), [`gen`] (random and benchmark
//! scenarios), [`ports`], [`sim`] (the harness), [`program`] (register
//! writes), [`check`] (expected results and the comparison). The hardware is
//! `hdl::blocks::dma`, the spec `golden::dma`; the tests are
//! `testbenches/tests/dma.rs`.

pub mod check;
pub mod gen;
pub mod ports;
pub mod program;
pub mod scenario;
pub mod sim;

pub use check::*;
pub use program::*;
pub use scenario::*;
pub use sim::*;
