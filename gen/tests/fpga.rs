//! `serrano fpga`: the board top lints and synthesizes cleanly, keeps every
//! DUT cell, and the whole flow runs on a small configuration.

use std::path::Path;
use std::process::Command;

use hdl::board::board;
use hdl::core::{emit, EmitOptions};

fn tiny() -> golden::Config {
    golden::Config::from_file(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/tiny.toml"))).expect("tiny")
}

/// Write the board top of `dut` and everything under it into `dir`; the file names.
fn write_board(dut: &hdl::core::Module, dir: &Path) -> (String, Vec<String>) {
    let b = board(dut).expect("board top");
    let files = emit(&b.top, &EmitOptions::default()).expect("emits");
    let mut names = Vec::new();
    for f in &files {
        std::fs::write(dir.join(&f.file_name), &f.text).unwrap();
        names.push(f.file_name.clone());
    }
    (b.top.name().to_string(), names)
}

/// `serrano fpga --top` picks by the kind hdl gives each top, not by position.
#[test]
fn hdl_names_the_kind_of_every_top() {
    use hdl::blocks::TopKind;
    let by_kind = hdl::blocks::tops_by_kind(&tiny()).unwrap();
    let kinds: Vec<TopKind> = by_kind.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, TopKind::ALL);
    for (k, m) in &by_kind {
        assert!(m.name().starts_with(&format!("serrano_{}_", k.name())), "{k}: {}", m.name());
    }
    let names: Vec<String> = hdl::blocks::tops(&tiny()).unwrap().iter().map(|m| m.name().to_string()).collect();
    assert_eq!(names, by_kind.iter().map(|(_, m)| m.name().to_string()).collect::<Vec<_>>());
}

/// `verilator --lint-only -Wall` of `top` from `files` in `dir`: no warning.
fn lint_clean(dir: &Path, top: &str, files: &[String]) {
    let out = Command::new("verilator")
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "--top-module", top])
        .args(files)
        .output()
        .expect("verilator runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !text.contains("%Warning"), "verilator -Wall:\n{text}");
}

#[test]
fn board_top_of_tiny_tile_lints_clean_and_has_no_latch() {
    let dir = tempfile::tempdir().unwrap();
    let tops = hdl::blocks::tops_by_kind(&tiny()).unwrap();
    let (_, tile) = tops.iter().find(|(k, _)| *k == hdl::blocks::TopKind::Tile).expect("a tile top");
    let (top, files) = write_board(tile, dir.path());
    lint_clean(dir.path(), &top, &files);

    let script = format!(
        "read_verilog {}; synth -top {top} -run :fine; \
         select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*",
        files.join(" ")
    );
    let out = Command::new("yosys").current_dir(dir.path()).args(["-q", "-p", &script]).output().expect("yosys");
    assert!(out.status.success(), "yosys: {}", String::from_utf8_lossy(&out.stderr));
}

/// The tiny core's board top (the default top on ECP5): its AXI4 master and
/// AXI4-Lite slave ports all go through the scan chain and the capture register.
#[test]
fn board_top_of_tiny_core_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let tops = hdl::blocks::tops_by_kind(&tiny()).unwrap();
    let (_, core) = tops.iter().find(|(k, _)| *k == hdl::blocks::TopKind::Core).expect("tiny has a core");
    let (top, files) = write_board(core, dir.path());
    lint_clean(dir.path(), &top, &files);
    let b = board(core).unwrap();
    let scanned: Vec<&str> = b.inputs.iter().map(|f| f.port.as_str()).collect();
    let captured: Vec<&str> = b.outputs.iter().map(|f| f.port.as_str()).collect();
    for p in core.ports() {
        if p.name == hdl::core::CLOCK || p.name == core.reset_kind().port_name() {
            continue;
        }
        assert!(p.name.starts_with("m_axi_") || p.name.starts_with("s_axil_") || p.name == "irq", "{}", p.name);
        let list = if p.dir == hdl::core::Dir::Input { &scanned } else { &captured };
        assert!(list.contains(&p.name.as_str()), "{} is not wrapped", p.name);
    }
}

/// `--top core` on a configuration without a `[core]` section is refused
/// before anything runs.
#[test]
fn top_core_without_a_core_section_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("small.toml");
    std::fs::write(&cfg_path, SMALL).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--config", cfg_path.to_str().unwrap(), "--device", "ecp5-25k", "--top", "core"])
        .args(["--out", dir.path().join("out").to_str().unwrap()])
        .output()
        .expect("serrano runs");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--top core") && err.contains("[core]"), "{err}");
    assert!(!dir.path().join("out").exists(), "refused before writing anything");
}

fn cells(dir: &Path, files: &[String], top: &str) -> Vec<(String, u64)> {
    let script =
        format!("read_verilog {}; synth_ice40 -top {top}; tee -o stat_{top}.txt stat -top {top}", files.join(" "));
    let out = Command::new("yosys").current_dir(dir).args(["-q", "-p", &script]).output().expect("yosys");
    assert!(out.status.success(), "yosys: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.join(format!("stat_{top}.txt"))).unwrap();
    let mut v = Vec::new();
    for l in text.lines().rev() {
        let w: Vec<&str> = l.split_whitespace().collect();
        if l.contains("Number of cells:") {
            break;
        }
        if w.len() == 2 && w[0].starts_with("SB_") {
            v.push((w[0].to_string(), w[1].parse().unwrap()));
        }
    }
    v
}

fn n(c: &[(String, u64)], prefix: &str) -> u64 {
    c.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v).sum()
}

const SMALL: &str = "[systolic]\nrows = 2\ncols = 2\nacc_depth = 16\nrequant = false\n";

#[test]
fn board_top_keeps_every_dut_cell() {
    // The DUT alone (its ports as top-level pins) and inside the board top
    // must map to the same arithmetic and memories; the board adds only
    // registers and the byte multiplexer.
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("small.toml");
    std::fs::write(&cfg_path, SMALL).unwrap();
    let cfg = golden::Config::from_file(&cfg_path).unwrap();
    let dut = &hdl::blocks::tops(&cfg).unwrap()[0];
    let (top, files) = write_board(dut, dir.path());
    let alone = cells(dir.path(), &files, dut.name());
    let wrapped = cells(dir.path(), &files, &top);
    let b = board(dut).unwrap();
    assert_eq!(n(&wrapped, "SB_RAM40_4K"), n(&alone, "SB_RAM40_4K"));
    // ABC maps the same adders with a carry cell or two of difference.
    let (ca, cw) = (n(&alone, "SB_CARRY"), n(&wrapped, "SB_CARRY"));
    assert!(cw + 2 >= ca && cw <= ca + ca / 20 + 2, "carry cells: alone {alone:?}\nwrapped {wrapped:?}");
    // Flip-flops: the DUT's, plus the scan chain and input registers, the
    // capture register, the byte mux and the synchronizers.
    let extra_ff = n(&wrapped, "SB_DFF") - n(&alone, "SB_DFF");
    let expected = (2 * b.scan_bits + b.out_bytes * 8) as u64;
    assert!(
        extra_ff >= expected && extra_ff <= expected + 100,
        "{extra_ff} extra flip-flops, expected about {expected}"
    );
    let extra_lut = n(&wrapped, "SB_LUT4") as i64 - n(&alone, "SB_LUT4") as i64;
    assert!(extra_lut >= 0 && extra_lut < 3 * (b.scan_bits + b.capture_bits) as i64, "{extra_lut} extra LUTs");
}

#[test]
fn fpga_flow_on_a_2x2_tile() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("small.toml");
    std::fs::write(&cfg_path, SMALL).unwrap();
    let out_dir = dir.path().join("out");
    // --out may be a folder of the user's: their files stay; what an earlier
    // run of the flow left (another seed's log) goes.
    std::fs::create_dir_all(&out_dir).unwrap();
    let mine = ["notes.txt", "results.json", "build.log", "top.v"];
    for f in mine {
        std::fs::write(out_dir.join(f), "the user's").unwrap();
    }
    std::fs::write(out_dir.join("nextpnr.seed9.log"), "an earlier run's").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--config", cfg_path.to_str().unwrap(), "--device", "hx8k", "--seed", "3", "--json"])
        .args(["--out", out_dir.to_str().unwrap()])
        .output()
        .expect("serrano runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v["fmax_mhz"].as_f64().unwrap() > 0.0);
    assert_eq!(v["seed"], 3);
    assert_eq!(v["seeds"].as_array().unwrap().len(), 1);
    assert!(v["lut"].as_u64().unwrap() > 0 && v["lc"]["used"].as_u64().unwrap() <= v["lc"]["total"].as_u64().unwrap());
    assert_eq!(v["dsp"], 0);
    let bin = Path::new(v["bitstream"].as_str().unwrap());
    // An HX8K bitstream is 135,100 bytes or so whatever the design.
    assert!(std::fs::metadata(bin).unwrap().len() > 100_000);
    assert!(v["critical_path"]["total_ns"].as_f64().unwrap() > 0.0);
    for f in mine {
        assert_eq!(std::fs::read_to_string(out_dir.join(f)).unwrap(), "the user's", "{f} was touched");
    }
    assert!(!out_dir.join("nextpnr.seed9.log").exists(), "an earlier run's log was kept");
}

/// The ECP5 flow end to end (synth_ecp5, nextpnr-ecp5 and ecppack, native
/// or the YoWASP build that scripts/setup.sh installs) on a 2x2 tile, its
/// four multipliers in MULT18X18D.
#[test]
fn fpga_flow_on_a_2x2_tile_on_ecp5() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("small.toml");
    std::fs::write(&cfg_path, SMALL).unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--config", cfg_path.to_str().unwrap(), "--device", "ecp5-25k", "--seed", "2", "--json"])
        .args(["--out", out_dir.to_str().unwrap()])
        .output()
        .expect("serrano runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // No [core] section: the ECP5 default resolves to the tile.
    assert_eq!(v["top"], "tile");
    assert_eq!(v["part"], "LFE5U-25F-6BG381C");
    assert_eq!(v["board"], "ULX3S");
    assert!(v["fmax_mhz"].as_f64().unwrap() > 0.0);
    assert_eq!(v["seed"], 2);
    assert_eq!(v["dsp"], 4, "one MULT18X18D per PE: {}", v["yosys_cells"]);
    assert_eq!(v["dsp_blocks"]["used"], 4);
    assert_eq!(v["dsp_blocks"]["total"], 28);
    assert_eq!(v["lc"]["total"], 24288, "LUT4s of the LFE5U-25F");
    assert!(v["lut"].as_u64().unwrap() > 0 && v["ff"].as_u64().unwrap() > 0);
    assert!(v["tools"]["ecppack"].is_string() && v["tools"].get("icepack").is_none());
    assert!(v["critical_path"]["total_ns"].as_f64().unwrap() > 0.0);
    let bit = Path::new(v["bitstream"].as_str().unwrap());
    assert!(bit.extension().is_some_and(|e| e == "bit"));
    // A compressed LFE5U-25F bitstream of a small design is some 100 KiB or more.
    assert!(std::fs::metadata(bit).unwrap().len() > 50_000);
    // The harness, synthesized with the DUT a black box: two registers per
    // input bit (scan chain, input register), one per captured output bit,
    // plus the synchronizers, edge detectors and byte multiplexer.
    let b = board(&hdl::blocks::tops(&golden::Config::from_file(&cfg_path).unwrap()).unwrap()[0]).unwrap();
    let w = &v["wrapper"];
    let ff = w["ff"].as_u64().unwrap();
    let floor = (2 * b.scan_bits + b.capture_bits) as u64;
    assert!(ff >= floor && ff <= floor + 8 * b.out_bytes as u64 + 40, "harness FF {ff}, floor {floor}: {w}");
    assert!(ff < v["ff"].as_u64().unwrap(), "the harness is part of the whole design: {w}");
    assert!(w["lut"].as_u64().unwrap() < v["lut"].as_u64().unwrap(), "{w}");
    assert_eq!(w["io_pins"], 5 + b.sel_bits + 8, "reset, sck, sdi, update, capture, sel, dout: {w}");
    let lpf = std::fs::read_to_string(out_dir.join(format!("{}.lpf", v["board_top"].as_str().unwrap()))).unwrap();
    assert!(lpf.contains("LOCATE COMP \"clk\" SITE \"G2\""), "{lpf}");
}

/// More multipliers than DSPs: a 3x3 tile's nine PEs on the UP5K's eight
/// SB_MAC16. Eight keep one each, the ninth is typed `$__soft_mul` (LUTs).
#[test]
fn multipliers_beyond_the_dsps_go_to_luts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("nine.toml");
    std::fs::write(&cfg_path, SMALL.replace("rows = 2\ncols = 2", "rows = 3\ncols = 3")).unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--config", cfg_path.to_str().unwrap(), "--device", "up5k", "--seed", "1", "--json"])
        .args(["--out", out_dir.to_str().unwrap()])
        .output()
        .expect("serrano runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["dsp"], 8, "{}", v["yosys_cells"]);
    let note = v["dsp_note"].as_str().expect("a note on the multipliers");
    assert!(
        note.contains("multipliers (9) need 9 SB_MAC16")
            && note.contains("to SB_MAC16 8 (")
            && note.ends_with("to LUTs 1"),
        "{note}"
    );
    let script = std::fs::read_to_string(out_dir.join("synth.ys")).unwrap();
    assert_eq!(script.matches("chtype -set $__soft_mul").count(), 1, "{script}");
    assert_eq!(script.matches("select -assert-count 1").count(), 1, "{script}");
}

#[test]
fn fpga_refuses_an_rtl_folder_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let rtl = dir.path().join("rtl");
    std::fs::create_dir_all(&rtl).unwrap();
    std::fs::write(rtl.join("mine.sv"), "module mine; endmodule").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--preset", "tiny", "--device", "hx8k", "--out", dir.path().to_str().unwrap()])
        .output()
        .expect("serrano runs");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mine.sv"));
    assert!(rtl.join("mine.sv").exists());
}

#[test]
fn bad_device_and_missing_tools_are_clear() {
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--preset", "tiny", "--device", "ecp5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hx8k") && err.contains("ecp5-85k"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--preset", "tiny", "--device", "ecp5-25k", "--yosys", "/nonexistent/yosys"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a --yosys that cannot run is the user's to fix");
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/yosys"));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .env("SERRANO_YOSYS", "/nonexistent/yosys")
        .args(["fpga", "--preset", "tiny", "--device", "hx8k", "--out", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("scripts/setup.sh") && err.contains("SERRANO_YOSYS"), "{err}");
}

/// A design larger than the device is a result (exit 1, `fits: false`, the
/// utilisation), and nextpnr is stopped as soon as its packed utilisation
/// shows it, not left to search for a placement.
#[test]
fn an_oversized_design_stops_after_packing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("big.toml");
    std::fs::write(&cfg_path, "[systolic]\nrows = 8\ncols = 8\nacc_depth = 16\nrequant = false\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["fpga", "--config", cfg_path.to_str().unwrap(), "--device", "up5k", "--seed", "1", "--json"])
        .args(["--out", out_dir.to_str().unwrap()])
        .output()
        .expect("serrano runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["fits"], false);
    let err = v["error"].as_str().unwrap();
    assert!(err.starts_with("does not fit: needs ") && err.contains("ICESTORM_LC"), "{err}");
    assert!(v["lc"]["used"].as_u64().unwrap() > v["lc"]["total"].as_u64().unwrap());
    let log = std::fs::read_to_string(out_dir.join("nextpnr.seed1.log")).unwrap();
    assert!(log.contains("stopped nextpnr after packing"), "{log}");
}
