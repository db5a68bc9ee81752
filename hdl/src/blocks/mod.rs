//! The accelerator's blocks, one folder per block family, each block a
//! function from its config to a [`Module`](crate::core::Module):
//!
//! * [`tile`]: the systolic matmul tile (PE, multiplier, array, accumulator
//!   banks, requantization);
//! * [`softmax`]: the attention softmax unit;
//! * [`dma`]: the AXI4 DMA engines and their register block;
//! * [`accel`]: the integrated core's own blocks (the banked scratchpad);
//! * [`common`]: the FIFO, the round-robin arbiter, the expression helpers
//!   and the parameter checks every family uses.
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

pub mod accel;
pub mod common;
pub mod dma;
pub mod softmax;
pub mod tile;

use golden::Config;

use crate::core::{Module, Result};

/// What a top module is: the kind `serrano fpga --top` and `serrano area
/// --top` pick by, and the word its results are filed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TopKind {
    /// The systolic matmul tile.
    Tile,
    /// The attention softmax unit.
    Softmax,
    /// The AXI4 DMA engines.
    Dma,
}

impl TopKind {
    /// Every kind, in the order [`tops`] gives them.
    pub const ALL: [TopKind; 3] = [TopKind::Tile, TopKind::Softmax, TopKind::Dma];

    /// The kind's name: `tile`, `softmax` or `dma`.
    pub fn name(self) -> &'static str {
        match self {
            TopKind::Tile => "tile",
            TopKind::Softmax => "softmax",
            TopKind::Dma => "dma",
        }
    }
}

impl std::fmt::Display for TopKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The top modules generated for a configuration with their kinds, the main
/// one first: the systolic tile, the softmax unit and the DMA engines.
pub fn tops_by_kind(cfg: &Config) -> Result<Vec<(TopKind, Module)>> {
    Ok(vec![
        (TopKind::Tile, tile::tile(&cfg.systolic)?),
        (TopKind::Softmax, softmax::softmax(&cfg.softmax)?),
        (TopKind::Dma, dma::dma(&cfg.dma)?),
    ])
}

/// The top modules generated for a configuration, the main one first (see
/// [`tops_by_kind`] for their kinds).
pub fn tops(cfg: &Config) -> Result<Vec<Module>> {
    Ok(tops_by_kind(cfg)?.into_iter().map(|(_, m)| m).collect())
}
