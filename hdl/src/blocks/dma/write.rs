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
use crate::blocks::common::lanes::{bits_for, bytes_of, lit, mask_ge, mask_lt, merge, ones, pmux, rotl_bytes, zeros};
use crate::blocks::common::params::config;
use crate::blocks::dma::legalizer::{
    engine_inputs, front_end, pack_record, record_bits, unpack_record, BurstRecord, EngineInputs, FrontEnd,
};
use crate::core::{cat, mux, Bit, Bundle, BundleSig, Expr, Instance, Module, Record, Reg, Result, Role, UInt};

pub fn write_name(cfg: &DmaConfig) -> String {
    format!(
        "serrano_dma_write_d{}_a{}_b{}_o{}_i{}_t{}",
        cfg.data_bits, cfg.addr_bits, cfg.max_burst, cfg.max_outstanding, cfg.id_bits, cfg.table_entries
    )
}

/// The write engine's input ports.
struct WriteIn {
    /// The AXI4 master half and the stream, whose outputs are driven last.
    axi: BundleSig,
    axis: BundleSig,
    /// From the register block.
    common: EngineInputs,
    awready: Expr,
    wready: Expr,
    bid: Expr,
    bresp: Expr,
    bvalid: Expr,
    tdata: Expr,
    tkeep: Expr,
    tlast: Expr,
    tvalid: Expr,
}

/// The address side, as the W side sees it.
struct Issue {
    outs: Reg,
    awvalid: Expr,
    aw_hs: Expr,
    /// The W FIFO (its `count` is part of `busy`).
    wq: Instance,
    /// Its head record: valid, and the fields (`addr` is not stored).
    h_valid: Expr,
    h: BurstRecord,
    /// A wire the W side drives: pop the head record.
    winfo_pop: Expr,
    /// Stream beats the issued bursts still need from `s_axis`, and how many
    /// an AW handshake adds this cycle (the stream window updates it).
    owed: Reg,
    owed_add: Expr,
    owed_bits: u32,
}

/// The W side's registers: the two-beat stream window and the W output.
struct WRegs {
    s0: Reg,
    s1: Reg,
    wc: Reg,
    soff: Reg,
    bc: Reg,
    wf_err: Reg,
    wv: Reg,
    wd: Reg,
    ws: Reg,
    wl: Reg,
}

/// What the W beat stage hands to the window and the B side.
struct Produced {
    /// A W beat is built this cycle.
    produce: Expr,
    /// A null record passes to the B FIFO.
    null_pass: Expr,
    is_lastb: Expr,
    /// Stream beats leaving the window (0, 1 or 2).
    pops: Expr,
    /// A beat leaving the window did not frame the packet.
    frame_bad: Expr,
    /// A wire the B side drives: the B FIFO has room.
    binfo_in_ready: Expr,
}

/// The write engine for `cfg` (validated).
pub fn dma_write(cfg: &DmaConfig) -> Result<Module> {
    config("serrano_dma_write", cfg.validate())?;
    let lb = cfg.data_bytes().trailing_zeros();
    let mut m = Module::new(&write_name(cfg));
    m.doc("DMA write engine: AXI-Stream packets -> realigned AXI4 write bursts with WSTRB.");
    let inp = ports(&mut m, cfg)?;
    let fe = front_end(&mut m, cfg, &inp.common)?;
    let issue = issue(&mut m, cfg, &fe, &inp.awready)?;
    let r = w_regs(&mut m, cfg)?;
    let pr = w_beat(&mut m, cfg, &inp, &issue, &r)?;
    let tready = stream_window(&mut m, &inp, &issue, &r, &pr)?;
    let b = b_side(&mut m, cfg, &inp, &issue, &r, &pr)?;

    let busy = &fe.busy | issue.wq.out("count")?.cmp_ne(0) | b.bq.out("count")?.cmp_ne(0) | &r.wv.q;
    let rec = &fe.rec;
    m.output_doc("desc_ready", &fe.desc_ready, "the descriptor is taken")?;
    inp.axi.drive(&mut m, "awid", lit(0, cfg.id_bits))?;
    inp.axi.drive(&mut m, "awaddr", &rec.addr)?;
    inp.axi.drive(&mut m, "awlen", &rec.len)?;
    inp.axi.drive(&mut m, "awsize", lit(lb as u128, 3))?;
    inp.axi.drive(&mut m, "awburst", lit(1, 2))?;
    inp.axi.drive(&mut m, "awlock", lit(0, 1))?;
    inp.axi.drive(&mut m, "awcache", &inp.common.axi_cache)?;
    inp.axi.drive(&mut m, "awprot", &inp.common.axi_prot)?;
    inp.axi.drive(&mut m, "awvalid", &issue.awvalid)?;
    inp.axi.drive(&mut m, "wdata", &r.wd.q)?;
    inp.axi.drive(&mut m, "wstrb", &r.ws.q)?;
    inp.axi.drive(&mut m, "wlast", &r.wl.q)?;
    inp.axi.drive(&mut m, "wvalid", &r.wv.q)?;
    inp.axi.drive(&mut m, "bready", &b.bready)?;
    inp.axis.drive(&mut m, "tready", &tready)?;
    m.output_doc("cpl_valid", (&b.b_hs & &b.bh_last) | &b.null_done, "a descriptor completed")?;
    m.output_doc("cpl_tag", &b.bh_tag, "its tag")?;
    m.output_doc("cpl_code", mux(&b.null_done, &b.bh_err, &b.status), "its status")?;
    m.output_doc("busy", &busy, "a descriptor is in the engine")?;
    Ok(m)
}

/// Ports. In: nothing. Out: the descriptor queue's head, the page-table
/// write port, the AXI attributes, AW/W/B readies and responses, and the
/// input stream.
fn ports(m: &mut Module, cfg: &DmaConfig) -> Result<WriteIn> {
    let a = cfg.addr_bits;
    let common = engine_inputs(m, cfg, "AW")?;
    let axi = m.bundle_ports("m_axi", &Bundle::axi4_write(a, cfg.data_bits, cfg.id_bits), Role::Master)?;
    let axis = m.bundle_ports("s_axis", &Bundle::axis(cfg.data_bits, true, true, 0), Role::Slave)?;
    Ok(WriteIn {
        common,
        awready: axi.get("awready")?,
        wready: axi.get("wready")?,
        bid: axi.get("bid")?,
        bresp: axi.get("bresp")?,
        bvalid: axi.get("bvalid")?,
        tdata: axis.get("tdata")?,
        tkeep: axis.get("tkeep")?,
        tlast: axis.get("tlast")?,
        tvalid: axis.get("tvalid")?,
        axi,
        axis,
    })
}

/// The address side. In: the front end's burst records, AWREADY. Out: AW (a
/// burst issues while fewer than `max_outstanding` are in flight and the W
/// FIFO has room; a null record goes to the FIFO without an AW) and the W
/// FIFO's head for the W side.
fn issue(m: &mut Module, cfg: &DmaConfig, fe: &FrontEnd, awready: &Expr) -> Result<Issue> {
    let lb = cfg.data_bytes().trailing_zeros();
    let mo = cfg.max_outstanding;
    let ow = bits_for(mo as u64);
    let rec = &fe.rec;
    let winfo_in_ready = m.wire("winfo_in_ready", Bit)?;
    let outs = m.reg("outstanding", UInt(ow)).reset(0).doc("bursts in flight (AW sent, B not yet received)").build()?;
    let can_issue = m.node("can_issue", outs.q.cmp_lt(lit(mo as u128, ow)) & &winfo_in_ready)?;
    let awvalid = m.node("awvalid", &fe.valid & !&rec.null & &can_issue)?;
    let aw_hs = m.node("aw_hs", &awvalid & awready)?;
    let null_push = &fe.valid & &rec.null & &winfo_in_ready;
    m.assign(&fe.out_ready, mux(&rec.null, &winfo_in_ready, &(awready & &can_issue)))?;
    let winfo_push = m.node("winfo_push", &null_push | &aw_hs)?;
    let winfo_pop = m.wire("winfo_pop", Bit)?;
    let packed = pack_record(m, "w_fifo_in", rec, lb)?;
    let wq = m.instance(
        "w_fifo",
        &fifo(record_bits(lb), mo + 2)?,
        &[("in_valid", &winfo_push), ("in_data", &packed), ("out_ready", &winfo_pop)],
    )?;
    m.assign(&winfo_in_ready, wq.out("in_ready")?)?;
    let h_valid = wq.out("out_valid")?;
    let h = unpack_record(m, "w_fifo", &wq.out("out_data")?, lb)?;
    let (owed, owed_add, owed_bits) = stream_owed(m, cfg, rec, &aw_hs)?;
    Ok(Issue { outs, awvalid, aw_hs, wq, h_valid, h, winfo_pop, owed, owed_add, owed_bits })
}

/// The stream beats each burst needs. In: the burst record at its AW
/// handshake. Out: how many stream beats it needs that no earlier burst
/// of its descriptor touched, and the `owed` register that counts them until
/// they are taken. The stream window takes a beat only while `owed` is
/// non-zero, so the engine never takes (and holds) a beat that no descriptor
/// it has issued needs: a packet offered with no descriptor waits on `s_axis`.
///
/// A burst moves `len·B + hi − lo` bytes; the descriptor's bytes before it
/// end `off` bytes into a stream beat (`off` = 0 at a descriptor's start), so
/// it needs `ceil((off + bytes) / B)` beats, less the one it shares with the
/// previous burst when `off` ≠ 0. Over a descriptor these add up to its
/// packet's `ceil(total / B)` beats (`golden::dma::stream_beats`).
fn stream_owed(m: &mut Module, cfg: &DmaConfig, rec: &BurstRecord, aw_hs: &Expr) -> Result<(Reg, Expr, u32)> {
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    // Bytes of a burst: at most max_burst (256) beats of B bytes, plus an offset below B.
    let bw = lb + 10;
    // At most max_outstanding bursts are issued and not yet written, each
    // needing at most max_burst + 1 beats.
    let ow = bits_for(cfg.max_outstanding as u64 * (cfg.max_burst as u64 + 1));
    let off = m.reg("stream_off", UInt(lb)).reset(0).doc("bytes of the descriptor issued so far, mod B").build()?;
    let owed = m.reg("stream_owed", UInt(ow)).reset(0).doc("stream beats the issued bursts still need").build()?;
    let bytes = m.node("burst_bytes", rec.len.zext(bw).shl_const(lb) + rec.hi.zext(bw) - rec.lo.zext(bw))?;
    let end = m.node("burst_end", off.q.zext(bw) + &bytes)?;
    let beats = (&end + (nb as i64 - 1)).shr_const(lb) - off.q.cmp_ne(0).zext(bw);
    // beats <= max_burst + 1, so it fits `ow` bits.
    let beats = if ow < bw { beats.trunc(ow) } else { beats.zext(ow) };
    let add = m.node("owed_add", mux(aw_hs, &beats, &lit(0, ow)))?;
    m.set_next(&off, mux(aw_hs, &mux(&rec.last, &lit(0, lb), &end.trunc(lb)), &off.q))?;
    Ok((owed, add, ow))
}

/// The W side's registers (declared here, driven by [`w_beat`] and
/// [`stream_window`]).
fn w_regs(m: &mut Module, cfg: &DmaConfig) -> Result<WRegs> {
    let dbits = cfg.data_bits;
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    let sw = dbits + nb + 1; // {last, keep, data}
    Ok(WRegs {
        s0: m
            .reg("win0", UInt(sw))
            .no_reset()
            .doc("stream window, older beat (data path: valid per win_count)")
            .build()?,
        s1: m.reg("win1", UInt(sw)).no_reset().doc("stream window, newer beat").build()?,
        wc: m.reg("win_count", UInt(2)).reset(0).build()?,
        soff: m.reg("win_off", UInt(lb)).reset(0).doc("bytes of win0 already used").build()?,
        bc: m.reg("beat", UInt(8)).reset(0).build()?,
        wf_err: m.reg("frame_err", Bit).reset(0).doc("framing error in this burst").build()?,
        wv: m.reg("wvalid_q", Bit).reset(0).build()?,
        wd: m.reg("wdata_q", UInt(dbits)).no_reset().doc("data path: meaningful while wvalid").build()?,
        ws: m.reg("wstrb_q", UInt(nb)).reset(0).build()?,
        wl: m.reg("wlast_q", Bit).reset(0).build()?,
    })
}

/// A stream beat as the window registers hold it.
fn stream_beat(data_bits: u32) -> Record {
    Record::new("sbeat", &[("data", UInt(data_bits)), ("keep", UInt(data_bits / 8)), ("last", Bit)])
}

/// The W beat. In: the W FIFO's head record, the stream window, WREADY.
/// Out: the registered W beat (lanes `[lo, hi)` of the burst's beat take the
/// window's bytes from `win_off` on, rotated into place; WSTRB on exactly
/// those lanes), how many stream beats it uses up, and whether those beats
/// frame the packet as the descriptor's length says.
fn w_beat(m: &mut Module, cfg: &DmaConfig, inp: &WriteIn, issue: &Issue, r: &WRegs) -> Result<Produced> {
    let dbits = cfg.data_bits;
    let nb = cfg.data_bytes();
    let lb = nb.trailing_zeros();
    let h = &issue.h;
    let beat = stream_beat(dbits);
    let w0 = beat.unpack(m, "win0", &r.s0.q)?;
    let w1 = beat.unpack(m, "win1", &r.s1.q)?;
    let (s0d, s0k, s0l) = (w0.get("data")?, w0.get("keep")?, w0.get("last")?);
    let (s1d, s1k, s1l) = (w1.get("data")?, w1.get("keep")?, w1.get("last")?);

    let binfo_in_ready = m.wire("binfo_in_ready", Bit)?;
    let is_first = r.bc.q.cmp_eq(0);
    let is_lastb = m.node("is_last_beat", r.bc.q.cmp_eq(&h.len))?;
    let lo_e = m.node("lo_e", mux(&is_first, &h.lo, &lit(0, lb)))?;
    let hi_e = m.node("hi_e", mux(&is_lastb, &h.hi, &lit(nb as u128, lb + 1)))?;
    let n = &hi_e - lo_e.zext(lb + 1);
    let desc_end = m.node("desc_end", &is_lastb & &h.last)?;
    let e = m.node("e", r.soff.q.zext(lb + 1) + &n)?;
    let need_next = m.node("need_next", e.cmp_gt(lit(nb as u128, lb + 1)))?;
    let e_ge = e.bit(lb);
    let avail = r.wc.q.cmp_ne(0) & (!&need_next | r.wc.q.cmp_eq(2));
    let w_free = !&r.wv.q | &inp.wready;
    let produce = m.node("produce", &issue.h_valid & !&h.null & &avail & &w_free & (!&is_lastb | &binfo_in_ready))?;
    let null_pass = m.node("null_pass", &issue.h_valid & &h.null & &binfo_in_ready)?;
    m.assign(&issue.winfo_pop, (&produce & &is_lastb) | &null_pass)?;

    // The beat: lanes [lo_e, hi_e) take stream bytes from win_off on.
    let rot = m.node("rot", &lo_e - &r.soff.q)?;
    let rc = rotl_bytes(&s0d, &rot, lb);
    let rn = rotl_bytes(&s1d, &rot, lb);
    let from_next = mask_ge(&rot, nb) & mux(&lo_e.cmp_lt(&rot), &ones(nb), &zeros(nb));
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

    m.set_next(&r.soff, mux(&produce, &mux(&desc_end, &lit(0, lb), &e.trunc(lb)), &r.soff.q))?;
    m.set_next(&r.bc, mux(&produce, &mux(&is_lastb, &lit(0, 8), &(&r.bc.q + 1)), &r.bc.q))?;
    m.set_next(&r.wf_err, mux(&produce, &mux(&is_lastb, &lit(0, 1), &(&r.wf_err.q | &frame_bad)), &r.wf_err.q))?;
    m.set_next(&r.wv, &produce | (&r.wv.q & !&inp.wready))?;
    m.set_next(&r.wd, mux(&produce, &wdata, &r.wd.q))?;
    m.set_next(&r.ws, mux(&produce, &wstrb, &r.ws.q))?;
    m.set_next(&r.wl, mux(&produce, &is_lastb, &r.wl.q))?;
    Ok(Produced { produce, null_pass, is_lastb, pops, frame_bad, binfo_in_ready })
}

/// The stream window. In: `s_axis`, the beats the W beat used up and the
/// beats the issued bursts still need. Out: TREADY (the window keeps at most
/// two beats, and takes only beats that are needed) and the window's next
/// state: the used beats dropped, the offered beat appended.
fn stream_window(m: &mut Module, inp: &WriteIn, issue: &Issue, r: &WRegs, pr: &Produced) -> Result<Expr> {
    let left = m.node("win_left", &r.wc.q - &pr.pops)?;
    // Room in the window, and a beat some issued burst needs (not one for a
    // descriptor that is not there yet).
    let tready = m.node("tready", left.cmp_lt(2) & issue.owed.q.cmp_ne(0))?;
    let push = m.node("s_push", &inp.tvalid & &tready)?;
    m.set_next(&issue.owed, &issue.owed.q + &issue.owed_add - push.zext(issue.owed_bits))?;
    let v = [("data", &inp.tdata), ("keep", &inp.tkeep), ("last", &inp.tlast)];
    let incoming = stream_beat(inp.tdata.width()).pack(m, "win_in", &v)?;
    m.set_next(&r.s0, mux(&left.cmp_ne(0), &mux(&pr.pops.cmp_eq(0), &r.s0.q, &r.s1.q), &incoming))?;
    m.set_next(&r.s1, mux(&left.cmp_eq(2), &r.s1.q, &incoming))?;
    m.set_next(&r.wc, &left + push.zext(2))?;
    Ok(tready)
}

/// The B side, as the outputs see it.
struct BSide {
    bq: Instance,
    bready: Expr,
    b_hs: Expr,
    null_done: Expr,
    bh_last: Expr,
    bh_tag: Expr,
    bh_err: Expr,
    status: Expr,
}

/// The B side. In: each burst's record after its last W beat (a null record
/// directly), B responses. Out: BREADY, the descriptor's status (first
/// error in burst order: BRESP, then BID, then framing) and its completion
/// with the B of its last burst (a null record completes with its code).
fn b_side(m: &mut Module, cfg: &DmaConfig, inp: &WriteIn, issue: &Issue, r: &WRegs, pr: &Produced) -> Result<BSide> {
    let mo = cfg.max_outstanding;
    let ow = bits_for(mo as u64);
    let h = &issue.h;
    let framing = lit(Status::StreamFraming.code() as u128, 8);
    let b_err = mux(&(&r.wf_err.q | &pr.frame_bad), &framing, &lit(0, 8));
    // A null record completes its descriptor with its own code.
    let b_rec = Record::new("bwait", &[("last", Bit), ("tag", UInt(16)), ("null", Bit), ("err", UInt(8))]);
    let (last, err) = (&h.null | &h.last, mux(&h.null, &h.err, &b_err));
    let binfo_data =
        b_rec.pack(m, "b_fifo_in", &[("last", &last), ("tag", &h.tag), ("null", &h.null), ("err", &err)])?;
    let binfo_push = (&pr.produce & &pr.is_lastb) | &pr.null_pass;
    let binfo_pop = m.wire("binfo_pop", Bit)?;
    let bq = m.instance(
        "b_fifo",
        &fifo(b_rec.width(), mo + 2)?,
        &[("in_valid", &binfo_push), ("in_data", &binfo_data), ("out_ready", &binfo_pop)],
    )?;
    m.assign(&pr.binfo_in_ready, bq.out("in_ready")?)?;
    let bh_valid = bq.out("out_valid")?;
    let bh = b_rec.unpack(m, "b_fifo", &bq.out("out_data")?)?;
    let (bh_last, bh_tag, bh_null, bh_err) = (bh.get("last")?, bh.get("tag")?, bh.get("null")?, bh.get("err")?);

    let berr = m.reg("cur_err", UInt(8)).reset(0).doc("first error of the descriptor").build()?;
    let bready = m.node("bready", &bh_valid & !&bh_null)?;
    let b_hs = m.node("b_hs", &inp.bvalid & &bready)?;
    let null_done = m.node("null_done", &bh_valid & &bh_null)?;
    m.assign(&binfo_pop, &b_hs | &null_done)?;
    let b_code = pmux(
        &[
            (inp.bresp.bit(1), cat(&[&lit(0x4, 6), &inp.bresp])),
            (inp.bid.cmp_ne(0), lit(Status::Protocol.code() as u128, 8)),
        ],
        &bh_err,
    );
    let status = m.node("status", mux(&berr.q.cmp_ne(0), &berr.q, &b_code))?;
    m.set_next(&berr, mux(&b_hs, &mux(&bh_last, &lit(0, 8), &status), &berr.q))?;
    m.set_next(&issue.outs, &issue.outs.q + issue.aw_hs.zext(ow) - b_hs.zext(ow))?;
    Ok(BSide { bq, bready, b_hs, null_done, bh_last, bh_tag, bh_err, status })
}
