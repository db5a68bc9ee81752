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
    /// The integrated core (configurations with a `[core]` section).
    Core,
}

impl TopKind {
    /// Every kind, in the order [`tops`] gives them.
    pub const ALL: [TopKind; 4] = [TopKind::Tile, TopKind::Softmax, TopKind::Dma, TopKind::Core];

    /// The kind's name: `tile`, `softmax`, `dma` or `core`.
    pub fn name(self) -> &'static str {
        match self {
            TopKind::Tile => "tile",
            TopKind::Softmax => "softmax",
            TopKind::Dma => "dma",
            TopKind::Core => "core",
        }
    }
}

impl std::fmt::Display for TopKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The top modules generated for a configuration with their kinds, the main
/// one first: the systolic tile, the softmax unit, the DMA engines and, with
/// a `[core]` section, the integrated core.
pub fn tops_by_kind(cfg: &Config) -> Result<Vec<(TopKind, Module)>> {
    let mut v = vec![
        (TopKind::Tile, tile::tile(&cfg.systolic)?),
        (TopKind::Softmax, softmax::softmax(&cfg.softmax)?),
        (TopKind::Dma, dma::dma(&cfg.dma)?),
    ];
    if cfg.core.is_some() {
        v.push((TopKind::Core, accel::core_top::core_top(cfg)?));
    }
    Ok(v)
}

/// The top modules generated for a configuration, the main one first (see
/// [`tops_by_kind`] for their kinds).
pub fn tops(cfg: &Config) -> Result<Vec<Module>> {
    Ok(tops_by_kind(cfg)?.into_iter().map(|(_, m)| m).collect())
}
