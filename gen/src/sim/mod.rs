//! `serrano sim`: run a block's RTL in Verilator against the golden model and
//! report what was measured. One file per block: [`gemm`] (the tile),
//! [`softmax`], [`dma`], [`pe`].

pub mod dma;
pub mod gemm;
pub mod pe;
pub mod softmax;

use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum SimCmd {
    /// A GEMM through the systolic tile, compared with golden.
    Gemm(crate::sim::gemm::GemmArgs),
    /// The DMA engines: a transfer pattern against the AXI4 memory model, checked
    /// against golden, with the bus utilization.
    Dma(crate::sim::dma::SimDmaArgs),
    /// The softmax unit: rows through the RTL, compared with golden and with float64.
    Softmax(crate::sim::softmax::SoftmaxArgs),
    /// The processing element: random and extreme stimulus, compared with golden every cycle.
    Pe(crate::sim::pe::PeArgs),
}

pub fn run(cmd: SimCmd) -> Result<()> {
    match cmd {
        SimCmd::Gemm(args) => crate::sim::gemm::run(args)?,
        SimCmd::Dma(args) => crate::sim::dma::run(args)?,
        SimCmd::Softmax(args) => crate::sim::softmax::run(args)?,
        SimCmd::Pe(args) => crate::sim::pe::run(args)?,
    }
    Ok(())
}
