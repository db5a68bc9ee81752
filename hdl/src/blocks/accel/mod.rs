//! The blocks of the integrated accelerator core that are not blocks of
//! their own elsewhere: the scratchpad and its banks.

pub mod scratchpad;
pub mod spad_bank;
