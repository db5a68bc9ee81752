//! `serrano run`: kernels run from memory through the generated core in
//! Verilator (the runtime's RTL backend), compared with the golden model.

pub mod gemm;

use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum RunCmd {
    /// A GEMM from DRAM through the core: lowered by the runtime, run in Verilator on the AXI
    /// memory model, compared with golden, with cycles, utilization and DRAM traffic.
    Gemm(gemm::RunGemmArgs),
}

pub fn run(cmd: RunCmd) -> Result<()> {
    match cmd {
        RunCmd::Gemm(args) => gemm::run(args),
    }
}
