//! A pretrained language model's numerics (`docs/llm.md`, `docs/numerics.md`):
//! the GGUF block formats the SmolLM2-135M file uses, decoded to f32 exactly
//! as ggml decodes them (`f16`, `q4_1`, `q8_0`); their conversion to the
//! core's int8 operands (`quant`); the host's float operations (`host`); and
//! the int8 model the core runs, step by step (`model`).
//!
//! These are the one place where the golden crate uses floats for data: the
//! weights arrive as floats, and the host's steps between the core's integer
//! GEMMs and attention heads are defined in f64.

pub mod core_steps;
pub mod f16;
pub mod host;
pub mod model;
pub mod q4_1;
pub mod q8_0;
pub mod quant;

use std::fmt;

/// A buffer that is not a whole number of quantized blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockError {
    /// The block format, e.g. `Q4_1`.
    pub format: &'static str,
    /// The buffer's length in bytes.
    pub len: usize,
    /// The byte size of one block.
    pub block_bytes: usize,
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} data of {} bytes is not a whole number of {}-byte blocks",
            self.format, self.len, self.block_bytes
        )
    }
}

impl std::error::Error for BlockError {}
