//! The emitted Verilog synthesizes as intended in Yosys: memories become
//! block RAM, nothing becomes a latch.

use std::process::Command;

use hdl::core::{emit, Bit, EmitOptions, Module, UInt};

fn yosys(dir: &std::path::Path, script: &str) -> String {
    let out = Command::new("yosys")
        .current_dir(dir)
        .args(["-q", "-p", script])
        .output()
        .expect("yosys must be installed (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "yosys failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn memory_is_inferred_as_ice40_block_ram() {
    let mut m = Module::new("serrano_test_bram");
    let mem = m.memory("ram", UInt(16), 256).unwrap();
    let we = m.input("we", Bit).unwrap();
    let waddr = m.input("waddr", UInt(8)).unwrap();
    let wdata = m.input("wdata", UInt(16)).unwrap();
    let re = m.input("re", Bit).unwrap();
    let raddr = m.input("raddr", UInt(8)).unwrap();
    m.mem_write(&mem, &we, &waddr, &wdata).unwrap();
    let q = m.mem_read(&mem, "rdata_q", &re, &raddr).unwrap();
    m.output("rdata", &q).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in emit(&m, &EmitOptions::default()).unwrap() {
        std::fs::write(dir.path().join(&f.file_name), f.text).unwrap();
    }
    let stat = yosys(
        dir.path(),
        "read_verilog serrano_test_bram.v; synth_ice40 -top serrano_test_bram; tee -o /dev/stdout stat",
    );
    let brams =
        stat.lines().find(|l| l.contains("SB_RAM40_4K")).unwrap_or_else(|| panic!("no SB_RAM40_4K in:\n{stat}"));
    assert!(brams.split_whitespace().last() == Some("1"), "{brams}");
    assert!(
        !stat.contains("SB_DFF") || stat.lines().filter(|l| l.contains("SB_DFF")).count() <= 2,
        "memory became flip-flops:\n{stat}"
    );
}

#[test]
fn pe_has_no_latch_and_every_flop_has_a_reset() {
    let m = hdl::blocks::tile::pe::pe(&golden::PeConfig { acc_bits: 32 }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in emit(&m, &EmitOptions::default()).unwrap() {
        std::fs::write(dir.path().join(&f.file_name), f.text).unwrap();
    }
    let stat = yosys(
        dir.path(),
        "read_verilog serrano_pe_i8_acc32.v serrano_mul_s8x8.v; synth -flatten -top serrano_pe_i8_acc32; \
         select -assert-none t:$dlatch t:$_DLATCH_*; tee -o /dev/stdout stat",
    );
    // Every flip-flop is a synchronous-reset one ($_SDFF*), none plain ($_DFF_P_).
    let flops: u64 = stat
        .lines()
        .filter(|l| l.trim_start().starts_with("$_SDFF"))
        .map(|l| l.split_whitespace().last().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(flops, 73, "{stat}");
    assert!(!stat.contains("$_DFF_P_"), "a flop without reset:\n{stat}");
}
