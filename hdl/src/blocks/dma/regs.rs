//! The DMA's control registers: an AXI4-Lite slave (`s_axil_*`, 16-bit
//! addresses, 32-bit data) with the descriptor queues and completion FIFOs of
//! both engines.
//!
//! Software writes a descriptor's fields into an engine's shadow registers and
//! writes its tag to `PUSH`, which enqueues the shadow registers as they are
//! (they keep their values, so a run of similar descriptors rewrites only
//! what changes). A `PUSH` to a full queue is held (BVALID waits) until a
//! slot frees. Each completed descriptor's `{code, tag}` goes into the
//! engine's completion FIFO (read `COMPLETION` to pop one; when the FIFO is
//! full a completion is dropped and `STATUS.cpl_overflow` set), and the
//! counters `COMPLETED`, `ERRORS` and `LAST_ERROR` are updated.
//!
//! The slave takes one write (AW and W together) and one read per cycle when
//! the master keeps BREADY/RREADY high. Unmapped addresses answer DECERR.
//!
//! The map itself (addresses, fields, the C header and JSON) lives in
//! [`regmap`](crate::blocks::dma::regmap) and is re-exported here, so
//! `regs::READ_BASE`, `regs::c_header`, ... name the same items. The block is
//! built in stages, top to bottom: ports, the write channel, the read
//! channel's handshake, each engine's shadow registers and queue, its
//! completions, the page-table write ports, the write response, the read
//! data, and the interrupt.

use golden::DmaConfig;

pub use crate::blocks::dma::regmap::*;

use crate::blocks::common::axil::{
    in_table, lite_ports, page_table_port, read_handshake, word, write_channel, LiteIn, ReadChannel, WriteChannel,
};
use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{lit, pmux, zeros};
use crate::blocks::common::params::config;
use crate::blocks::dma::desc::{DescFields, DescLayout};
use crate::core::{cat, mux, Bit, Expr, Module, Record, Reg, Result, UInt};

pub fn regs_name(cfg: &DmaConfig) -> String {
    format!("serrano_dma_regs_a{}_q{}_t{}", cfg.addr_bits, cfg.queue_depth, cfg.table_entries)
}

/// What an engine tells the register block.
#[derive(Clone)]
struct EngineIn {
    desc_ready: Expr,
    cpl_valid: Expr,
    cpl_tag: Expr,
    cpl_code: Expr,
    busy: Expr,
}

/// The storage of register `info` at byte address `base + info.offset`,
/// as the map says: its `RW` fields and its reset value (so reserved bits,
/// e.g. DESC_CTRL's 7..3, read 0).
fn rw(wr: &WriteChannel, m: &mut Module, name: &str, info: &RegInfo, base: u32) -> Result<Reg> {
    wr.rw_reg(m, name, info.write_mask(), info.reset, base + info.offset)
}

/// The map's entry for register `name`.
fn info(cfg: &DmaConfig, name: &str) -> RegInfo {
    register_map(cfg).into_iter().find(|r| r.name == name).expect("a register of the map")
}

/// One engine's side of the register block: what the read mux, the write
/// response and the outputs need from it.
struct EngineRegs {
    /// (byte address, value) of each readable register.
    read_value: Vec<(u32, Expr)>,
    push_hit: Expr,
    queue_ready: Expr,
    /// The queue's head: (valid, packed descriptor).
    desc_out: (Expr, Expr),
    cpl_nonempty: Expr,
}

/// The register block for `cfg` (validated).
pub fn dma_regs(cfg: &DmaConfig) -> Result<Module> {
    config("serrano_dma_regs", cfg.validate())?;
    let mut m = Module::new(&regs_name(cfg));
    m.doc("DMA control registers: AXI4-Lite slave, descriptor queues, completion FIFOs (docs/dma.md).");
    let (lite, eng_in) = ports(&mut m)?;
    let wr = write_channel(&mut m, &lite)?;
    let irq_en = rw(&wr, &mut m, "irq_enable", &info(cfg, "IRQ_ENABLE"), 0)?;
    let attr = rw(&wr, &mut m, "axi_attr", &info(cfg, "AXI_ATTR"), 0)?;
    let rd = read_handshake(&mut m, &lite)?;
    let mut engines = Vec::new();
    for (i, (p, base)) in [("rd", READ_BASE), ("wr", WRITE_BASE)].into_iter().enumerate() {
        engines.push(engine(&mut m, cfg, &wr, &rd, p, base, &eng_in[i])?);
    }
    let mut tbl_outs = Vec::new();
    for (p, tbase) in [("rd", READ_TABLE_BASE), ("wr", WRITE_TABLE_BASE)] {
        tbl_outs.push(page_table_port(&mut m, &wr, &lite, p, tbase, (cfg.addr_bits, cfg.table_entries))?);
    }
    let wfire = write_response(&mut m, cfg, &wr, &lite, &engines)?;
    let mut cases: Vec<(Expr, Expr)> = vec![
        (rd.ra.cmp_eq(word(ID)), lit(ID_VALUE as u128, 32)),
        (rd.ra.cmp_eq(word(VERSION)), lit(VERSION_VALUE as u128, 32)),
        (rd.ra.cmp_eq(word(CONFIG0)), lit(config0(cfg) as u128, 32)),
        (rd.ra.cmp_eq(word(CONFIG1)), lit(config1(cfg) as u128, 32)),
        (rd.ra.cmp_eq(word(CONFIG2)), lit(cfg.table_entries as u128, 32)),
        (rd.ra.cmp_eq(word(IRQ_ENABLE)), irq_en.q.zext(32)),
        (rd.ra.cmp_eq(word(AXI_ATTR)), attr.q.zext(32)),
    ];
    for e in &engines {
        for (off, v) in &e.read_value {
            cases.push((rd.ra.cmp_eq(word(*off)), v.clone()));
        }
    }
    let (rdata, rresp) = read_data(&mut m, cfg, &rd, &lite, &cases)?;

    let irq = m
        .reg("irq_q", Bit)
        .reset(0)
        .d((irq_en.q.bit(0) & &engines[0].cpl_nonempty) | (irq_en.q.bit(1) & &engines[1].cpl_nonempty))?;

    lite.bus.drive(&mut m, "awready", &wfire)?;
    lite.bus.drive(&mut m, "wready", &wfire)?;
    lite.bus.drive(&mut m, "bresp", &wr.bresp.q)?;
    lite.bus.drive(&mut m, "bvalid", &wr.bvalid.q)?;
    lite.bus.drive(&mut m, "arready", &rd.arready)?;
    lite.bus.drive(&mut m, "rdata", &rdata)?;
    lite.bus.drive(&mut m, "rresp", &rresp)?;
    lite.bus.drive(&mut m, "rvalid", &rd.rvalid.q)?;
    for (i, p) in ["rd", "wr"].iter().enumerate() {
        m.output_doc(&format!("{p}_desc_valid"), &engines[i].desc_out.0, "a descriptor waits")?;
        m.output_doc(&format!("{p}_desc"), &engines[i].desc_out.1, "the head descriptor (packed)")?;
        m.output_doc(&format!("{p}_tbl_we"), &tbl_outs[i].0, "write a page-table entry")?;
        m.output(&format!("{p}_tbl_waddr"), &tbl_outs[i].1)?;
        m.output(&format!("{p}_tbl_wdata"), &tbl_outs[i].2)?;
    }
    m.output_doc("axi_cache", attr.q.slice(3, 0), "AxCACHE for both engines")?;
    m.output_doc("axi_prot", attr.q.slice(6, 4), "AxPROT for both engines")?;
    m.output_doc("irq", &irq, "a completion is waiting in an enabled engine")?;
    Ok(m)
}

/// Ports. In: nothing. Out: the AXI4-Lite slave's inputs (AxPROT and the
/// byte-select address bits declared unused) and each engine's inputs
/// (`rd_*`, then `wr_*`).
fn ports(m: &mut Module) -> Result<(LiteIn, Vec<EngineIn>)> {
    let lite = lite_ports(m)?;
    let mut eng_in = Vec::new();
    for p in ["rd", "wr"] {
        eng_in.push(EngineIn {
            desc_ready: m.input_doc(&format!("{p}_desc_ready"), Bit, "the engine takes the head descriptor")?,
            cpl_valid: m.input_doc(&format!("{p}_cpl_valid"), Bit, "the engine completed a descriptor")?,
            cpl_tag: m.input_doc(&format!("{p}_cpl_tag"), UInt(16), "its tag")?,
            cpl_code: m.input_doc(&format!("{p}_cpl_code"), UInt(8), "its status")?,
            busy: m.input_doc(&format!("{p}_busy"), Bit, "the engine holds a descriptor")?,
        });
    }
    Ok((lite, eng_in))
}

/// One engine's registers. In: the write and read channels, the engine's
/// completions. Out: its shadow registers and descriptor queue (a `PUSH`
/// enqueues the shadow registers with the written tag), its completion FIFO
/// and counters, and the value of each of its readable registers.
fn engine(
    m: &mut Module,
    cfg: &DmaConfig,
    wr: &WriteChannel,
    rd: &ReadChannel,
    p: &str,
    base: u32,
    inp: &EngineIn,
) -> Result<EngineRegs> {
    let a = cfg.addr_bits;
    let lay = DescLayout::new(a);
    let n = |s: &str| format!("{p}_{s}");
    let rw = |m: &mut Module, name: &str, reg: &str| rw(wr, m, &n(name), &info(cfg, reg), base);
    let ctrl = rw(m, "desc_ctrl", "DESC_CTRL")?;
    let addr_lo = rw(m, "addr_lo", "ADDR_LO")?;
    let len = rw(m, "len", "LEN")?;
    let counts = rw(m, "counts", "COUNTS")?;
    let s1_lo = rw(m, "stride1_lo", "STRIDE1_LO")?;
    let s2_lo = rw(m, "stride2_lo", "STRIDE2_LO")?;
    let tbase_r = rw(m, "table_base", "TABLE_BASE")?;
    // The high words exist only with 64-bit addresses; otherwise the map
    // marks them reserved and they read 0.
    let (addr, s1, s2, hi_regs) = if info(cfg, "ADDR_HI").reserved.is_none() {
        let ah = rw(m, "addr_hi", "ADDR_HI")?;
        let s1h = rw(m, "stride1_hi", "STRIDE1_HI")?;
        let s2h = rw(m, "stride2_hi", "STRIDE2_HI")?;
        (
            cat(&[&ah.q, &addr_lo.q]),
            cat(&[&s1h.q, &s1_lo.q]),
            cat(&[&s2h.q, &s2_lo.q]),
            vec![ah.q.clone(), s1h.q.clone(), s2h.q.clone()],
        )
    } else {
        (addr_lo.q.clone(), s1_lo.q.clone(), s2_lo.q.clone(), vec![zeros(32); 3])
    };
    m.allow_unused(&ctrl.q, "DESC_CTRL bits 7..3 are reserved")?;
    let fields = DescFields {
        tag: wr.wdata.slice(15, 0),
        table_base: tbase_r.q.clone(),
        page_shift: ctrl.q.slice(12, 8),
        kind: ctrl.q.slice(2, 0),
        count1: counts.q.slice(15, 0),
        count2: counts.q.slice(31, 16),
        len: len.q.clone(),
        addr,
        stride1: s1,
        stride2: s2,
    };
    let push_hit = m.node(&n("push_hit"), wr.wa.cmp_eq(word(base + PUSH)))?;
    let push = &wr.wfire & &push_hit;
    let packed = lay.pack(m, &n("queue_in"), &fields)?;
    let q = m.instance(
        &n("queue"),
        &fifo(lay.width(), cfg.queue_depth)?,
        &[("in_valid", &push), ("in_data", &packed), ("out_ready", &inp.desc_ready)],
    )?;
    let desc_out = (q.out("out_valid")?, q.out("out_data")?);
    let queue_ready = q.out("in_ready")?;

    let cpl = completions(m, cfg, wr, rd, p, base, inp)?;
    let qcount = q.out("count")?;
    let c9 = |e: &Expr| e.zext(9);
    let status = cat(&[
        &zeros(7),
        &c9(&cpl.count),
        &zeros(3),
        &c9(&qcount),
        &zeros(1),
        &cpl.overflow,
        &!&queue_ready,
        &(&inp.busy | qcount.cmp_ne(0)),
    ]);
    let z = |e: &Expr, w: u32| if w < 32 { e.zext(32) } else { e.clone() };
    let read_value = vec![
        (base + DESC_CTRL, z(&ctrl.q, 13)),
        (base + ADDR_LO, addr_lo.q.clone()),
        (base + ADDR_HI, hi_regs[0].clone()),
        (base + LEN, len.q.clone()),
        (base + COUNTS, counts.q.clone()),
        (base + STRIDE1_LO, s1_lo.q.clone()),
        (base + STRIDE1_HI, hi_regs[1].clone()),
        (base + STRIDE2_LO, s2_lo.q.clone()),
        (base + STRIDE2_HI, hi_regs[2].clone()),
        (base + TABLE_BASE, z(&tbase_r.q, 16)),
        (base + PUSH, zeros(32)),
        (base + STATUS, status),
        (base + COMPLETED, cpl.completed),
        (base + ERRORS, cpl.errors),
        (base + LAST_ERROR, z(&cpl.last_error, 24)),
        (base + COMPLETION, cpl.completion),
    ];
    Ok(EngineRegs { read_value, push_hit, queue_ready, desc_out, cpl_nonempty: cpl.nonempty })
}

/// An engine's completion side, as register values.
struct Completions {
    nonempty: Expr,
    count: Expr,
    overflow: Expr,
    completed: Expr,
    errors: Expr,
    last_error: Expr,
    completion: Expr,
}

/// Completions. In: the engine's `{code, tag}` completions and reads of
/// `COMPLETION` (which pop). Out: the completion FIFO's head and fill,
/// `COMPLETED`/`ERRORS`/`LAST_ERROR`, and the overflow flag (a completion
/// that found the FIFO full; a `STATUS` write of bit 2 clears it).
fn completions(
    m: &mut Module,
    cfg: &DmaConfig,
    wr: &WriteChannel,
    rd: &ReadChannel,
    p: &str,
    base: u32,
    inp: &EngineIn,
) -> Result<Completions> {
    let n = |s: &str| format!("{p}_{s}");
    let (cpl_valid, cpl_tag, cpl_code) = (&inp.cpl_valid, &inp.cpl_tag, &inp.cpl_code);
    let cpl_pop = m.node(&n("cpl_pop"), &rd.ar_fire & rd.ra.cmp_eq(word(base + COMPLETION)))?;
    // The COMPLETION and LAST_ERROR registers read this word as it is.
    let rec = Record::new("completion", &[("tag", UInt(16)), ("code", UInt(8))]);
    let entry = rec.pack(m, &n("cpl_entry"), &[("tag", cpl_tag), ("code", cpl_code)])?;
    let cq = m.instance(
        &n("cpl_fifo"),
        &fifo(rec.width(), cfg.queue_depth)?,
        &[("in_valid", cpl_valid), ("in_data", &entry), ("out_ready", &cpl_pop)],
    )?;
    let failed = cpl_valid & cpl_code.cmp_ne(0);
    let completed = m.reg(&n("completed"), UInt(32)).reset(0).build()?;
    m.set_next(&completed, &completed.q + cpl_valid.zext(32))?;
    let errors = m.reg(&n("errors"), UInt(32)).reset(0).build()?;
    m.set_next(&errors, &errors.q + failed.zext(32))?;
    let last_err = m.reg(&n("last_error"), UInt(24)).reset(0).build()?;
    m.set_next(&last_err, mux(&failed, &entry, &last_err.q))?;
    let ovf = m.reg(&n("cpl_overflow"), Bit).reset(0).build()?;
    let clear = &wr.wfire & wr.wa.cmp_eq(word(base + STATUS)) & wr.wdata.bit(2) & wr.wstrb.bit(0);
    m.set_next(&ovf, (cpl_valid & !cq.out("in_ready")?) | (&ovf.q & !clear))?;
    Ok(Completions {
        nonempty: cq.out("out_valid")?,
        count: cq.out("count")?,
        overflow: ovf.q,
        completed: completed.q,
        errors: errors.q,
        last_error: last_err.q,
        // The FIFO's head register has no reset and keeps the last word after
        // a pop, so the word is gated: an empty FIFO reads exactly 0.
        completion: mux(&cq.out("out_valid")?, &cat(&[&lit(1, 1), &zeros(7), &cq.out("out_data")?]), &zeros(32)),
    })
}

/// Address decode, shared by both channels. In: a word address and the full
/// byte address. Out: 1 if a register or an in-range page-table entry is
/// there (else the access answers DECERR).
fn mapped(cfg: &DmaConfig, addr_word: &Expr, full: &Expr) -> Expr {
    let mut hits: Vec<Expr> = Vec::new();
    for r in register_map(cfg) {
        let bases: Vec<u32> = if r.per_engine { vec![READ_BASE, WRITE_BASE] } else { vec![0] };
        for b in bases {
            hits.push(addr_word.cmp_eq(word(b + r.offset)));
        }
    }
    for tbase in [READ_TABLE_BASE, WRITE_TABLE_BASE] {
        hits.push(in_table(full, tbase, cfg.table_entries));
    }
    hits.iter().skip(1).fold(hits[0].clone(), |acc, h| acc | h)
}

/// The write response. In: `both` and each engine's `PUSH` hit and queue
/// space. Out: drives `wfire` (a `PUSH` to a full queue waits, holding AW
/// and W) and the B registers (OKAY, or DECERR for an unmapped address);
/// returns `wfire` as a node (AWREADY = WREADY).
fn write_response(
    m: &mut Module,
    cfg: &DmaConfig,
    wr: &WriteChannel,
    lite: &LiteIn,
    engines: &[EngineRegs],
) -> Result<Expr> {
    let w_mapped = m.node("w_mapped", mapped(cfg, &wr.wa, &lite.awaddr))?;
    let push_blocked = engines.iter().map(|e| &e.push_hit & !&e.queue_ready).fold(lit(0, 1), |acc, x| acc | x);
    let wfire = m.node("wfire_w", &wr.both & !&push_blocked)?;
    m.assign(&wr.wfire, &wfire)?;
    m.set_next(&wr.bvalid, &wfire | (&wr.bvalid.q & !&lite.bready))?;
    m.set_next(&wr.bresp, mux(&wfire, &mux(&w_mapped, &lit(0, 2), &lit(3, 2)), &wr.bresp.q))?;
    Ok(wfire)
}

/// The read data. In: the handshake and `cases`, (address hit, value) of
/// every readable register. Out: RDATA and RRESP registers, loaded when a
/// read is taken (unmapped addresses read 0 with DECERR).
fn read_data(
    m: &mut Module,
    cfg: &DmaConfig,
    rd: &ReadChannel,
    lite: &LiteIn,
    cases: &[(Expr, Expr)],
) -> Result<(Expr, Expr)> {
    let rdata = m.reg("rdata_q", UInt(32)).reset(0).build()?;
    let rresp = m.reg("rresp_q", UInt(2)).reset(0).build()?;
    let rvalue = pmux(cases, &zeros(32));
    let r_mapped = m.node("r_mapped", mapped(cfg, &rd.ra, &lite.araddr))?;
    m.set_next(&rd.rvalid, &rd.ar_fire | (&rd.rvalid.q & !&lite.rready))?;
    m.set_next(&rdata, mux(&rd.ar_fire, &rvalue, &rdata.q))?;
    m.set_next(&rresp, mux(&rd.ar_fire, &mux(&r_mapped, &lit(0, 2), &lit(3, 2)), &rresp.q))?;
    Ok((rdata.q, rresp.q))
}
