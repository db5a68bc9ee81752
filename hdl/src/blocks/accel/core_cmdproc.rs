//! The core's command processor: decoded commands in, in ring order, to the
//! three queues (load, compute, store) with their scoreboard entries; the
//! control commands (NOP, BARRIER, FENCE); the ring's head pointer; faults;
//! and the architectural counters, counted at retirement so that a fault
//! leaves them exactly as the golden model does (`docs/isa.md`).
//!
//! * `dec_*`: the decoder's output. A command that passes every check gets a
//!   scoreboard entry (its footprint, and `sync` for DMA transfers) and
//!   enters its queue in the same cycle. NOP, BARRIER and FENCE wait until
//!   the scoreboard is empty (every older command retired), then retire
//!   themselves; FENCE raises `fence_set`.
//! * A command the decoder faulted waits the same way, then the fault is
//!   reported (`fault_set`, with its code, ring index and DMA status).
//! * A fault found late (a DMA completion with an error response, AXI_DATA)
//!   marks its entry: its queue-mates younger than it are dropped (`*_kill`)
//!   instead of started, the older ones run to completion and retire, and
//!   when the faulting entry is the oldest and every engine is idle, the
//!   fault is reported with the head pointer as its index. Reporting flushes
//!   the scoreboard and the decoder; `faulted` (the register block's latch)
//!   then stops everything until the host's clear.
//! * `head` advances as entries retire, in ring order, but only with an
//!   entry whose `dec_last` was set: the pairs of a TILE_MATMUL
//!   (`core_expand`) share the macro's ring slot, which retires (and counts
//!   in `commands_retired`) with its last pair. A fault in an earlier pair,
//!   found at decode or late, thus reports the macro's index, and the fetch
//!   restarts from it.

use golden::core::isa::table::ErrorCode;
use golden::core::CoreParams;

use crate::blocks::accel::core_fetch::INDEX_BITS;
use crate::blocks::accel::scoreboard::scoreboard;
use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{bits_for, index_bits, lit, pmux};
use crate::core::{cat, mux, Bit, Expr, Instance, Module, Reg, Result, UInt};

/// Commands each queue (load, compute, store) holds before its engine takes
/// them. The compute queue is the deepest: dispatch is in ring order, so
/// its depth is how far ahead of the tile the loads placed between compute
/// commands are dispatched (the scoreboard's entries bound it too): 32
/// rather than 16 made the M = 1 GEMMs of a SmolLM2 layer 1.8 % faster
/// (`serrano run gemm --preset default --m 1 --k 576 --n 1536`: 61,568 to
/// 60,435 cycles) for 4 Kib more of FIFO memory.
pub const QUEUE_DEPTHS: [u32; 3] = [8, 32, 4];
/// Bits of a scoreboard entry's number on the engines' ports: enough for
/// the most entries `core.in_flight` allows (64). With fewer, the numbers are
/// below `in_flight` and the command processor's ages (`id - head`, in these
/// bits) still grow in program order: entries past the ring's wrap get ages
/// above `64 - in_flight`, after every entry before it.
pub const ID_BITS: u32 = 6;

/// The counter a retiring entry adds its amount to.
const KIND_NONE: u128 = 0;
const KIND_READ: u128 = 1;
const KIND_WRITTEN: u128 = 2;
const KIND_MACS: u128 = 3;
const KIND_SOFTMAX: u128 = 4;

/// A deliberate bug, for the tests that must catch a broken command
/// processor (never emitted by `serrano verilog`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    /// Queue heads start without asking the scoreboard.
    IgnoreFootprints,
}

pub fn core_cmdproc_name(p: &CoreParams) -> String {
    format!("serrano_core_cmdproc_l{}_n{}{}", p.line, p.lines, in_flight_suffix(p))
}

/// `_f<in_flight>` in a block's name, except for the default 32.
pub fn in_flight_suffix(p: &CoreParams) -> String {
    if p.in_flight == 32 {
        String::new()
    } else {
        format!("_f{}", p.in_flight)
    }
}

/// A queue FIFO: its output word's fields, least significant first.
struct Queue {
    /// The word to push (a wire the caller assigns).
    input: Expr,
    valid: Expr,
    word: Expr,
    room: Expr,
}

fn queue(m: &mut Module, name: &str, width: u32, depth: u32, push: &Expr, pop: &Expr) -> Result<Queue> {
    let data = m.wire(&format!("{name}_in"), UInt(width))?;
    let u = m.instance(
        &format!("u_{name}"),
        &fifo(width, depth)?,
        &[("in_valid", push), ("in_data", &data), ("out_ready", pop)],
    )?;
    m.allow_unused(&u.out("count")?, "in_ready is the room")?;
    Ok(Queue { input: data, valid: u.out("out_valid")?, word: u.out("out_data")?, room: u.out("in_ready")? })
}

/// `x + 1`, wrapping to 0 at `size`.
fn next_index(x: &Expr, size: &Expr) -> Expr {
    let n = x + 1;
    mux(&n.cmp_eq(size), &lit(0, x.width()), &n)
}

pub fn core_cmdproc(p: &CoreParams) -> Result<Module> {
    core_cmdproc_with(p, None)
}

/// The command processor, or a mutant of it.
pub fn core_cmdproc_with(p: &CoreParams, mutant: Option<Mutant>) -> Result<Module> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let (lw, kb, ib, eb) = (aw + 1, bits_for(lb as u64), INDEX_BITS, ID_BITS);
    let name = match mutant {
        None => core_cmdproc_name(p),
        Some(mu) => format!("{}_mutant_{mu:?}", core_cmdproc_name(p)).to_lowercase(),
    };
    let mut m = Module::new(&name);
    m.doc("Core command processor: dispatch to the load, compute and store queues, control commands, head, faults, counters.");

    // ---- ports ----
    let dec_valid = m.input_doc("dec_valid", Bit, "a decoded command is offered")?;
    let dec_data = m.input_doc("dec_data", UInt(256), "the command")?;
    let dec_index = m.input_doc("dec_index", UInt(ib), "its ring index")?;
    let dec_opcode = m.input_doc("dec_opcode", UInt(8), "its opcode")?;
    let dec_queue = m.input_doc("dec_queue", UInt(2), "0 control, 1 load, 2 compute, 3 store")?;
    let dec_err = m.input_doc("dec_err", UInt(8), "its fault (0: none)")?;
    let dec_dma = m.input_doc("dec_dma_status", UInt(8), "the DMA status of its fault")?;
    let fp: Vec<Expr> = ["rd_lo", "rd_hi", "wr_lo", "wr_hi"]
        .iter()
        .map(|f| m.input_doc(&format!("dec_{f}"), UInt(lw), "footprint"))
        .collect::<Result<_>>()?;
    let dec_amount = m.input_doc("dec_amount", UInt(64), "what it adds to its counter at retirement")?;
    let dec_last = m.input_doc("dec_last", Bit, "the last command of its ring slot")?;
    let faulted = m.input_doc("faulted", Bit, "a fault is latched (until the host's clear)")?;
    let ring_size = m.input_doc("ring_size", UInt(ib), "ring slots")?;
    let tail = m.input_doc("tail", UInt(ib), "the host's doorbell")?;
    let done_in = |m: &mut Module, p: &str, code: bool| -> Result<Done> {
        let v = m.input_doc(&format!("{p}_valid"), Bit, "an engine finished a command")?;
        let id = m.input(&format!("{p}_id"), UInt(eb))?;
        let c = if code { Some(m.input(&format!("{p}_code"), UInt(8))?) } else { None };
        Ok((v, id, c))
    };
    let ld_done = done_in(&mut m, "ld_done", true)?;
    let st_done = done_in(&mut m, "st_done", true)?;
    let cp_done: Vec<Done> = ["a", "b", "c", "y", "q"]
        .iter()
        .map(|k| done_in(&mut m, &format!("cp_done_{k}"), false))
        .collect::<Result<_>>()?;
    let lq_pop = m.input_doc("lq_ready", Bit, "the load engine takes its queue head")?;
    let cq_pop = m.input_doc("cq_ready", Bit, "the compute engine takes its queue head")?;
    let sq_pop = m.input_doc("sq_ready", Bit, "the store engine takes its queue head")?;
    let busy_in: Vec<Expr> = ["ld_busy", "st_busy", "tile_busy", "softmax_busy"]
        .iter()
        .map(|n| m.input_doc(n, Bit, "an engine is working"))
        .collect::<Result<_>>()?;

    // ---- the scoreboard ----
    let sb_in: Vec<Expr> =
        ["sb_alloc_valid", "sb_alloc_sync", "sb_flush"].iter().map(|n| m.wire(n, Bit)).collect::<Result<_>>()?;
    let sb_qid: Vec<Expr> = (0..3).map(|k| m.wire(&format!("sb_q{k}_id"), UInt(eb))).collect::<Result<_>>()?;
    let dones: Vec<(Expr, Expr)> =
        [&ld_done, &st_done].into_iter().chain(cp_done.iter()).map(|(v, id, c)| (v & ok_code(c), id.clone())).collect();
    let sb = scoreboard_instance(&mut m, p, aw, &fp, &sb_in, &sb_qid, &dones)?;
    let sb_head_n = sb.out("head_id")?;
    let sb_head = m.node("sb_head", sb_head_n.zext(eb))?;
    let sb_empty = sb.out("empty")?;
    let retire = sb.out("retire")?;

    // ---- the queues ----
    let is_q = |k: u128| dec_queue.cmp_eq(lit(k, 2));
    let ok = m.node("dec_ok", dec_err.cmp_eq(lit(0, 8)))?;
    let fpend = m.reg("fpend", Bit).reset(0).doc("a fault found late waits for older commands").build()?;
    let blocked = m.node("blocked", &faulted | &fpend.q)?;
    let push = m.wire("dispatch", Bit)?;
    let [dl, dc, ds] = QUEUE_DEPTHS;
    let lq = queue(&mut m, "lq", eb + lw + 256, dl, &(&push & is_q(1)), &lq_pop)?;
    let cq = queue(&mut m, "cq", eb + 256, dc, &(&push & is_q(2)), &cq_pop)?;
    let sq = queue(&mut m, "sq", eb + lw + kb + 256, ds, &(&push & is_q(3)), &sq_pop)?;
    let alloc_id_n = sb.out("alloc_id")?;
    let alloc_id = m.node("alloc_id", alloc_id_n.zext(eb))?;
    let (lines, last_bytes) = packet(&mut m, &is_q(1), &fp, &dec_amount, kb)?;
    m.assign(&lq.input, cat(&[&dec_data, &lines, &alloc_id]))?;
    m.assign(&cq.input, cat(&[&dec_data, &alloc_id]))?;
    m.assign(&sq.input, cat(&[&dec_data, &last_bytes, &lines, &alloc_id]))?;
    let room = pmux(&[(is_q(1), lq.room.clone()), (is_q(2), cq.room.clone())], &sq.room);
    let dispatch = m.node("dispatch_w", &dec_valid & &ok & !is_q(0) & !&blocked & sb.out("alloc_ready")? & room)?;
    m.assign(&push, &dispatch)?;
    m.assign(&sb_in[0], &dispatch)?;
    m.assign(&sb_in[1], is_q(1) | is_q(3))?;

    // Queue heads to the engines, with the scoreboard's answers.
    let ids = [lq.word.slice(eb - 1, 0), cq.word.slice(eb - 1, 0), sq.word.slice(eb - 1, 0)];
    for (k, id) in ids.iter().enumerate() {
        m.assign(&sb_qid[k], id)?;
    }
    let fid = m.reg("fid", UInt(eb)).reset(0).doc("the entry of the fault found late").build()?;
    let age = |x: &Expr| x - &sb_head;
    let fage = m.node("fault_age", age(&fid.q))?;
    let heads = [("lq", &lq, &ids[0]), ("cq", &cq, &ids[1]), ("sq", &sq, &ids[2])];
    queue_heads(&mut m, &sb, mutant, &heads, &fpend.q, &fage, &sb_head)?;
    m.output_doc("lq_lines", lq.word.slice(eb + lw - 1, eb), "the packet's lines")?;
    m.output_doc("sq_lines", sq.word.slice(eb + lw - 1, eb), "the packet's lines")?;
    m.output_doc("sq_last_bytes", sq.word.slice(eb + lw + kb - 1, eb + lw), "bytes of the packet's last line")?;

    // ---- control commands and faults ----
    let idle =
        m.node("engines_idle", !busy_in.iter().fold(lit(0, 1), |a, b| a | b) & !&lq.valid & !&cq.valid & !&sq.valid)?;
    let ctrl = m.node("ctrl_go", &dec_valid & &ok & is_q(0) & !&blocked & &sb_empty)?;
    let dfault = m.node("decode_fault", &dec_valid & !&ok & !&blocked & &sb_empty & &idle)?;
    let lreport = m.node("late_fault", &fpend.q & !&faulted & !&sb_empty & sb_head.cmp_eq(&fid.q) & &idle)?;
    let report = m.node("report", &dfault | &lreport)?;
    m.output_doc("dec_ready", &dispatch | &ctrl | &dfault, "the decoded command is taken")?;

    let fdma = late_fault(&mut m, &ld_done, &st_done, &sb_head, &fpend, &fid, &fage, &report)?;
    m.assign(&sb_in[2], &lreport)?;

    let is_fence = dec_opcode.cmp_eq(lit(golden::core::isa::table::OP_FENCE as u128, 8));
    let fence = m.node("fence", &ctrl & is_fence)?;
    m.output_doc("fence_set", &fence, "a FENCE completed")?;

    // ---- the head pointer, and the architectural counters at retirement ----
    let head = m.reg("head_q", UInt(ib)).reset(0).doc("the oldest command not retired").build()?;
    let flush = lreport.clone();
    let (alloc_id, sb_head) = (alloc_id_n, sb_head_n);
    let at_retire =
        Retirement { dec_opcode, dec_amount, dec_last, dispatch, alloc_id, sb_head, retire, flush, ctrl, fence };
    let slot_done = retire_counters(&mut m, &at_retire)?;
    let head_next = pmux(
        &[(slot_done, next_index(&head.q, &ring_size)), (at_retire.ctrl.clone(), next_index(&dec_index, &ring_size))],
        &head.q,
    );
    m.set_next(&head, head_next)?;
    m.output_doc("head", &head.q, "the ring's head pointer")?;
    let busy = !&faulted & (head.q.cmp_ne(&tail) | !&sb_empty | &fpend.q | &dec_valid);
    m.output_doc("busy", busy, "the core has work")?;
    m.output_doc("stop", &faulted | &fpend.q, "the fetch stops (and reloads from head)")?;
    // The latch rises the cycle after the report, before anything younger
    // can be taken (`blocked`), and holds the decoder empty until the clear.
    m.output_doc("dec_flush", &faulted, "drop the decoder's commands")?;

    m.output_doc("fault_set", &report, "a fault is reported")?;
    m.output_doc("fault_code", mux(&dfault, &dec_err, &lit(ErrorCode::AxiData.code() as u128, 8)), "its error code")?;
    m.output_doc("fault_index", mux(&dfault, &dec_index, &head.q), "the ring index of the faulting command")?;
    m.output_doc("fault_dma", mux(&dfault, &dec_dma, &fdma), "its DMA status")?;
    Ok(m)
}

/// The scoreboard, its allocation port fed by the decoder's footprint and
/// the `sb_*` wires, the engines' completions and the queue heads' entries
/// cut to its entry numbers.
fn scoreboard_instance(
    m: &mut Module,
    p: &CoreParams,
    aw: u32,
    fp: &[Expr],
    sb_in: &[Expr],
    sb_qid: &[Expr],
    dones: &[(Expr, Expr)],
) -> Result<Instance> {
    let mut conn: Vec<(String, Expr)> = vec![
        ("alloc_valid".into(), sb_in[0].clone()),
        ("alloc_rd_lo".into(), fp[0].clone()),
        ("alloc_rd_hi".into(), fp[1].clone()),
        ("alloc_wr_lo".into(), fp[2].clone()),
        ("alloc_wr_hi".into(), fp[3].clone()),
        ("alloc_sync".into(), sb_in[1].clone()),
        ("flush".into(), sb_in[2].clone()),
    ];
    // The scoreboard numbers its entries in `sbw` bits, the engines in ID_BITS.
    let sbw = index_bits(p.in_flight as u64);
    let narrow = |x: &Expr| if sbw < ID_BITS { x.slice(sbw - 1, 0) } else { x.clone() };
    if sbw < ID_BITS {
        for id in dones.iter().map(|(_, id)| id).chain(sb_qid) {
            m.allow_unused(
                id,
                "entry numbers stay below core.in_flight: the engines' wider numbers have zero top bits",
            )?;
        }
    }
    for (k, (v, id)) in dones.iter().enumerate() {
        conn.push((format!("d{k}_valid"), v.clone()));
        conn.push((format!("d{k}_id"), narrow(id)));
    }
    for (k, id) in sb_qid.iter().enumerate() {
        conn.push((format!("q{k}_id"), narrow(id)));
    }
    let refs: Vec<(&str, &Expr)> = conn.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance("u_scoreboard", &scoreboard(p.in_flight, aw, 3, dones.len() as u32)?, &refs)
}

/// What the counters see of a command: at dispatch its opcode and amount
/// (kept per scoreboard entry), at retirement the oldest entry. Entry
/// numbers (`alloc_id`, `sb_head`) are the scoreboard's, in its width.
struct Retirement {
    dec_opcode: Expr,
    dec_amount: Expr,
    /// The entry's ring slot retires with it.
    dec_last: Expr,
    dispatch: Expr,
    alloc_id: Expr,
    sb_head: Expr,
    retire: Expr,
    /// The scoreboard's flush (its oldest entry is then entry 0).
    flush: Expr,
    ctrl: Expr,
    fence: Expr,
}

/// The architectural counters' increments: each entry's counter kind,
/// amount and `last` bit are kept from dispatch and used when it retires, so
/// a fault leaves them as the golden model does. Out: a ring slot retires
/// (an entry with its `last` bit).
fn retire_counters(m: &mut Module, r: &Retirement) -> Result<Expr> {
    let Retirement { dec_opcode, dec_amount, dec_last, dispatch, alloc_id, sb_head, retire, flush, ctrl, fence } = r;
    let op_is = |c: u8| dec_opcode.cmp_eq(lit(c as u128, 8));
    use golden::core::isa::table::{OP_DMA_LOAD, OP_DMA_STORE, OP_SOFTMAX, OP_TILE_COMPUTE};
    let kind = pmux(
        &[
            (op_is(OP_DMA_LOAD), lit(KIND_READ, 3)),
            (op_is(OP_DMA_STORE), lit(KIND_WRITTEN, 3)),
            (op_is(OP_TILE_COMPUTE), lit(KIND_MACS, 3)),
            (op_is(OP_SOFTMAX), lit(KIND_SOFTMAX, 3)),
        ],
        &lit(KIND_NONE, 3),
    );
    let kind = m.node("dec_kind", kind)?;
    // Last bit, kind and amount per entry, in a small RAM (distributed RAM on an FPGA,
    // not 68 flip-flops per entry and a wide multiplexer): written at
    // dispatch, read for the entry that is the oldest in the next cycle, so
    // the registered read port holds the retiring entry's word. A word
    // written in the cycle it is read (an entry that is at once the oldest)
    // comes through `fresh` instead, as the RAM reads before it writes.
    let word_ty = UInt(1 + 3 + 64);
    let (eb, entries) = (sb_head.width(), 1u32 << sb_head.width());
    let words = m.memory("entry_words", word_ty, entries)?;
    let new_word = cat(&[dec_last, &kind, dec_amount]);
    m.mem_write(&words, dispatch, alloc_id, &new_word)?;
    let next_head = mux(flush, &lit(0, eb), &mux(retire, &(sb_head + 1), sb_head));
    let next_head = m.node("next_head", next_head)?;
    let stored = m.mem_read(&words, "entry_word", &lit(1, 1), &next_head)?;
    let hit = dispatch & alloc_id.cmp_eq(&next_head);
    let bypass = m.reg("entry_bypass", Bit).reset(0).d(&hit)?;
    let fresh = m.reg("entry_fresh", word_ty).no_reset().enable(&hit).d(new_word)?;
    let word = m.node("retire_word", mux(&bypass, &fresh, &stored))?;
    let r_kind = m.node("retire_kind", word.slice(66, 64))?;
    let slot_done = m.node("retire_slot", retire & word.bit(67))?;
    // Read only when an entry retires: every live entry's word was written.
    let r_amount = m.node("retire_amount", word.slice(63, 0))?;
    let add = |k: u128| mux(&(retire & r_kind.cmp_eq(lit(k, 3))), &r_amount, &lit(0, 64));
    m.output_doc("inc_commands_retired", &slot_done | ctrl, "a command retired")?;
    m.output_doc("inc_dram_bytes_read", add(KIND_READ), "bytes of a retiring DMA_LOAD")?;
    m.output_doc("inc_dram_bytes_written", add(KIND_WRITTEN), "bytes of a retiring DMA_STORE")?;
    m.output_doc("inc_macs", add(KIND_MACS), "MACs of a retiring TILE_COMPUTE")?;
    m.output_doc("inc_softmax_elements", add(KIND_SOFTMAX), "elements of a retiring SOFTMAX")?;
    m.output_doc("inc_fences", fence, "a FENCE completed")?;
    Ok(slot_done)
}

/// A fault found late: the oldest erroring DMA completion (a load's or a
/// store's) becomes the pending fault, unless an older one already is.
/// Out: the pending fault's DMA status.
#[allow(clippy::too_many_arguments)]
fn late_fault(
    m: &mut Module,
    ld_done: &Done,
    st_done: &Done,
    sb_head: &Expr,
    fpend: &Reg,
    fid: &Reg,
    fage: &Expr,
    report: &Expr,
) -> Result<Expr> {
    let age = |x: &Expr| x - sb_head;
    let err = |d: &Done| -> Expr { &d.0 & !ok_code(&d.2) };
    let (ld_err, st_err) = (m.node("ld_err", err(ld_done))?, m.node("st_err", err(st_done))?);
    let st_first = m.node("st_err_first", &st_err & (!&ld_err | age(&st_done.1).cmp_lt(age(&ld_done.1))))?;
    let c_valid = &ld_err | &st_err;
    let c_id = mux(&st_first, &st_done.1, &ld_done.1);
    let c_code = mux(&st_first, st_done.2.as_ref().unwrap(), ld_done.2.as_ref().unwrap());
    let take = m.node("fault_take", &c_valid & (!&fpend.q | age(&c_id).cmp_lt(fage)))?;
    m.set_next(fpend, !report & (&fpend.q | &c_valid))?;
    m.set_next(fid, mux(&take, &c_id, &fid.q))?;
    m.reg("fdma", UInt(8)).reset(0).enable(&take).d(c_code)
}

/// An engine's completion: valid, entry, and (DMA engines) its status code.
type Done = (Expr, Expr, Option<Expr>);

/// A completion's status is OK (engines without a code always are).
fn ok_code(c: &Option<Expr>) -> Expr {
    c.as_ref().map_or(lit(1, 1), |c| c.cmp_eq(lit(0, 8)))
}

/// Each queue's head to its engine: valid, entry, command, and the
/// scoreboard's answer (`go`; stores also wait for every older transfer) or
/// `kill` when it is younger than a pending fault.
fn queue_heads(
    m: &mut Module,
    sb: &Instance,
    mutant: Option<Mutant>,
    heads: &[(&str, &Queue, &Expr); 3],
    fpend: &Expr,
    fage: &Expr,
    sb_head: &Expr,
) -> Result<()> {
    for (k, (n, q, id)) in heads.iter().enumerate() {
        let kill = m.node(&format!("{n}_kill_w"), fpend & fage.cmp_lt(&(*id - sb_head)))?;
        let clear = sb.out(&format!("q{k}_clear"))?;
        let clear = if mutant == Some(Mutant::IgnoreFootprints) {
            m.allow_unused(&clear, "mutant: the scoreboard is ignored")?;
            lit(1, 1)
        } else {
            clear
        };
        let go = if k == 2 { clear & sb.out("q2_sync_clear")? } else { clear };
        if k != 2 {
            m.allow_unused(&sb.out(&format!("q{k}_sync_clear"))?, "only stores wait for older transfers")?;
        }
        m.output_doc(&format!("{n}_valid"), &q.valid, "a command waits at the queue head")?;
        m.output_doc(&format!("{n}_id"), *id, "its scoreboard entry")?;
        // The command is the word's top 256 bits (above lines, last_bytes and the entry).
        let top = q.word.width();
        m.output_doc(&format!("{n}_data"), q.word.slice(top - 1, top - 256), "the command")?;
        m.output_doc(&format!("{n}_go"), go, "the scoreboard lets it start")?;
        m.output_doc(&format!("{n}_kill"), kill, "it is younger than a fault: drop it")?;
    }
    Ok(())
}

/// A DMA command's packet in the scratchpad: its lines (the footprint's
/// write interval for a load, its read interval for a store) and the bytes
/// of its last line, ((bytes - 1) mod L) + 1, from its byte count.
fn packet(m: &mut Module, is_load: &Expr, fp: &[Expr], bytes: &Expr, kb: u32) -> Result<(Expr, Expr)> {
    let lines = m.node("dec_lines", mux(is_load, &(&fp[3] - &fp[2]), &(&fp[1] - &fp[0])))?;
    let lbits = kb - 1;
    let last = if lbits == 0 { lit(1, kb) } else { (bytes - 1).slice(lbits - 1, 0).zext(kb) + 1 };
    Ok((lines, m.node("dec_last_bytes", last)?))
}
