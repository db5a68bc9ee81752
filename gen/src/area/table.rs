//! What `serrano area` prints: one JSON object (`--json`), or a table per top.

use serde::{Deserialize, Serialize};

use super::figures::{Block, Fig, TopReport};
use super::Target;
use crate::report::render::thousands;
use crate::yosys::Yosys;

/// Transistors per SRAM bit for the separate `sram_transistors_6t` estimate.
const SRAM_CELL_TRANSISTORS: u64 = 6;

/// The figures of a module, a block or a top in `serrano area --json`.
/// Fields that are `null` on some targets are still required when read
/// back (`Option::deserialize`); those a target leaves out are optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigJson {
    pub cells: u64,
    pub ff: u64,
    pub memory_bits: u64,
    /// Every target reports transistors: an FPGA target's come from the
    /// generic flow, leaf multipliers counted in their parent.
    pub transistors: u64,
    pub nand2_eq: f64,
    /// LUTs (null on `generic`).
    #[serde(deserialize_with = "Option::deserialize")]
    pub lut: Option<u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub carry: Option<u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub dsp: Option<u64>,
    /// Block RAMs: RAMB36 equivalents on Xilinx, SB_RAM40_4K on iCE40.
    #[serde(deserialize_with = "Option::deserialize")]
    pub bram: Option<f64>,
    /// `generic` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sram_transistors_6t: Option<u64>,
    /// `xilinx` only, from here to `ramb18e1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_logic: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_srl: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_ram: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramb36e1: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramb18e1: Option<u64>,
    /// `ice40` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sb_ram40_4k: Option<u64>,
}

impl FigJson {
    /// The figures of `f` for target `t`.
    fn new(f: &Fig, t: Target) -> FigJson {
        let (fpga, xilinx, ice40) = (t != Target::Generic, t == Target::Xilinx, t == Target::Ice40);
        FigJson {
            cells: f.cells,
            ff: f.ff,
            memory_bits: f.memory_bits,
            transistors: f.transistors,
            nand2_eq: f.transistors as f64 / 4.0,
            lut: fpga.then(|| f.lut()),
            carry: fpga.then_some(f.carry),
            dsp: fpga.then_some(f.dsp),
            bram: fpga.then(|| f.bram(t)),
            sram_transistors_6t: (!fpga).then_some(f.memory_bits * SRAM_CELL_TRANSISTORS),
            lut_logic: xilinx.then_some(f.lut_logic),
            lut_srl: xilinx.then_some(f.lut_srl),
            lut_ram: xilinx.then_some(f.lut_ram),
            ramb36e1: xilinx.then_some(f.ramb36),
            ramb18e1: xilinx.then_some(f.ramb18),
            sb_ram40_4k: ice40.then_some(f.sb_ram40),
        }
    }
}

/// One distinct module of a top: its total figures (per instance x
/// instances) beside its name, instance count and per-instance figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockJson {
    pub name: String,
    pub instances: u64,
    pub per_instance: FigJson,
    /// The top it belongs to (only in the result's flat `blocks` list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<String>,
    #[serde(flatten)]
    pub total: FigJson,
}

impl BlockJson {
    fn new(t: Target, b: &Block, top: Option<&str>) -> BlockJson {
        BlockJson {
            name: b.name.clone(),
            instances: b.instances,
            per_instance: FigJson::new(&b.per, t),
            top: top.map(str::to_string),
            total: FigJson::new(&b.total, t),
        }
    }
}

/// One top of `serrano area --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopJson {
    pub top: String,
    pub kind: String,
    pub blocks: Vec<BlockJson>,
    pub totals: FigJson,
    pub yosys_seconds: f64,
}

/// The PE against the hand-written reference cell (generic script).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeReference {
    pub module: String,
    pub pe_transistors: u64,
    pub pe_ff: u64,
    pub reference: String,
    pub reference_transistors: u64,
    pub reference_ff: u64,
    pub ratio: f64,
    pub limit: f64,
}

/// Where the estimated Verilog came from: one key, `preset`, `config` or
/// `verilog` (`source` for anything else), holding the name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Preset(String),
    Config(String),
    Verilog(String),
    Source(String),
}

impl Origin {
    /// From `preset tiny`, `config path`, `verilog a.v b.v`.
    fn new(origin: &str) -> Origin {
        match origin.split_once(' ') {
            Some(("preset", s)) => Origin::Preset(s.into()),
            Some(("config", s)) => Origin::Config(s.into()),
            Some(("verilog", s)) => Origin::Verilog(s.into()),
            _ => Origin::Source(origin.into()),
        }
    }
}

/// `serrano area --json`, the `area` sections of `docs/results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaJson {
    #[serde(flatten)]
    pub origin: Origin,
    pub target: Target,
    pub yosys: String,
    pub tops: Vec<TopJson>,
    /// Every top's blocks, each with its `top`.
    pub blocks: Vec<BlockJson>,
    pub totals: FigJson,
    #[serde(deserialize_with = "Option::deserialize")]
    pub pe_reference: Option<PeReference>,
}

impl AreaJson {
    /// The totals of top `top`, if it is one of this result's.
    pub fn top_totals(&self, top: &str) -> Option<&FigJson> {
        self.tops.iter().find(|t| t.top == top).map(|t| &t.totals)
    }
}

pub fn report_json(
    t: Target,
    origin: &str,
    y: &Yosys,
    reports: &[TopReport],
    reference: Option<PeReference>,
) -> AreaJson {
    let mut totals = Fig::default();
    let mut all_blocks = Vec::new();
    let mut tops = Vec::new();
    for r in reports {
        totals.add_scaled(&r.totals, 1);
        all_blocks.extend(r.blocks.iter().map(|b| BlockJson::new(t, b, Some(&r.top))));
        tops.push(TopJson {
            top: r.top.clone(),
            kind: r.kind.clone(),
            blocks: r.blocks.iter().map(|b| BlockJson::new(t, b, None)).collect(),
            totals: FigJson::new(&r.totals, t),
            yosys_seconds: r.seconds,
        });
    }
    AreaJson {
        origin: Origin::new(origin),
        target: t,
        yosys: y.version.clone(),
        tops,
        blocks: all_blocks,
        totals: FigJson::new(&totals, t),
        pe_reference: reference,
    }
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

pub fn print_tables(t: Target, origin: &str, y: &Yosys, reports: &[TopReport], reference: Option<&PeReference>) {
    println!("serrano area: {origin}, target {}, {}", t.name(), y.version);
    for r in reports {
        println!();
        println!("{} ({}, Yosys {:.1} s)", r.top, r.kind, r.seconds);
        let w = r.blocks.iter().map(|b| b.name.len()).max().unwrap_or(5).max(5);
        let whole = r.totals.main(t);
        match t {
            Target::Generic => {
                println!(
                    "  {:<w$} {:>6} {:>10} {:>9} {:>12} {:>10} {:>8} {:>10} {:>6}",
                    "block", "inst", "cells/inst", "cells", "transistors", "nand2_eq", "ff", "mem_bits", "share"
                );
                let row = |name: &str, inst: String, per: String, f: &Fig| {
                    println!(
                        "  {name:<w$} {inst:>6} {per:>10} {:>9} {:>12} {:>10} {:>8} {:>10} {:>6}",
                        thousands(f.cells),
                        thousands(f.transistors),
                        thousands(f.transistors / 4),
                        thousands(f.ff),
                        thousands(f.memory_bits),
                        share(f.transistors, whole)
                    )
                };
                for b in &r.blocks {
                    row(&b.name, b.instances.to_string(), thousands(b.per.cells), &b.total);
                }
                row("total", String::new(), String::new(), &r.totals);
            }
            Target::Ice40 | Target::Xilinx => {
                let bram = if t == Target::Xilinx { "bram36" } else { "bram" };
                println!(
                    "  {:<w$} {:>6} {:>10} {:>9} {:>8} {:>8} {:>7} {:>5} {:>7} {:>6} {:>12}",
                    "block", "inst", "cells/inst", "cells", "lut", "ff", "carry", "dsp", bram, "share", "transistors"
                );
                let row = |name: &str, inst: String, per: String, f: &Fig| {
                    println!(
                        "  {name:<w$} {inst:>6} {per:>10} {:>9} {:>8} {:>8} {:>7} {:>5} {:>7} {:>6} {:>12}",
                        thousands(f.cells),
                        thousands(f.lut()),
                        thousands(f.ff),
                        thousands(f.carry),
                        thousands(f.dsp),
                        f.bram(t),
                        share(f.lut(), whole),
                        thousands(f.transistors)
                    )
                };
                for b in &r.blocks {
                    row(&b.name, b.instances.to_string(), thousands(b.per.cells), &b.total);
                }
                row("total", String::new(), String::new(), &r.totals);
                if t == Target::Xilinx {
                    let f = &r.totals;
                    println!(
                        "  (lut = {} logic + {} SRL + {} LUTRAM; bram36 = {} RAMB36E1 + {} RAMB18E1 / 2)",
                        f.lut_logic, f.lut_srl, f.lut_ram, f.ramb36, f.ramb18
                    );
                }
            }
        }
    }
    if let Some(r) = reference {
        println!();
        println!(
            "pe reference (generic): {} {} transistors, {} ff; hand-written {} {} transistors, {} ff; ratio {:.3} \
             (limit {})",
            r.module,
            thousands(r.pe_transistors),
            r.pe_ff,
            r.reference,
            thousands(r.reference_transistors),
            r.reference_ff,
            r.ratio,
            r.limit
        );
    }
}
