//! The scratchpad: banked on-chip SRAM shared by several writers and readers.
//!
//! `banks` banks ([`spad_bank`]) of `lines_per_bank` lines of `line_bytes`
//! bytes; a line address's high bits select the bank (bank `b` holds lines
//! `b * lines_per_bank ..`), so buffers placed in different banks are used
//! concurrently without conflict. Each bank takes one write and one read per
//! cycle; when several clients want the same bank's port in a cycle, a
//! round-robin arbiter per bank and port picks one (`common::arbiter`), so a
//! client that keeps requesting waits at most (clients − 1) cycles.
//!
//! Client interfaces (valid/ready, AXI semantics; `ready` depends
//! combinationally on the requests of every client of the same bank):
//! * writer `i`: `w<i>_valid`, `w<i>_line`, `w<i>_data`, `w<i>_strb`
//!   (byte `k` of the line written iff strobe bit `k`), `w<i>_ready`;
//! * reader `j`: `r<j>_valid`, `r<j>_line`, `r<j>_ready`; the line comes
//!   back on `r<j>_rdata` with `r<j>_rvalid` one cycle after the request is
//!   accepted, and must be taken then (a reader requests only when it can).
//!
//! A read and a write of the same line in one cycle read the old line.

use crate::blocks::accel::spad_bank::spad_bank;
use crate::blocks::common::arbiter::round_robin;
use crate::blocks::common::lanes::{index_bits, lit, pmux};
use crate::blocks::common::params::{check_pow2, check_range};
use crate::core::{Bit, Expr, Module, Result, UInt};

/// The block's name in parameter errors.
pub const SPAD_BLOCK: &str = "serrano_spad";

/// The scratchpad's shape and clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpadParams {
    /// Bytes per line: 1..=128.
    pub line_bytes: u32,
    /// Banks: a power of two, 1..=64.
    pub banks: u32,
    /// Lines per bank: a power of two, 16..=65536.
    pub lines_per_bank: u32,
    /// Write clients: 1..=8.
    pub writers: u32,
    /// Read clients: 1..=8.
    pub readers: u32,
}

impl SpadParams {
    /// Width of a line address.
    pub fn line_bits(&self) -> u32 {
        index_bits(self.banks as u64 * self.lines_per_bank as u64)
    }

    fn check(&self) -> Result<()> {
        check_range(SPAD_BLOCK, "line_bytes", self.line_bytes, 1..=128)?;
        check_pow2(SPAD_BLOCK, "banks", self.banks, 1..=64)?;
        check_pow2(SPAD_BLOCK, "lines_per_bank", self.lines_per_bank, 16..=65_536)?;
        check_range(SPAD_BLOCK, "writers", self.writers, 1..=8)?;
        check_range(SPAD_BLOCK, "readers", self.readers, 1..=8)
    }
}

/// `serrano_spad_l16_b8_n2048_w3r4`.
pub fn scratchpad_name(p: &SpadParams) -> String {
    format!("serrano_spad_l{}_b{}_n{}_w{}r{}", p.line_bytes, p.banks, p.lines_per_bank, p.writers, p.readers)
}

/// One client's request as the banks see it.
struct Req {
    valid: Expr,
    line: Expr,
}

pub fn scratchpad(p: &SpadParams) -> Result<Module> {
    p.check()?;
    let (lb, aw) = (p.line_bytes, p.line_bits());
    let rw = index_bits(p.lines_per_bank as u64);
    let mut m = Module::new(&scratchpad_name(p));
    m.doc(&format!(
        "Scratchpad: {} banks of {} lines of {} bytes ({} KiB), {} writers and {} readers, round-robin per bank.",
        p.banks,
        p.lines_per_bank,
        lb,
        p.banks as u64 * p.lines_per_bank as u64 * lb as u64 / 1024,
        p.writers,
        p.readers
    ));
    let mut writers = Vec::new();
    let mut wdata = Vec::new();
    for i in 0..p.writers {
        let valid = m.input_doc(&format!("w{i}_valid"), Bit, "writer: a line write is offered")?;
        let line = m.input(&format!("w{i}_line"), UInt(aw))?;
        let data = m.input(&format!("w{i}_data"), UInt(8 * lb))?;
        let strb = m.input(&format!("w{i}_strb"), UInt(lb))?;
        writers.push(Req { valid, line });
        wdata.push((data, strb));
    }
    let mut readers = Vec::new();
    for j in 0..p.readers {
        let valid = m.input_doc(&format!("r{j}_valid"), Bit, "reader: a line read is offered")?;
        let line = m.input(&format!("r{j}_line"), UInt(aw))?;
        readers.push(Req { valid, line });
    }

    // The bank a line address falls in, and its row within the bank.
    let bank_of = |line: &Expr| if p.banks == 1 { lit(0, 1) } else { line.slice(aw - 1, rw) };
    let bb = if p.banks == 1 { 1 } else { aw - rw };
    let row_of = |line: &Expr| line.slice(rw - 1, 0);

    let bank = spad_bank(lb, p.lines_per_bank)?;
    let mut w_ready: Vec<Expr> = (0..p.writers).map(|_| lit(0, 1)).collect();
    let mut r_ready: Vec<Expr> = (0..p.readers).map(|_| lit(0, 1)).collect();
    let mut bank_q = Vec::new();
    for b in 0..p.banks {
        let in_bank = |r: &Req| &r.valid & bank_of(&r.line).cmp_eq(lit(b as u128, bb));
        let wreq: Vec<Expr> = writers.iter().map(in_bank).collect();
        let rreq: Vec<Expr> = readers.iter().map(in_bank).collect();
        let wg = round_robin(&mut m, &format!("b{b}_w"), &wreq, &lit(1, 1))?;
        let rg = round_robin(&mut m, &format!("b{b}_r"), &rreq, &lit(1, 1))?;
        let pick = |vals: &[Expr], g: &[Expr]| {
            let cases: Vec<(Expr, Expr)> = g.iter().cloned().zip(vals.iter().cloned()).skip(1).collect();
            pmux(&cases, &vals[0])
        };
        let wrows: Vec<Expr> = writers.iter().map(|r| row_of(&r.line)).collect();
        let datas: Vec<Expr> = wdata.iter().map(|(d, _)| d.clone()).collect();
        let strbs: Vec<Expr> = wdata.iter().map(|(_, s)| s.clone()).collect();
        let rrows: Vec<Expr> = readers.iter().map(|r| row_of(&r.line)).collect();
        let waddr = m.node(&format!("b{b}_waddr"), pick(&wrows, &wg.grant))?;
        let wd = m.node(&format!("b{b}_wdata"), pick(&datas, &wg.grant))?;
        let ws = m.node(&format!("b{b}_wstrb"), pick(&strbs, &wg.grant))?;
        let raddr = m.node(&format!("b{b}_raddr"), pick(&rrows, &rg.grant))?;
        let u = m.instance(
            &format!("u_bank{b}"),
            &bank,
            &[("we", &wg.any), ("waddr", &waddr), ("wdata", &wd), ("wstrb", &ws), ("re", &rg.any), ("raddr", &raddr)],
        )?;
        bank_q.push(u.out("rdata")?);
        for (i, g) in wg.grant.iter().enumerate() {
            w_ready[i] = &w_ready[i] | g;
        }
        for (j, g) in rg.grant.iter().enumerate() {
            r_ready[j] = &r_ready[j] | g;
        }
    }

    for (i, rdy) in w_ready.iter().enumerate() {
        m.output_doc(&format!("w{i}_ready"), rdy, "the write is taken this cycle")?;
    }
    for (j, r) in readers.iter().enumerate() {
        let rdy = m.node(&format!("r{j}_ready_w"), &r_ready[j])?;
        let took = &r.valid & &rdy;
        // Which bank answers next cycle; meaningful only with rvalid.
        let from = m.reg(&format!("r{j}_bank"), UInt(bb)).reset(0).enable(&took).d(bank_of(&r.line))?;
        let rvalid = m.reg(&format!("r{j}_rvalid_q"), Bit).reset(0).d(&took)?;
        let cases: Vec<(Expr, Expr)> =
            bank_q.iter().enumerate().skip(1).map(|(b, q)| (from.cmp_eq(lit(b as u128, bb)), q.clone())).collect();
        let rdata = pmux(&cases, &bank_q[0]);
        m.output_doc(&format!("r{j}_ready"), &rdy, "the read is taken this cycle")?;
        m.output_doc(&format!("r{j}_rvalid"), &rvalid, "r_rdata is the line read one cycle ago")?;
        m.output_doc(&format!("r{j}_rdata"), rdata, "the line, byte k on bits 8k+7:8k")?;
    }
    Ok(m)
}
