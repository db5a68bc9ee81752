//! One bank of the scratchpad: `lines` lines of `line_bytes` bytes, one write
//! port with a byte enable per byte and one read port, as a simple dual-port
//! block RAM.
//!
//! Each byte lane is its own memory (`lane<k>`, `lines` × 8 bits), written
//! when its strobe bit is set, so the byte enables need nothing but the
//! plain write pattern that Yosys maps to block RAM (on an FPGA the lanes of
//! a bank share the BRAMs' width: a 2048 × 8 lane is one RAMB18 / DP16KD
//! half). A read returns the line as it was before a write in the same
//! cycle (read-first), one cycle after `re`. The memory has no reset.

use crate::blocks::common::lanes::index_bits;
use crate::blocks::common::params::check_range;
use crate::core::{cat, Bit, Expr, Module, Result, UInt};

/// The block's name in parameter errors.
pub const SPAD_BANK_BLOCK: &str = "serrano_spad_bank";

/// `serrano_spad_bank_l16_n2048`.
pub fn spad_bank_name(line_bytes: u32, lines: u32) -> String {
    format!("serrano_spad_bank_l{line_bytes}_n{lines}")
}

/// A bank of `lines` (2..=65536) lines of `line_bytes` (1..=128) bytes.
pub fn spad_bank(line_bytes: u32, lines: u32) -> Result<Module> {
    check_range(SPAD_BANK_BLOCK, "line_bytes", line_bytes, 1..=128)?;
    check_range(SPAD_BANK_BLOCK, "lines", lines, 2..=65_536)?;
    let aw = index_bits(lines as u64);
    let mut m = Module::new(&spad_bank_name(line_bytes, lines));
    m.doc(&format!("Scratchpad bank: {lines} lines of {line_bytes} bytes, byte-enable write port, read port."));
    let we = m.input_doc("we", Bit, "write the strobed bytes of wdata to line waddr")?;
    let waddr = m.input("waddr", UInt(aw))?;
    let wdata = m.input_doc("wdata", UInt(8 * line_bytes), "byte k on bits 8k+7:8k")?;
    let wstrb = m.input_doc("wstrb", UInt(line_bytes), "bit k: write byte k")?;
    let re = m.input_doc("re", Bit, "read line raddr into rdata")?;
    let raddr = m.input("raddr", UInt(aw))?;

    let mut bytes: Vec<Expr> = Vec::new();
    for k in 0..line_bytes {
        let lane = m.memory(&format!("lane{k}"), UInt(8), lines)?;
        let en = &we & wstrb.bit(k);
        m.mem_write(&lane, &en, &waddr, &wdata.slice(8 * k + 7, 8 * k))?;
        bytes.push(m.mem_read(&lane, &format!("q{k}"), &re, &raddr)?);
    }
    let refs: Vec<&Expr> = bytes.iter().rev().collect();
    m.output_doc("rdata", cat(&refs), "the line read by re, one cycle later")?;
    Ok(m)
}
