//! The command fetch of the core: 32-byte commands read from the ring buffer
//! in DRAM (`docs/isa.md`, "The ring") over an AXI4 read port, and handed to
//! the decoder in ring order with their ring index.
//!
//! * Ring: `ring_base` (32-byte aligned), `ring_size` commands, `tail` (the
//!   host's doorbell). The fetch pointer runs from `head` to `tail`, wrapping
//!   at `ring_size`; it never reads a slot at or past `tail`.
//! * `stop` (level): no new reads; the commands fetched are dropped; once
//!   nothing is in flight the pointer is reloaded from `head`, and fetching
//!   resumes from there when `stop` falls. The command processor holds it
//!   while it is idle or stopped on a fault, so a restart never sees a stale
//!   command.
//! * Reads: INCR bursts of full-width beats of up to [`MAX_CHUNK`] commands
//!   each, never past the ring's end, the tail or a 4 KiB boundary, up to
//!   [`MAX_BURSTS`] in flight, issued only when the command FIFO has room for
//!   every command in flight. A burst starts at its first command's address
//!   rounded down to the bus width; leading and trailing slots of a beat
//!   that are not commands of the burst are skipped.
//! * Output (`cmd_*`, valid/ready): `data` (the 256 bits, byte `k` of the
//!   command on bits `8k+7:8k`), `index`, `resp` (0, or the first error
//!   response among the command's beats: the decoder faults with AXI_FETCH).

use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{bits_for, index_bits, lit, min, pmux};
use crate::blocks::common::params::{check_one_of, check_range};
use crate::core::{cat, mux, Bit, Bundle, BundleSig, Expr, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const CORE_FETCH_BLOCK: &str = "serrano_core_fetch";
/// Bits of a ring index (ring sizes up to 2^20 commands, as the instruction set's counts).
pub const INDEX_BITS: u32 = 20;
/// Commands per read burst, at most.
pub const MAX_CHUNK: u32 = 8;
/// Read bursts in flight, at most.
pub const MAX_BURSTS: u32 = 4;
/// Commands the output FIFO holds.
pub const FIFO_DEPTH: u32 = 16;
const CMD_BITS: u32 = 256;

/// `serrano_core_fetch_d128_a32_i4`.
pub fn core_fetch_name(data_bits: u32, addr_bits: u32, id_bits: u32) -> String {
    format!("serrano_core_fetch_d{data_bits}_a{addr_bits}_i{id_bits}")
}

pub fn core_fetch(data_bits: u32, addr_bits: u32, id_bits: u32) -> Result<Module> {
    check_one_of(CORE_FETCH_BLOCK, "data_bits", data_bits, &[64, 128, 256, 512])?;
    check_one_of(CORE_FETCH_BLOCK, "addr_bits", addr_bits, &[32, 64])?;
    check_range(CORE_FETCH_BLOCK, "id_bits", id_bits, 1..=16)?;
    let (a, ib) = (addr_bits, INDEX_BITS);
    let wb = data_bits / 8;
    let mut m = Module::new(&core_fetch_name(data_bits, addr_bits, id_bits));
    m.doc(&format!("Command fetch: 32-byte commands from the ring over a {data_bits}-bit AXI4 read port."));
    let ring_base = m.input_doc("ring_base", UInt(a), "the ring's first byte, 32-byte aligned")?;
    let ring_size = m.input_doc("ring_size", UInt(ib), "commands in the ring, at least 1")?;
    let tail = m.input_doc("tail", UInt(ib), "the host's tail: the slot after the last command")?;
    let head = m.input_doc("head", UInt(ib), "where fetching restarts after stop")?;
    let stop = m.input_doc("stop", Bit, "no new reads; drop fetched commands; restart from head")?;
    let axi = m.bundle_ports("m_axi", &Bundle::axi4_read(a, data_bits, id_bits), Role::Master)?;
    let out =
        m.bundle_ports("cmd", &Bundle::valid_ready(&[("data", CMD_BITS), ("index", ib), ("resp", 2)]), Role::Master)?;

    // ---- Where the next burst starts and how many commands it takes --------
    let flushing = m.reg("flushing", Bit).reset(1).doc("stopped, or not yet clean after a stop").build()?;
    let fptr = m.reg("fptr", UInt(ib)).reset(0).doc("the next ring index to read").build()?;
    let pending = m
        .reg("pending_cmds", UInt(bits_for(FIFO_DEPTH as u64)))
        .reset(0)
        .doc("commands read, not yet in the FIFO")
        .build()?;
    let cb = pending.q.width();
    let bursts = m.reg("bursts", UInt(bits_for(MAX_BURSTS as u64))).reset(0).doc("bursts in flight").build()?;
    let fifo_count = m.wire("fifo_count", UInt(cb))?;

    let avail = m.node("avail", mux(&tail.cmp_ge(&fptr.q), &(&tail - &fptr.q), &(&tail + &ring_size - &fptr.q)))?;
    let to_end = m.node("to_end", &ring_size - &fptr.q)?;
    let addr = m.node("addr", &ring_base + fptr.q.zext(a).shl_const(5))?;
    let page_left = m.node("page_left", (lit(4096, 14) - addr.slice(11, 0).zext(14)).shr_const(5))?;
    let room = m.node("room", lit(FIFO_DEPTH as u128, cb) - &fifo_count - &pending.q)?;
    let kb = bits_for(MAX_CHUNK as u64);
    let clamp = |e: &Expr, w: u32| mux(&e.cmp_gt(lit(MAX_CHUNK as u128, w)), &lit(MAX_CHUNK as u128, kb), &e.trunc(kb));
    let chunk = min(&min(&clamp(&avail, ib), &clamp(&to_end, ib)), &min(&clamp(&page_left, 14), &clamp(&room, cb)));
    let chunk = m.node("chunk", chunk)?;

    // The AR register: one burst offered at a time, held until arready.
    let ar_valid = m.reg("ar_valid_q", Bit).reset(0).build()?;
    let offer = m.node(
        "offer",
        !&flushing.q
            & !&stop
            & !&ar_valid.q
            & chunk.cmp_ne(lit(0, kb))
            & bursts.q.cmp_lt(lit(MAX_BURSTS as u128, bursts.q.width())),
    )?;
    let ar_taken = m.node("ar_taken", &ar_valid.q & axi.get("arready")?)?;
    // Bus-aligned start, leading slots to skip, beats.
    let lb = index_bits(wb as u64);
    let off = if wb > 1 { addr.slice(lb - 1, 0) } else { lit(0, 1) };
    let aligned = m.node("aligned", &addr & !cat(&[&lit(0, a - lb), &!lit(0, lb)]))?;
    let span = off.zext(16) + chunk.zext(16).shl_const(5);
    let beats = (span + (wb as i64 - 1)).shr_const(lb);
    let ar = m.reg("ar_q", UInt(a + 8)).reset(0).enable(&offer).d(cat(&[&aligned, &(beats - 1).trunc(8)]))?;
    // What the R side needs per burst: skip (slots), commands, first index.
    // (With a beat of at most one command, bursts start on a command and skip nothing.)
    // (With a beat of at most one command, a burst is whole commands: its
    // first index is all the R side needs.)
    let skip_w = if wb > 32 { index_bits((wb / 32) as u64) } else { 0 };
    let rec_w = if wb > 32 { skip_w + kb + ib } else { ib };
    let rec_in = if wb > 32 { cat(&[&off.shr_const(5).trunc(skip_w), &chunk, &fptr.q]) } else { fptr.q.clone() };
    let rec = m.reg("rec_q", UInt(rec_w)).reset(0).enable(&offer).d(rec_in)?;
    m.set_next(&ar_valid, &offer | (&ar_valid.q & !&ar_taken))?;
    let wrap = |v: Expr| mux(&v.cmp_eq(&ring_size), &lit(0, ib), &v);
    let fnext = mux(&offer, &wrap(&fptr.q + chunk.zext(ib)), &fptr.q);
    m.set_next(&fptr, mux(&flushing.q, &head, &fnext))?;

    // ---- R: beats to commands ----------------------------------------------
    let recs = fifo(rec_w, MAX_BURSTS)?;
    let rec_pop = m.wire("rec_pop", Bit)?;
    let u_rec =
        m.instance("u_bursts", &recs, &[("in_valid", &ar_taken), ("in_data", &rec), ("out_ready", &rec_pop)])?;
    m.allow_unused(&u_rec.out("in_ready")?, "at most MAX_BURSTS bursts are issued")?;
    m.allow_unused(&u_rec.out("count")?, "bursts in flight are counted by `bursts`")?;
    let cur = u_rec.out("out_data")?;
    let c_first = cur.slice(ib - 1, 0);
    let emitted = m.reg("emitted", UInt(kb)).reset(0).doc("commands of the burst pushed").build()?;
    let rec_valid = u_rec.out("out_valid")?;
    let shape = Shape { wb, data_bits, ib, kb, skip_w, rec_w };
    let Unpacked { push, data, rready, resp } = unpack(&mut m, &shape, &axi, &cur, &rec_valid, &rec_pop)?;
    let index = m.node("index", &c_first + emitted.q.zext(ib))?;
    m.set_next(&emitted, mux(&rec_pop, &lit(0, kb), &mux(&push, &(&emitted.q + 1), &emitted.q)))?;

    // ---- The command FIFO, drained while flushing ---------------------------
    let cmds = fifo(CMD_BITS + ib + 2, FIFO_DEPTH)?;
    let out_ready = out.get("ready")?;
    let drain = &flushing.q | &out_ready;
    let u_cmd = m.instance(
        "u_cmds",
        &cmds,
        &[("in_valid", &push), ("in_data", &cat(&[&resp, &index, &data])), ("out_ready", &drain)],
    )?;
    m.allow_unused(&u_cmd.out("in_ready")?, "reads are issued only with room for every command in flight")?;
    m.assign(&fifo_count, u_cmd.out("count")?)?;
    let head_q = u_cmd.out("out_data")?;
    let bw = bursts.q.width();
    let bursts_next = &bursts.q + ar_taken.zext(bw) - rec_pop.zext(bw);
    m.set_next(&bursts, bursts_next)?;
    m.set_next(&pending, &pending.q + mux(&offer, &chunk.zext(cb), &lit(0, cb)) - push.zext(cb))?;
    let quiet = m.node("quiet_w", bursts.q.cmp_eq(lit(0, bw)) & !&ar_valid.q & pending.q.cmp_eq(lit(0, cb)))?;
    // Count, not out_valid: a word pushed a cycle ago is held but not yet shown.
    let empty = fifo_count.cmp_eq(lit(0, cb));
    m.set_next(&flushing, &stop | (&flushing.q & !(&quiet & &empty)))?;

    axi.drive(&mut m, "arid", lit(0, id_bits))?;
    axi.drive(&mut m, "araddr", ar.slice(a + 7, 8))?;
    axi.drive(&mut m, "arlen", ar.slice(7, 0))?;
    axi.drive(&mut m, "arsize", lit(lb as u128, 3))?;
    axi.drive(&mut m, "arburst", lit(1, 2))?;
    axi.drive(&mut m, "arlock", lit(0, 1))?;
    axi.drive(&mut m, "arcache", lit(0b0010, 4))?;
    axi.drive(&mut m, "arprot", lit(0, 3))?;
    axi.drive(&mut m, "arvalid", &ar_valid.q)?;
    axi.drive(&mut m, "rready", &rready)?;
    m.allow_unused(&axi.get("rid")?, "the read mux routes by ID; every beat here is the fetch's")?;
    out.drive(&mut m, "data", head_q.slice(CMD_BITS - 1, 0))?;
    out.drive(&mut m, "index", head_q.slice(CMD_BITS + ib - 1, CMD_BITS))?;
    out.drive(&mut m, "resp", head_q.slice(CMD_BITS + ib + 1, CMD_BITS + ib))?;
    out.drive(&mut m, "valid", u_cmd.out("out_valid")? & !&flushing.q & !&stop)?;
    m.output_doc("quiet", &quiet, "no read in flight")?;
    Ok(m)
}

/// The widths the R side needs.
struct Shape {
    wb: u32,
    data_bits: u32,
    ib: u32,
    kb: u32,
    skip_w: u32,
    rec_w: u32,
}

/// What the R side makes of the beats: a command to push, its bytes, `rready`, its response.
struct Unpacked {
    push: Expr,
    data: Expr,
    rready: Expr,
    resp: Expr,
}

/// R beats to commands, for the burst `cur` (its record) while `rec_valid`;
/// drives `rec_pop` with the burst's last beat.
fn unpack(
    m: &mut Module,
    s: &Shape,
    axi: &BundleSig,
    cur: &Expr,
    rec_valid: &Expr,
    rec_pop: &Expr,
) -> Result<Unpacked> {
    let Shape { wb, data_bits, ib, kb, skip_w, rec_w } = *s;
    let rvalid = axi.get("rvalid")?;
    let rresp = axi.get("rresp")?;
    let (push, data, rready, resp);
    if wb >= 32 {
        // Several slots per beat: one slot a cycle; the beat is taken with its last slot.
        let spb = wb / 32;
        let sb = index_bits(spb as u64);
        let slot = m.reg("slot", UInt(sb)).reset(0).build()?;
        let c_skip = cur.slice(rec_w - 1, ib + kb);
        let c_chunk = cur.slice(ib + kb - 1, ib);
        let pos = m.reg("pos", UInt(kb + skip_w + 1)).reset(0).doc("slot index within the burst").build()?;
        let pw = pos.q.width();
        let in_range = pos.q.cmp_ge(c_skip.zext(pw)) & pos.q.cmp_lt(c_skip.zext(pw) + c_chunk.zext(pw));
        let last_slot = slot.q.cmp_eq(lit(spb as u128 - 1, sb));
        let step = m.node("step", &rvalid & rec_valid.clone())?;
        push = m.node("push", &step & &in_range)?;
        let rdata = axi.get("rdata")?;
        let slots: Vec<(Expr, Expr)> = (1..spb)
            .map(|i| (slot.q.cmp_eq(lit(i as u128, sb)), rdata.slice(CMD_BITS * (i + 1) - 1, CMD_BITS * i)))
            .collect();
        data = pmux(&slots, &rdata.slice(CMD_BITS - 1, 0));
        rready = m.node("rready_w", &step & &last_slot)?;
        resp = rresp.clone();
        let burst_end = &rready & axi.get("rlast")?;
        m.set_next(&slot, mux(&step, &mux(&last_slot, &lit(0, sb), &(&slot.q + 1)), &slot.q))?;
        m.set_next(&pos, mux(&burst_end, &lit(0, pw), &mux(&step, &(&pos.q + 1), &pos.q)))?;
        m.assign(rec_pop, &burst_end)?;
    } else {
        // Several beats per command: gathered in a register, the command pushed with its last beat.
        let bpc = 32 / wb;
        let bb = index_bits(bpc as u64);
        let nth = m.reg("nth", UInt(bb)).reset(0).build()?;
        let err = m.reg("err", UInt(2)).reset(0).doc("first error response of the command being gathered").build()?;
        let err_now = mux(&err.q.cmp_ne(lit(0, 2)), &err.q, &rresp);
        let gather = m
            .reg("gather", UInt(CMD_BITS - data_bits))
            .no_reset()
            .doc("earlier beats of the command (qualified by nth)")
            .build()?;
        let take = m.node("take", &rvalid & rec_valid.clone())?;
        let last_beat = nth.q.cmp_eq(lit(bpc as u128 - 1, bb));
        push = m.node("push", &take & &last_beat)?;
        let rdata = axi.get("rdata")?;
        data = if bpc == 1 { rdata.clone() } else { cat(&[&rdata, &gather.q]) };
        let shifted =
            if bpc <= 2 { rdata.clone() } else { cat(&[&rdata, &gather.q.slice(CMD_BITS - data_bits - 1, data_bits)]) };
        m.set_next(&gather, mux(&take, &shifted, &gather.q))?;
        m.set_next(&nth, mux(&take, &mux(&last_beat, &lit(0, bb), &(&nth.q + 1)), &nth.q))?;
        m.set_next(&err, mux(&take, &mux(&last_beat, &lit(0, 2), &err_now), &err.q))?;
        rready = take.clone();
        resp = err_now;
        m.assign(rec_pop, &take & axi.get("rlast")?)?;
    }
    Ok(Unpacked { push, data, rready, resp })
}
