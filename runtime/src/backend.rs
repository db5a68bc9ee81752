//! Backends: one API for the golden model and the Verilator model of the
//! generated core (`testbenches::core::RtlBackend`, which lives with the
//! testbenches because it needs Verilator and the HDL; this crate depends
//! on the golden model only).

use golden::config::Config;
use golden::core::{CoreModel, Ring, RunStatus};
use golden::dma::Memory;

use crate::error::RuntimeError;

/// A Serrano core with its memory.
pub trait Backend {
    /// The configuration the core was built from.
    fn config(&self) -> &Config;
    /// The memory, as the host sees it (to place operands and read results).
    fn memory(&mut self) -> &mut Memory;
    /// Set the page table of the DMA read engine (`load`) or write engine.
    fn set_page_table(&mut self, load: bool, entries: &[u64]) -> Result<(), RuntimeError>;
    /// Ring the doorbell: run the commands `head..tail` of `ring` until the
    /// core reaches `tail` or stops on a fault; the status either way.
    fn run(&mut self, ring: Ring, head: u32, tail: u32) -> Result<RunStatus, RuntimeError>;
}

/// The golden core model on a sparse memory image.
#[derive(Clone, Debug)]
pub struct GoldenBackend {
    cfg: Config,
    core: CoreModel,
    mem: Memory,
}

impl GoldenBackend {
    /// A core after reset; memory bytes never written read as a function of
    /// their address and `seed` (as the testbench memory does).
    pub fn new(cfg: &Config, seed: u64) -> Result<GoldenBackend, RuntimeError> {
        let core = CoreModel::new(cfg).map_err(RuntimeError::Input)?;
        Ok(GoldenBackend { cfg: cfg.clone(), core, mem: Memory::new(seed) })
    }

    /// The core model (for its scratchpad, or to inject memory errors).
    pub fn core(&mut self) -> &mut CoreModel {
        &mut self.core
    }
}

impl Backend for GoldenBackend {
    fn config(&self) -> &Config {
        &self.cfg
    }

    fn memory(&mut self) -> &mut Memory {
        &mut self.mem
    }

    fn set_page_table(&mut self, load: bool, entries: &[u64]) -> Result<(), RuntimeError> {
        let t = if load { &mut self.core.read_table } else { &mut self.core.write_table };
        if entries.len() > t.len() {
            return Err(RuntimeError::Input(format!(
                "{} page-table entries: the engine has {} (dma.table_entries)",
                entries.len(),
                t.len()
            )));
        }
        t[..entries.len()].copy_from_slice(entries);
        Ok(())
    }

    fn run(&mut self, ring: Ring, head: u32, tail: u32) -> Result<RunStatus, RuntimeError> {
        Ok(self.core.run(&mut self.mem, ring, head, tail)?)
    }
}
