//! The accelerator's blocks, one file each, each a function from its config
//! to a [`Module`](crate::core::Module).

pub mod acc_bank;
pub mod array;
pub mod pe;
pub mod requant;
pub mod softmax;
pub mod tile;

use golden::Config;

use crate::core::{Module, Result};

/// The top modules generated for a configuration, the main one first: the
/// systolic tile and the softmax unit.
pub fn tops(cfg: &Config) -> Result<Vec<Module>> {
    Ok(vec![tile::tile(&cfg.systolic)?, softmax::softmax(&cfg.softmax)?])
}
