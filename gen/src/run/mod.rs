//! `serrano run`: kernels run from memory through the generated core in
//! Verilator (the runtime's RTL backend), compared with the golden model.

pub mod attention;
pub mod gemm;
pub mod layer;
pub mod llm;
pub mod step;

use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum RunCmd {
    /// A GEMM from DRAM through the core: lowered by the runtime, run in Verilator on the AXI
    /// memory model, compared with golden, with cycles, utilization and DRAM traffic.
    Gemm(gemm::RunGemmArgs),
    /// Attention heads through the core: prefill (causal or not) or batched decode from a paged KV
    /// cache, compared with golden and float64, with cycles against the roofline.
    Attention(attention::RunAttentionArgs),
    /// One transformer layer step (SmolLM2-135M's shapes) through the core: projections and
    /// attention on the core, norms, RoPE, SwiGLU and residuals on the host; against golden.
    Layer(layer::RunLayerArgs),
    /// SmolLM2-135M generating text on the core: every matmul and attention on the core, the
    /// host steps on the host; logits against the golden int8 model at every position.
    Llm(llm::RunLlmArgs),
}

pub fn run(cmd: RunCmd) -> Result<()> {
    match cmd {
        RunCmd::Gemm(args) => gemm::run(args),
        RunCmd::Attention(args) => attention::run(args),
        RunCmd::Layer(args) => layer::run(args),
        RunCmd::Llm(args) => llm::run(args),
    }
}
