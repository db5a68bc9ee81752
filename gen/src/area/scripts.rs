//! The Yosys scripts of `serrano area`, and filling them in. The comments are
//! kept in the script written next to each run's log, so they say why each
//! step is there to whoever reads that log.

use super::{Target, LEAF_ARITHMETIC_PREFIX};

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

/// Both FPGA targets take the same steps; `{target}`, `{why}` (why leaf
/// arithmetic is flattened) and `{synth}` (the mapping command) tell them apart.
const FPGA_SCRIPT: &str = "\
# serrano area, target {target}: cell counts per module (docs/area.md).
read_verilog {files}
hierarchy -check -top {top}
# Latches and memory bits per module, before synthesis hides them.
proc
setattr -mod -unset top *
tee -q -o pre.json stat -json
# Map each distinct module once (keep_hierarchy), except leaf arithmetic,
# which is flattened into its parent{why}
setattr -mod -set keep_hierarchy 1 *
setattr -mod -unset keep_hierarchy {leaf}*
{synth}
setattr -mod -unset top *
tee -q -o post.json stat -json
";

/// The first (generic) or only (FPGA) script of a top: reads `files`, writes
/// `pre.json` (and, on an FPGA target, `post.json`).
pub fn top_script(target: Target, files: &[&str], top: &str) -> String {
    let script = match target {
        Target::Generic => GENERIC_PRE_SCRIPT.to_string(),
        Target::Xilinx => FPGA_SCRIPT
            .replace("{target}", "xilinx (7-series)")
            .replace("{why}", " so DSP48E1 packing sees multiply, add and\n# register together.")
            .replace(
                "{synth}",
                "# -noiopad: these are blocks inside a chip, not a chip's pins.\n\
                 synth_xilinx -noiopad -flatten -top {top}",
            ),
        Target::Ice40 => FPGA_SCRIPT
            .replace("{target}", "ice40")
            .replace("{why}", " (synth_ice40 flattens by default and\n# honours keep_hierarchy).")
            .replace(
                "{synth}",
                "# -dsp: multipliers to SB_MAC16 where the device has them (UltraPlus).\n\
                 synth_ice40 -dsp -top {top}",
            ),
    };
    script.replace("{files}", &files.join(" ")).replace("{top}", top).replace("{leaf}", LEAF_ARITHMETIC_PREFIX)
}

/// The generic script of one module: its own file `own`, its submodules'
/// files `libs` read as black boxes; writes `post.json`.
pub fn module_script(own: &str, libs: &[&str], module: &str) -> String {
    let lib_line = if libs.is_empty() { String::new() } else { format!("read_verilog -lib {}", libs.join(" ")) };
    GENERIC_MODULE_SCRIPT.replace("{own}", own).replace("{libs}", &lib_line).replace("{top}", module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fpga_scripts_differ_only_in_the_mapping() {
        let x = top_script(Target::Xilinx, &["a.v", "b.v"], "top");
        let i = top_script(Target::Ice40, &["a.v", "b.v"], "top");
        for s in [&x, &i] {
            assert!(s.contains("read_verilog a.v b.v\nhierarchy -check -top top\n"), "{s}");
            assert!(s.contains("setattr -mod -unset keep_hierarchy serrano_mul_*\n"), "{s}");
            assert!(!s.contains('{'), "a placeholder left in:\n{s}");
        }
        assert!(x.contains("\nsynth_xilinx -noiopad -flatten -top top\n"), "{x}");
        assert!(i.contains("\nsynth_ice40 -dsp -top top\n"), "{i}");
        assert_eq!(x.lines().count(), i.lines().count());
    }

    #[test]
    fn module_script_reads_submodules_as_black_boxes() {
        let s = module_script("m.v", &["c.v", "d.v"], "m");
        assert!(s.contains("read_verilog m.v\nread_verilog -lib c.v d.v\nhierarchy -check -top m\n"), "{s}");
        assert!(module_script("m.v", &[], "m").contains("read_verilog m.v\n\nhierarchy"));
    }
}
