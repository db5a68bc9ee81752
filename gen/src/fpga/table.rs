//! What `serrano fpga` prints: the result as one JSON object (`--json`), or
//! as a table read from that same object.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::device::{DeviceInfo, Family};
use super::parse::{count, CriticalPath, Usage};
use super::pnr::SeedRun;
use super::synth::{Harness, Synth};
use super::Flow;
use crate::verilog::GENERATOR;

/// A device resource after placement: used of total, and the percentage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageJson {
    pub used: u64,
    pub total: u64,
    pub percent: f64,
}

/// The device's capacity (null: nextpnr did not report the resource).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    #[serde(deserialize_with = "Option::deserialize")]
    pub lc: Option<u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub bram: Option<u64>,
    pub dsp: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub io: Option<u64>,
}

/// The board top's wrapper around the design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wrapper {
    pub scan_bits: u32,
    pub capture_bits: u32,
    pub out_bytes: u32,
    pub sel_bits: u32,
    pub read_latency_cycles: u32,
    /// What the harness adds, measured: its I/O pins besides the clock, and
    /// its LUT4s, flip-flops and carry cells synthesized with the DUT a black
    /// box (`added_source`). Absent only in results written before they were measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_pins: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ff: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carry: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_source: Option<String>,
}

/// The tools used: Yosys and nextpnr as they name their versions, the packer by its path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tools {
    pub yosys: String,
    pub nextpnr: String,
    /// iCE40 runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icepack: Option<String>,
    /// ECP5 runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecppack: Option<String>,
}

impl FpgaJson {
    /// The DUT's kind; a result without `top` measured the tile.
    pub fn kind(&self) -> &str {
        self.top.as_deref().unwrap_or("tile")
    }
}

impl Tools {
    pub(super) fn new(dev: &DeviceInfo, yosys: String, nextpnr: String, packer: &str) -> Tools {
        let (icepack, ecppack) = match dev.family {
            Family::Ice40 => (Some(packer.to_string()), None),
            Family::Ecp5 => (None, Some(packer.to_string())),
        };
        Tools { yosys, nextpnr, icepack, ecppack }
    }
}

/// One placement seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedJson {
    pub seed: u64,
    pub fmax_mhz: f64,
    pub pass: bool,
    pub seconds: f64,
}

/// One net of the critical path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetJson {
    pub net: String,
    pub delay_ns: f64,
}

/// The best seed's critical path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalPathJson {
    pub clock: String,
    pub start: String,
    pub end: String,
    pub total_ns: f64,
    pub logic_ns: f64,
    pub routing_ns: f64,
    pub logic_levels: u32,
    pub carry_cells: u32,
    pub worst_nets: Vec<NetJson>,
}

/// What a design that fits has besides: Fmax per seed, the best seed, its
/// critical path and the bitstream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub fmax_mhz: f64,
    pub seed: u64,
    pub timing_pass: bool,
    pub seeds: Vec<SeedJson>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub critical_path: Option<CriticalPathJson>,
    pub bitstream: String,
}

/// `serrano fpga --json`, an entry of `fpga` in `docs/results.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FpgaJson {
    pub generator: String,
    pub source: String,
    pub device: String,
    pub part: String,
    pub board: String,
    /// The DUT's kind (`--top`): `core`, `tile`, `softmax` or `dma`; absent
    /// in results written before `--top core`, which all measured the tile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<String>,
    pub dut: String,
    pub board_top: String,
    pub out: String,
    pub freq_target_mhz: f64,
    pub mul_hierarchy: String,
    pub kept_modules: Vec<String>,
    pub lut_source: String,
    pub lut: u64,
    pub ff: u64,
    pub carry: u64,
    pub dsp: u64,
    pub bram: u64,
    pub yosys_cells: BTreeMap<String, u64>,
    pub lc: Option<UsageJson>,
    pub ram: Option<UsageJson>,
    pub dsp_blocks: Option<UsageJson>,
    pub io: Option<UsageJson>,
    pub capacity: Capacity,
    pub dsp_note: Option<String>,
    pub wrapper: Wrapper,
    pub synth_seconds: f64,
    pub tools: Tools,
    pub fits: bool,
    /// Why the design does not fit (only when `fits` is false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Only when `fits` is true.
    #[serde(flatten)]
    pub timing: Option<Timing>,
}

/// [`FpgaJson`] without its `timing`, as read: every field required.
#[derive(Deserialize)]
struct Common {
    generator: String,
    source: String,
    device: String,
    part: String,
    board: String,
    #[serde(default)]
    top: Option<String>,
    dut: String,
    board_top: String,
    out: String,
    freq_target_mhz: f64,
    mul_hierarchy: String,
    kept_modules: Vec<String>,
    lut_source: String,
    lut: u64,
    ff: u64,
    carry: u64,
    dsp: u64,
    bram: u64,
    yosys_cells: BTreeMap<String, u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    lc: Option<UsageJson>,
    #[serde(deserialize_with = "Option::deserialize")]
    ram: Option<UsageJson>,
    #[serde(deserialize_with = "Option::deserialize")]
    dsp_blocks: Option<UsageJson>,
    #[serde(deserialize_with = "Option::deserialize")]
    io: Option<UsageJson>,
    capacity: Capacity,
    #[serde(deserialize_with = "Option::deserialize")]
    dsp_note: Option<String>,
    wrapper: Wrapper,
    synth_seconds: f64,
    tools: Tools,
    fits: bool,
    #[serde(default)]
    error: Option<String>,
}

impl<'de> Deserialize<'de> for FpgaJson {
    /// The common fields, then `error` (required when the design does not
    /// fit) or the timing fields (required when it does).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_json::Value::deserialize(d)?;
        let c = Common::deserialize(&v).map_err(D::Error::custom)?;
        let timing = if c.fits { Some(Timing::deserialize(&v).map_err(D::Error::custom)?) } else { None };
        if !c.fits && c.error.is_none() {
            return Err(D::Error::missing_field("error"));
        }
        Ok(FpgaJson {
            generator: c.generator,
            source: c.source,
            device: c.device,
            part: c.part,
            board: c.board,
            top: c.top,
            dut: c.dut,
            board_top: c.board_top,
            out: c.out,
            freq_target_mhz: c.freq_target_mhz,
            mul_hierarchy: c.mul_hierarchy,
            kept_modules: c.kept_modules,
            lut_source: c.lut_source,
            lut: c.lut,
            ff: c.ff,
            carry: c.carry,
            dsp: c.dsp,
            bram: c.bram,
            yosys_cells: c.yosys_cells,
            lc: c.lc,
            ram: c.ram,
            dsp_blocks: c.dsp_blocks,
            io: c.io,
            capacity: c.capacity,
            dsp_note: c.dsp_note,
            wrapper: c.wrapper,
            synth_seconds: c.synth_seconds,
            tools: c.tools,
            fits: c.fits,
            error: c.error,
            timing,
        })
    }
}

/// The figures every run has, fitting or not: the design, its cells after
/// synthesis, the device's utilisation after placement, the `tools` used.
/// `fits` is true until [`not_fitting`] or [`add_timing`] says otherwise.
pub(super) fn usage_json(
    f: &Flow,
    synth: &Synth,
    harness: &Harness,
    util: &[(String, Usage)],
    tools: Tools,
) -> FpgaJson {
    let used = |k: &str| util.iter().find(|(n, _)| n == k).map(|(_, u)| u.clone());
    let usage = |k: &str| used(k).map(|u| UsageJson { used: u.used, total: u.total, percent: pct(u.used, u.total) });
    let (b, dev) = (f.b, f.dev);
    let fam = dev.tools();
    let cells = &synth.cells;
    FpgaJson {
        generator: GENERATOR.into(),
        source: f.origin.into(),
        device: dev.name.into(),
        part: dev.part.into(),
        board: dev.board.into(),
        top: Some(f.kind.name().into()),
        dut: f.dut.name().into(),
        board_top: b.top.name().into(),
        out: f.out.display().to_string(),
        freq_target_mhz: f.freq,
        mul_hierarchy: if synth.kept.is_empty() { "flatten" } else { "keep" }.into(),
        kept_modules: synth.kept.clone(),
        lut_source: format!(
            "{} cells after {} (yosys stat, whole design including the board top)",
            fam.lut_cell, fam.synth
        ),
        lut: count(cells, fam.lut_cell),
        ff: count(cells, fam.ff_cell),
        carry: count(cells, fam.carry_cell),
        dsp: count(cells, fam.dsp_cell),
        bram: count(cells, fam.bram_cell),
        yosys_cells: cells.iter().cloned().collect(),
        lc: usage(fam.lc_resource),
        ram: usage(fam.ram_resource),
        dsp_blocks: usage(fam.dsp_resource),
        io: usage(fam.io_resource),
        capacity: Capacity {
            lc: used(fam.lc_resource).map(|u| u.total),
            bram: used(fam.ram_resource).map(|u| u.total),
            dsp: used(fam.dsp_resource).map(|u| u.total).unwrap_or(dev.dsp),
            io: used(fam.io_resource).map(|u| u.total),
        },
        dsp_note: synth.dsp_note.clone(),
        wrapper: Wrapper {
            scan_bits: b.scan_bits,
            capture_bits: b.capture_bits,
            out_bytes: b.out_bytes,
            sel_bits: b.sel_bits,
            read_latency_cycles: b.read_latency,
            io_pins: Some(b.top.ports().iter().filter(|p| p.name != hdl::core::CLOCK).map(|p| p.ty.width()).sum()),
            lut: Some(count(&harness.cells, fam.lut_cell)),
            ff: Some(count(&harness.cells, fam.ff_cell)),
            carry: Some(count(&harness.cells, fam.carry_cell)),
            added_source: Some(format!(
                "{} {}, {} and {} cells after {} of the board top with the DUT a black box (yosys stat)",
                b.top.name(),
                fam.lut_cell,
                fam.ff_cell,
                fam.carry_cell,
                fam.synth
            )),
        },
        synth_seconds: round2(synth.seconds),
        tools,
        fits: true,
        error: None,
        timing: None,
    }
}

/// Add what a design that fits has besides: Fmax per seed, the `best` seed,
/// its critical path `cp` and the bitstream `bin`.
pub(super) fn add_timing(
    v: &mut FpgaJson,
    runs: &[SeedRun],
    best: &SeedRun,
    cp: Option<CriticalPath>,
    bin: &std::path::Path,
) {
    v.fits = true;
    v.timing = Some(Timing {
        fmax_mhz: round2(best.fmax_mhz),
        seed: best.seed,
        timing_pass: best.pass,
        seeds: runs
            .iter()
            .map(|r| SeedJson { seed: r.seed, fmax_mhz: round2(r.fmax_mhz), pass: r.pass, seconds: round2(r.seconds) })
            .collect(),
        critical_path: cp.map(|c| CriticalPathJson {
            clock: c.clock,
            start: c.start,
            end: c.end,
            total_ns: c.total_ns,
            logic_ns: c.logic_ns,
            routing_ns: c.routing_ns,
            logic_levels: c.logic_levels,
            carry_cells: c.carry_cells,
            worst_nets: c.worst_nets.into_iter().map(|(net, delay_ns)| NetJson { net, delay_ns }).collect(),
        }),
        bitstream: bin.display().to_string(),
    });
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

pub(super) fn print_table(v: &FpgaJson) {
    println!("{GENERATOR}: fpga {} ({}) on {} ({}), board top {}", v.dut, v.kind(), v.part, v.board, v.board_top);
    let row = |label: &str, u: &Option<UsageJson>| {
        if let Some(u) = u {
            println!("  {label:<10} {:>6} / {:<6} {:>6.2}%", u.used, u.total, u.percent);
        }
    };
    let ecp5 = v.tools.ecppack.is_some();
    row(if ecp5 { "LUT4" } else { "LC" }, &v.lc);
    row("BRAM", &v.ram);
    row("DSP", &v.dsp_blocks);
    row("IO", &v.io);
    let (dsp, bram) = if ecp5 { ("MULT18X18D", "DP16KD") } else { ("SB_MAC16", "SB_RAM40_4K") };
    println!(
        "  {:<10} {} LUT4, {} FF, {} carry, {} {dsp}, {} {bram} (yosys)",
        "cells", v.lut, v.ff, v.carry, v.dsp, v.bram
    );
    let w = &v.wrapper;
    if let (Some(lut), Some(ff), Some(carry)) = (w.lut, w.ff, w.carry) {
        // The cells line above counts the whole design; this is the board top's share of it.
        println!(
            "  {:<10} {lut} LUT4, {ff} FF, {carry} carry (the board top alone, DUT a black box); {} pins, {} scan and {} capture bits",
            "harness",
            w.io_pins.unwrap_or(0),
            w.scan_bits,
            w.capture_bits
        );
    }
    if let Some(n) = &v.dsp_note {
        println!("  note       {n}");
    }
    let Some(t) = v.timing.as_ref().filter(|_| v.fits) else {
        println!("  {}", v.error.as_deref().unwrap_or(""));
        return;
    };
    // `{:?}` prints a float as JSON does (7.0, not 7).
    for r in &t.seeds {
        println!("  seed {:<5} {:>7.2} MHz  ({:?} s)", r.seed, r.fmax_mhz, r.seconds);
    }
    println!("  Fmax       {:.2} MHz (seed {}, target {:?} MHz)", t.fmax_mhz, t.seed, v.freq_target_mhz);
    if let Some(c) = &t.critical_path {
        println!(
            "  critical   {:?} ns ({:?} ns logic, {:?} ns routing; {} LUT levels, {} carry cells)",
            c.total_ns, c.logic_ns, c.routing_ns, c.logic_levels, c.carry_cells
        );
        println!("    from     {}", c.start);
        println!("    to       {}", c.end);
    }
    println!("  bitstream  {}", t.bitstream);
}
