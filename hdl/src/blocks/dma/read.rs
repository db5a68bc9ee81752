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
use crate::blocks::common::lanes::{
    bits_for, bytes_of, index_bits, lit, mask_ge, mask_lt, merge, ones, pmux, rotl_bytes,
};
use crate::blocks::dma::desc::DescLayout;
use crate::blocks::dma::legalizer::{front_end, pack_record, record_bits, unpack_record};
use crate::core::{mux, Bit, Module, Result, UInt};

pub fn read_name(cfg: &DmaConfig) -> String {
    format!(
        "serrano_dma_read_d{}_a{}_b{}_o{}_i{}_t{}",
        cfg.data_bits, cfg.addr_bits, cfg.max_burst, cfg.max_outstanding, cfg.id_bits, cfg.table_entries
    )
}

/// The read engine for `cfg` (validated).
pub fn dma_read(cfg: &DmaConfig) -> Result<Module> {
    let a = cfg.addr_bits;
    let dbits = cfg.data_bits;
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    let dw = DescLayout::new(a).width();
    let mo = cfg.max_outstanding;
    let ow = bits_for(mo as u64);
    let mut m = Module::new(&read_name(cfg));
    m.doc("DMA read engine: descriptors -> AXI4 read bursts -> realigned AXI-Stream packets.");

    let desc_valid = m.input_doc("desc_valid", Bit, "a descriptor is offered (from the queue)")?;
    let desc = m.input_doc("desc", UInt(dw), "packed descriptor (dma_desc)")?;
    let tbl_we = m.input_doc("tbl_we", Bit, "write a page-table entry")?;
    let tbl_waddr = m.input_doc("tbl_waddr", UInt(index_bits(cfg.table_entries as u64)), "entry")?;
    let tbl_wdata = m.input_doc("tbl_wdata", UInt(a), "page base address")?;
    let axi_cache = m.input_doc("axi_cache", UInt(4), "ARCACHE to use")?;
    let axi_prot = m.input_doc("axi_prot", UInt(3), "ARPROT to use")?;
    let arready = m.input("m_axi_arready", Bit)?;
    let rid = m.input("m_axi_rid", UInt(cfg.id_bits))?;
    let rdata = m.input("m_axi_rdata", UInt(dbits))?;
    let rresp = m.input("m_axi_rresp", UInt(2))?;
    let rlast = m.input("m_axi_rlast", Bit)?;
    let rvalid = m.input("m_axi_rvalid", Bit)?;
    let tready = m.input("m_axis_tready", Bit)?;

    let fe = front_end(&mut m, cfg, &desc_valid, &desc, (&tbl_we, &tbl_waddr, &tbl_wdata))?;
    let rec = &fe.rec;

    // ---- address side ----
    let info_mod = fifo(record_bits(lb), mo + 2)?;
    let info_in_ready = m.wire("info_in_ready", Bit)?;
    let outs = m.reg("outstanding", UInt(ow)).reset(0).doc("bursts in flight").build()?;
    let can_issue = m.node("can_issue", outs.q.cmp_lt(lit(mo as u128, ow)) & &info_in_ready)?;
    let arvalid = m.node("arvalid", &fe.valid & !&rec.null & &can_issue)?;
    let ar_hs = m.node("ar_hs", &arvalid & &arready)?;
    let null_push = &fe.valid & &rec.null & &info_in_ready;
    m.assign(&fe.out_ready, mux(&rec.null, &info_in_ready, &(&arready & &can_issue)))?;
    let info_push = m.node("info_push", &null_push | &ar_hs)?;

    // ---- data side ----
    let info_pop = m.wire("info_pop", Bit)?;
    let info = m.instance(
        "inflight",
        &info_mod,
        &[("in_valid", &info_push), ("in_data", &pack_record(rec)), ("out_ready", &info_pop)],
    )?;
    m.assign(&info_in_ready, info.out("in_ready")?)?;
    let h_valid = info.out("out_valid")?;
    let h = unpack_record(&info.out("out_data")?, lb);

    let bc = m.reg("beat", UInt(8)).reset(0).doc("beat of the head burst").build()?;
    let fill = m.reg("fill", UInt(lb)).reset(0).doc("bytes waiting in the packing register").build()?;
    let flush = m.reg("flush", Bit).reset(0).doc("the packing register holds a descriptor's last bytes").build()?;
    let acc = m
        .reg("pack", UInt(dbits))
        .no_reset()
        .doc("packing register (data path: lanes below fill are meaningful)")
        .build()?;
    let cur_err = m.reg("cur_err", UInt(8)).reset(0).doc("first error of the descriptor being received").build()?;
    let fl_tag = m.reg("flush_tag", UInt(16)).reset(0).build()?;
    let ov = m.reg("tvalid_q", Bit).reset(0).build()?;
    let od = m.reg("tdata_q", UInt(dbits)).no_reset().doc("data path: meaningful while tvalid").build()?;
    let okeep = m.reg("tkeep_q", UInt(nb)).reset(0).build()?;
    let olast = m.reg("tlast_q", Bit).reset(0).build()?;
    let otag = m.reg("tag_q", UInt(16)).reset(0).build()?;
    let ostat = m.reg("status_q", UInt(8)).reset(0).build()?;

    let is_first = bc.q.cmp_eq(0);
    let is_lastb = m.node("is_last_beat", bc.q.cmp_eq(&h.len))?;
    let lo_e = m.node("lo_e", mux(&is_first, &h.lo, &lit(0, lb)))?;
    let hi_e = mux(&is_lastb, &h.hi, &lit(nb as u128, lb + 1));
    let n = m.node("n", &hi_e - lo_e.zext(lb + 1))?;
    let desc_end = m.node("desc_end", &is_lastb & &h.last)?;
    let total = m.node("total", fill.q.zext(lb + 1) + &n)?;
    let full = m.node("full", total.bit(lb))?;
    let rem = total.trunc(lb);
    let rem_nz = rem.cmp_ne(0);
    let will_emit = &full | &desc_end;
    let can_out = m.node("can_out", !&ov.q | &tready)?;
    let rready = m.node("rready", &h_valid & !&h.null & !&flush.q & (&can_out | !&will_emit))?;
    let beat = m.node("beat_hs", &rvalid & &rready)?;
    let flush_fire = m.node("flush_fire", &flush.q & &can_out)?;
    let null_done = m.node("null_done", &h_valid & &h.null & !&ov.q & !&flush.q)?;
    m.assign(&info_pop, (&beat & &is_lastb) | &null_done)?;

    // Rotate the beat so its byte at lane lo_e lands at lane fill.
    let rot = m.node("rot", rotl_bytes(&rdata, &(&fill.q - &lo_e), lb))?;
    let keep_fill = bytes_of(&mask_ge(&fill.q, nb));
    let merged = m.node("merged", merge(&keep_fill, &rot, &acc.q))?;
    let tlast_now = &desc_end & !(&full & &rem_nz);

    // This beat's error: the response first, then the protocol.
    let resp_err = rresp.bit(1);
    let proto_err = rid.cmp_ne(0) | rlast.cmp_ne(&is_lastb);
    let beat_code = pmux(
        &[(resp_err, crate::core::cat(&[&lit(0x4, 6), &rresp])), (proto_err, lit(Status::Protocol.code() as u128, 8))],
        &lit(0, 8),
    );
    let status = m.node("status", mux(&cur_err.q.cmp_ne(0), &cur_err.q, &beat_code))?;

    m.set_next(&bc, mux(&beat, &mux(&is_lastb, &lit(0, 8), &(&bc.q + 1)), &bc.q))?;
    m.set_next(&acc, mux(&beat, &mux(&full, &rot, &merged), &acc.q))?;
    m.set_next(
        &fill,
        pmux(
            &[(beat.clone(), mux(&(&desc_end & !&full), &lit(0, lb), &rem)), (flush_fire.clone(), lit(0, lb))],
            &fill.q,
        ),
    )?;
    m.set_next(&flush, (&beat & &desc_end & &full & &rem_nz) | (&flush.q & !&can_out))?;
    m.set_next(
        &cur_err,
        pmux(&[(beat.clone(), mux(&tlast_now, &lit(0, 8), &status)), (flush_fire.clone(), lit(0, 8))], &cur_err.q),
    )?;
    m.set_next(&fl_tag, mux(&(&beat & &desc_end), &h.tag, &fl_tag.q))?;

    let emit = &beat & &will_emit;
    let out_fire = m.node("out_fire", &emit | &flush_fire)?;
    m.set_next(&ov, &out_fire | (&ov.q & !&tready))?;
    m.set_next(&od, pmux(&[(flush_fire.clone(), acc.q.clone()), (emit.clone(), merged.clone())], &od.q))?;
    m.set_next(
        &okeep,
        pmux(
            &[(flush_fire.clone(), mask_lt(&fill.q, nb)), (emit.clone(), mux(&full, &ones(nb), &mask_lt(&total, nb)))],
            &okeep.q,
        ),
    )?;
    m.set_next(&olast, pmux(&[(flush_fire.clone(), lit(1, 1)), (emit.clone(), tlast_now.clone())], &olast.q))?;
    m.set_next(&otag, pmux(&[(flush_fire.clone(), fl_tag.q.clone()), (emit.clone(), h.tag.clone())], &otag.q))?;
    m.set_next(&ostat, pmux(&[(flush_fire.clone(), cur_err.q.clone()), (emit.clone(), status.clone())], &ostat.q))?;

    let burst_done = &beat & &is_lastb;
    m.set_next(&outs, &outs.q + ar_hs.zext(ow) - burst_done.zext(ow))?;

    let t_done = &ov.q & &tready & &olast.q;
    let busy = &fe.busy | info.out("count")?.cmp_ne(0) | &ov.q | &flush.q;

    m.output_doc("desc_ready", &fe.desc_ready, "the descriptor is taken")?;
    m.output("m_axi_arid", lit(0, cfg.id_bits))?;
    m.output("m_axi_araddr", &rec.addr)?;
    m.output("m_axi_arlen", &rec.len)?;
    m.output("m_axi_arsize", lit(lb as u128, 3))?;
    m.output("m_axi_arburst", lit(1, 2))?;
    m.output("m_axi_arlock", lit(0, 1))?;
    m.output("m_axi_arcache", &axi_cache)?;
    m.output("m_axi_arprot", &axi_prot)?;
    m.output("m_axi_arvalid", &arvalid)?;
    m.output("m_axi_rready", &rready)?;
    m.output("m_axis_tdata", &od.q)?;
    m.output("m_axis_tkeep", &okeep.q)?;
    m.output("m_axis_tlast", &olast.q)?;
    m.output("m_axis_tvalid", &ov.q)?;
    m.output_doc("cpl_valid", &t_done | &null_done, "a descriptor completed")?;
    m.output_doc("cpl_tag", mux(&null_done, &h.tag, &otag.q), "its tag")?;
    m.output_doc("cpl_code", mux(&null_done, &h.err, &ostat.q), "its status")?;
    m.output_doc("busy", &busy, "a descriptor is in the engine")?;
    Ok(m)
}
