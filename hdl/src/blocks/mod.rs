//! The accelerator's blocks, one file each, each a function from its config
//! to a [`Module`](crate::core::Module).

pub mod acc_bank;
pub mod array;
pub mod board;
pub mod dma;
pub mod dma_desc;
pub mod dma_legalizer;
pub mod dma_read;
pub mod dma_regs;
pub mod dma_validate;
pub mod dma_write;
pub mod fifo;
pub mod lanes;
pub mod mul;
pub mod pe;
pub mod requant;
pub mod softmax;
pub mod tile;

use golden::Config;

use crate::core::{Module, Result};

/// The top modules generated for a configuration, the main one first: the
/// systolic tile, the softmax unit and the DMA engines.
pub fn tops(cfg: &Config) -> Result<Vec<Module>> {
    Ok(vec![tile::tile(&cfg.systolic)?, softmax::softmax(&cfg.softmax)?, dma::dma(&cfg.dma)?])
}
