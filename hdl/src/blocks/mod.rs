//! The accelerator's blocks, one file each, each a function from its config
//! to a [`Module`](crate::core::Module).

pub mod pe;
pub mod softmax;

use golden::Config;

use crate::core::{Module, Result};

/// The top module generated for a configuration. Today that is the PE; the
/// systolic tile takes its place when it lands.
pub fn top(cfg: &Config) -> Result<Module> {
    pe::pe(&cfg.pe)
}
