//! Synthesis for `serrano fpga`: the Yosys script (`synth_ice40` or
//! `synth_ecp5`, leaf multipliers kept apart or flattened), and the retries
//! that fit the multipliers to the device's DSPs (see `dspfit`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use super::device::{DeviceInfo, Family};
use super::dspfit::{self, Mul};
use super::parse::{count, yosys_cells};
use super::MulHierarchy;
use crate::yosys::{Yosys, YosysLog};

/// What a synthesis script starts from.
enum Input<'a> {
    /// The RTL, with these leaf multiplier modules kept as their own hierarchy.
    Rtl { files: &'a [String], keep: &'a [String] },
    /// The flattened checkpoint of [`dspfit::prep_script`], with these
    /// `$mul` cells typed `$__soft_mul`, so they go to LUTs.
    Checkpoint { soft: &'a [String] },
}

/// The Yosys script: read the design, synthesize it for the family and
/// print the cell counts.
fn yosys_script(family: Family, top: &str, json_out: &str, dsp: bool, input: &Input) -> String {
    let mut s = match input {
        Input::Rtl { files, keep } => {
            let mut s = read_design(files, top);
            for m in *keep {
                s += &format!("setattr -mod -set keep_hierarchy 1 {m}\n");
            }
            s
        }
        Input::Checkpoint { soft } => format!("read_rtlil {}\n{}", dspfit::CHECKPOINT, dspfit::soft_lines(top, soft)),
    };
    // synth_ice40 maps to DSPs only with -dsp; synth_ecp5 always, unless -nodsp.
    let (synth, dsp) = match (family, dsp) {
        (Family::Ice40, true) => ("synth_ice40", " -dsp"),
        (Family::Ice40, false) => ("synth_ice40", ""),
        (Family::Ecp5, true) => ("synth_ecp5", ""),
        (Family::Ecp5, false) => ("synth_ecp5", " -nodsp"),
    };
    s += &format!("{synth} -top {top}{dsp} -json {json_out}\n");
    // With kept multipliers the design is hierarchical; -top flattens the
    // count into one figure for the whole design.
    s += &format!("tee -o stat.txt stat -top {top}\n");
    s
}

/// Script lines that read every file and elaborate `top`.
fn read_design(files: &[String], top: &str) -> String {
    let mut s: String = files.iter().map(|f| format!("read_verilog {f}\n")).collect();
    s += &format!("hierarchy -check -top {top}\n");
    s
}

/// Every module in `top`'s hierarchy whose name starts with `prefix`.
pub fn modules_named(files: &[hdl::core::VerilogFile], prefix: &str) -> Vec<String> {
    files.iter().map(|f| f.module.clone()).filter(|m| m.starts_with(prefix)).collect()
}

/// What synthesis gave: the cell counts, the netlist for nextpnr, and how multipliers were mapped.
pub struct Synth {
    pub cells: Vec<(String, u64)>,
    pub json: PathBuf,
    pub dsp_note: Option<String>,
    /// The modules kept as their own hierarchy.
    pub kept: Vec<String>,
    pub seconds: f64,
}

/// What the synthesis runs of one design share: the folder, the top, the device and the Yosys.
struct Run<'a> {
    dir: &'a Path,
    top: &'a str,
    dev: &'a DeviceInfo,
    json_name: String,
    yosys: &'a Yosys,
}

impl Run<'_> {
    /// Synthesize from `input`, with or without DSPs: the cell counts.
    fn synth(&self, dsp: bool, input: &Input) -> Result<Vec<(String, u64)>> {
        let script = yosys_script(self.dev.family, self.top, &self.json_name, dsp, input);
        self.yosys.run(self.dir, "synth", &script, YosysLog::Console("yosys.log"))?;
        let stat = std::fs::read_to_string(self.dir.join("stat.txt")).context("yosys wrote no stat.txt")?;
        Ok(yosys_cells(&stat))
    }

    /// The DSP cells among `cells`.
    fn dsps(&self, cells: &[(String, u64)]) -> u64 {
        count(cells, self.dev.tools().dsp_cell)
    }
}

/// Synthesize `top` from `files` in `dir` for `dev`: with DSPs where the
/// device has them, and, when the design needs more than it has, again
/// with the multipliers that save the fewest LUTs per DSP in LUTs (or,
/// failing that, all of them).
pub fn synthesize(
    dir: &Path,
    files: &[String],
    top: &str,
    dev: &DeviceInfo,
    mul: MulHierarchy,
    muls: &[String],
    yosys: &Yosys,
) -> Result<Synth> {
    let t = Instant::now();
    let run = Run { dir, top, dev, json_name: format!("{top}.json"), yosys };
    // `auto` is `flatten`: with the PE's registered product, keeping the
    // multiplier apart saves nothing (docs/fpga.md).
    let keep: Vec<String> = if mul == MulHierarchy::Keep { muls.to_vec() } else { Vec::new() };
    let use_dsp = dev.dsp > 0;
    let mut cells = run.synth(use_dsp, &Input::Rtl { files, keep: &keep })?;
    let mut kept = keep.clone();
    let mut dsp_note = None;
    let needed = run.dsps(&cells);
    if use_dsp && needed > dev.dsp {
        // Fitting flattens everything: DSP packing must see each multiply with its neighbours anyway.
        kept.clear();
        let (c, note) = fit(&run, files, needed)?;
        cells = c;
        dsp_note = Some(note);
    }
    Ok(Synth { cells, json: dir.join(run.json_name), dsp_note, kept, seconds: t.elapsed().as_secs_f64() })
}

/// Attempts at fitting the multipliers before giving the DSPs up: each
/// one that overshoots lowers the budget by the excess.
const FIT_ATTEMPTS: usize = 3;

/// Synthesize again with only as many multipliers in DSPs as the device
/// has (the design needed `needed`), verified on the result; else without
/// DSPs. The cell counts and the note that says what went where.
fn fit(run: &Run, files: &[String], needed: u64) -> Result<(Vec<(String, u64)>, String)> {
    let (dev, dir) = (run.dev, run.dir);
    let cell = dev.tools().dsp_cell;
    run.yosys.run(dir, "list_muls", &dspfit::prep_script(files, run.top), YosysLog::Console("yosys.list_muls.log"))?;
    let listing = dir.join(dspfit::LISTING);
    let text = std::fs::read_to_string(&listing).context("yosys wrote no multiplier listing")?;
    let muls: Vec<Mul> = dspfit::parse_listing(&text).with_context(|| format!("in {}", listing.display()))?;
    let shape = dspfit::shape(dev.family);
    let mut budget = dev.dsp;
    for _ in 0..FIT_ATTEMPTS {
        let choice = dspfit::choose(&muls, &shape, budget);
        let cells = run.synth(true, &Input::Checkpoint { soft: &choice.soft })?;
        let used = run.dsps(&cells);
        if used <= dev.dsp {
            let small = match choice.small {
                0 => String::new(),
                n => format!(", too small for a DSP {n}"),
            };
            // Counts after colons: the note reads the same for one multiplier as for many.
            let note = format!(
                "the design's multipliers ({}) need {needed} {cell}, the {} has {}: to {cell} {} (those that save \
                 the most LUTs; {used} {cell} used), to LUTs {}{small}",
                muls.len(),
                dev.name,
                dev.dsp,
                choice.hard.len(),
                choice.soft.len(),
            );
            return Ok((cells, note));
        }
        // The model undercounted: give the excess back and choose again.
        budget = budget.saturating_sub(used - dev.dsp);
    }
    let cells = run.synth(false, &Input::Checkpoint { soft: &[] })?;
    let note = format!(
        "the design needs {needed} {cell} but the {} has {}, and {FIT_ATTEMPTS} attempts at moving some \
         multipliers to LUTs still overshot: synthesized without DSPs (multipliers in LUTs)",
        dev.name, dev.dsp
    );
    Ok((cells, note))
}

/// What the board top adds around the DUT, as synthesized: its cells
/// (`family`'s LUT4s, flip-flops, carry cells) with the DUT a black box.
pub struct Harness {
    pub cells: Vec<(String, u64)>,
}

/// The Yosys script that synthesizes the board top `top` with the module
/// `dut` as a black box: only the harness's own logic is left to count.
/// The DUT's inputs are kept, as a black box's are, so this counts every
/// input register; in the whole design synthesis may drop the registers of
/// DUT inputs the DUT ignores (docs/fpga.md).
fn harness_script(family: Family, files: &[String], top: &str, dut: &str) -> String {
    let mut s = read_design(files, top);
    // The DUT's submodules go with it: the second `hierarchy` drops every module `top` no longer uses.
    s += &format!("blackbox {dut}\nhierarchy -top {top}\n");
    let synth = match family {
        Family::Ice40 => "synth_ice40",
        Family::Ecp5 => "synth_ecp5",
    };
    s += &format!("{synth} -top {top}\ntee -o harness_stat.txt stat -top {top}\n");
    s
}

/// Synthesize the board top `top` around the black-boxed `dut` in `dir` (see [`harness_script`]).
pub fn harness(dir: &Path, files: &[String], top: &str, dut: &str, family: Family, yosys: &Yosys) -> Result<Harness> {
    let script = harness_script(family, files, top, dut);
    yosys.run(dir, "harness", &script, YosysLog::Console("yosys.harness.log"))?;
    let stat = std::fs::read_to_string(dir.join("harness_stat.txt")).context("yosys wrote no harness_stat.txt")?;
    Ok(Harness { cells: yosys_cells(&stat) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fitting_synthesis_marks_the_soft_multipliers_in_the_checkpoint() {
        let files = vec!["a.v".to_string()];
        let soft = vec!["$flatten\\core.\\u_array.\\pe_r1_c1.$mul$rtl/serrano_pe.v:40$12".to_string()];
        let s = yosys_script(Family::Ice40, "top", "top.json", true, &Input::Checkpoint { soft: &soft });
        let lines: Vec<&str> = s.lines().collect();
        let at = |l: &str| lines.iter().position(|x| *x == l).unwrap_or_else(|| panic!("no {l:?} in:\n{s}"));
        // Read the checkpoint, mark the cell (checked to exist), then synthesize.
        let sel = "top/$flatten\\\\core.\\\\u_array.\\\\pe_r1_c1.$mul$rtl/serrano_pe.v:40$12";
        assert!(at("read_rtlil muls.il") < at(&format!("select -assert-count 1 {sel}")));
        assert!(at(&format!("chtype -set $__soft_mul {sel}")) < at("synth_ice40 -top top -dsp -json top.json"));
        assert!(!s.contains("read_verilog"), "{s}");
        // From the RTL the script is the plain flow.
        let plain = yosys_script(Family::Ice40, "top", "top.json", true, &Input::Rtl { files: &files, keep: &[] });
        assert!(!plain.contains("chtype") && !plain.contains("flatten"), "{plain}");
        let keep = vec!["serrano_mul_s8x8".to_string()];
        let kept = yosys_script(Family::Ice40, "top", "top.json", true, &Input::Rtl { files: &files, keep: &keep });
        assert!(kept.contains("setattr -mod -set keep_hierarchy 1 serrano_mul_s8x8\nsynth_ice40"), "{kept}");
        // ECP5 maps to MULT18X18D unless told not to.
        let ecp5 = yosys_script(Family::Ecp5, "top", "top.json", true, &Input::Rtl { files: &files, keep: &[] });
        assert!(ecp5.contains("synth_ecp5 -top top -json top.json"), "{ecp5}");
        let nodsp = yosys_script(Family::Ecp5, "top", "top.json", false, &Input::Checkpoint { soft: &[] });
        assert!(nodsp.contains("synth_ecp5 -top top -nodsp -json top.json"), "{nodsp}");
    }

    #[test]
    fn the_harness_is_synthesized_with_the_dut_a_black_box() {
        let files = vec!["a.v".to_string(), "b.v".to_string()];
        let s = harness_script(Family::Ecp5, &files, "serrano_board_x", "serrano_x");
        let lines: Vec<&str> = s.lines().collect();
        let at = |l: &str| lines.iter().position(|x| *x == l).unwrap_or_else(|| panic!("no {l:?} in:\n{s}"));
        assert!(at("read_verilog b.v") < at("blackbox serrano_x"));
        assert!(at("blackbox serrano_x") < at("hierarchy -top serrano_board_x"));
        assert!(at("hierarchy -top serrano_board_x") < at("synth_ecp5 -top serrano_board_x"));
        at("tee -o harness_stat.txt stat -top serrano_board_x");
        assert!(harness_script(Family::Ice40, &files, "t", "d").contains("synth_ice40 -top t\n"));
    }
}
