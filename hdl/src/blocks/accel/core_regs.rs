//! The core's control registers: an AXI4-Lite slave (`s_axil_*`, 16-bit
//! addresses, 32-bit data) holding the ring's registers and doorbell, the
//! fault and fence status, the interrupt, the DMA engines' AXI attributes
//! and page-table windows, and the 64-bit performance counters.
//!
//! The map is [`core_regmap`](crate::blocks::accel::core_regmap) (one table,
//! rendered to the C header, the JSON and docs/isa.md); this block decodes
//! from it. The AXI4-Lite channel logic is the DMA's (`common::axil`): one
//! write (AW and W together) and one read per cycle, unmapped addresses
//! DECERR. No write is ever held here, so AWREADY = WREADY = AW, W and a
//! free B slot.
//!
//! Latching rules: a `fault_set` pulse latches `{code, index, dma}` and
//! `faulted` unless a fault is already latched (the first fault is the one
//! reported); `CONTROL.clear` clears them, and a fault arriving in the same
//! cycle as the clear is kept, so none is lost. `fence_set` sets
//! `STATUS.fence` (a set in the cycle of its W1C wins for the same reason).
//! A counter adds its `inc_*` every cycle; `CONTROL.counters_clear` zeroes
//! them (the increments of that cycle are dropped). Reading a counter's LO
//! word latches its bits 63..32 into one shared register that every HI
//! word reads, so LO then HI is one consistent 64-bit value.

use golden::Config;

pub use crate::blocks::accel::core_regmap::*;

use crate::blocks::common::axil::{
    in_table, lite_ports, page_table_port, read_handshake, word, write_channel, LiteIn, ReadChannel, WriteChannel,
};
use crate::blocks::common::lanes::{lit, pmux, zeros};
use crate::blocks::common::params::config;
use crate::core::{cat, mux, Bit, Expr, HdlError, Module, Result, UInt};

const BLOCK: &str = "serrano_core_regs";

pub fn core_regs_name(cfg: &Config) -> String {
    format!("serrano_core_regs_a{}_t{}", cfg.dma.addr_bits, cfg.dma.table_entries)
}

/// The inputs from the command processor and the top.
struct CoreIn {
    head: Expr,
    busy: Expr,
    fault_set: Expr,
    fault_code: Expr,
    fault_index: Expr,
    fault_dma: Expr,
    fence_set: Expr,
    incs: Vec<Expr>,
}

fn inputs(m: &mut Module) -> Result<CoreIn> {
    let ib = INDEX_BITS;
    let mut c = CoreIn {
        head: m.input_doc("head", UInt(ib), "the command processor's head (next command to retire)")?,
        busy: m.input_doc("busy", Bit, "the core has work: ring not empty or commands in flight")?,
        fault_set: m.input_doc("fault_set", Bit, "pulse: a fault; latch the three fields below")?,
        fault_code: m.input_doc("fault_code", UInt(8), "its error code")?,
        fault_index: m.input_doc("fault_index", UInt(ib), "the ring index of the faulting command")?,
        fault_dma: m.input_doc("fault_dma", UInt(8), "its DMA status code, or 0")?,
        fence_set: m.input_doc("fence_set", Bit, "pulse: a FENCE completed")?,
        incs: Vec::new(),
    };
    for k in COUNTERS {
        let w = if k.inc_bits == 1 { Bit } else { UInt(k.inc_bits) };
        c.incs.push(m.input_doc(&format!("inc_{}", k.name), w, "added to the counter every cycle")?);
    }
    Ok(c)
}

/// The register map's entry named `name`.
fn info(cfg: &Config, name: &str) -> Reg {
    register_map(cfg).into_iter().find(|r| r.name == name).expect("a register of the map")
}

/// The register block for `cfg` (validated; it must have a `[core]` section).
pub fn core_regs(cfg: &Config) -> Result<Module> {
    config(BLOCK, cfg.validate())?;
    if cfg.core.is_none() {
        return Err(HdlError::parameter(BLOCK, "core: the configuration has no [core] section".to_string()));
    }
    let a = cfg.dma.addr_bits;
    let mut m = Module::new(&core_regs_name(cfg));
    m.doc("Core control registers: AXI4-Lite slave, ring, status, counters, page tables (docs/isa.md).");
    let lite = lite_ports(&mut m)?;
    let inp = inputs(&mut m)?;
    let wr = write_channel(&mut m, &lite)?;
    let rd = read_handshake(&mut m, &lite)?;
    let rw = |m: &mut Module, name: &str, reg: &str| {
        let r = info(cfg, reg);
        wr.rw_reg(m, name, r.write_mask(), r.reset.unwrap_or(0), r.offset)
    };
    let irq_en = rw(&mut m, "irq_enable_q", "IRQ_ENABLE")?;
    let attr = rw(&mut m, "axi_attr_q", "AXI_ATTR")?;
    let base_lo = rw(&mut m, "ring_base_lo_q", "RING_BASE_LO")?;
    let base_hi = if a == 64 { Some(rw(&mut m, "ring_base_hi_q", "RING_BASE_HI")?) } else { None };
    let size = rw(&mut m, "ring_size_q", "RING_SIZE")?;
    let tail = rw(&mut m, "tail_q", "TAIL")?;

    let st = status(&mut m, &wr, &inp)?;
    let counters = counters(&mut m, &wr, &rd, &inp)?;
    let mut tbl = Vec::new();
    for (p, tbase) in [("rtbl", READ_TABLE_BASE), ("wtbl", WRITE_TABLE_BASE)] {
        tbl.push(page_table_port(&mut m, &wr, &lite, p, tbase, (a, cfg.dma.table_entries))?);
    }

    let z = |e: &Expr| if e.width() < 32 { e.zext(32) } else { e.clone() };
    let mut values: Vec<(u32, Expr)> = vec![
        (ID, lit(ID_VALUE as u128, 32)),
        (VERSION, lit(VERSION_VALUE as u128, 32)),
        (IRQ_ENABLE, z(&irq_en.q)),
        (AXI_ATTR, z(&attr.q)),
        (RING_BASE_LO, base_lo.q.clone()),
        (RING_BASE_HI, base_hi.as_ref().map_or(zeros(32), |r| r.q.clone())),
        (RING_SIZE, z(&size.q)),
        (TAIL, z(&tail.q)),
        (HEAD, z(&inp.head)),
        (STATUS, st.word.clone()),
        (FAULT_INDEX, z(&st.index)),
    ];
    for off in [CONFIG0, CONFIG1, CONFIG2, CONFIG3, CONFIG4, CONFIG5] {
        values.push((off, lit(config_value(cfg, off) as u128, 32)));
    }
    for (i, c) in counters.values.iter().enumerate() {
        values.push((counter_lo(i), c.slice(31, 0)));
        values.push((counter_lo(i) + 4, counters.hi_snap.clone()));
    }
    // The read mux must cover exactly the map's readable registers, so a
    // register added to the table without hardware is an error, not a 0.
    let mut have: Vec<u32> = values.iter().map(|(off, _)| *off).collect();
    let mut want: Vec<u32> = register_map(cfg).iter().filter(|r| r.access != "WO").map(|r| r.offset).collect();
    have.sort_unstable();
    want.sort_unstable();
    if have != want {
        return Err(HdlError::parameter(BLOCK, format!("read mux covers {have:x?}, the map {want:x?}")));
    }
    let cases: Vec<(Expr, Expr)> = values.into_iter().map(|(off, v)| (rd.ra.cmp_eq(word(off)), v)).collect();

    // Every access is taken as it comes: AWREADY = WREADY = AW, W and a free B slot.
    let wfire = m.node("wfire_w", &wr.both)?;
    m.assign(&wr.wfire, &wfire)?;
    let w_mapped = m.node("w_mapped", mapped(cfg, &wr.wa, &lite.awaddr))?;
    m.set_next(&wr.bvalid, &wfire | (&wr.bvalid.q & !&lite.bready))?;
    m.set_next(&wr.bresp, mux(&wfire, &mux(&w_mapped, &lit(0, 2), &lit(3, 2)), &wr.bresp.q))?;
    let (rdata, rresp) = read_data(&mut m, cfg, &rd, &lite, &cases)?;

    let irq = m.reg("irq_q", Bit).reset(0).d(irq_en.q.bit(0) & &st.fence)?;
    let ring_base = match &base_hi {
        Some(hi) => cat(&[&hi.q, &base_lo.q]),
        None => base_lo.q.clone(),
    };
    lite.bus.drive(&mut m, "awready", &wfire)?;
    lite.bus.drive(&mut m, "wready", &wfire)?;
    lite.bus.drive(&mut m, "bresp", &wr.bresp.q)?;
    lite.bus.drive(&mut m, "bvalid", &wr.bvalid.q)?;
    lite.bus.drive(&mut m, "arready", &rd.arready)?;
    lite.bus.drive(&mut m, "rdata", &rdata)?;
    lite.bus.drive(&mut m, "rresp", &rresp)?;
    lite.bus.drive(&mut m, "rvalid", &rd.rvalid.q)?;
    m.output_doc("ring_base", &ring_base, "the ring's first byte (32-byte aligned)")?;
    m.output_doc("ring_size", &size.q, "slots in the ring")?;
    m.output_doc("tail", &tail.q, "the doorbell: the slot after the host's last command")?;
    m.output_doc("clear", &st.clear, "pulse: the host wrote CONTROL.clear")?;
    m.output_doc("faulted", &st.faulted, "a fault is latched: the command processor stops until clear")?;
    m.output_doc("irq", &irq, "STATUS.fence & IRQ_ENABLE.fence")?;
    for (i, p) in ["rtbl", "wtbl"].iter().enumerate() {
        m.output_doc(&format!("{p}_we"), &tbl[i].0, "write a page-table entry")?;
        m.output(&format!("{p}_waddr"), &tbl[i].1)?;
        m.output(&format!("{p}_wdata"), &tbl[i].2)?;
    }
    m.output_doc("axi_cache", attr.q.slice(3, 0), "AxCACHE for both DMA engines")?;
    m.output_doc("axi_prot", attr.q.slice(6, 4), "AxPROT for both DMA engines")?;
    Ok(m)
}

/// The status side, as register values and outputs.
struct Status {
    word: Expr,
    index: Expr,
    faulted: Expr,
    fence: Expr,
    clear: Expr,
}

/// The fault latch, the fence flag and the clear pulse. In: the fault and
/// fence pulses, writes of CONTROL.clear and of STATUS.fence (W1C). Out:
/// the STATUS word, FAULT_INDEX, and the registered `clear` pulse.
fn status(m: &mut Module, wr: &WriteChannel, inp: &CoreIn) -> Result<Status> {
    let clear_w = m.node("clear_w", wr.bit_written(CONTROL, CONTROL_CLEAR))?;
    let clear = m.reg("clear_q", Bit).reset(0).d(&clear_w)?;
    let faulted = m.reg("faulted_q", Bit).reset(0).build()?;
    let take = m.node("fault_take", &inp.fault_set & !&faulted.q)?;
    m.set_next(&faulted, &inp.fault_set | (&faulted.q & !&clear_w))?;
    let keep = |m: &mut Module, name: &str, v: &Expr, w: u32| -> Result<Expr> {
        let r = m.reg(name, UInt(w)).reset(0).build()?;
        m.set_next(&r, mux(&take, v, &mux(&clear_w, &zeros(w), &r.q)))?;
        Ok(r.q)
    };
    let code = keep(m, "fault_code_q", &inp.fault_code, 8)?;
    let index = keep(m, "fault_index_q", &inp.fault_index, INDEX_BITS)?;
    let dma = keep(m, "fault_dma_q", &inp.fault_dma, 8)?;
    let fence = m.reg("fence_q", Bit).reset(0).build()?;
    m.set_next(&fence, &inp.fence_set | (&fence.q & !wr.bit_written(STATUS, STATUS_FENCE)))?;
    let word = cat(&[&zeros(8), &dma, &code, &zeros(5), &fence.q, &faulted.q, &inp.busy]);
    Ok(Status { word, index, faulted: faulted.q, fence: fence.q, clear })
}

/// The counters' values and the shared high-word latch.
struct Counters {
    values: Vec<Expr>,
    hi_snap: Expr,
}

/// The performance counters. In: the increments, writes of
/// CONTROL.counters_clear, reads of the LO words. Out: each 64-bit value and
/// the high word latched by the last LO read.
fn counters(m: &mut Module, wr: &WriteChannel, rd: &ReadChannel, inp: &CoreIn) -> Result<Counters> {
    let zero = m.node("counters_clear", wr.bit_written(CONTROL, CONTROL_COUNTERS_CLEAR))?;
    let mut values = Vec::new();
    let mut snaps = Vec::new();
    for (k, inc) in COUNTERS.iter().zip(&inp.incs) {
        let r = m.reg(&format!("cnt_{}", k.name), UInt(64)).reset(0).build()?;
        let inc64 = if k.inc_bits < 64 { inc.zext(64) } else { inc.clone() };
        m.set_next(&r, mux(&zero, &zeros(64), &(&r.q + &inc64)))?;
        values.push(r.q.clone());
    }
    for (i, v) in values.iter().enumerate() {
        snaps.push((rd.ra.cmp_eq(word(counter_lo(i))), v.slice(63, 32)));
    }
    let lo_read = snaps.iter().skip(1).fold(snaps[0].0.clone(), |acc, (h, _)| acc | h);
    let hi = m.reg("cnt_hi_snap", UInt(32)).reset(0).build()?;
    let sel = m.node("cnt_hi_sel", pmux(&snaps, &zeros(32)))?;
    m.set_next(&hi, mux(&(&rd.ar_fire & &lo_read), &sel, &hi.q))?;
    Ok(Counters { values, hi_snap: hi.q })
}

/// Address decode for both channels: a register of the map or an
/// in-range page-table entry (else DECERR).
fn mapped(cfg: &Config, addr_word: &Expr, full: &Expr) -> Expr {
    let mut hits: Vec<Expr> = register_map(cfg).iter().map(|r| addr_word.cmp_eq(word(r.offset))).collect();
    for tbase in [READ_TABLE_BASE, WRITE_TABLE_BASE] {
        hits.push(in_table(full, tbase, cfg.dma.table_entries));
    }
    hits.iter().skip(1).fold(hits[0].clone(), |acc, h| acc | h)
}

/// RDATA and RRESP, registered when a read is taken; write-only and
/// unmapped addresses read 0 (unmapped with DECERR), so every RDATA bit is
/// defined.
fn read_data(
    m: &mut Module,
    cfg: &Config,
    rd: &ReadChannel,
    lite: &LiteIn,
    cases: &[(Expr, Expr)],
) -> Result<(Expr, Expr)> {
    let rdata = m.reg("rdata_q", UInt(32)).reset(0).build()?;
    let rresp = m.reg("rresp_q", UInt(2)).reset(0).build()?;
    let r_mapped = m.node("r_mapped", mapped(cfg, &rd.ra, &lite.araddr))?;
    m.set_next(&rd.rvalid, &rd.ar_fire | (&rd.rvalid.q & !&lite.rready))?;
    m.set_next(&rdata, mux(&rd.ar_fire, &pmux(cases, &zeros(32)), &rdata.q))?;
    m.set_next(&rresp, mux(&rd.ar_fire, &mux(&r_mapped, &lit(0, 2), &lit(3, 2)), &rresp.q))?;
    Ok((rdata.q, rresp.q))
}
