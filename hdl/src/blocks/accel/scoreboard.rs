//! The core's scoreboard: commands in flight in program order, each with its
//! scratchpad footprint, and for each queue's head command whether it may
//! start (`docs/isa.md`, "Ordering": no older unfinished command, in any
//! queue, has a conflicting footprint).
//!
//! * `alloc_*` (valid/ready): a command enters in ring order with its read
//!   and write intervals of lines, `[lo, hi)` (`lo = hi`: none). It gets the
//!   entry `alloc_id`; `alloc_ready` is low while all `entries` are in use.
//! * `q<k>_id`: the entry of queue `k`'s head command; `q<k>_clear` is 1
//!   when no older entry that is not done conflicts with it (its write
//!   interval overlaps the other's read or write interval, or its read
//!   interval the other's write interval). Combinational in `q<k>_id`: the
//!   conflicts are found once, when the command is allocated (every entry
//!   then in flight is older), and kept as a dependence row per entry.
//! * `q<k>_sync_clear`: no older entry that is not done was allocated with
//!   `alloc_sync` (the store queue's rule: a DMA_STORE writes memory only
//!   when every older DMA transfer has all its responses, so nothing younger
//!   than a late fault ever writes).
//! * `d<k>_valid`, `d<k>_id` (`k < dones`): a finishing command; a done entry
//!   no longer holds anyone back.
//! * `flush`: every entry leaves at once (the command processor's reset of
//!   the scoreboard after a fault); `head_id` is the oldest entry.
//! * The oldest entry leaves once done (`retire`, one per cycle), so entries
//!   leave in program order: what the ring's head pointer follows.
//!   `empty`: nothing in flight (a BARRIER's condition).

use crate::blocks::common::lanes::{bits_for, index_bits, lit, pmux};
use crate::blocks::common::params::{check_pow2, check_range};
use crate::core::{cat, mux, Bit, Bundle, Expr, Module, Result, Role, UInt};

/// The block's name in parameter errors.
pub const SCOREBOARD_BLOCK: &str = "serrano_core_scoreboard";

/// `serrano_core_scoreboard_n8_l14_q3`.
pub fn scoreboard_name(entries: u32, line_bits: u32, queues: u32, dones: u32) -> String {
    format!("serrano_core_scoreboard_n{entries}_l{line_bits}_q{queues}_d{dones}")
}

/// One entry's footprint: read and write intervals and whether each is non-empty.
struct Foot {
    rlo: Expr,
    rhi: Expr,
    wlo: Expr,
    whi: Expr,
    r: Expr,
    w: Expr,
}

/// `a` and `b` overlap, both non-empty.
fn overlap(alo: &Expr, ahi: &Expr, an: &Expr, blo: &Expr, bhi: &Expr, bn: &Expr) -> Expr {
    an & bn & alo.cmp_lt(bhi) & blo.cmp_lt(ahi)
}

/// An older `o` holds back a younger `e`.
fn conflicts(o: &Foot, e: &Foot) -> Expr {
    overlap(&o.wlo, &o.whi, &o.w, &e.wlo, &e.whi, &e.w)
        | overlap(&o.wlo, &o.whi, &o.w, &e.rlo, &e.rhi, &e.r)
        | overlap(&o.rlo, &o.rhi, &o.r, &e.wlo, &e.whi, &e.w)
}

pub fn scoreboard(entries: u32, line_bits: u32, queues: u32, dones: u32) -> Result<Module> {
    check_pow2(SCOREBOARD_BLOCK, "entries", entries, 2..=64)?;
    check_range(SCOREBOARD_BLOCK, "line_bits", line_bits, 1..=24)?;
    check_range(SCOREBOARD_BLOCK, "queues", queues, 1..=4)?;
    check_range(SCOREBOARD_BLOCK, "dones", dones, 1..=8)?;
    let (n, eb, lw) = (entries, index_bits(entries as u64), line_bits + 1);
    let mut m = Module::new(&scoreboard_name(entries, line_bits, queues, dones));
    m.doc(&format!("Scoreboard: {n} commands in flight in program order, footprint checks for {queues} queue heads."));
    let fields = [("rd_lo", lw), ("rd_hi", lw), ("wr_lo", lw), ("wr_hi", lw), ("sync", 1)];
    let alloc = m.bundle_ports("alloc", &Bundle::valid_ready(&fields), Role::Slave)?;
    let flush = m.input_doc("flush", Bit, "every entry leaves (after a fault)")?;

    let head = m.reg("head", UInt(eb)).reset(0).doc("the oldest entry").build()?;
    let tail = m.reg("tail", UInt(eb)).reset(0).doc("the next entry to allocate").build()?;
    let used = m.reg("used", UInt(bits_for(n as u64))).reset(0).doc("entries in flight").build()?;
    let uw = used.q.width();
    let full = m.node("full", used.q.cmp_eq(lit(n as u128, uw)))?;
    let take = m.node("take", alloc.get("valid")? & !&full & !&flush)?;

    // Per entry: in flight, done, footprint (the footprint is qualified by `live`).
    let mut live = Vec::new();
    let mut done = Vec::new();
    let mut foot = Vec::new();
    let mut sync = Vec::new();
    let mut here_v = Vec::new();
    let dones: Vec<(Expr, Expr)> = (0..dones)
        .map(|k| Ok((m.input(&format!("d{k}_valid"), Bit)?, m.input(&format!("d{k}_id"), UInt(eb))?)))
        .collect::<Result<_>>()?;
    let retire = m.wire("retire_w", Bit)?;
    for i in 0..n {
        let me = lit(i as u128, eb);
        let here = m.node(&format!("alloc_e{i}"), &take & tail.q.cmp_eq(&me))?;
        let leaving = &retire & head.q.cmp_eq(&me);
        let l = m.reg(&format!("live{i}"), Bit).reset(0).build()?;
        m.set_next(&l, !&flush & (&here | (&l.q & !&leaving)))?;
        let finished = dones.iter().fold(lit(0, 1), |acc, (v, id)| acc | (v & id.cmp_eq(&me)));
        let d = m.reg(&format!("done{i}"), Bit).reset(0).build()?;
        m.set_next(&d, mux(&here, &lit(0, 1), &(&d.q | &finished)))?;
        let keep = |m: &mut Module, f: &str, w: u32| -> Result<Expr> {
            m.reg(&format!("e{i}_{f}"), UInt(w)).no_reset().enable(&here).d(alloc.get(f)?)
        };
        let (rlo, rhi, wlo, whi) = (
            keep(&mut m, "rd_lo", lw)?,
            keep(&mut m, "rd_hi", lw)?,
            keep(&mut m, "wr_lo", lw)?,
            keep(&mut m, "wr_hi", lw)?,
        );
        let r = m
            .reg(&format!("e{i}_r"), Bit)
            .reset(0)
            .enable(&here)
            .d(alloc.get("rd_lo")?.cmp_lt(&alloc.get("rd_hi")?))?;
        let w = m
            .reg(&format!("e{i}_w"), Bit)
            .reset(0)
            .enable(&here)
            .d(alloc.get("wr_lo")?.cmp_lt(&alloc.get("wr_hi")?))?;
        sync.push(m.reg(&format!("e{i}_sync"), Bit).reset(0).enable(&here).d(alloc.get("sync")?)?);
        here_v.push(here.clone());
        live.push(l.q.clone());
        done.push(d.q.clone());
        foot.push(Foot { rlo, rhi, wlo, whi, r, w });
    }
    let here = here_v;
    // The oldest entry leaves once done.
    let sel = |v: &[Expr], idx: &Expr| -> Expr {
        let cases: Vec<(Expr, Expr)> =
            v.iter().enumerate().skip(1).map(|(i, x)| (idx.cmp_eq(lit(i as u128, eb)), x.clone())).collect();
        pmux(&cases, &v[0])
    };
    m.assign(&retire, sel(&live, &head.q) & sel(&done, &head.q))?;
    let zero = lit(0, eb);
    m.set_next(&head, mux(&flush, &zero, &mux(&retire, &(&head.q + 1), &head.q)))?;
    m.set_next(&tail, mux(&flush, &zero, &mux(&take, &(&tail.q + 1), &tail.q)))?;
    m.set_next(&used, mux(&flush, &lit(0, uw), &(&used.q + take.zext(uw) - retire.zext(uw))))?;

    // What an entry waits for is fixed when it is allocated: every entry then
    // in flight is older, so its dependences are the live entries whose
    // footprint conflicts with it (and, for the sync rule, the live entries
    // allocated with sync). Comparing once at allocation against every entry,
    // instead of every cycle for every queue head, keeps the comparators at
    // `entries`, not `entries * queues`, and off the queue heads' path.
    let a = |f: &str| alloc.get(f);
    let new = Foot {
        rlo: a("rd_lo")?,
        rhi: a("rd_hi")?,
        wlo: a("wr_lo")?,
        whi: a("wr_hi")?,
        r: a("rd_lo")?.cmp_lt(&a("rd_hi")?),
        w: a("wr_lo")?.cmp_lt(&a("wr_hi")?),
    };
    let msb_first = |v: Vec<Expr>| -> Expr { cat(&v.iter().rev().collect::<Vec<_>>()) };
    let conf = msb_first((0..n as usize).map(|i| &live[i] & conflicts(&foot[i], &new)).collect());
    let conf = m.node("alloc_deps", conf)?;
    // An entry allocated into a slot is younger than everyone: no one may
    // still wait for the slot's earlier occupant under its number.
    let fresh = m.node("alloc_onehot", msb_first(here.clone()))?;
    let pending = m.node("pending", msb_first((0..n as usize).map(|i| &live[i] & !&done[i]).collect()))?;
    let mut blocked = Vec::new();
    for (i, here_i) in here.iter().enumerate() {
        let deps = m.reg(&format!("e{i}_deps"), UInt(n)).reset(0).build()?;
        m.set_next(&deps, mux(here_i, &conf, &(&deps.q & !&fresh)))?;
        blocked.push(m.node(&format!("blocked{i}"), (&deps.q & &pending).any())?);
    }
    // The sync rule needs no pairs: the entries older than a queue head are
    // the ring positions from `head` up to it.
    let pending_sync = m.node("pending_sync", &pending & msb_first(sync.clone()))?;
    // `i < x`; never for the last entry (a comparison Verilator calls constant).
    let below = |x: &Expr| -> Vec<Expr> {
        (0..n).map(|i| if i + 1 == n { lit(0, 1) } else { lit(i as u128, eb).cmp_lt(x) }).collect()
    };
    let below_head = below(&head.q);
    for k in 0..queues {
        let id = m.input(&format!("q{k}_id"), UInt(eb))?;
        let b = m.node(&format!("q{k}_blocked"), sel(&blocked, &id))?;
        m.output_doc(&format!("q{k}_clear"), !&b, "queue head may start: no older unfinished entry conflicts")?;
        // Older than `id`: at or after `head` and before `id`, around the ring.
        let wraps = id.cmp_lt(&head.q);
        let older: Vec<Expr> = below(&id)
            .iter()
            .zip(&below_head)
            .map(|(lt_id, lt_head)| mux(&wraps, &(!lt_head | lt_id), &(!lt_head & lt_id)))
            .collect();
        let older = m.node(&format!("q{k}_older"), msb_first(older))?;
        let s = (&older & &pending_sync).any();
        m.output_doc(&format!("q{k}_sync_clear"), !s, "no older unfinished entry was allocated with sync")?;
    }

    alloc.drive(&mut m, "ready", !&full)?;
    m.output_doc("alloc_id", &tail.q, "the entry an accepted command gets")?;
    m.output_doc("head_id", &head.q, "the oldest entry (when not empty)")?;
    m.output_doc("retire", &retire, "the oldest entry leaves this cycle (program order)")?;
    m.output_doc("empty", used.q.cmp_eq(lit(0, uw)), "nothing in flight")?;
    Ok(m)
}
