//! The reciprocal side (B): finished rows' statistics wait in a two-entry
//! queue; the head's sum S is normalized and the restoring divider computes
//! `Rm = floor(2^(G+H) / Sm)`, one quotient bit per cycle, while the output
//! side streams the row before.
//!
//! Stages: [`row_queue`], then [`divider`].

use golden::softmax::SoftmaxParams;

use crate::core::{mux, Bit, Expr, Module, Record, Result, SInt, UInt};

use super::accumulate::RowStats;
use super::input::Accepted;
use super::pipe::{dreg, shr_any, ulit, Widths};

/// Bits of S per step of the leading-one chain.
const LEAD_STEP: usize = 4;

/// The head of the row queue, and what the queue tells the other parts.
pub(super) struct QueueHead {
    /// The head leaves the queue (into the divider): a wire, driven by
    /// [`divider`].
    pub pop: Expr,
    /// Rows whose last beat was accepted and that have not left the queue
    /// (0..=2): the input side stops at 2.
    pub pending: Expr,
    /// The queue holds a row (its head is valid).
    pub valid: Expr,
    /// The head row's sum S.
    pub s: Expr,
    /// Its number of beats.
    pub nb: Expr,
    /// Its K.
    pub k: Expr,
    /// Its `c`.
    pub c: Expr,
    /// Its max.
    pub m: Expr,
    /// It had a valid element.
    pub seen: Expr,
}

/// A row's parameters for the output side, held while the divider works on
/// it and until the output side takes them.
pub(super) struct RowParams {
    pub m: Expr,
    pub c: Expr,
    pub k: Expr,
    /// The row's number of beats.
    pub nb: Expr,
    pub seen: Expr,
    /// The output shift `sh = F_out + G − O + L − F_sum`.
    pub sh: Expr,
}

/// The divider's result and the handshake with the output side.
pub(super) struct Reciprocal {
    /// The output side takes the row (parameters and `rm`): a wire, driven by
    /// [`super::output`].
    pub take: Expr,
    /// A row's reciprocal is ready (this cycle or earlier) and not yet taken.
    pub ready: Expr,
    pub row: RowParams,
    /// The reciprocal `Rm`, UQ1.G.
    pub rm: Expr,
}

/// In: the accumulator's rows (pushed with their last beat) and the input
/// side's accepted last beats. Out: the queue's head, with the `pop` wire
/// the divider drives.
pub(super) fn row_queue(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    stats: &RowStats,
    a: &Accepted,
) -> Result<QueueHead> {
    let (b, kb, kf, ws, nbw) = (p.in_bits, p.k_bits, p.k_frac, p.sum_bits, w.nbw);

    // ---- B: the queue of finished rows (two entries) ----
    let nb9 = stats.idx.zext(nbw) + 1;
    // A finished row's statistics, as each queue entry holds them.
    let row = Record::new(
        "row",
        &[("s", UInt(ws)), ("nb", UInt(nbw)), ("k", UInt(kb)), ("c", UInt(kf)), ("m", SInt(b)), ("seen", Bit)],
    );
    let entry = row.pack(
        m,
        "row_entry",
        &[("s", &stats.s), ("nb", &nb9), ("k", &stats.k), ("c", &stats.c), ("m", &stats.m), ("seen", &stats.seen)],
    )?;
    let ew_q = row.width();
    let push = m.node("push", &stats.v & &stats.last)?;
    let qv0 = m.reg("q0_v", Bit).reset(0).build()?;
    let qv1 = m.reg("q1_v", Bit).reset(0).build()?;
    let pop = m.wire("pop", Bit)?;
    let q0_load = &pop | (&push & !&qv0.q);
    let q1 = m.reg("q1", UInt(ew_q)).no_reset().enable(&(&push & ((&pop & &qv1.q) | (!&pop & &qv0.q)))).d(&entry)?;
    let q0 = m.reg("q0", UInt(ew_q)).no_reset().enable(&q0_load).d(mux(&(&pop & &qv1.q), &q1, &entry))?;
    m.set_next(&qv0, mux(&pop, &(&qv1.q | &push), &(&qv0.q | &push)))?;
    m.set_next(&qv1, mux(&pop, &(&qv1.q & &push), &(&qv1.q | (&push & &qv0.q))))?;
    // Rows whose last beat was accepted and that have not left the queue: at
    // most two, so the queue never overflows.
    let pending = m.reg("pending", UInt(2)).reset(0).build()?;
    let inc = (&a.accept & &a.last).zext(2);
    m.set_next(&pending, &pending.q + inc - pop.zext(2))?;

    // Fields of the queue head.
    let h = row.unpack(m, "q0", &q0)?;
    let (s, nb, k, c, seen) = (h.get("s")?, h.get("nb")?, h.get("k")?, h.get("c")?, h.get("seen")?);
    let m_ = h.get("m")?;
    Ok(QueueHead { pop, pending: pending.q, valid: qv0.q, s, nb, k, c, m: m_, seen })
}

/// In: the queue's head. Out: its reciprocal `Rm` and the row's parameters,
/// ready for the output side, with the `take` wire the output side drives.
/// The divider takes a row when it is idle or its result is being taken.
pub(super) fn divider(m: &mut Module, p: &SoftmaxParams, recip_mod: &Module, head: &QueueHead) -> Result<Reciprocal> {
    let (o, fs, ws, fo) = (p.out_bits, p.sum_frac, p.sum_bits, p.out_frac);
    let (g, h) = (p.recip_frac, p.norm_frac);
    let lw = 6; // leading-one index and output shift: sum_bits < 64
    let h_s = &head.s;
    let pop = &head.pop;

    // Normalization: L = leading one of S (S >= 2^(F_sum-1) when seen),
    // Sm = floor(S / 2^(L-H)), sh = F_out + G - O + L - F_sum.
    // A priority chain from the top bit down, named every LEAD_STEP bits
    // (`lead_<k>` covers bits up to fs + LEAD_STEP*(k+1) − 1) so that no
    // line holds the whole chain. S has an integer bit (sum_bits > sum_frac),
    // so the chain has at least one step and `lead` is always named.
    let bits: Vec<u32> = (fs..ws).collect();
    let mut lead = ulit((fs - 1) as u64, lw);
    for (k, chunk) in bits.chunks(LEAD_STEP).enumerate() {
        for &i in chunk {
            lead = mux(&h_s.bit(i), &ulit(i as u64, lw), &lead);
        }
        let name = if (k + 1) * LEAD_STEP >= bits.len() { "lead".to_string() } else { format!("lead_{k}") };
        lead = m.node(&name, lead)?;
    }
    let sm = m.node("sm", shr_any(h_s, &(&lead - h as i64)).trunc(h + 1))?;
    let sh_off = (fo + g) as i64 - (o + fs) as i64;
    let sh = if sh_off >= 0 { &lead + sh_off } else { &lead - (-sh_off) };

    // The divider and the row it works on. State: idle, busy, full (result
    // waiting for the output side).
    let div = m.instance("recip", recip_mod, &[("start", pop), ("sm", &sm)])?;
    let div_busy = div.out("busy")?;
    let rm = div.out("q")?;
    let b_run = m.reg("b_run", Bit).reset(0).build()?;
    let b_full = m.reg("b_full", Bit).reset(0).build()?;
    let take = m.wire("take", Bit)?;
    // The divider takes the next row when it is free, or is being freed
    // (its result taken by the output side) in this very cycle.
    m.assign(pop, &head.valid & ((!&b_run.q & !&b_full.q) | &take))?;
    let b_m = dreg(m, "b_m", &head.m, pop)?;
    let b_c = dreg(m, "b_c", &head.c, pop)?;
    let b_k = dreg(m, "b_k", &head.k, pop)?;
    let b_nb = dreg(m, "b_nb", &head.nb, pop)?;
    let b_seen = dreg(m, "b_seen", &head.seen, pop)?;
    let b_sh = dreg(m, "b_sh", &sh, pop)?;
    // The result is ready in the cycle the divider finishes (done) and
    // stays ready (full) until the output side takes it.
    let done = m.node("div_done", &b_run.q & !&div_busy)?;
    let result = m.node("result_ready", &done | &b_full.q)?;
    m.set_next(&b_run, pop | (&b_run.q & !&done))?;
    m.set_next(&b_full, &result & !&take)?;
    Ok(Reciprocal {
        take,
        ready: result,
        row: RowParams { m: b_m, c: b_c, k: b_k, nb: b_nb, seen: b_seen, sh: b_sh },
        rm,
    })
}
