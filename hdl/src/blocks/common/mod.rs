//! Helpers shared by every block family.
//!
//! * [`fifo`]: a synchronous valid/ready FIFO (`s_*` in, `m_*` out), the
//!   queue behind the DMA's descriptor and in-flight records. Datasheet in
//!   its file; tests in `testbenches/tests/fifo.rs`.
//! * [`lanes`]: expression helpers over byte lanes and bit fields (masks,
//!   rotations, priority multiplexers, literal and width helpers). No module
//!   of their own: they build expressions inside the caller's module.
//! * [`params`]: the parameter checks every block makes at its entry.
//! * [`axil`]: the AXI4-Lite register slave's shared parts (ports, write
//!   channel, read handshake, read-write registers, page-table windows).

pub mod arbiter;
pub mod axil;
pub mod fifo;
pub mod lanes;
pub mod params;
