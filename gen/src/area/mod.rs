//! `serrano area`: area estimates of the generated Verilog from Yosys (method
//! and meaning of every figure: docs/area.md).
//!
//! - `generic`: each distinct module synthesized once (never flattened) to
//!   CMOS gates, priced by `stat -tech cmos` in transistors and multiplied by
//!   its instance count; flip-flop and memory bits beside it.
//! - `xilinx` / `ice40`: `synth_xilinx` / `synth_ice40 -dsp`, hierarchical, with
//!   LUT, flip-flop, carry, DSP and block-RAM counts per module and in total.
//!
//! This file holds the arguments and the command's flow. The rest, in the
//! order a run uses it: `design` (which tops, which Verilog), `scripts` (the
//! Yosys scripts), `synth` (running them), `cache` (generic figures kept
//! between runs), `parse` (Yosys's `stat -json`), `figures` (cells into
//! figures) and `table` (JSON and tables).

mod cache;
mod design;
mod figures;
mod parse;
mod scripts;
mod synth;
pub mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;

use hdl::blocks::TopKind;

use crate::presets::ConfigArgs;
use crate::yosys::Yosys;
use cache::Cache;
use design::{designs, TopDesign};
use synth::synthesize;
use table::PeReference;

/// The hand-written reference cell the PE is compared with (a fixture, synthesized by the same script).
const REF_PE: &str = include_str!("../../fixtures/ref_pe_i8_acc32.v");
const REF_PE_TOP: &str = "ref_pe_i8_acc32";
/// The PE's gate estimate may cost at most this much more than the reference cell's.
pub const REF_PE_LIMIT: f64 = 1.1;
/// Modules whose names start with this are leaf arithmetic (an 8x8 multiplier):
/// flattened into their parent for FPGA mapping, so that DSP packing sees the
/// multiply, the add and the register together.
const LEAF_ARITHMETIC_PREFIX: &str = "serrano_mul_";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// A fresh working directory under the system's temporary directory.
fn work_root() -> Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("serrano-area-{}", std::process::id()));
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("cannot clear {}", root.display()))?;
    }
    Ok(root)
}

/// The PE against the hand-written reference cell, both by the generic script,
/// the PE with its submodules: transistors and flip-flops of each and the ratio.
fn pe_reference(y: &Yosys, tops: &[TopDesign], pe: &str, root: &Path, cache: &mut Cache) -> Result<PeReference> {
    let files = tops
        .iter()
        .find(|d| d.top_kind == Some(TopKind::Tile))
        .map(|d| d.files.clone())
        .ok_or_else(|| anyhow!("no tile top holds {pe}"))?;
    let pe_run = synthesize(
        y,
        &TopDesign { kind: "pe".into(), top_kind: None, top: pe.into(), files },
        Target::Generic,
        &root.join(pe),
        cache,
        None,
    )?;
    let ref_design = TopDesign {
        kind: "reference".into(),
        top_kind: None,
        top: REF_PE_TOP.into(),
        files: vec![(format!("{REF_PE_TOP}.v"), REF_PE.to_string())],
    };
    let ref_run = synthesize(y, &ref_design, Target::Generic, &root.join(REF_PE_TOP), cache, None)?;
    let (p, r) = (&pe_run.totals, &ref_run.totals);
    if r.transistors == 0 {
        return Err(anyhow!("the reference cell {REF_PE_TOP} synthesized to no gates"));
    }
    Ok(PeReference {
        module: pe.into(),
        pe_transistors: p.transistors,
        pe_ff: p.ff,
        reference: REF_PE_TOP.into(),
        reference_transistors: r.transistors,
        reference_ff: r.ff,
        ratio: p.transistors as f64 / r.transistors as f64,
        limit: REF_PE_LIMIT,
    })
}

pub fn run(args: &AreaArgs) -> Result<()> {
    let (tops, origin, pe) = designs(args)?;
    let y = Yosys::locate(args.yosys.as_deref())?;
    let root = match &args.work_dir {
        Some(d) => {
            crate::error::check_output_dir("--work-dir", d)?;
            d.clone()
        }
        None => work_root()?,
    };
    let mut reports = Vec::new();
    let mut cache = Cache::new();
    for d in &tops {
        let gates = if args.target == Target::Generic {
            None
        } else {
            // Every target reports transistors: the generic flow first (its
            // per-module figures are cached on disk, see `cache`).
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
    let v = table::report_json(args.target, &origin, &y, &reports, reference.clone());
    if args.work_dir.is_none() {
        // Everything succeeded: the working files are of no further use.
        let _ = std::fs::remove_dir_all(&root);
    }
    if args.json {
        // Through a `Value`, whose keys are sorted, as they always were.
        println!("{}", serde_json::to_string_pretty(&serde_json::to_value(&v)?)?);
    } else {
        table::print_tables(args.target, &origin, &y, &reports, reference.as_ref());
    }
    Ok(())
}
