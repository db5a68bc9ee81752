//! `hdl::core`: a small, strict Rust-embedded HDL.
//!
//! The Rust builder is the description, and the emitted Verilog means exactly
//! what it says. See `docs/hdl.md` for the rules and a worked example.

mod bundle;
mod emit;
mod error;
mod expr;
mod instance;
mod manifest;
mod memory;
mod module;
mod names;
mod record;
mod reg;
mod stats;
mod ty;

pub use bundle::{Bundle, BundleSig, Field, Flow, Role};
pub use emit::{emit, EmitOptions, VerilogFile};
pub use error::{HdlError, Result};
pub use expr::{cat, mux, rep, Expr, Operand};
pub use instance::Instance;
pub use manifest::manifest;
pub use memory::Memory;
pub use module::{Dir, Module, PortDesc, ResetKind, CLOCK};
pub use record::{Record, RecordField, Unpacked};
pub use reg::{Reg, RegBuilder};
pub use stats::Stats;
pub use ty::{Bit, SInt, Ty, UInt, MAX_WIDTH};

#[cfg(doctest)]
#[doc = include_str!("../../../docs/hdl.md")]
struct HdlGuideExamples;
