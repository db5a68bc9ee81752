//! The accelerator's blocks, one folder per block family, each block a
//! function from its config to a [`Module`](crate::core::Module):
//!
//! * [`tile`]: the systolic matmul tile (PE, multiplier, array, accumulator
//!   banks, requantization);
//! * [`softmax`]: the attention softmax unit;
//! * [`dma`]: the AXI4 DMA engines and their register block;
//! * [`common`]: the FIFO, the expression helpers and the parameter checks
//!   every family uses.
//!
//! Every builder checks its parameters before it builds anything
//! ([`common::params`]): a block can be built directly, without golden's
//! `Config::validate`, and a bad value must come back as an error naming the
//! block, the parameter and its range, not as a panic or an error about some
//! internal signal.
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
