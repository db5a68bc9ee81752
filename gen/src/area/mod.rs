//! `serrano area`: area estimates of the generated Verilog from Yosys (method
//! and meaning of every figure: docs/area.md).
//!
//! - `generic`: each distinct module synthesized once (never flattened) to
//!   CMOS gates, priced by `stat -tech cmos` in transistors and multiplied by
//!   its instance count; flip-flop and memory bits beside it.
//! - `xilinx` / `ice40`: `synth_xilinx` / `synth_ice40 -dsp`, hierarchical, with
//!   LUT, flip-flop, carry, DSP and block-RAM counts per module and in total.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;
use serde_json::{json, Value};

use crate::error::UsageError;
use crate::presets::ConfigArgs;
use crate::yosys::{instance_counts, parse_stat, ModuleStat, Yosys};

/// The hand-written reference cell the PE is compared with (a fixture, synthesized by the same script).
const REF_PE: &str = include_str!("../../fixtures/ref_pe_i8_acc32.v");
const REF_PE_TOP: &str = "ref_pe_i8_acc32";
/// The PE's gate estimate may cost at most this much more than the reference cell's.
pub const REF_PE_LIMIT: f64 = 1.1;
/// Modules whose names start with this are leaf arithmetic (an 8x8 multiplier):
/// flattened into their parent for FPGA mapping, so that DSP packing sees the
/// multiply, the add and the register together.
const LEAF_ARITHMETIC_PREFIX: &str = "serrano_mul_";
/// Transistors per SRAM bit for the separate `sram_transistors_6t` estimate.
const SRAM_CELL_TRANSISTORS: u64 = 6;

// The three Yosys scripts. `{files}` and `{top}` are filled in; the comments
// are kept in the script written next to each run's log.

const GENERIC_PRE_SCRIPT: &str = "\
# serrano area, target generic, step 1 of 2: the hierarchy of a top (docs/area.md).
read_verilog {files}
# Keep only the modules under the top; fail on a missing one.
hierarchy -check -top {top}
# Processes become cells here, so a latch shows up as a $dlatch cell in its own
# module; memories are still RTLIL memories, so this stat also has their bits,
# and each module's submodule instances give the instance counts.
proc
# (Yosys 0.23 writes its text hierarchy into stat -json when a module has the
# top attribute: drop the attribute before each stat.)
setattr -mod -unset top *
tee -q -o pre.json stat -json
";

const GENERIC_MODULE_SCRIPT: &str = "\
# serrano area, target generic, step 2 of 2: one distinct module, synthesized once
# in a Yosys of its own however many instances it has (a 16x16 grid flattened
# takes minutes and over 1 GB). Its submodules are read as black boxes (-lib):
# each is estimated in its own run. A run of its own also makes the figure
# independent of what else was read: ABC's result moves by several percent with
# the order and names of its input, which other modules in the same Yosys change.
read_verilog {own}
{libs}
hierarchy -check -top {top}
# synth's coarse stage, without -flatten. It ends with `memory -nomap`: each
# memory stays one $mem cell.
synth -top {top} -run coarse:fine
# synth's fine stage without memory_map, which would turn an accumulator bank
# into thousands of flip-flops and multiplexers.
opt -fast -full
opt -full
techmap
opt -fast
# Map the logic to two-input CMOS gates (NAND, NOR, NOT), which stat -tech cmos
# prices in transistors; flip-flops and $mem cells keep no price (Yosys's `+`).
abc -g cmos2
opt -fast
setattr -mod -unset top *
tee -q -o post.json stat -tech cmos -json
";

const XILINX_SCRIPT: &str = "\
# serrano area, target xilinx (7-series): cell counts per module (docs/area.md).
read_verilog {files}
hierarchy -check -top {top}
# Latches and memory bits per module, before synthesis hides them.
proc
setattr -mod -unset top *
tee -q -o pre.json stat -json
# Map each distinct module once (keep_hierarchy), except leaf arithmetic,
# which is flattened into its parent so DSP48E1 packing sees multiply, add and
# register together.
setattr -mod -set keep_hierarchy 1 *
setattr -mod -unset keep_hierarchy {leaf}*
# -noiopad: these are blocks inside a chip, not a chip's pins.
synth_xilinx -noiopad -flatten -top {top}
setattr -mod -unset top *
tee -q -o post.json stat -json
";

const ICE40_SCRIPT: &str = "\
# serrano area, target ice40: cell counts per module (docs/area.md).
read_verilog {files}
hierarchy -check -top {top}
# Latches and memory bits per module, before synthesis hides them.
proc
setattr -mod -unset top *
tee -q -o pre.json stat -json
# Map each distinct module once (keep_hierarchy), except leaf arithmetic,
# which is flattened into its parent (synth_ice40 flattens by default and
# honours keep_hierarchy).
setattr -mod -set keep_hierarchy 1 *
setattr -mod -unset keep_hierarchy {leaf}*
# -dsp: multipliers to SB_MAC16 where the device has them (UltraPlus).
synth_ice40 -dsp -top {top}
setattr -mod -unset top *
tee -q -o post.json stat -json
";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Transistors of a CMOS gate mapping (Yosys abc -g cmos2; stat -tech cmos).
    Generic,
    /// Lattice iCE40 (synth_ice40 -dsp).
    Ice40,
    /// Xilinx 7-series (synth_xilinx).
    Xilinx,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Generic => "generic",
            Target::Ice40 => "ice40",
            Target::Xilinx => "xilinx",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct AreaArgs {
    #[command(flatten)]
    pub source: ConfigArgs,
    /// What to estimate for.
    #[arg(long, value_enum, default_value = "generic")]
    pub target: Target,
    /// Only this top: tile, softmax, dma, or a top module's name [default: every top].
    #[arg(long)]
    pub top: Option<String>,
    /// The Yosys binary [default: $SERRANO_YOSYS, else yosys on PATH].
    #[arg(long)]
    pub yosys: Option<PathBuf>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Estimate these Verilog files instead of the configuration's (needs --top MODULE;
    /// for tests and one-off checks).
    #[arg(long = "verilog-file", hide = true)]
    pub verilog_files: Vec<PathBuf>,
    /// Write the Yosys scripts, logs and statistics here and keep them
    /// [default: a temporary directory, removed after a successful run].
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// One top to synthesize: its kind (`tile`, ...), module name and Verilog files.
struct TopDesign {
    kind: String,
    top: String,
    files: Vec<(String, String)>,
}

/// The figures of one module (per instance) or of a sum of modules.
#[derive(Clone, Debug, Default, PartialEq)]
struct Fig {
    /// Cells other than submodule instances.
    cells: u64,
    /// `stat -tech cmos` transistors (generic only): logic gates, no flip-flops, no memories.
    transistors: u64,
    /// Flip-flop bits.
    ff: u64,
    /// Bits of memories (RTLIL memories before synthesis).
    memory_bits: u64,
    /// LUTs used as logic (Xilinx LUT1..LUT6, iCE40 SB_LUT4).
    lut_logic: u64,
    /// Xilinx LUTs used as shift registers (SRL16E, SRLC32E, ...).
    lut_srl: u64,
    /// Xilinx LUTs used as distributed RAM (RAM32M counts 4, RAM64X1D 2, ...).
    lut_ram: u64,
    carry: u64,
    dsp: u64,
    ramb36: u64,
    ramb18: u64,
    sb_ram40: u64,
}

impl Fig {
    fn add_scaled(&mut self, o: &Fig, n: u64) {
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

    fn lut(&self) -> u64 {
        self.lut_logic + self.lut_srl + self.lut_ram
    }

    /// Block RAMs: Xilinx in RAMB36 equivalents (a RAMB18E1 is half of one), iCE40 in SB_RAM40_4K.
    fn bram(&self, t: Target) -> f64 {
        match t {
            Target::Xilinx => self.ramb36 as f64 + self.ramb18 as f64 / 2.0,
            _ => self.sb_ram40 as f64,
        }
    }

    /// The figure that `share` divides: transistors, or LUTs on an FPGA.
    fn main(&self, t: Target) -> u64 {
        if t == Target::Generic {
            self.transistors
        } else {
            self.lut()
        }
    }

    /// The JSON figures for `target`; `instances` and `name` are added by the caller.
    fn json(&self, t: Target) -> Value {
        let mut v = json!({ "cells": self.cells, "ff": self.ff, "memory_bits": self.memory_bits });
        let o = v.as_object_mut().expect("object");
        if t == Target::Generic {
            o.insert("transistors".into(), json!(self.transistors));
            o.insert("nand2_eq".into(), json!(self.transistors as f64 / 4.0));
            o.insert("sram_transistors_6t".into(), json!(self.memory_bits * SRAM_CELL_TRANSISTORS));
            for k in ["lut", "dsp", "bram", "carry"] {
                o.insert(k.into(), Value::Null);
            }
        } else {
            // From the generic flow, leaf multipliers counted in their parent.
            o.insert("transistors".into(), json!(self.transistors));
            o.insert("nand2_eq".into(), json!(self.transistors as f64 / 4.0));
            o.insert("lut".into(), json!(self.lut()));
            o.insert("carry".into(), json!(self.carry));
            o.insert("dsp".into(), json!(self.dsp));
            o.insert("bram".into(), json!(self.bram(t)));
            if t == Target::Xilinx {
                o.insert("lut_logic".into(), json!(self.lut_logic));
                o.insert("lut_srl".into(), json!(self.lut_srl));
                o.insert("lut_ram".into(), json!(self.lut_ram));
                o.insert("ramb36e1".into(), json!(self.ramb36));
                o.insert("ramb18e1".into(), json!(self.ramb18));
            } else {
                o.insert("sb_ram40_4k".into(), json!(self.sb_ram40));
            }
        }
        v
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
fn module_fig(t: Target, st: &ModuleStat, submodules: &BTreeMap<String, ModuleStat>) -> Fig {
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
struct Block {
    name: String,
    instances: u64,
    /// Per instance.
    per: Fig,
    /// Per instance x instances.
    total: Fig,
}

struct TopReport {
    kind: String,
    top: String,
    blocks: Vec<Block>,
    totals: Fig,
    seconds: f64,
}

/// Modules already estimated by the generic flow in this run (each has one run of its own).
type Cache = BTreeMap<String, ModuleStat>;

/// Synthesize one top for `target` in `work` (created; left there) and collect its figures.
/// Fails naming the module if any latch appears.
/// `gates`: for an FPGA target, the generic transistors of each module's own
/// cells (from the generic flow), so its blocks report transistors too.
fn synthesize(
    y: &Yosys,
    d: &TopDesign,
    target: Target,
    work: &Path,
    cache: &mut Cache,
    gates: Option<&BTreeMap<String, u64>>,
) -> Result<TopReport> {
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let mut names = Vec::new();
    for (name, text) in &d.files {
        let p = work.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
        names.push(name.as_str());
    }
    let script = match target {
        Target::Generic => GENERIC_PRE_SCRIPT,
        Target::Ice40 => ICE40_SCRIPT,
        Target::Xilinx => XILINX_SCRIPT,
    }
    .replace("{files}", &names.join(" "))
    .replace("{top}", &d.top)
    .replace("{leaf}", LEAF_ARITHMETIC_PREFIX);
    let start = Instant::now();
    y.run(work, &script)?;
    let pre = read_stat(&work.join("pre.json"))?;
    check_latches(&pre, &d.top, work)?;
    let (post, counts) = if target == Target::Generic {
        let counts = instance_counts(&pre, &d.top)?;
        let mut post = pre.clone();
        for m in counts.keys() {
            let own = generic_module(y, d, m, &pre, &work.join("modules").join(m), cache)?;
            post.insert(m.clone(), own);
        }
        (post, counts)
    } else {
        let post = read_stat(&work.join("post.json"))?;
        let counts = instance_counts(&post, &d.top)?;
        (post, counts)
    };
    let seconds = start.elapsed().as_secs_f64();
    let mut blocks = Vec::new();
    let mut totals = Fig::default();
    for (name, &instances) in &counts {
        let mut per = module_fig(target, &post[name], &pre);
        // Memories exist only before synthesis; a flattened module's would be in its parent's count.
        per.memory_bits = pre.get(name).map_or(0, |s| s.memory_bits);
        if let Some(g) = gates {
            per.transistors = gates_with_leaves(name, &pre, g);
        }
        let mut total = Fig::default();
        total.add_scaled(&per, instances);
        totals.add_scaled(&total, 1);
        blocks.push(Block { name: name.clone(), instances, per, total });
    }
    // The top first, then the largest blocks.
    blocks.sort_by(|a, b| {
        (b.name == d.top).cmp(&(a.name == d.top)).then(b.total.main(target).cmp(&a.total.main(target)))
    });
    Ok(TopReport { kind: d.kind.clone(), top: d.top.clone(), blocks, totals, seconds })
}

fn read_stat(p: &Path) -> Result<BTreeMap<String, ModuleStat>> {
    parse_stat(&std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?)
        .with_context(|| format!("in {}", p.display()))
}

/// After `proc`, a latch is a `$dlatch` (or `$adlatch`, `$dlatchsr`) cell of its module.
fn check_latches(pre: &BTreeMap<String, ModuleStat>, top: &str, work: &Path) -> Result<()> {
    for (m, st) in pre {
        let latches: Vec<String> = st
            .by_type
            .iter()
            .filter(|(ty, _)| ty.to_ascii_lowercase().contains("dlatch"))
            .map(|(ty, n)| format!("{n} {ty}"))
            .collect();
        if !latches.is_empty() {
            return Err(anyhow!(
                "module {m} (under top {top}) has a latch ({}): a combinational signal is not assigned on every \
                 path; see {}",
                latches.join(", "),
                work.join("yosys.log").display()
            ));
        }
    }
    Ok(())
}

/// The name of the file of `d` that declares `module`.
fn file_declaring<'a>(d: &'a TopDesign, module: &str) -> Result<&'a (String, String)> {
    d.files
        .iter()
        .find(|(_, text)| {
            text.lines().any(|l| {
                l.trim_start().strip_prefix("module ").is_some_and(|rest| {
                    rest.trim_start()
                        .strip_prefix(module)
                        .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
                })
            })
        })
        .ok_or_else(|| anyhow!("no Verilog file of {} declares module {module}", d.top))
}

/// The generic estimate of one module on its own (its submodules as black
/// boxes), run once per module name and kept in `cache`.
fn generic_module(
    y: &Yosys,
    d: &TopDesign,
    module: &str,
    pre: &BTreeMap<String, ModuleStat>,
    dir: &Path,
    cache: &mut Cache,
) -> Result<ModuleStat> {
    if let Some(s) = cache.get(module) {
        return Ok(s.clone());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let own = file_declaring(d, module)?;
    let mut libs: Vec<&(String, String)> = Vec::new();
    for child in pre[module].by_type.keys().filter(|t| pre.contains_key(*t)) {
        let f = file_declaring(d, child)?;
        if f.0 != own.0 && !libs.iter().any(|g| g.0 == f.0) {
            libs.push(f);
        }
    }
    for (name, text) in std::iter::once(own).chain(libs.iter().copied()) {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let lib_line = if libs.is_empty() {
        String::new()
    } else {
        format!("read_verilog -lib {}", libs.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(" "))
    };
    let script = GENERIC_MODULE_SCRIPT.replace("{own}", &own.0).replace("{libs}", &lib_line).replace("{top}", module);
    // A module's figure depends only on its Verilog, its submodules' (read as
    // black boxes), the script and Yosys: keep it on disk under that key, so
    // the FPGA targets (which report transistors too) and repeated runs do
    // not re-synthesize it.
    let key = {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&y.version, &script, &own, &libs).hash(&mut h);
        format!("{module}-{:016x}.json", h.finish())
    };
    let disk = disk_cache_dir().map(|d| d.join(&key));
    if let Some(st) = disk.as_ref().and_then(|p| std::fs::read(p).ok()).and_then(|b| serde_json::from_slice(&b).ok()) {
        cache.insert(module.to_string(), st);
        return Ok(cache[module].clone());
    }
    y.run(dir, &script)?;
    let post = read_stat(&dir.join("post.json"))?;
    let st =
        post.get(module).cloned().ok_or_else(|| anyhow!("Yosys reported no module {module} in {}", dir.display()))?;
    if let Some(p) = &disk {
        // Best effort: a cache that cannot be written is only slower.
        if let Some(d) = p.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, serde_json::to_vec(&st)?).is_ok() {
            let _ = std::fs::rename(&tmp, p);
        }
    }
    cache.insert(module.to_string(), st.clone());
    Ok(st)
}

/// A module's generic transistors per instance as an FPGA target sees it: its
/// own cells plus those of the leaf arithmetic modules flattened into it.
fn gates_with_leaves(name: &str, pre: &BTreeMap<String, ModuleStat>, gates: &BTreeMap<String, u64>) -> u64 {
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

/// Where generic per-module figures are kept between runs: `$SERRANO_AREA_CACHE`,
/// else `serrano-area-cache` in the system's temporary directory; `off` for none.
fn disk_cache_dir() -> Option<PathBuf> {
    match std::env::var_os("SERRANO_AREA_CACHE") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => Some(std::env::temp_dir().join("serrano-area-cache")),
    }
}

/// `tile` from `serrano_tile_r4c4_d256`: the word after the `serrano_` prefix.
fn kind_of(top: &str) -> String {
    let rest = top.strip_prefix("serrano_").unwrap_or(top);
    rest.split('_').next().unwrap_or(rest).to_string()
}

/// A fresh working directory under the system's temporary directory.
fn work_root() -> Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("serrano-area-{}", std::process::id()));
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("cannot clear {}", root.display()))?;
    }
    Ok(root)
}

/// The tops to estimate and, when the tile is among them, its PE's name.
fn designs(args: &AreaArgs) -> Result<(Vec<TopDesign>, String, Option<String>)> {
    if !args.verilog_files.is_empty() {
        let top = args.top.clone().ok_or_else(|| UsageError("--verilog-file needs --top MODULE".into()))?;
        let mut files = Vec::new();
        for p in &args.verilog_files {
            let text =
                std::fs::read_to_string(p).map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))?;
            let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("design.v").to_string();
            files.push((name, text));
        }
        let origin = format!("verilog {}", files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(" "));
        return Ok((vec![TopDesign { kind: kind_of(&top), top, files }], origin, None));
    }
    let (cfg, origin, stem) = args.source.resolve()?;
    let g = crate::verilog::generate(&cfg, &origin, &stem)?;
    let text_of: BTreeMap<&str, &str> = g.files.iter().map(|f| (f.file_name.as_str(), f.text.as_str())).collect();
    let mut all = Vec::new();
    for t in g.manifest["tops"].as_array().ok_or_else(|| anyhow!("manifest has no tops"))? {
        let top = t["top"].as_str().ok_or_else(|| anyhow!("manifest top without a name"))?.to_string();
        let mut files = Vec::new();
        for f in t["files"].as_array().ok_or_else(|| anyhow!("manifest top {top} without files"))? {
            let f = f.as_str().unwrap_or_default();
            let text = text_of.get(f).ok_or_else(|| anyhow!("manifest names {f}, which was not generated"))?;
            files.push((f.to_string(), text.to_string()));
        }
        all.push(TopDesign { kind: kind_of(&top), top, files });
    }
    let chosen: Vec<TopDesign> = match &args.top {
        None => all,
        Some(want) => {
            let kinds: Vec<String> = all.iter().map(|d| format!("{} ({})", d.kind, d.top)).collect();
            let picked: Vec<TopDesign> = all.into_iter().filter(|d| &d.kind == want || &d.top == want).collect();
            if picked.is_empty() {
                return Err(UsageError(format!(
                    "--top {want}: no such top in {origin}; give one of: {}",
                    kinds.join(", ")
                ))
                .into());
            }
            picked
        }
    };
    let pe = hdl::blocks::tile::pe::pe_name(&cfg.systolic.pe());
    let has_pe = chosen.iter().any(|d| d.files.iter().any(|(_, text)| text.contains(&format!("module {pe} "))));
    Ok((chosen, origin, has_pe.then_some(pe)))
}

/// The PE against the hand-written reference cell, both by the generic script,
/// the PE with its submodules: transistors and flip-flops of each and the ratio.
fn pe_reference(y: &Yosys, tops: &[TopDesign], pe: &str, root: &Path, cache: &mut Cache) -> Result<Value> {
    let files = tops
        .iter()
        .find(|d| d.files.iter().any(|(_, t)| t.contains(&format!("module {pe} "))))
        .map(|d| d.files.clone())
        .ok_or_else(|| anyhow!("no top contains {pe}"))?;
    let pe_run = synthesize(
        y,
        &TopDesign { kind: "pe".into(), top: pe.into(), files },
        Target::Generic,
        &root.join(pe),
        cache,
        None,
    )?;
    let ref_design = TopDesign {
        kind: "reference".into(),
        top: REF_PE_TOP.into(),
        files: vec![(format!("{REF_PE_TOP}.v"), REF_PE.to_string())],
    };
    let ref_run = synthesize(y, &ref_design, Target::Generic, &root.join(REF_PE_TOP), cache, None)?;
    let (p, r) = (&pe_run.totals, &ref_run.totals);
    if r.transistors == 0 {
        return Err(anyhow!("the reference cell {REF_PE_TOP} synthesized to no gates"));
    }
    Ok(json!({
        "module": pe,
        "pe_transistors": p.transistors,
        "pe_ff": p.ff,
        "reference": REF_PE_TOP,
        "reference_transistors": r.transistors,
        "reference_ff": r.ff,
        "ratio": p.transistors as f64 / r.transistors as f64,
        "limit": REF_PE_LIMIT,
    }))
}

pub fn run(args: &AreaArgs) -> Result<()> {
    let (tops, origin, pe) = designs(args)?;
    let y = Yosys::locate(args.yosys.as_deref())?;
    let root = match &args.work_dir {
        Some(d) => d.clone(),
        None => work_root()?,
    };
    let mut reports = Vec::new();
    let mut cache = Cache::new();
    for d in &tops {
        let gates = if args.target == Target::Generic {
            None
        } else {
            // Every target reports transistors: the generic flow first (its
            // per-module figures are cached on disk, see generic_module).
            let g = synthesize(&y, d, Target::Generic, &root.join(&d.top).join("generic"), &mut cache, None)?;
            Some(g.blocks.iter().map(|b| (b.name.clone(), b.per.transistors)).collect::<BTreeMap<_, _>>())
        };
        let work = root.join(&d.top).join(args.target.name());
        reports.push(synthesize(&y, d, args.target, &work, &mut cache, gates.as_ref())?);
    }
    let reference = match &pe {
        Some(pe) => Some(pe_reference(&y, &tops, pe, &root.join("pe_reference"), &mut cache)?),
        None => None,
    };
    let v = report_json(args.target, &origin, &y, &reports, reference.as_ref());
    if args.work_dir.is_none() {
        // Everything succeeded: the working files are of no further use.
        let _ = std::fs::remove_dir_all(&root);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_tables(args.target, &origin, &y, &reports, reference.as_ref());
    }
    Ok(())
}

fn block_json(t: Target, b: &Block, top: Option<&str>) -> Value {
    let mut v = b.total.json(t);
    let o = v.as_object_mut().expect("object");
    o.insert("name".into(), json!(b.name));
    o.insert("instances".into(), json!(b.instances));
    o.insert("per_instance".into(), b.per.json(t));
    if let Some(top) = top {
        o.insert("top".into(), json!(top));
    }
    v
}

fn report_json(t: Target, origin: &str, y: &Yosys, reports: &[TopReport], reference: Option<&Value>) -> Value {
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
            "totals": r.totals.json(t),
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
        "totals": totals.json(t),
        "pe_reference": reference.cloned().unwrap_or(Value::Null),
    })
}

/// 12345 -> "12,345".
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn print_tables(t: Target, origin: &str, y: &Yosys, reports: &[TopReport], reference: Option<&Value>) {
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

    #[test]
    fn names_and_numbers() {
        assert_eq!(kind_of("serrano_tile_r4c4_d256"), "tile");
        assert_eq!(kind_of("serrano_dma_d64_a32"), "dma");
        assert_eq!(thousands(8434), "8,434");
        assert_eq!(thousands(123), "123");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn finds_the_file_declaring_a_module() {
        let d = TopDesign {
            kind: "t".into(),
            top: "top".into(),
            files: vec![
                ("a.v".into(), "// module b_x is not here\nmodule b_x2 (\n);\nendmodule\n".into()),
                ("b.v".into(), "`default_nettype none\n\nmodule b_x (\n    input wire a\n);\nendmodule\n".into()),
            ],
        };
        assert_eq!(file_declaring(&d, "b_x").unwrap().0, "b.v");
        assert_eq!(file_declaring(&d, "b_x2").unwrap().0, "a.v");
        assert!(file_declaring(&d, "b").is_err());
    }
}
