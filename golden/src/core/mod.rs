//! The Serrano core: the instruction set ([`isa`]) and the model that runs a
//! program from a memory image, as `docs/isa.md` specifies.

pub mod isa;
