//! The figures of `serrano area`: a module's cell counts after synthesis,
//! sorted into transistors, flip-flops, LUTs, carries, DSPs and block RAMs
//! for the target, and their sums over instances.

use std::collections::BTreeMap;

use super::parse::ModuleStat;
use super::{Target, LEAF_ARITHMETIC_PREFIX};

/// The figures of one module (per instance) or of a sum of modules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fig {
    /// Cells other than submodule instances.
    pub cells: u64,
    /// `stat -tech cmos` transistors (generic only): logic gates, no flip-flops, no memories.
    pub transistors: u64,
    /// Flip-flop bits.
    pub ff: u64,
    /// Bits of memories (RTLIL memories before synthesis).
    pub memory_bits: u64,
    /// LUTs used as logic (Xilinx LUT1..LUT6, iCE40 SB_LUT4).
    pub lut_logic: u64,
    /// Xilinx LUTs used as shift registers (SRL16E, SRLC32E, ...).
    pub lut_srl: u64,
    /// Xilinx LUTs used as distributed RAM (RAM32M counts 4, RAM64X1D 2, ...).
    pub lut_ram: u64,
    pub carry: u64,
    pub dsp: u64,
    pub ramb36: u64,
    pub ramb18: u64,
    pub sb_ram40: u64,
}

impl Fig {
    pub fn add_scaled(&mut self, o: &Fig, n: u64) {
        self.cells += o.cells * n;
        self.transistors += o.transistors * n;
        self.ff += o.ff * n;
        self.memory_bits += o.memory_bits * n;
        self.lut_logic += o.lut_logic * n;
        self.lut_srl += o.lut_srl * n;
        self.lut_ram += o.lut_ram * n;
        self.carry += o.carry * n;
        self.dsp += o.dsp * n;
        self.ramb36 += o.ramb36 * n;
        self.ramb18 += o.ramb18 * n;
        self.sb_ram40 += o.sb_ram40 * n;
    }

    pub fn lut(&self) -> u64 {
        self.lut_logic + self.lut_srl + self.lut_ram
    }

    /// Block RAMs: Xilinx in RAMB36 equivalents (a RAMB18E1 is half of one), iCE40 in SB_RAM40_4K.
    pub fn bram(&self, t: Target) -> f64 {
        match t {
            Target::Xilinx => self.ramb36 as f64 + self.ramb18 as f64 / 2.0,
            _ => self.sb_ram40 as f64,
        }
    }

    /// The figure that `share` divides: transistors, or LUTs on an FPGA.
    pub fn main(&self, t: Target) -> u64 {
        if t == Target::Generic {
            self.transistors
        } else {
            self.lut()
        }
    }
}

/// LUT sites of a Xilinx distributed-RAM primitive (0: not one).
fn xilinx_lutram_sites(ty: &str) -> u64 {
    match ty {
        "RAM16X1S" | "RAM32X1S" | "RAM64X1S" => 1,
        "RAM16X1D" | "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => 2,
        "RAM128X1D" | "RAM256X1S" | "RAM32M" | "RAM64M" => 4,
        "RAM32M16" | "RAM64M8" => 8,
        _ => 0,
    }
}

/// One module's own figures (its submodule instances excluded) from its post-synthesis stat.
pub fn module_fig(t: Target, st: &ModuleStat, submodules: &BTreeMap<String, ModuleStat>) -> Fig {
    let mut f = Fig { transistors: st.transistors.unwrap_or(0), ..Fig::default() };
    for (ty, &n) in &st.by_type {
        if submodules.contains_key(ty) {
            continue;
        }
        f.cells += n;
        match t {
            Target::Generic => {
                if ty.starts_with("$_") && ty.contains("DFF") {
                    f.ff += n;
                }
            }
            Target::Xilinx => match ty.as_str() {
                "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" => f.lut_logic += n,
                "SRL16E" | "SRLC16E" | "SRLC32E" => f.lut_srl += n,
                "CARRY4" => f.carry += n,
                "DSP48E1" => f.dsp += n,
                "RAMB36E1" => f.ramb36 += n,
                "RAMB18E1" => f.ramb18 += n,
                s if s.starts_with("FD") => f.ff += n,
                s => f.lut_ram += xilinx_lutram_sites(s) * n,
            },
            Target::Ice40 => match ty.as_str() {
                "SB_LUT4" => f.lut_logic += n,
                "SB_CARRY" => f.carry += n,
                "SB_MAC16" => f.dsp += n,
                s if s.starts_with("SB_RAM40_4K") => f.sb_ram40 += n,
                s if s.starts_with("SB_DFF") => f.ff += n,
                _ => {}
            },
        }
    }
    f
}

/// One distinct module of a top.
pub struct Block {
    pub name: String,
    pub instances: u64,
    /// Per instance.
    pub per: Fig,
    /// Per instance x instances.
    pub total: Fig,
}

/// The figures of one top: its blocks, the top first, then the largest.
pub struct TopReport {
    pub kind: String,
    pub top: String,
    pub blocks: Vec<Block>,
    pub totals: Fig,
    pub seconds: f64,
}

/// A module's generic transistors per instance as an FPGA target sees it: its
/// own cells plus those of the leaf arithmetic modules flattened into it.
pub fn gates_with_leaves(name: &str, pre: &BTreeMap<String, ModuleStat>, gates: &BTreeMap<String, u64>) -> u64 {
    let own = gates.get(name).copied().unwrap_or(0);
    let leaves: u64 = pre.get(name).map_or(0, |st| {
        st.by_type
            .iter()
            .filter(|(ty, _)| ty.starts_with(LEAF_ARITHMETIC_PREFIX) && pre.contains_key(*ty))
            .map(|(ty, n)| n * gates_with_leaves(ty, pre, gates))
            .sum()
    });
    own + leaves
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_by_target() {
        let subs = BTreeMap::from([("child".to_string(), ModuleStat::default())]);
        let st = ModuleStat {
            cells: 9,
            by_type: BTreeMap::from([
                ("LUT6".to_string(), 2),
                ("SRLC32E".to_string(), 1),
                ("RAM64M".to_string(), 1),
                ("FDRE".to_string(), 3),
                ("RAMB18E1".to_string(), 1),
                ("DSP48E1".to_string(), 1),
                ("child".to_string(), 5),
            ]),
            transistors: None,
            memory_bits: 0,
        };
        let f = module_fig(Target::Xilinx, &st, &subs);
        assert_eq!((f.cells, f.lut(), f.lut_ram, f.ff, f.dsp), (9, 7, 4, 3, 1));
        assert_eq!(f.bram(Target::Xilinx), 0.5);
        let g = ModuleStat {
            by_type: BTreeMap::from([("$_SDFFE_PP0P_".to_string(), 4), ("$_NAND_".to_string(), 6)]),
            transistors: Some(24),
            ..ModuleStat::default()
        };
        let f = module_fig(Target::Generic, &g, &subs);
        assert_eq!((f.cells, f.ff, f.transistors), (10, 4, 24));
    }
}
