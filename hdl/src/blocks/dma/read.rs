//! The read engine: memory → AXI-Stream, an AXI4 master on AR/R.
//!
//! Descriptors (from the queue) pass the validator and the legalizer (the
//! shared front end, `dma_legalizer::front_end`); each burst record becomes
//! an AR transaction and an entry of the in-flight FIFO, which the R side
//! pops as bursts complete. At most `max_outstanding` bursts are in flight
//! (AR handshaken, last beat not yet received), so a memory latency of L
//! cycles is hidden when `max_outstanding × burst beats ≥ L + burst beats`.
//!
//! Every burst uses ARID 0, so AXI's same-ID ordering delivers R beats in
//! issue order and no reorder buffer is needed.
//!
//! The R side realigns: each beat's bytes `[lo, hi)` (the segment's bytes in
//! that beat) are rotated to the stream's fill position and packed, so each
//! descriptor leaves as one dense AXI-Stream packet starting at lane 0, TKEEP
//! all ones except on the TLAST beat (lanes `0..n`). A descriptor whose last
//! beat overflows the packing register costs one extra output cycle (R is
//! held for that cycle).
//!
//! Errors: the first SLVERR/DECERR (RRESP) or protocol error (RID ≠ 0, RLAST
//! not on the counted last beat) of a descriptor becomes its status; the
//! descriptor still runs to its end. A descriptor completes (`cpl_valid`) when
//! its TLAST beat is taken; a rejected one completes, in order, with its
//! validation code and no stream beat.

use golden::dma::Status;
use golden::DmaConfig;

use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{bits_for, bytes_of, lit, mask_ge, mask_lt, merge, ones, pmux, rotl_bytes};
use crate::blocks::common::params::config;
use crate::blocks::dma::legalizer::{
    engine_inputs, front_end, pack_record, record_bits, unpack_record, BurstRecord, EngineInputs, FrontEnd,
};
use crate::core::{mux, Bit, Bundle, BundleSig, Expr, Instance, Module, Reg, Result, Role, UInt};

pub fn read_name(cfg: &DmaConfig) -> String {
    format!(
        "serrano_dma_read_d{}_a{}_b{}_o{}_i{}_t{}",
        cfg.data_bits, cfg.addr_bits, cfg.max_burst, cfg.max_outstanding, cfg.id_bits, cfg.table_entries
    )
}

/// The read engine's input ports.
struct ReadIn {
    /// The AXI4 master half and the stream, whose outputs are driven last.
    axi: BundleSig,
    axis: BundleSig,
    /// From the register block.
    common: EngineInputs,
    arready: Expr,
    rid: Expr,
    rdata: Expr,
    rresp: Expr,
    rlast: Expr,
    rvalid: Expr,
    tready: Expr,
}

/// The address side, as the R side sees it.
struct Issue {
    outs: Reg,
    arvalid: Expr,
    ar_hs: Expr,
    /// The in-flight FIFO (its `count` is part of `busy`).
    info: Instance,
    /// Its head record: valid, and the fields (`addr` is not stored).
    h_valid: Expr,
    h: BurstRecord,
    /// A wire the R side drives: pop the head record.
    info_pop: Expr,
}

/// The R side's registers: the head burst's beat count, the packing register
/// and the registered stream output.
struct RRegs {
    bc: Reg,
    fill: Reg,
    flush: Reg,
    acc: Reg,
    cur_err: Reg,
    fl_tag: Reg,
    ov: Reg,
    od: Reg,
    okeep: Reg,
    olast: Reg,
    otag: Reg,
    ostat: Reg,
}

/// What the receive stage hands to the stream output stage.
struct Received {
    rready: Expr,
    /// An R beat is taken this cycle.
    beat: Expr,
    /// The beat fills the packing register or ends the descriptor: a stream beat leaves.
    will_emit: Expr,
    /// The packing register's remainder leaves (with TLAST) without an R beat.
    flush_fire: Expr,
    is_lastb: Expr,
    full: Expr,
    total: Expr,
    merged: Expr,
    tlast_now: Expr,
    status: Expr,
    null_done: Expr,
}

/// The read engine for `cfg` (validated).
pub fn dma_read(cfg: &DmaConfig) -> Result<Module> {
    config("serrano_dma_read", cfg.validate())?;
    let lb = cfg.data_bytes().trailing_zeros();
    let mut m = Module::new(&read_name(cfg));
    m.doc("DMA read engine: descriptors -> AXI4 read bursts -> realigned AXI-Stream packets.");
    let inp = ports(&mut m, cfg)?;
    let fe = front_end(&mut m, cfg, &inp.common)?;
    let issue = issue(&mut m, cfg, &fe, &inp.arready)?;
    let r = r_regs(&mut m, cfg)?;
    let rx = receive(&mut m, cfg, &inp, &issue, &r)?;
    stream_out(&mut m, cfg, &inp, &issue, &r, &rx)?;

    let t_done = &r.ov.q & &inp.tready & &r.olast.q;
    let busy = &fe.busy | issue.info.out("count")?.cmp_ne(0) | &r.ov.q | &r.flush.q;
    let rec = &fe.rec;
    let h = &issue.h;
    m.output_doc("desc_ready", &fe.desc_ready, "the descriptor is taken")?;
    inp.axi.drive(&mut m, "arid", lit(0, cfg.id_bits))?;
    inp.axi.drive(&mut m, "araddr", &rec.addr)?;
    inp.axi.drive(&mut m, "arlen", &rec.len)?;
    inp.axi.drive(&mut m, "arsize", lit(lb as u128, 3))?;
    inp.axi.drive(&mut m, "arburst", lit(1, 2))?;
    inp.axi.drive(&mut m, "arlock", lit(0, 1))?;
    inp.axi.drive(&mut m, "arcache", &inp.common.axi_cache)?;
    inp.axi.drive(&mut m, "arprot", &inp.common.axi_prot)?;
    inp.axi.drive(&mut m, "arvalid", &issue.arvalid)?;
    inp.axi.drive(&mut m, "rready", &rx.rready)?;
    inp.axis.drive(&mut m, "tdata", &r.od.q)?;
    inp.axis.drive(&mut m, "tkeep", &r.okeep.q)?;
    inp.axis.drive(&mut m, "tlast", &r.olast.q)?;
    inp.axis.drive(&mut m, "tvalid", &r.ov.q)?;
    m.output_doc("cpl_valid", &t_done | &rx.null_done, "a descriptor completed")?;
    m.output_doc("cpl_tag", mux(&rx.null_done, &h.tag, &r.otag.q), "its tag")?;
    m.output_doc("cpl_code", mux(&rx.null_done, &h.err, &r.ostat.q), "its status")?;
    m.output_doc("busy", &busy, "a descriptor is in the engine")?;
    Ok(m)
}

/// Ports. In: nothing. Out: the descriptor queue's head, the page-table
/// write port, the AXI attributes, AR/R and the stream's TREADY.
fn ports(m: &mut Module, cfg: &DmaConfig) -> Result<ReadIn> {
    let a = cfg.addr_bits;
    let common = engine_inputs(m, cfg, "AR")?;
    let axi = m.bundle_ports("m_axi", &Bundle::axi4_read(a, cfg.data_bits, cfg.id_bits), Role::Master)?;
    let axis = m.bundle_ports("m_axis", &Bundle::axis(cfg.data_bits, true, true, 0), Role::Master)?;
    Ok(ReadIn {
        common,
        arready: axi.get("arready")?,
        rid: axi.get("rid")?,
        rdata: axi.get("rdata")?,
        rresp: axi.get("rresp")?,
        rlast: axi.get("rlast")?,
        rvalid: axi.get("rvalid")?,
        tready: axis.get("tready")?,
        axi,
        axis,
    })
}

/// The address side. In: the front end's burst records, ARREADY. Out: AR
/// (a burst issues while fewer than `max_outstanding` are in flight and the
/// in-flight FIFO has room; a null record goes to the FIFO without an AR)
/// and the in-flight FIFO's head for the R side.
fn issue(m: &mut Module, cfg: &DmaConfig, fe: &FrontEnd, arready: &Expr) -> Result<Issue> {
    let lb = cfg.data_bytes().trailing_zeros();
    let mo = cfg.max_outstanding;
    let ow = bits_for(mo as u64);
    let rec = &fe.rec;
    let info_mod = fifo(record_bits(lb), mo + 2)?;
    let info_in_ready = m.wire("info_in_ready", Bit)?;
    let outs = m.reg("outstanding", UInt(ow)).reset(0).doc("bursts in flight").build()?;
    let can_issue = m.node("can_issue", outs.q.cmp_lt(lit(mo as u128, ow)) & &info_in_ready)?;
    let arvalid = m.node("arvalid", &fe.valid & !&rec.null & &can_issue)?;
    let ar_hs = m.node("ar_hs", &arvalid & arready)?;
    let null_push = &fe.valid & &rec.null & &info_in_ready;
    m.assign(&fe.out_ready, mux(&rec.null, &info_in_ready, &(arready & &can_issue)))?;
    let info_push = m.node("info_push", &null_push | &ar_hs)?;

    let info_pop = m.wire("info_pop", Bit)?;
    let packed = pack_record(m, "inflight_in", rec, lb)?;
    let info =
        m.instance("inflight", &info_mod, &[("in_valid", &info_push), ("in_data", &packed), ("out_ready", &info_pop)])?;
    m.assign(&info_in_ready, info.out("in_ready")?)?;
    let h_valid = info.out("out_valid")?;
    let h = unpack_record(m, "inflight", &info.out("out_data")?, lb)?;
    Ok(Issue { outs, arvalid, ar_hs, info, h_valid, h, info_pop })
}

/// The R side's registers (declared here, driven by [`receive`] and
/// [`stream_out`]).
fn r_regs(m: &mut Module, cfg: &DmaConfig) -> Result<RRegs> {
    let dbits = cfg.data_bits;
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    Ok(RRegs {
        bc: m.reg("beat", UInt(8)).reset(0).doc("beat of the head burst").build()?,
        fill: m.reg("fill", UInt(lb)).reset(0).doc("bytes waiting in the packing register").build()?,
        flush: m.reg("flush", Bit).reset(0).doc("the packing register holds a descriptor's last bytes").build()?,
        acc: m
            .reg("pack", UInt(dbits))
            .no_reset()
            .doc("packing register (data path: lanes below fill are meaningful)")
            .build()?,
        cur_err: m.reg("cur_err", UInt(8)).reset(0).doc("first error of the descriptor being received").build()?,
        fl_tag: m.reg("flush_tag", UInt(16)).reset(0).build()?,
        ov: m.reg("tvalid_q", Bit).reset(0).build()?,
        od: m.reg("tdata_q", UInt(dbits)).no_reset().doc("data path: meaningful while tvalid").build()?,
        okeep: m.reg("tkeep_q", UInt(nb)).reset(0).build()?,
        olast: m.reg("tlast_q", Bit).reset(0).build()?,
        otag: m.reg("tag_q", UInt(16)).reset(0).build()?,
        ostat: m.reg("status_q", UInt(8)).reset(0).build()?,
    })
}
/// Receive and realign. In: R beats and the in-flight FIFO's head record.
/// Out: RREADY (held while the output register is full and this beat would
/// emit, and for the flush cycle), the beat's bytes `[lo, hi)` rotated to the
/// packing position and merged (`merged`), the beat's status (first error
/// wins: response, then protocol), and the beat count, packing register and
/// error registers' next values.
fn receive(m: &mut Module, cfg: &DmaConfig, inp: &ReadIn, issue: &Issue, r: &RRegs) -> Result<Received> {
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    let h = &issue.h;
    let is_first = r.bc.q.cmp_eq(0);
    let is_lastb = m.node("is_last_beat", r.bc.q.cmp_eq(&h.len))?;
    let lo_e = m.node("lo_e", mux(&is_first, &h.lo, &lit(0, lb)))?;
    let hi_e = mux(&is_lastb, &h.hi, &lit(nb as u128, lb + 1));
    let n = m.node("n", &hi_e - lo_e.zext(lb + 1))?;
    let desc_end = m.node("desc_end", &is_lastb & &h.last)?;
    let total = m.node("total", r.fill.q.zext(lb + 1) + &n)?;
    let full = m.node("full", total.bit(lb))?;
    let rem = total.trunc(lb);
    let rem_nz = rem.cmp_ne(0);
    let will_emit = &full | &desc_end;
    let can_out = m.node("can_out", !&r.ov.q | &inp.tready)?;
    let rready = m.node("rready", &issue.h_valid & !&h.null & !&r.flush.q & (&can_out | !&will_emit))?;
    let beat = m.node("beat_hs", &inp.rvalid & &rready)?;
    let flush_fire = m.node("flush_fire", &r.flush.q & &can_out)?;
    let null_done = m.node("null_done", &issue.h_valid & &h.null & !&r.ov.q & !&r.flush.q)?;
    m.assign(&issue.info_pop, (&beat & &is_lastb) | &null_done)?;

    // Rotate the beat so its byte at lane lo_e lands at lane fill.
    let rot = m.node("rot", rotl_bytes(&inp.rdata, &(&r.fill.q - &lo_e), lb))?;
    let keep_fill = bytes_of(&mask_ge(&r.fill.q, nb));
    let merged = m.node("merged", merge(&keep_fill, &rot, &r.acc.q))?;
    let tlast_now = &desc_end & !(&full & &rem_nz);

    // This beat's error: the response first, then the protocol.
    let resp_err = inp.rresp.bit(1);
    let proto_err = inp.rid.cmp_ne(0) | inp.rlast.cmp_ne(&is_lastb);
    let beat_code = pmux(
        &[
            (resp_err, crate::core::cat(&[&lit(0x4, 6), &inp.rresp])),
            (proto_err, lit(Status::Protocol.code() as u128, 8)),
        ],
        &lit(0, 8),
    );
    let status = m.node("status", mux(&r.cur_err.q.cmp_ne(0), &r.cur_err.q, &beat_code))?;

    m.set_next(&r.bc, mux(&beat, &mux(&is_lastb, &lit(0, 8), &(&r.bc.q + 1)), &r.bc.q))?;
    m.set_next(&r.acc, mux(&beat, &mux(&full, &rot, &merged), &r.acc.q))?;
    m.set_next(
        &r.fill,
        pmux(
            &[(beat.clone(), mux(&(&desc_end & !&full), &lit(0, lb), &rem)), (flush_fire.clone(), lit(0, lb))],
            &r.fill.q,
        ),
    )?;
    m.set_next(&r.flush, (&beat & &desc_end & &full & &rem_nz) | (&r.flush.q & !&can_out))?;
    m.set_next(
        &r.cur_err,
        pmux(&[(beat.clone(), mux(&tlast_now, &lit(0, 8), &status)), (flush_fire.clone(), lit(0, 8))], &r.cur_err.q),
    )?;
    m.set_next(&r.fl_tag, mux(&(&beat & &desc_end), &h.tag, &r.fl_tag.q))?;
    Ok(Received { rready, beat, will_emit, flush_fire, is_lastb, full, total, merged, tlast_now, status, null_done })
}

/// The stream output. In: the receive stage's packed beat (or the flush of
/// a descriptor's remainder) and TREADY. Out: the registered `m_axis` beat
/// (TKEEP all ones except on TLAST, with the tag and status of the
/// descriptor it ends), and the in-flight count (a burst leaves with its
/// last R beat).
fn stream_out(m: &mut Module, cfg: &DmaConfig, inp: &ReadIn, issue: &Issue, r: &RRegs, rx: &Received) -> Result<()> {
    let nb = cfg.data_bytes();
    let ow = bits_for(cfg.max_outstanding as u64);
    let (beat, flush_fire, h) = (&rx.beat, &rx.flush_fire, &issue.h);
    let emit = beat & &rx.will_emit;
    let out_fire = m.node("out_fire", &emit | flush_fire)?;
    m.set_next(&r.ov, &out_fire | (&r.ov.q & !&inp.tready))?;
    m.set_next(&r.od, pmux(&[(flush_fire.clone(), r.acc.q.clone()), (emit.clone(), rx.merged.clone())], &r.od.q))?;
    m.set_next(
        &r.okeep,
        pmux(
            &[
                (flush_fire.clone(), mask_lt(&r.fill.q, nb)),
                (emit.clone(), mux(&rx.full, &ones(nb), &mask_lt(&rx.total, nb))),
            ],
            &r.okeep.q,
        ),
    )?;
    m.set_next(&r.olast, pmux(&[(flush_fire.clone(), lit(1, 1)), (emit.clone(), rx.tlast_now.clone())], &r.olast.q))?;
    m.set_next(&r.otag, pmux(&[(flush_fire.clone(), r.fl_tag.q.clone()), (emit.clone(), h.tag.clone())], &r.otag.q))?;
    m.set_next(
        &r.ostat,
        pmux(&[(flush_fire.clone(), r.cur_err.q.clone()), (emit.clone(), rx.status.clone())], &r.ostat.q),
    )?;

    let burst_done = beat & &rx.is_lastb;
    m.set_next(&issue.outs, &issue.outs.q + issue.ar_hs.zext(ow) - burst_done.zext(ow))?;
    Ok(())
}
