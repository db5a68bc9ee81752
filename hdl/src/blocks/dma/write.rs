//! The write engine: AXI-Stream → memory, an AXI4 master on AW/W/B.
//!
//! Descriptors pass the shared front end (validator, legalizer); each burst
//! record becomes an AW transaction and an entry of the W FIFO. The W side
//! takes the stream's bytes in order and builds each beat from a two-beat
//! window of the stream (rotated to the beat's lanes), with WSTRB set on the
//! segment's bytes `[lo, hi)` only. After a burst's last W beat its record
//! moves to the B FIFO, which the B side pops as responses arrive. At most
//! `max_outstanding` bursts are in flight (AW handshaken, B not yet
//! received). AWID is always 0, so responses come back in issue order.
//!
//! The stream carries one packet per descriptor: dense bytes from lane 0,
//! TKEEP all ones except on the TLAST beat (lanes `0..n`). A TLAST or TKEEP
//! that does not frame the descriptor's length is a STREAM_FRAMING error for
//! that descriptor; the engine still takes exactly the descriptor's bytes.
//! A rejected descriptor takes nothing from the stream.
//!
//! Errors: a descriptor's status is its first error in burst order (for each
//! burst: BRESP, then BID ≠ 0, then framing). It completes when the B of its
//! last burst arrives; a rejected one completes, in order, with its code.

use golden::dma::Status;
use golden::DmaConfig;

use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{
    bits_for, bytes_of, field, index_bits, lit, mask_ge, mask_lt, merge, ones, pmux, rotl_bytes, zeros,
};
use crate::blocks::dma::desc::DescLayout;
use crate::blocks::dma::legalizer::{front_end, pack_record, record_bits, unpack_record};
use crate::core::{cat, mux, Bit, Module, Result, UInt};

pub fn write_name(cfg: &DmaConfig) -> String {
    format!(
        "serrano_dma_write_d{}_a{}_b{}_o{}_i{}_t{}",
        cfg.data_bits, cfg.addr_bits, cfg.max_burst, cfg.max_outstanding, cfg.id_bits, cfg.table_entries
    )
}

/// The write engine for `cfg` (validated).
pub fn dma_write(cfg: &DmaConfig) -> Result<Module> {
    let a = cfg.addr_bits;
    let dbits = cfg.data_bits;
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    let dw = DescLayout::new(a).width();
    let mo = cfg.max_outstanding;
    let ow = bits_for(mo as u64);
    let mut m = Module::new(&write_name(cfg));
    m.doc("DMA write engine: AXI-Stream packets -> realigned AXI4 write bursts with WSTRB.");

    let desc_valid = m.input_doc("desc_valid", Bit, "a descriptor is offered (from the queue)")?;
    let desc = m.input_doc("desc", UInt(dw), "packed descriptor (dma_desc)")?;
    let tbl_we = m.input_doc("tbl_we", Bit, "write a page-table entry")?;
    let tbl_waddr = m.input_doc("tbl_waddr", UInt(index_bits(cfg.table_entries as u64)), "entry")?;
    let tbl_wdata = m.input_doc("tbl_wdata", UInt(a), "page base address")?;
    let axi_cache = m.input_doc("axi_cache", UInt(4), "AWCACHE to use")?;
    let axi_prot = m.input_doc("axi_prot", UInt(3), "AWPROT to use")?;
    let awready = m.input("m_axi_awready", Bit)?;
    let wready = m.input("m_axi_wready", Bit)?;
    let bid = m.input("m_axi_bid", UInt(cfg.id_bits))?;
    let bresp = m.input("m_axi_bresp", UInt(2))?;
    let bvalid = m.input("m_axi_bvalid", Bit)?;
    let tdata = m.input("s_axis_tdata", UInt(dbits))?;
    let tkeep = m.input("s_axis_tkeep", UInt(nb))?;
    let tlast = m.input("s_axis_tlast", Bit)?;
    let tvalid = m.input("s_axis_tvalid", Bit)?;

    let fe = front_end(&mut m, cfg, &desc_valid, &desc, (&tbl_we, &tbl_waddr, &tbl_wdata))?;
    let rec = &fe.rec;

    // ---- address side ----
    let winfo_in_ready = m.wire("winfo_in_ready", Bit)?;
    let outs = m.reg("outstanding", UInt(ow)).reset(0).doc("bursts in flight (AW sent, B not yet received)").build()?;
    let can_issue = m.node("can_issue", outs.q.cmp_lt(lit(mo as u128, ow)) & &winfo_in_ready)?;
    let awvalid = m.node("awvalid", &fe.valid & !&rec.null & &can_issue)?;
    let aw_hs = m.node("aw_hs", &awvalid & &awready)?;
    let null_push = &fe.valid & &rec.null & &winfo_in_ready;
    m.assign(&fe.out_ready, mux(&rec.null, &winfo_in_ready, &(&awready & &can_issue)))?;
    let winfo_push = m.node("winfo_push", &null_push | &aw_hs)?;
    let winfo_pop = m.wire("winfo_pop", Bit)?;
    let wq = m.instance(
        "w_fifo",
        &fifo(record_bits(lb), mo + 2)?,
        &[("in_valid", &winfo_push), ("in_data", &pack_record(rec)), ("out_ready", &winfo_pop)],
    )?;
    m.assign(&winfo_in_ready, wq.out("in_ready")?)?;
    let h_valid = wq.out("out_valid")?;
    let h = unpack_record(&wq.out("out_data")?, lb);

    // ---- W side: the stream window ----
    let sw = dbits + nb + 1; // {last, keep, data}
    let s0 =
        m.reg("win0", UInt(sw)).no_reset().doc("stream window, older beat (data path: valid per win_count)").build()?;
    let s1 = m.reg("win1", UInt(sw)).no_reset().doc("stream window, newer beat").build()?;
    let wc = m.reg("win_count", UInt(2)).reset(0).build()?;
    let soff = m.reg("win_off", UInt(lb)).reset(0).doc("bytes of win0 already used").build()?;
    let bc = m.reg("beat", UInt(8)).reset(0).build()?;
    let wf_err = m.reg("frame_err", Bit).reset(0).doc("framing error in this burst").build()?;
    let wv = m.reg("wvalid_q", Bit).reset(0).build()?;
    let wd = m.reg("wdata_q", UInt(dbits)).no_reset().doc("data path: meaningful while wvalid").build()?;
    let ws = m.reg("wstrb_q", UInt(nb)).reset(0).build()?;
    let wl = m.reg("wlast_q", Bit).reset(0).build()?;

    let s0d = field(&s0.q, 0, dbits);
    let s0k = field(&s0.q, dbits, nb);
    let s0l = s0.q.bit(dbits + nb);
    let s1d = field(&s1.q, 0, dbits);
    let s1k = field(&s1.q, dbits, nb);
    let s1l = s1.q.bit(dbits + nb);

    let binfo_in_ready = m.wire("binfo_in_ready", Bit)?;
    let is_first = bc.q.cmp_eq(0);
    let is_lastb = m.node("is_last_beat", bc.q.cmp_eq(&h.len))?;
    let lo_e = m.node("lo_e", mux(&is_first, &h.lo, &lit(0, lb)))?;
    let hi_e = m.node("hi_e", mux(&is_lastb, &h.hi, &lit(nb as u128, lb + 1)))?;
    let n = &hi_e - lo_e.zext(lb + 1);
    let desc_end = m.node("desc_end", &is_lastb & &h.last)?;
    let e = m.node("e", soff.q.zext(lb + 1) + &n)?;
    let need_next = m.node("need_next", e.cmp_gt(lit(nb as u128, lb + 1)))?;
    let e_ge = e.bit(lb);
    let avail = wc.q.cmp_ne(0) & (!&need_next | wc.q.cmp_eq(2));
    let w_free = !&wv.q | &wready;
    let produce = m.node("produce", &h_valid & !&h.null & &avail & &w_free & (!&is_lastb | &binfo_in_ready))?;
    let null_pass = m.node("null_pass", &h_valid & &h.null & &binfo_in_ready)?;
    m.assign(&winfo_pop, (&produce & &is_lastb) | &null_pass)?;

    // The beat: lanes [lo_e, hi_e) take stream bytes from win_off on.
    let r = m.node("rot", &lo_e - &soff.q)?;
    let rc = rotl_bytes(&s0d, &r, lb);
    let rn = rotl_bytes(&s1d, &r, lb);
    let from_next = mask_ge(&r, nb) & mux(&lo_e.cmp_lt(&r), &ones(nb), &zeros(nb));
    let wdata = merge(&bytes_of(&from_next), &rn, &rc);
    let wstrb = mask_ge(&lo_e, nb) & mask_lt(&hi_e, nb);

    // Stream beats used up by this W beat, and their framing.
    let two = &desc_end & &need_next;
    let one = mux(&desc_end, &!&need_next, &e_ge);
    let pops = m.node("pops", mux(&produce, &cat(&[&two, &one]), &lit(0, 2)))?;
    let e_last = mux(&need_next, &(&e - nb as i64), &e);
    let keep_last = mask_lt(&e_last, nb);
    let last0 = &desc_end & !&need_next;
    let keep0 = mux(&last0, &keep_last, &ones(nb));
    let bad0 = s0l.cmp_ne(&last0) | s0k.cmp_ne(&keep0);
    let bad1 = !&s1l | s1k.cmp_ne(&keep_last);
    // Only beats that leave the window are checked.
    let frame_bad = m.node("frame_bad", &produce & ((&one & &bad0) | (&two & (&bad0 | &bad1))))?;

    m.set_next(&soff, mux(&produce, &mux(&desc_end, &lit(0, lb), &e.trunc(lb)), &soff.q))?;
    m.set_next(&bc, mux(&produce, &mux(&is_lastb, &lit(0, 8), &(&bc.q + 1)), &bc.q))?;
    m.set_next(&wf_err, mux(&produce, &mux(&is_lastb, &lit(0, 1), &(&wf_err.q | &frame_bad)), &wf_err.q))?;
    m.set_next(&wv, &produce | (&wv.q & !&wready))?;
    m.set_next(&wd, mux(&produce, &wdata, &wd.q))?;
    m.set_next(&ws, mux(&produce, &wstrb, &ws.q))?;
    m.set_next(&wl, mux(&produce, &is_lastb, &wl.q))?;

    // Window: drop `pops` beats, append the stream's beat if offered.
    let left = m.node("win_left", &wc.q - &pops)?;
    let tready = m.node("tready", left.cmp_lt(2))?;
    let push = m.node("s_push", &tvalid & &tready)?;
    let incoming = cat(&[&tlast, &tkeep, &tdata]);
    m.set_next(&s0, mux(&left.cmp_ne(0), &mux(&pops.cmp_eq(0), &s0.q, &s1.q), &incoming))?;
    m.set_next(&s1, mux(&left.cmp_eq(2), &s1.q, &incoming))?;
    m.set_next(&wc, &left + push.zext(2))?;

    // ---- B side ----
    let framing = lit(Status::StreamFraming.code() as u128, 8);
    let b_err = mux(&(&wf_err.q | &frame_bad), &framing, &lit(0, 8));
    let binfo_data =
        mux(&h.null, &cat(&[&h.err, &lit(1, 1), &h.tag, &lit(1, 1)]), &cat(&[&b_err, &lit(0, 1), &h.tag, &h.last]));
    let binfo_push = (&produce & &is_lastb) | &null_pass;
    let binfo_pop = m.wire("binfo_pop", Bit)?;
    let bq = m.instance(
        "b_fifo",
        &fifo(26, mo + 2)?,
        &[("in_valid", &binfo_push), ("in_data", &binfo_data), ("out_ready", &binfo_pop)],
    )?;
    m.assign(&binfo_in_ready, bq.out("in_ready")?)?;
    let bh_valid = bq.out("out_valid")?;
    let bh = bq.out("out_data")?;
    let bh_last = bh.bit(0);
    let bh_tag = field(&bh, 1, 16);
    let bh_null = bh.bit(17);
    let bh_err = field(&bh, 18, 8);

    let berr = m.reg("cur_err", UInt(8)).reset(0).doc("first error of the descriptor").build()?;
    let bready = m.node("bready", &bh_valid & !&bh_null)?;
    let b_hs = m.node("b_hs", &bvalid & &bready)?;
    let null_done = m.node("null_done", &bh_valid & &bh_null)?;
    m.assign(&binfo_pop, &b_hs | &null_done)?;
    let b_code = pmux(
        &[(bresp.bit(1), cat(&[&lit(0x4, 6), &bresp])), (bid.cmp_ne(0), lit(Status::Protocol.code() as u128, 8))],
        &bh_err,
    );
    let status = m.node("status", mux(&berr.q.cmp_ne(0), &berr.q, &b_code))?;
    m.set_next(&berr, mux(&b_hs, &mux(&bh_last, &lit(0, 8), &status), &berr.q))?;
    m.set_next(&outs, &outs.q + aw_hs.zext(ow) - b_hs.zext(ow))?;

    let busy = &fe.busy | wq.out("count")?.cmp_ne(0) | bq.out("count")?.cmp_ne(0) | &wv.q;

    m.output_doc("desc_ready", &fe.desc_ready, "the descriptor is taken")?;
    m.output("m_axi_awid", lit(0, cfg.id_bits))?;
    m.output("m_axi_awaddr", &rec.addr)?;
    m.output("m_axi_awlen", &rec.len)?;
    m.output("m_axi_awsize", lit(lb as u128, 3))?;
    m.output("m_axi_awburst", lit(1, 2))?;
    m.output("m_axi_awlock", lit(0, 1))?;
    m.output("m_axi_awcache", &axi_cache)?;
    m.output("m_axi_awprot", &axi_prot)?;
    m.output("m_axi_awvalid", &awvalid)?;
    m.output("m_axi_wdata", &wd.q)?;
    m.output("m_axi_wstrb", &ws.q)?;
    m.output("m_axi_wlast", &wl.q)?;
    m.output("m_axi_wvalid", &wv.q)?;
    m.output("m_axi_bready", &bready)?;
    m.output("s_axis_tready", &tready)?;
    m.output_doc("cpl_valid", (&b_hs & &bh_last) | &null_done, "a descriptor completed")?;
    m.output_doc("cpl_tag", &bh_tag, "its tag")?;
    m.output_doc("cpl_code", mux(&null_done, &bh_err, &status), "its status")?;
    m.output_doc("busy", &busy, "a descriptor is in the engine")?;
    Ok(m)
}
