//! What `serrano fpga` prints: the result as one JSON object (`--json`), or
//! as a table read from that same object.

use serde_json::{json, Value};

use super::parse::{count, CriticalPath, Usage};
use super::pnr::SeedRun;
use super::synth::Synth;
use super::Flow;
use crate::verilog::GENERATOR;

/// The figures every run has, fitting or not: the design, its cells after
/// synthesis, the device's utilisation after placement, the `tools` used.
pub fn usage_json(f: &Flow, synth: &Synth, util: &[(String, Usage)], tools: Value) -> Value {
    let used = |k: &str| util.iter().find(|(n, _)| n == k).map(|(_, u)| u.clone());
    let usage_json = |k: &str| match used(k) {
        Some(u) => json!({ "used": u.used, "total": u.total, "percent": pct(u.used, u.total) }),
        None => Value::Null,
    };
    let (b, dev) = (f.b, f.dev);
    let cells = &synth.cells;
    json!({
        "generator": GENERATOR,
        "source": f.origin,
        "device": dev.name,
        "part": dev.part,
        "board": dev.board,
        "dut": f.dut.name(),
        "board_top": b.top.name(),
        "out": f.out.display().to_string(),
        "freq_target_mhz": f.freq,
        "mul_hierarchy": if synth.kept.is_empty() { "flatten" } else { "keep" },
        "kept_modules": synth.kept,
        "lut_source": "SB_LUT4 cells after synth_ice40 (yosys stat, whole design including the board top)",
        "lut": count(cells, "SB_LUT4"),
        "ff": count(cells, "SB_DFF"),
        "carry": count(cells, "SB_CARRY"),
        "dsp": count(cells, "SB_MAC16"),
        "bram": count(cells, "SB_RAM40_4K"),
        "yosys_cells": cells.iter().map(|(n, c)| (n.clone(), json!(c))).collect::<serde_json::Map<_, _>>(),
        "lc": usage_json("ICESTORM_LC"),
        "ram": usage_json("ICESTORM_RAM"),
        "dsp_blocks": usage_json("ICESTORM_DSP"),
        "io": usage_json("SB_IO"),
        "capacity": {
            "lc": used("ICESTORM_LC").map(|u| u.total),
            "bram": used("ICESTORM_RAM").map(|u| u.total),
            "dsp": used("ICESTORM_DSP").map(|u| u.total).unwrap_or(dev.dsp),
            "io": used("SB_IO").map(|u| u.total),
        },
        "dsp_note": synth.dsp_note,
        "wrapper": {
            "scan_bits": b.scan_bits,
            "capture_bits": b.capture_bits,
            "out_bytes": b.out_bytes,
            "sel_bits": b.sel_bits,
            "read_latency_cycles": b.read_latency,
        },
        "synth_seconds": round2(synth.seconds),
        "tools": tools,
    })
}

/// Add what a design that fits has besides: Fmax per seed, the `best` seed,
/// its critical path `cp` and the bitstream `bin`.
pub fn add_timing(v: &mut Value, runs: &[SeedRun], best: &SeedRun, cp: Option<CriticalPath>, bin: &std::path::Path) {
    v["fits"] = json!(true);
    v["fmax_mhz"] = json!(round2(best.fmax_mhz));
    v["seed"] = json!(best.seed);
    v["timing_pass"] = json!(best.pass);
    v["seeds"] = json!(runs
        .iter()
        .map(
            |r| json!({ "seed": r.seed, "fmax_mhz": round2(r.fmax_mhz), "pass": r.pass, "seconds": round2(r.seconds) })
        )
        .collect::<Vec<_>>());
    v["critical_path"] = match cp {
        Some(c) => json!({
            "clock": c.clock,
            "start": c.start,
            "end": c.end,
            "total_ns": c.total_ns,
            "logic_ns": c.logic_ns,
            "routing_ns": c.routing_ns,
            "logic_levels": c.logic_levels,
            "carry_cells": c.carry_cells,
            "worst_nets": c.worst_nets.iter().map(|(n, d)| json!({ "net": n, "delay_ns": d })).collect::<Vec<_>>(),
        }),
        None => Value::Null,
    };
    v["bitstream"] = json!(bin.display().to_string());
}

fn pct(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        round2(100.0 * used as f64 / total as f64)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn print_table(v: &Value) {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    println!("{GENERATOR}: fpga {} on {} ({}), board top {}", s("dut"), s("part"), s("board"), s("board_top"));
    let row = |label: &str, key: &str| {
        let u = &v[key];
        if u.is_null() {
            return;
        }
        println!("  {label:<10} {:>6} / {:<6} {:>6.2}%", u["used"], u["total"], u["percent"].as_f64().unwrap_or(0.0));
    };
    row("LC", "lc");
    row("BRAM", "ram");
    row("DSP", "dsp_blocks");
    row("IO", "io");
    println!(
        "  {:<10} {} LUT4, {} FF, {} carry, {} SB_MAC16, {} SB_RAM40_4K (yosys)",
        "cells", v["lut"], v["ff"], v["carry"], v["dsp"], v["bram"]
    );
    if let Some(n) = v["dsp_note"].as_str() {
        println!("  note       {n}");
    }
    if v["fits"] == json!(false) {
        println!("  {}", s("error"));
        return;
    }
    for r in v["seeds"].as_array().into_iter().flatten() {
        println!("  seed {:<5} {:>7.2} MHz  ({} s)", r["seed"], r["fmax_mhz"].as_f64().unwrap_or(0.0), r["seconds"]);
    }
    println!(
        "  Fmax       {:.2} MHz (seed {}, target {} MHz)",
        v["fmax_mhz"].as_f64().unwrap_or(0.0),
        v["seed"],
        v["freq_target_mhz"]
    );
    let c = &v["critical_path"];
    if !c.is_null() {
        println!(
            "  critical   {} ns ({} ns logic, {} ns routing; {} LUT levels, {} carry cells)",
            c["total_ns"], c["logic_ns"], c["routing_ns"], c["logic_levels"], c["carry_cells"]
        );
        println!("    from     {}", c["start"].as_str().unwrap_or(""));
        println!("    to       {}", c["end"].as_str().unwrap_or(""));
    }
    println!("  bitstream  {}", s("bitstream"));
}
