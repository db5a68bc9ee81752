//! The instruction set of the Serrano core, v0 (`docs/isa.md`).
//!
//! [`table`] is the one definition of the encoding: opcodes, fields (name,
//! lsb, width, meaning) and error codes. [`command`] packs and unpacks typed
//! commands through it (nothing else packs a field), and [`render`] turns it
//! into the C header, the JSON and the tables of `docs/isa.md`.

pub mod command;
pub mod render;
pub mod table;

pub use command::{get_bits, pack, unpack, Command, IsaError, MatmulCmd, Raw, SoftmaxCmd};
pub use table::*;

#[cfg(test)]
mod tests;
