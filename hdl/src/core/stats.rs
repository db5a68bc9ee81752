//! Figures of a module's hierarchy, counted from the description itself
//! (no synthesis): flip-flop bits, memory bits and instances.

use super::module::{Module, SigKind};

/// Figures of a hierarchy: flip-flop bits, memory bits and instances (all levels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub flip_flops: u64,
    pub memory_bits: u64,
    pub instances: u64,
}

impl Module {
    /// Flip-flop bits in this module alone (registers and memory read ports).
    fn own_flops(&self) -> u64 {
        self.sigs.iter().filter(|d| d.kind == SigKind::Reg).map(|d| d.ty.width() as u64).sum()
    }

    /// Figures of the whole hierarchy under this module.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            flip_flops: self.own_flops(),
            memory_bits: self.mems.iter().map(|m| m.depth as u64 * m.ty.width() as u64).sum(),
            instances: self.insts.len() as u64,
        };
        for i in &self.insts {
            let c = i.module.stats();
            s.flip_flops += c.flip_flops;
            s.memory_bits += c.memory_bits;
            s.instances += c.instances;
        }
        s
    }
}
