//! `serrano fpga`: put one generated top on an iCE40 through the open flow
//! (Yosys `synth_ice40`, `nextpnr-ice40`, `icepack`) inside the board top of
//! `hdl::board`, and report utilization, Fmax per placement seed and
//! the critical path.

pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;
use hdl::board::{board, Board};
use hdl::core::{emit, Dir, EmitOptions, Module};
use serde_json::{json, Value};

use crate::error::UsageError;
use crate::fpga::report::{CriticalPath, Usage};
use crate::presets::ConfigArgs;
use crate::verilog::GENERATOR;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// iCE40-HX8K-CT256 (the iCE40-HX8K Breakout Board)
    Hx8k,
    /// iCE40UP5K-SG48 (e.g. the iCEBreaker board)
    Up5k,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TopKind {
    /// the systolic tile
    Tile,
    /// the softmax unit
    Softmax,
    /// the DMA engines
    Dma,
}

/// Leaf arithmetic modules: their names start with this.
const MUL_PREFIX: &str = "serrano_mul_";

/// How the leaf arithmetic modules (`serrano_mul_*`) are treated by synth_ice40.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MulHierarchy {
    /// flatten: since the PE registers its product, keeping the multiplier apart saves nothing (docs/fpga.md)
    Auto,
    /// flatten everything (the multiplier merges into its parent's logic)
    Flatten,
    /// keep every `serrano_mul_*` module as its own hierarchy (keep_hierarchy) during synthesis
    Keep,
}

#[derive(clap::Args, Debug)]
pub struct FpgaArgs {
    #[command(flatten)]
    pub source: ConfigArgs,
    /// Target device (and board pinout).
    #[arg(long, value_enum)]
    pub device: Device,
    /// Which generated top to wrap.
    #[arg(long, value_enum, default_value = "tile")]
    pub top: TopKind,
    /// One placement seed.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Placement seeds, comma separated: nextpnr runs once per seed [default: 1,2,3,4].
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Target clock frequency for nextpnr, in MHz.
    #[arg(long, default_value_t = 100.0)]
    pub freq: f64,
    /// Output directory [default: target/fpga/<preset or config stem>-<device>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Leaf multipliers (`serrano_mul_*`): flatten into their parents, or keep as their own hierarchy in synthesis.
    #[arg(long, value_enum, default_value = "auto")]
    pub mul_hierarchy: MulHierarchy,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A device: nextpnr flags, the board's clock pin and the free pins for the wrapper.
pub struct DeviceInfo {
    pub name: &'static str,
    pub part: &'static str,
    pub board: &'static str,
    pub nextpnr_args: [&'static str; 3],
    pub clock_pin: &'static str,
    /// Free I/O pins on the board's headers, in the order the wrapper's pins take them.
    pub pins: &'static [&'static str],
    /// Hard multipliers (SB_MAC16) on the device.
    pub dsp: u64,
}

// iCE40-HX8K Breakout Board: the 12 MHz oscillator is on J3 (YosysHQ/icestorm
// examples/hx8kboard/hx8kboard.pcf: `set_io clk J3`). The I/O pins are the
// bank-2 header rows "T1 R2 R3 T5 T6 T7 T9 P8 T10 T11 N10 N12 T13 T15 R16" and
// "T2 T3 R4 R5 R6 T8" of the board's header map (the "iCE40HX-8K Breakout
// Board PCF" header diagram), none of them shared with the LEDs (B5 B4 A2 A1
// C5 C4 B3 C3) or the FTDI UART (B10 B12).
const HX8K_PINS: &[&str] = &[
    "T1", "R2", "R3", "T5", "T6", "T7", "T9", "P8", "T10", "T11", "N10", "N12", "T13", "T15", "R16", "T2", "T3", "R4",
    "R5", "R6", "T8",
];

// iCEBreaker (iCE40UP5K-SG48): 12 MHz clock on pin 35; PMOD 1A = 4 2 47 45 /
// 3 48 46 44, PMOD 1B = 43 38 34 31 / 42 36 32 28, PMOD 2 = 27 25 21 19 / 26
// 23 20 18 (YosysHQ/icestorm examples/icebreaker/icebreaker.pcf). PMOD 2
// last: on the board it carries the snap-off LEDs and buttons.
const UP5K_PINS: &[&str] = &[
    "4", "2", "47", "45", "3", "48", "46", "44", "43", "38", "34", "31", "42", "36", "32", "28", "27", "25", "21",
    "19", "26", "23", "20", "18",
];

pub fn device_info(d: Device) -> DeviceInfo {
    match d {
        Device::Hx8k => DeviceInfo {
            name: "hx8k",
            part: "iCE40HX8K-CT256",
            board: "iCE40-HX8K Breakout Board",
            nextpnr_args: ["--hx8k", "--package", "ct256"],
            clock_pin: "J3",
            pins: HX8K_PINS,
            dsp: 0,
        },
        Device::Up5k => DeviceInfo {
            name: "up5k",
            part: "iCE40UP5K-SG48",
            board: "iCEBreaker",
            nextpnr_args: ["--up5k", "--package", "sg48"],
            clock_pin: "35",
            pins: UP5K_PINS,
            dsp: 8,
        },
    }
}

/// The PCF for a board top: `clk` on the clock pin, every other port bit on
/// the next free pin. Fails (a usage error) if the board has too few pins.
pub fn pcf(top: &Module, dev: &DeviceInfo) -> Result<String> {
    let mut s = format!("# {} on the {} ({}), generated by {GENERATOR}\n", top.name(), dev.board, dev.part);
    let mut free = dev.pins.iter();
    let mut need = 0;
    let mut lines = Vec::new();
    for p in top.ports() {
        let dir = if p.dir == Dir::Input { "in" } else { "out" };
        if p.name == hdl::core::CLOCK {
            lines.push(format!("set_io {} {}  # in, 12 MHz oscillator", p.name, dev.clock_pin));
            continue;
        }
        for b in 0..p.ty.width() {
            need += 1;
            let name = if p.ty.width() == 1 { p.name.clone() } else { format!("{}[{b}]", p.name) };
            if let Some(pin) = free.next() {
                lines.push(format!("set_io {name} {pin}  # {dir}"));
            }
        }
    }
    if need > dev.pins.len() {
        return Err(UsageError(format!(
            "{} does not fit the {}: its board top needs {need} I/O pins besides the clock, the board has {} free",
            top.name(),
            dev.board,
            dev.pins.len()
        ))
        .into());
    }
    for l in lines {
        s += &l;
        s.push('\n');
    }
    Ok(s)
}

fn tool(env: &str, default: &str) -> String {
    std::env::var(env).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// Run a tool, writing its stdout and stderr to `log`; a missing tool or a failure is an error.
fn run_tool(cmd: &mut Command, env: &str, log: &Path) -> Result<String> {
    let prog = cmd.get_program().to_string_lossy().to_string();
    let out = cmd
        .output()
        .map_err(|e| anyhow!("cannot run {prog} ({e}): install it with scripts/setup.sh, or point {env} at it"))?;
    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
    text += &String::from_utf8_lossy(&out.stderr);
    std::fs::write(log, &text).with_context(|| format!("cannot write {}", log.display()))?;
    if !out.status.success() {
        return Err(ToolFailed { prog, log: log.to_path_buf(), text }.into());
    }
    Ok(text)
}

#[derive(Debug)]
struct ToolFailed {
    prog: String,
    log: PathBuf,
    text: String,
}

impl std::fmt::Display for ToolFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors: Vec<&str> = self.text.lines().filter(|l| l.contains("ERROR")).take(3).collect();
        write!(f, "{} failed (log: {}): {}", self.prog, self.log.display(), errors.join(" / "))
    }
}

impl std::error::Error for ToolFailed {}

fn version(prog: &str, arg: &str) -> String {
    Command::new(prog)
        .arg(arg)
        .output()
        .ok()
        .map(|o| {
            let t = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
            t.lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_default()
}

/// The Yosys script: read every file, (optionally) keep the leaf multipliers
/// as their own modules, synthesize for iCE40 and print the cell counts.
/// `soft` lists leaf multiplier instances (flattened cell names, from
/// [`mul_instances`]) to keep out of the DSPs: their `$mul` becomes
/// `$__soft_mul`, the type synth_ice40 itself gives a multiplier it leaves to
/// the LUTs (it turns it back into `$mul` right after DSP mapping).
fn yosys_script(
    files: &[String],
    top: &str,
    json_out: &str,
    dsp: bool,
    keep_mul: &[String],
    muls: &[String],
    soft: &[String],
) -> String {
    let mut s = read_design(files, top);
    if !soft.is_empty() {
        s += &flatten_to_mul_instances(top);
        for m in muls {
            // A copy of the multiplier whose multiply is marked soft...
            s += &format!("copy {m} {m}_soft\nchtype -set $__soft_mul {m}_soft/t:$mul\n");
        }
        for cell in soft {
            // ...for each instance that stays out of the DSPs.
            for m in muls {
                s += &format!("chtype -map {m} {m}_soft {cell}\n");
            }
        }
        s += "setattr -mod -unset keep_hierarchy *\n";
    }
    for m in keep_mul {
        s += &format!("setattr -mod -set keep_hierarchy 1 {m}\n");
    }
    let dsp = if dsp { " -dsp" } else { "" };
    s += &format!("synth_ice40 -top {top}{dsp} -json {json_out}\n");
    // With kept multipliers the design is hierarchical; -top flattens the
    // count into one figure for the whole design.
    s += &format!("tee -o stat.txt stat -top {top}\n");
    s
}

/// Script lines that flatten everything but the leaf multipliers, so each
/// multiplier instance is a cell of the top (named by its hierarchy path).
fn flatten_to_mul_instances(top: &str) -> String {
    format!("proc\nsetattr -mod -set keep_hierarchy 1 {MUL_PREFIX}*\nflatten {top}\n")
}

/// Script lines that read every file and elaborate `top`.
fn read_design(files: &[String], top: &str) -> String {
    let mut s: String = files.iter().map(|f| format!("read_verilog {f}\n")).collect();
    s += &format!("hierarchy -check -top {top}\n");
    s
}

/// Write `script` to `<name>.ys` in `dir` and run Yosys on it, logging to
/// `yosys.log` (the synthesis) or `yosys.<name>.log`.
fn run_yosys(dir: &Path, yosys: &str, name: &str, script: &str) -> Result<()> {
    let file = format!("{name}.ys");
    std::fs::write(dir.join(&file), script)?;
    let log = if name == "synth" { "yosys.log".to_string() } else { format!("yosys.{name}.log") };
    run_tool(Command::new(yosys).current_dir(dir).args(["-q", "-s", &file]), "SERRANO_YOSYS", &dir.join(log))?;
    Ok(())
}

/// The flattened names (`top/path.to.u_mul`) of every leaf multiplier instance.
fn mul_instances(dir: &Path, files: &[String], top: &str, yosys: &str) -> Result<Vec<String>> {
    let mut s = read_design(files, top);
    s += &flatten_to_mul_instances(top);
    s += &format!("tee -q -o muls.txt select -list {top}/t:{MUL_PREFIX}*\n");
    run_yosys(dir, yosys, "list_muls", &s)?;
    let text = std::fs::read_to_string(dir.join("muls.txt")).context("yosys wrote no muls.txt")?;
    let mut cells: Vec<String> = text.lines().map(str::trim).filter(|l| l.contains('/')).map(String::from).collect();
    cells.sort();
    Ok(cells)
}

/// Every module in `top`'s hierarchy whose name starts with `prefix`.
fn modules_named(files: &[hdl::core::VerilogFile], prefix: &str) -> Vec<String> {
    files.iter().map(|f| f.module.clone()).filter(|m| m.starts_with(prefix)).collect()
}

struct Synth {
    cells: Vec<(String, u64)>,
    json: PathBuf,
    dsp_note: Option<String>,
    /// The modules kept as their own hierarchy.
    kept: Vec<String>,
    seconds: f64,
}

fn synthesize(
    dir: &Path,
    files: &[String],
    top: &str,
    dev: &DeviceInfo,
    mul: MulHierarchy,
    muls: &[String],
    yosys: &str,
) -> Result<Synth> {
    let t = Instant::now();
    let json_name = format!("{top}.json");
    let mut use_dsp = dev.dsp > 0;
    let mut dsp_note = None;
    // Leaf multiplier instances kept out of the DSPs when there are more
    // multipliers than DSPs.
    let mut soft: Vec<String> = Vec::new();
    loop {
        // `auto` is `flatten`: with the PE's registered product, keeping the
        // multiplier apart saves nothing (docs/fpga.md).
        let keep = mul == MulHierarchy::Keep;
        let keep_mul: Vec<String> = if keep { muls.to_vec() } else { Vec::new() };
        let script = yosys_script(files, top, &json_name, use_dsp, &keep_mul, muls, &soft);
        run_yosys(dir, yosys, "synth", &script)?;
        let stat = std::fs::read_to_string(dir.join("stat.txt")).context("yosys wrote no stat.txt")?;
        let cells = report::yosys_cells(&stat);
        let macs = report::count(&cells, "SB_MAC16");
        if use_dsp && macs > dev.dsp {
            // Map as many leaf multipliers (one SB_MAC16 each) as the device
            // has DSPs left over from any other multiplier; the rest to LUTs.
            let instances = if soft.is_empty() { mul_instances(dir, files, top, yosys)? } else { Vec::new() };
            let n = instances.len() as u64;
            let other = macs.saturating_sub(n);
            if soft.is_empty() && n > 0 && other < dev.dsp {
                let to_luts = (n - (dev.dsp - other)) as usize;
                soft = instances[instances.len() - to_luts..].to_vec();
                dsp_note = Some(format!(
                    "the design has {n} multipliers and the {} {} SB_MAC16: {} mapped to SB_MAC16, {to_luts} to LUTs",
                    dev.name,
                    dev.dsp,
                    n as usize - to_luts
                ));
                continue;
            }
            dsp_note = Some(format!(
                "the design needs {macs} SB_MAC16 but the {} has {}: synthesized without -dsp (multipliers in LUTs)",
                dev.name, dev.dsp
            ));
            soft.clear();
            use_dsp = false;
            continue;
        }
        return Ok(Synth {
            cells,
            json: dir.join(json_name),
            dsp_note,
            kept: keep_mul,
            seconds: t.elapsed().as_secs_f64(),
        });
    }
}

struct SeedRun {
    seed: u64,
    fmax_mhz: f64,
    pass: bool,
    seconds: f64,
    log: String,
    asc: PathBuf,
}

pub fn run(a: FpgaArgs) -> Result<()> {
    if !(a.freq.is_finite() && a.freq > 0.0 && a.freq <= 1000.0) {
        return Err(
            UsageError(format!("--freq {}: must be a frequency in MHz, above 0 and at most 1000", a.freq)).into()
        );
    }
    let seeds: Vec<u64> = match (&a.seed, &a.seeds) {
        (Some(s), _) => vec![*s],
        (None, Some(v)) if v.is_empty() => return Err(UsageError("--seeds: give at least one seed".into()).into()),
        (None, Some(v)) => v.clone(),
        (None, None) => vec![1, 2, 3, 4],
    };
    let (cfg, origin, stem) = a.source.resolve()?;
    let dev = device_info(a.device);
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("target/fpga").join(format!("{stem}-{}", dev.name)));
    let tops = hdl::blocks::tops(&cfg).map_err(|e| anyhow!("elaboration failed: {e}"))?;
    // hdl::blocks::tops gives the tile, the softmax unit and the DMA, in that order.
    let idx = match a.top {
        TopKind::Tile => 0,
        TopKind::Softmax => 1,
        TopKind::Dma => 2,
    };
    let dut = tops.get(idx).ok_or_else(|| anyhow!("the configuration has no {:?} top", a.top))?;
    let b = board(dut).map_err(|e| anyhow!("cannot build the board top: {e}"))?;
    let result = implement(&b, dut, &dev, &seeds, a.freq, &out, a.mul_hierarchy, &origin)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print_table(&result);
    }
    if result["fits"] == json!(false) {
        return Err(anyhow!("{}", result["error"].as_str().unwrap_or("does not fit")));
    }
    Ok(())
}

/// Synthesize, place and route `b` on `dev` for every seed, pack the best, and gather the figures.
#[allow(clippy::too_many_arguments)]
fn implement(
    b: &Board,
    dut: &Module,
    dev: &DeviceInfo,
    seeds: &[u64],
    freq: f64,
    out: &Path,
    mul: MulHierarchy,
    origin: &str,
) -> Result<Value> {
    let yosys = tool("SERRANO_YOSYS", "yosys");
    let nextpnr = tool("SERRANO_NEXTPNR", "nextpnr-ice40");
    let icepack = tool("SERRANO_ICEPACK", "icepack");
    let top_name = b.top.name().to_string();
    let pcf_text = pcf(&b.top, dev)?;

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    // Outputs of an earlier run (another seed list or top) must not be mistaken for this one's.
    for entry in std::fs::read_dir(out)? {
        let p = entry?.path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ["asc", "bin", "json", "pcf", "log", "ys", "txt"].contains(&ext) {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    let rtl = out.join("rtl");
    if rtl.exists() {
        std::fs::remove_dir_all(&rtl).with_context(|| format!("cannot clear {}", rtl.display()))?;
    }
    std::fs::create_dir_all(&rtl)?;
    let opts = EmitOptions {
        header: vec![format!("Generated by {GENERATOR} from {origin} for the {}. Do not edit.", dev.board)],
    };
    let files = emit(&b.top, &opts).map_err(|e| anyhow!("emission failed: {e}"))?;
    let mut paths = Vec::new();
    for f in &files {
        std::fs::write(rtl.join(&f.file_name), &f.text)?;
        paths.push(format!("rtl/{}", f.file_name));
    }
    let pcf_name = format!("{top_name}.pcf");
    std::fs::write(out.join(&pcf_name), &pcf_text)?;

    let muls = modules_named(&files, MUL_PREFIX);
    let synth = synthesize(out, &paths, &top_name, dev, mul, &muls, &yosys)?;

    let mut runs: Vec<SeedRun> = Vec::new();
    let mut util: Vec<(String, Usage)> = Vec::new();
    let mut does_not_fit: Option<String> = None;
    for &seed in seeds {
        let t = Instant::now();
        let asc = out.join(format!("{top_name}.seed{seed}.asc"));
        let log_path = out.join(format!("nextpnr.seed{seed}.log"));
        let mut cmd = Command::new(&nextpnr);
        cmd.current_dir(out)
            .args(dev.nextpnr_args)
            .args(["--json", &synth.json.file_name().unwrap_or_default().to_string_lossy()])
            .args(["--pcf", &pcf_name])
            .args(["--asc", &asc.file_name().unwrap_or_default().to_string_lossy()])
            .args(["--freq", &format!("{freq}")])
            .args(["--seed", &seed.to_string()])
            .arg("--timing-allow-fail");
        let log = match run_tool(&mut cmd, "SERRANO_NEXTPNR", &log_path) {
            Ok(l) => l,
            Err(e) => {
                let text = e.downcast_ref::<ToolFailed>().map(|t| t.text.clone()).unwrap_or_default();
                let u = report::utilisation(&text);
                if let Some((name, over)) = u.iter().find(|(_, u)| u.used > u.total) {
                    does_not_fit =
                        Some(format!("does not fit: needs {} of {} {name} on the {}", over.used, over.total, dev.part));
                    util = u;
                    break;
                }
                return Err(e);
            }
        };
        util = report::utilisation(&log);
        let (_, fmax_mhz, pass) = report::fmax(&log, "clk")
            .ok_or_else(|| anyhow!("nextpnr reported no Fmax for the clock (log: {})", log_path.display()))?;
        runs.push(SeedRun { seed, fmax_mhz, pass, seconds: t.elapsed().as_secs_f64(), log, asc });
    }

    let used = |k: &str| util.iter().find(|(n, _)| n == k).map(|(_, u)| u.clone());
    let usage_json = |k: &str| match used(k) {
        Some(u) => json!({ "used": u.used, "total": u.total, "percent": pct(u.used, u.total) }),
        None => Value::Null,
    };
    let cells = &synth.cells;
    let mut v = json!({
        "generator": GENERATOR,
        "source": origin,
        "device": dev.name,
        "part": dev.part,
        "board": dev.board,
        "dut": dut.name(),
        "board_top": top_name,
        "out": out.display().to_string(),
        "freq_target_mhz": freq,
        "mul_hierarchy": if synth.kept.is_empty() { "flatten" } else { "keep" },
        "kept_modules": synth.kept,
        "lut_source": "SB_LUT4 cells after synth_ice40 (yosys stat, whole design including the board top)",
        "lut": report::count(cells, "SB_LUT4"),
        "ff": report::count(cells, "SB_DFF"),
        "carry": report::count(cells, "SB_CARRY"),
        "dsp": report::count(cells, "SB_MAC16"),
        "bram": report::count(cells, "SB_RAM40_4K"),
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
        "tools": {
            "yosys": version(&yosys, "-V"),
            "nextpnr": version(&nextpnr, "--version"),
            "icepack": icepack.clone(),
        },
    });
    if let Some(msg) = does_not_fit {
        v["fits"] = json!(false);
        v["error"] = json!(msg);
        return Ok(v);
    }
    let best =
        runs.iter().max_by(|x, y| x.fmax_mhz.total_cmp(&y.fmax_mhz)).ok_or_else(|| anyhow!("no placement seed ran"))?;
    let bin = out.join(format!("{top_name}.bin"));
    run_tool(Command::new(&icepack).arg(&best.asc).arg(&bin), "SERRANO_ICEPACK", &out.join("icepack.log"))?;
    let cp: Option<CriticalPath> = report::critical_path(&best.log, "clk");
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
    Ok(v)
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

fn print_table(v: &Value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_multipliers_get_a_copy_with_the_multiply_marked_soft() {
        let files = vec!["a.v".to_string()];
        let muls = vec!["serrano_mul_s8x8".to_string()];
        let soft = vec!["top/core.u_array.pe_r1_c1.u_mul".to_string()];
        let s = yosys_script(&files, "top", "top.json", true, &[], &muls, &soft);
        let lines: Vec<&str> = s.lines().collect();
        let at = |l: &str| lines.iter().position(|x| *x == l).unwrap_or_else(|| panic!("no {l:?} in:\n{s}"));
        // Flatten all but the multipliers, mark one instance's copy soft, then let everything flatten.
        assert!(at("flatten top") < at("copy serrano_mul_s8x8 serrano_mul_s8x8_soft"));
        assert!(
            at("chtype -set $__soft_mul serrano_mul_s8x8_soft/t:$mul") < at("synth_ice40 -top top -dsp -json top.json")
        );
        at("chtype -map serrano_mul_s8x8 serrano_mul_s8x8_soft top/core.u_array.pe_r1_c1.u_mul");
        assert!(at("setattr -mod -unset keep_hierarchy *") < at("synth_ice40 -top top -dsp -json top.json"));
        // Without soft instances the script is the plain flow.
        let plain = yosys_script(&files, "top", "top.json", true, &[], &muls, &[]);
        assert!(!plain.contains("chtype") && !plain.contains("flatten"), "{plain}");
    }

    #[test]
    fn pcf_has_one_pin_per_port_bit_on_the_package() {
        let cfg = golden::Config::from_file(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/tiny.toml")))
            .expect("tiny preset");
        let tops = hdl::blocks::tops(&cfg).expect("elaborates");
        for d in [Device::Hx8k, Device::Up5k] {
            let dev = device_info(d);
            let b = board(&tops[0]).expect("board top");
            let text = pcf(&b.top, &dev).expect("fits the pins");
            let lines: Vec<(&str, &str)> = text
                .lines()
                .filter(|l| l.starts_with("set_io"))
                .map(|l| {
                    let w: Vec<&str> = l.split_whitespace().collect();
                    (w[1], w[2])
                })
                .collect();
            let bits: u32 = b.top.ports().iter().map(|p| p.ty.width()).sum();
            assert_eq!(lines.len() as u32, bits, "{}: one set_io per port bit", dev.name);
            let mut pins: Vec<&str> = lines.iter().map(|(_, p)| *p).collect();
            pins.sort();
            pins.dedup();
            assert_eq!(pins.len(), lines.len(), "{}: no pin used twice", dev.name);
            assert!(lines.contains(&("clk", dev.clock_pin)));
            for (_, p) in &lines {
                assert!(*p == dev.clock_pin || dev.pins.contains(p), "{}: {p} is not a free header pin", dev.name);
            }
        }
    }

    #[test]
    fn too_many_pins_is_a_usage_error() {
        let mut m = Module::new("serrano_wide");
        let a = m.input("a", hdl::core::UInt(40)).unwrap();
        m.output("y", &a).unwrap();
        let e = pcf(&m, &device_info(Device::Up5k)).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some());
        assert!(e.to_string().contains("needs 80 I/O pins"), "{e}");
    }
}
