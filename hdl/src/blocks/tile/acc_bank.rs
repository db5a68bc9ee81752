//! One column's bank of the accumulator memory.
//!
//! `depth` int32 words in block RAM with two synchronous read ports: one for
//! the read-modify-write of accumulation, one for reading results out. The
//! accumulation read is issued one cycle before the partial sum arrives, so a
//! partial sum is added and written back in the cycle it arrives:
//! `acc[wr_addr] <= (wr_accumulate ? acc[wr_addr] : 0) + psum` (int32,
//! wrapping). The memory has no reset: a word is defined once written.

use golden::config::ACC_DEPTH;
use golden::SystolicConfig;

use crate::blocks::common::params::check_range;
use crate::core::{mux, Bit, Expr, Module, Result, SInt, UInt};

/// Address width of an accumulator of `depth` rows.
pub fn addr_bits(depth: u32) -> u32 {
    crate::blocks::common::lanes::index_bits(depth as u64)
}

/// `serrano_acc_bank_d1024`.
pub fn acc_bank_name(cfg: &SystolicConfig) -> String {
    format!("serrano_acc_bank_d{}", cfg.acc_depth)
}

pub fn acc_bank(cfg: &SystolicConfig) -> Result<Module> {
    check_range("serrano_acc_bank", "systolic.acc_depth", cfg.acc_depth, ACC_DEPTH)?;
    let aw = addr_bits(cfg.acc_depth);
    let mut m = Module::new(&acc_bank_name(cfg));
    m.doc(&format!("Accumulator bank: {} x int32, read-modify-write port and read-out port.", cfg.acc_depth));
    let acc_rd_en = m.input_doc("acc_rd_en", Bit, "read acc_rd_addr for the partial sum arriving next cycle")?;
    let acc_rd_addr = m.input("acc_rd_addr", UInt(aw))?;
    let wr_en = m.input_doc("wr_en", Bit, "a partial sum arrives")?;
    let wr_addr = m.input("wr_addr", UInt(aw))?;
    let wr_accumulate = m.input_doc("wr_accumulate", Bit, "add to the stored word (else overwrite)")?;
    let psum = m.input_doc("psum", SInt(32), "partial sum from the array's bottom row")?;
    let out_rd_en = m.input_doc("out_rd_en", Bit, "read out_rd_addr into out_data")?;
    let out_rd_addr = m.input("out_rd_addr", UInt(aw))?;

    let mem = m.memory("acc", SInt(32), cfg.acc_depth)?;
    let acc_q = m.mem_read(&mem, "acc_q", &acc_rd_en, &acc_rd_addr)?;
    let out_q = m.mem_read(&mem, "out_q", &out_rd_en, &out_rd_addr)?;
    let base = m.node("base", mux(&wr_accumulate, &acc_q, &Expr::lit(0, SInt(32))))?;
    let sum = m.node("sum", &base + &psum)?;
    m.mem_write(&mem, &wr_en, &wr_addr, &sum)?;
    m.output_doc("out_data", &out_q, "the word read by out_rd_en, one cycle later")?;
    Ok(m)
}
