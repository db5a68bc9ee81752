//! The accelerator's blocks, one file each, each a function from its config
//! to a [`Module`](crate::core::Module).

pub mod dma;
pub mod dma_desc;
pub mod dma_legalizer;
pub mod dma_read;
pub mod dma_regs;
pub mod dma_validate;
pub mod dma_write;
pub mod fifo;
pub mod lanes;
pub mod pe;

use golden::Config;

use crate::core::{Module, Result};

/// The top module generated for a configuration. Today that is the PE; the
/// systolic tile takes its place when it lands.
pub fn top(cfg: &Config) -> Result<Module> {
    pe::pe(&cfg.pe)
}
