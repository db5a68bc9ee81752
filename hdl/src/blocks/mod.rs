//! The accelerator's blocks, one folder per block family, each block a
//! function from its config to a [`Module`](crate::core::Module):
//!
//! * [`tile`]: the systolic matmul tile (PE, multiplier, array, accumulator
//!   banks, requantization);
//! * [`softmax`]: the attention softmax unit;
//! * [`dma`]: the AXI4 DMA engines and their register block;
//! * [`common`]: the FIFO and the expression helpers every family uses.
//!
//! The same family names are used in `golden/src/` (the models) and
//! `testbenches/src/` (the drivers), so a block's hardware, spec and tests
//! are found by one name.

pub mod common;
pub mod dma;
pub mod softmax;
pub mod tile;

use golden::Config;

use crate::core::{Module, Result};

/// The top modules generated for a configuration, the main one first: the
/// systolic tile, the softmax unit and the DMA engines.
pub fn tops(cfg: &Config) -> Result<Vec<Module>> {
    Ok(vec![tile::tile(&cfg.systolic)?, softmax::softmax(&cfg.softmax)?, dma::dma(&cfg.dma)?])
}
