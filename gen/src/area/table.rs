//! What `serrano area` prints: one JSON object (`--json`), or a table per top.

use serde_json::{json, Value};

use super::figures::{Block, Fig, TopReport};
use super::Target;
use crate::report::render::thousands;
use crate::yosys::Yosys;

/// Transistors per SRAM bit for the separate `sram_transistors_6t` estimate.
const SRAM_CELL_TRANSISTORS: u64 = 6;

/// The JSON figures of `f` for target `t`; `instances` and `name` are added by the caller.
fn fig_json(f: &Fig, t: Target) -> Value {
    let mut v = json!({ "cells": f.cells, "ff": f.ff, "memory_bits": f.memory_bits });
    let o = v.as_object_mut().expect("object");
    // Every target reports transistors: an FPGA target's come from the generic
    // flow, leaf multipliers counted in their parent.
    o.insert("transistors".into(), json!(f.transistors));
    o.insert("nand2_eq".into(), json!(f.transistors as f64 / 4.0));
    if t == Target::Generic {
        o.insert("sram_transistors_6t".into(), json!(f.memory_bits * SRAM_CELL_TRANSISTORS));
        for k in ["lut", "dsp", "bram", "carry"] {
            o.insert(k.into(), Value::Null);
        }
    } else {
        o.insert("lut".into(), json!(f.lut()));
        o.insert("carry".into(), json!(f.carry));
        o.insert("dsp".into(), json!(f.dsp));
        o.insert("bram".into(), json!(f.bram(t)));
        if t == Target::Xilinx {
            o.insert("lut_logic".into(), json!(f.lut_logic));
            o.insert("lut_srl".into(), json!(f.lut_srl));
            o.insert("lut_ram".into(), json!(f.lut_ram));
            o.insert("ramb36e1".into(), json!(f.ramb36));
            o.insert("ramb18e1".into(), json!(f.ramb18));
        } else {
            o.insert("sb_ram40_4k".into(), json!(f.sb_ram40));
        }
    }
    v
}

fn block_json(t: Target, b: &Block, top: Option<&str>) -> Value {
    let mut v = fig_json(&b.total, t);
    let o = v.as_object_mut().expect("object");
    o.insert("name".into(), json!(b.name));
    o.insert("instances".into(), json!(b.instances));
    o.insert("per_instance".into(), fig_json(&b.per, t));
    if let Some(top) = top {
        o.insert("top".into(), json!(top));
    }
    v
}

pub fn report_json(t: Target, origin: &str, y: &Yosys, reports: &[TopReport], reference: Option<&Value>) -> Value {
    let mut totals = Fig::default();
    let mut all_blocks = Vec::new();
    let mut tops = Vec::new();
    for r in reports {
        totals.add_scaled(&r.totals, 1);
        all_blocks.extend(r.blocks.iter().map(|b| block_json(t, b, Some(&r.top))));
        tops.push(json!({
            "top": r.top,
            "kind": r.kind,
            "blocks": r.blocks.iter().map(|b| block_json(t, b, None)).collect::<Vec<_>>(),
            "totals": fig_json(&r.totals, t),
            "yosys_seconds": r.seconds,
        }));
    }
    let (key, source) = origin.split_once(' ').unwrap_or(("source", origin));
    json!({
        key: source,
        "target": t.name(),
        "yosys": y.version,
        "tops": tops,
        "blocks": all_blocks,
        "totals": fig_json(&totals, t),
        "pe_reference": reference.cloned().unwrap_or(Value::Null),
    })
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

pub fn print_tables(t: Target, origin: &str, y: &Yosys, reports: &[TopReport], reference: Option<&Value>) {
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
            r["module"].as_str().unwrap_or(""),
            thousands(r["pe_transistors"].as_u64().unwrap_or(0)),
            r["pe_ff"],
            r["reference"].as_str().unwrap_or(""),
            thousands(r["reference_transistors"].as_u64().unwrap_or(0)),
            r["reference_ff"],
            r["ratio"].as_f64().unwrap_or(0.0),
            r["limit"]
        );
    }
}
