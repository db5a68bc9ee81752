//! The accelerator's blocks, one file each, each a function from its config
//! to a [`Module`](crate::core::Module).

pub mod acc_bank;
pub mod array;
pub mod pe;
pub mod requant;
pub mod tile;

use golden::Config;

use crate::core::{Module, Result};

/// The top module generated for a configuration: the systolic tile.
pub fn top(cfg: &Config) -> Result<Module> {
    tile::tile(&cfg.systolic)
}
