//! The host runtime of the Serrano core (`docs/isa.md`): what a user writes
//! programs against.
//!
//! * [`program`]: a typed program builder; the bytes come from
//!   `golden::core::isa` (its table packs every field: no second copy here),
//!   and the ring writer;
//! * [`backend`]: the [`Backend`] trait and the golden backend (the core
//!   model on a memory image); a Verilator backend of the generated core will
//!   implement the same trait;
//! * [`gemm`]: the GEMM lowering for any M, K, N and the [`gemm()`] call;
//! * [`llm`]: the SmolLM2-135M model file (GGUF reader) and its tokenizer;
//! * [`estimate`]: a first-order timing model that checks a program's loads,
//!   compute and stores can overlap.

pub mod attention;
pub mod backend;
pub mod error;
pub mod estimate;
pub mod gemm;
pub mod layer;
pub mod layout;
pub mod llm;
pub mod program;
pub mod random;

pub use backend::{Backend, GoldenBackend};
pub use error::RuntimeError;
pub use gemm::{gemm, GemmOutput, GemmResult, OutputKind};
pub use program::ProgramBuilder;
