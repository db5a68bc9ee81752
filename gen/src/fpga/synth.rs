//! Synthesis for `serrano fpga`: the Yosys script (`synth_ice40` or
//! `synth_ecp5`, leaf multipliers kept apart or flattened), and the retries
//! that fit the multipliers to the device's DSPs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use super::device::{DeviceInfo, Family};
use super::parse::{count, yosys_cells};
use super::{MulHierarchy, MUL_PREFIX};
use crate::yosys::{Yosys, YosysLog};

/// The Yosys script: read every file, (optionally) keep the leaf multipliers
/// as their own modules, synthesize for the family and print the cell counts.
/// `soft` lists leaf multiplier instances (flattened cell names, from
/// [`mul_instances`]) to keep out of the DSPs: their `$mul` becomes
/// `$__soft_mul`, the type synth_ice40 and synth_ecp5 themselves give a
/// multiplier they leave to the LUTs (turned back into `$mul` right after DSP mapping).
#[allow(clippy::too_many_arguments)]
fn yosys_script(
    family: Family,
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

/// The flattened names (`top/path.to.u_mul`) of every leaf multiplier instance.
fn mul_instances(dir: &Path, files: &[String], top: &str, yosys: &Yosys) -> Result<Vec<String>> {
    let mut s = read_design(files, top);
    s += &flatten_to_mul_instances(top);
    s += &format!("tee -q -o muls.txt select -list {top}/t:{MUL_PREFIX}*\n");
    yosys.run(dir, "list_muls", &s, YosysLog::Console("yosys.list_muls.log"))?;
    let text = std::fs::read_to_string(dir.join("muls.txt")).context("yosys wrote no muls.txt")?;
    let mut cells: Vec<String> = text.lines().map(str::trim).filter(|l| l.contains('/')).map(String::from).collect();
    cells.sort();
    Ok(cells)
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

/// Synthesize `top` from `files` in `dir` for `dev`: with `-dsp` where the
/// device has DSPs, and, when its multipliers outnumber them, again with
/// the rest in LUTs (or, failing that, all of them).
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
        let script = yosys_script(dev.family, files, top, &json_name, use_dsp, &keep_mul, muls, &soft);
        yosys.run(dir, "synth", &script, YosysLog::Console("yosys.log"))?;
        let stat = std::fs::read_to_string(dir.join("stat.txt")).context("yosys wrote no stat.txt")?;
        let cells = yosys_cells(&stat);
        let dsp_cell = dev.tools().dsp_cell;
        let macs = count(&cells, dsp_cell);
        if use_dsp && macs > dev.dsp {
            // Map as many leaf multipliers (one DSP each) as the device
            // has DSPs left over from any other multiplier; the rest to LUTs.
            let instances = if soft.is_empty() { mul_instances(dir, files, top, yosys)? } else { Vec::new() };
            let n = instances.len() as u64;
            let other = macs.saturating_sub(n);
            if soft.is_empty() && n > 0 && other < dev.dsp {
                let to_luts = (n - (dev.dsp - other)) as usize;
                soft = instances[instances.len() - to_luts..].to_vec();
                dsp_note = Some(format!(
                    "the design has {n} multipliers and the {} {} {dsp_cell}: {} mapped to {dsp_cell}, {to_luts} to LUTs",
                    dev.name,
                    dev.dsp,
                    n as usize - to_luts
                ));
                continue;
            }
            dsp_note = Some(format!(
                "the design needs {macs} {dsp_cell} but the {} has {}: synthesized without DSPs (multipliers in LUTs)",
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
    fn soft_multipliers_get_a_copy_with_the_multiply_marked_soft() {
        let files = vec!["a.v".to_string()];
        let muls = vec!["serrano_mul_s8x8".to_string()];
        let soft = vec!["top/core.u_array.pe_r1_c1.u_mul".to_string()];
        let s = yosys_script(Family::Ice40, &files, "top", "top.json", true, &[], &muls, &soft);
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
        let plain = yosys_script(Family::Ice40, &files, "top", "top.json", true, &[], &muls, &[]);
        assert!(!plain.contains("chtype") && !plain.contains("flatten"), "{plain}");
        // ECP5 maps to MULT18X18D unless told not to.
        let ecp5 = yosys_script(Family::Ecp5, &files, "top", "top.json", true, &[], &muls, &[]);
        assert!(ecp5.contains("synth_ecp5 -top top -json top.json"), "{ecp5}");
        let nodsp = yosys_script(Family::Ecp5, &files, "top", "top.json", false, &[], &muls, &[]);
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
