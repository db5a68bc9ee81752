//! The output side (C): reads a finished row back from the row buffer,
//! recomputes each element's exp2 against the row's final reference,
//! multiplies by the reciprocal, rounds, saturates and streams the row out.
//! The whole pipeline moves with one enable, `adv`: when the output register
//! is empty or taken, so back-pressure stops it without losing a beat.
//!
//! Stages, each a function below: [`issue`] (C0: takes a row from the
//! divider and issues one buffer read per beat), [`exponents`] (C1–C4),
//! [`probabilities`] (C5–C8), [`output_register`] (C9). A stage's
//! registers are named `c<stage>_<field>`, and `c<stage>_<field>_<lane>` for
//! a lane's own value.

use golden::softmax::SoftmaxParams;

use crate::core::{mux, Bit, Expr, Module, Reg, Result, UInt};

use super::divide::Reciprocal;
use super::input::{buffer_beat, Accepted, RowBuffer};
use super::pipe::{dreg, dregs, pack, shr_any, ulit, unpack, wrap, Widths};

/// What travels with a beat through the output pipeline beside its lanes:
/// the beat's lane flags and the row's parameters. Each stage registers the
/// fields present, in the order of the struct (the order of the declarations
/// in the Verilog); a field is dropped after the last stage that reads it.
#[derive(Clone, Default)]
struct OutTag {
    /// Lanes that count (C2 on; forced to 0 in C8 for a row without any).
    val: Option<Expr>,
    /// The input beat's keep (C2 on).
    keep: Option<Expr>,
    /// The row's last beat (C1 on).
    last: Option<Expr>,
    /// The row's max (up to C1).
    m: Option<Expr>,
    /// The row's `c` (up to C3).
    c: Option<Expr>,
    /// The row's K (up to C2).
    k: Option<Expr>,
    /// The row's reciprocal Rm (up to C7).
    rm: Option<Expr>,
    /// The output shift (up to C8).
    sh: Option<Expr>,
    /// The row had a valid element (up to C7).
    seen: Option<Expr>,
}

impl OutTag {
    /// The tag registered into stage `stage` when `en`.
    fn next(&self, m: &mut Module, stage: u32, en: &Expr) -> Result<OutTag> {
        let mut reg = |field: &str, e: &Option<Expr>| -> Result<Option<Expr>> {
            e.as_ref().map(|e| dreg(m, &format!("c{stage}_{field}"), e, en)).transpose()
        };
        Ok(OutTag {
            val: reg("val", &self.val)?,
            keep: reg("keep", &self.keep)?,
            last: reg("last", &self.last)?,
            m: reg("m", &self.m)?,
            c: reg("c", &self.c)?,
            k: reg("k", &self.k)?,
            rm: reg("rm", &self.rm)?,
            sh: reg("sh", &self.sh)?,
            seen: reg("seen", &self.seen)?,
        })
    }
}

/// A field that is present at this stage by construction.
fn field(e: &Option<Expr>) -> Expr {
    e.clone().expect("the stage functions set this field before reading it")
}

/// A beat in the output pipeline: its stage's valid bit and its tag. Its
/// lanes' data is passed beside, by name (`d2`, `i4`, ...), one signal per
/// lane.
struct Beat {
    v: Expr,
    tag: OutTag,
}

/// C0's control, which every later stage uses.
struct Issue {
    /// The output register, whose next value [`output_register`] gives.
    out_v: Reg,
    /// The output pipeline advances.
    adv: Expr,
    /// A buffer read is issued (one per beat of the row being output).
    issue: Expr,
    /// Beats of the row left to issue.
    left: Expr,
    /// The row's parameters, loaded when the row is taken.
    row: OutTag,
}

/// The output beats on `m_axis_*`.
pub(super) struct OutBeats {
    pub valid: Expr,
    pub data: Expr,
    pub keep: Expr,
    pub last: Expr,
}

/// In: the divider's rows, the row buffer, `m_axis_tready`, and the input
/// side's accepted beats and the queue's fill (for `s_axis_tready`). Out:
/// the probabilities, one output beat per input beat.
#[allow(clippy::too_many_arguments)]
pub(super) fn output(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    exp2_mod: &Module,
    rx: &Reciprocal,
    buf: &RowBuffer,
    a: &Accepted,
    pending: &Expr,
    m_ready: &Expr,
) -> Result<OutBeats> {
    let c0 = issue(m, w, rx, buf, a, pending, m_ready)?;
    let (c4, i4, phi4) = exponents(m, p, &c0, buf)?;
    let (c8, v8c) = probabilities(m, p, w, exp2_mod, &c0.adv, c4, &i4, &phi4)?;
    output_register(m, p, w, &c0, c8, &v8c)
}

/// C0. In: a row whose reciprocal is ready. Out: one buffer read issued per
/// beat of the row, while the pipeline advances, and the row's parameters.
/// Also drives `take` (the row is taken when the previous one issues its
/// last read, or none is active) and `s_axis_tready` (the buffer has room
/// and fewer than two finished rows wait for the divider).
fn issue(
    m: &mut Module,
    w: &Widths,
    rx: &Reciprocal,
    buf: &RowBuffer,
    a: &Accepted,
    pending: &Expr,
    m_ready: &Expr,
) -> Result<Issue> {
    let (take, rd_ptr, fifo_cnt) = (&rx.take, &buf.rd_ptr, &buf.fifo_cnt);

    // ---- C: issue reads of a finished row ----
    let out_v = m.reg("out_v", Bit).reset(0).build()?;
    let adv = m.node("adv", !&out_v.q | m_ready)?;
    let c_act = m.reg("c_active", Bit).reset(0).build()?;
    let c_left = m.reg("c_left", UInt(w.nbw)).reset(0).build()?;
    let issue = m.node("issue", &c_act.q & &adv)?;
    let last_issue = m.node("last_issue", &issue & c_left.q.cmp_eq(1))?;
    m.assign(take, &rx.ready & (!&c_act.q | &last_issue))?;
    m.set_next(&c_act, take | (&c_act.q & !&last_issue))?;
    m.set_next(&c_left, mux(take, &rx.row.nb, &mux(&issue, &(&c_left.q - 1), &c_left.q)))?;
    let r = &rx.row;
    let row = OutTag {
        m: Some(r.m.clone()),
        c: Some(r.c.clone()),
        k: Some(r.k.clone()),
        rm: Some(rx.rm.clone()),
        sh: Some(r.sh.clone()),
        seen: Some(r.seen.clone()),
        ..OutTag::default()
    }
    .next(m, 0, take)?;
    m.set_next(rd_ptr, mux(&issue, &wrap(&rd_ptr.q, w), &rd_ptr.q))?;
    let inc_w = a.accept.zext(w.cntw);
    let dec_w = issue.zext(w.cntw);
    m.set_next(fifo_cnt, &fifo_cnt.q + inc_w - dec_w)?;
    m.assign(&a.tready, fifo_cnt.q.cmp_ne(w.depth as i64) & pending.cmp_ne(2))?;
    Ok(Issue { out_v, adv, issue, left: c_left.q, row })
}

/// C1–C4. In: the issued reads. Out: each lane's exponent
/// `u = (m − x)*K + c` against the row's final reference, split into its
/// integer part I (`c4_int_<lane>`) and fraction φ (`c4_phi_<lane>`).
fn exponents(m: &mut Module, p: &SoftmaxParams, c0: &Issue, buf: &RowBuffer) -> Result<(Beat, Vec<Expr>, Vec<Expr>)> {
    let (lanes, b) = (p.lanes, p.in_bits);
    let (kf, kb, f) = (p.k_frac, p.k_bits, p.exp_frac);
    let (adv, issue) = (&c0.adv, &c0.issue);

    // ---- C1: the buffer's read register, with the row's parameters ----
    let word1 = m.mem_read(&buf.mem, "c1_word", issue, &buf.rd_ptr.q)?;
    let cv1 = m.reg("c1_v", Bit).reset(0).enable(adv).d(issue)?;
    let tag1 = OutTag { last: Some(c0.left.cmp_eq(1)), ..c0.row.clone() }.next(m, 1, issue)?;
    let w1 = buffer_beat(p).unpack(m, "c1", &word1)?;
    let (x1c, keep1, val1c) = (w1.get("x")?, w1.get("keep")?, w1.get("valid")?);

    // A C stage: every register loads when the pipeline advances.
    let cv2 = m.reg("c2_v", Bit).reset(0).enable(adv).d(&cv1)?;
    let cm1 = field(&tag1.m);
    let dc: Vec<Expr> = unpack(&x1c, lanes, b)
        .iter()
        .map(|x| (cm1.sext(b + 1) - x.as_signed().sext(b + 1)).trunc(b).as_unsigned())
        .collect();
    let d2 = dregs(m, "c2_delta", &dc, adv)?;
    let tag2 = OutTag { val: Some(val1c), keep: Some(keep1), m: None, ..tag1 }.next(m, 2, adv)?;

    // C3: Q = delta*K
    let cv3 = m.reg("c3_v", Bit).reset(0).enable(adv).d(&cv2)?;
    let ck2 = field(&tag2.k);
    let qc: Vec<Expr> = d2.iter().map(|d| d.mul_wide(&ck2)).collect();
    let q3 = dregs(m, "c3_q", &qc, adv)?;
    let tag3 = OutTag { k: None, ..tag2 }.next(m, 3, adv)?;

    // C4: u = Q + c, split into I and phi
    let cv4 = m.reg("c4_v", Bit).reset(0).enable(adv).d(&cv3)?;
    let cc3 = field(&tag3.c);
    let (ics, phics): (Vec<Expr>, Vec<Expr>) = q3
        .iter()
        .map(|q| {
            let u = q + cc3.zext(b + kb);
            (u.slice(b + kb - 1, kf), u.slice(kf - 1, kf - f))
        })
        .unzip();
    let i4 = dregs(m, "c4_int", &ics, adv)?;
    let phi4 = dregs(m, "c4_phi", &phics, adv)?;
    let tag4 = OutTag { c: None, ..tag3 }.next(m, 4, adv)?;
    Ok((Beat { v: cv4, tag: tag4 }, i4, phi4))
}

/// C5–C8. In: C4's exponents. Out: each lane's `v = e_out * Rm`
/// (`c8_prod_<lane>`), with `e_out = floor(p / 2^(I + F − F_out))` and `p`
/// from the exp2 units.
#[allow(clippy::too_many_arguments)]
fn probabilities(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    exp2_mod: &Module,
    adv: &Expr,
    c4: Beat,
    i4: &[Expr],
    phi4: &[Expr],
) -> Result<(Beat, Vec<Expr>)> {
    let (lanes, f, fo) = (p.lanes, p.exp_frac, p.out_frac);
    let (iexp, eow) = (w.iexp, w.eow);

    // C5: the exp2 units register their lookups (enabled with the pipeline)
    let mut pcs = Vec::new();
    for (i, phi) in phi4.iter().enumerate() {
        let inst = m.instance(&format!("c_exp2_{i}"), exp2_mod, &[("ce", adv), ("phi", phi)])?;
        pcs.push(inst.out("p")?);
    }
    let cv5 = m.reg("c5_v", Bit).reset(0).enable(adv).d(&c4.v)?;
    let i5c = dregs(m, "c5_int", i4, adv)?;
    let tag5 = c4.tag.next(m, 5, adv)?;

    // C6: p
    let cv6 = m.reg("c6_v", Bit).reset(0).enable(adv).d(&cv5)?;
    let p6 = dregs(m, "c6_p", &pcs, adv)?;
    let i6c = dregs(m, "c6_int", &i5c, adv)?;
    let tag6 = tag5.next(m, 6, adv)?;

    // C7: e_out = floor(p / 2^(I + F - F_out))
    let cv7 = m.reg("c7_v", Bit).reset(0).enable(adv).d(&cv6)?;
    let eos: Vec<Expr> = (0..lanes)
        .map(|i| {
            let sh = i6c[i].zext(iexp + 1) + (f - fo) as i64;
            shr_any(&p6[i], &sh).trunc(eow)
        })
        .collect();
    let eo7 = dregs(m, "c7_eout", &eos, adv)?;
    let tag7 = tag6.next(m, 7, adv)?;

    // C8: v = e_out * Rm
    let cv8 = m.reg("c8_v", Bit).reset(0).enable(adv).d(&cv7)?;
    let crm7 = field(&tag7.rm);
    let vs: Vec<Expr> = eo7.iter().map(|e| e.mul_wide(&crm7)).collect();
    let v8c = dregs(m, "c8_prod", &vs, adv)?;
    // A row without a valid element outputs 0 everywhere.
    let val8 = mux(&field(&tag7.seen), &field(&tag7.val), &ulit(0, lanes as u32));
    let tag8 = OutTag { val: Some(val8), rm: None, seen: None, ..tag7 }.next(m, 8, adv)?;
    Ok((Beat { v: cv8, tag: tag8 }, v8c))
}

/// C9, the output register. In: C8's products. Out: the output beat,
/// `y = min(2^O − 1, round_half_up(v / 2^sh))` per lane (0 for a lane that
/// does not count).
fn output_register(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    c0: &Issue,
    c8: Beat,
    v8c: &[Expr],
) -> Result<OutBeats> {
    let (o, vw, adv) = (p.out_bits, w.vw, &c0.adv);
    let (val8c, csh8) = (field(&c8.tag.val), field(&c8.tag.sh));

    // C9 (output register): y = min(2^O - 1, round_half_up(v / 2^sh))
    let ymax = ulit((1u64 << o) - 1, o);
    let sh_m1 = &csh8 - 1;
    let ys: Vec<Expr> = v8c
        .iter()
        .enumerate()
        .map(|(i, v)| {
            // floor((floor(v / 2^(sh-1)) + 1) / 2) = floor((v + 2^(sh-1)) / 2^sh)
            let t = shr_any(&v.zext(vw + 1), &sh_m1) + 1;
            let r = t.shr_const(1);
            let sat = r.slice(vw, o).any();
            let y = mux(&sat, &ymax, &r.trunc(o));
            mux(&val8c.bit(i as u32), &y, &ulit(0, o))
        })
        .collect();
    m.set_next(&c0.out_v, mux(adv, &c8.v, &c0.out_v.q))?;
    let data = dregs(m, "out_data", &ys, adv)?;
    let keep = dreg(m, "out_keep", &field(&c8.tag.keep), adv)?;
    let last = dreg(m, "out_last", &field(&c8.tag.last), adv)?;
    let data = pack(m, "out_data", &data)?;
    Ok(OutBeats { valid: c0.out_v.q.clone(), data, keep, last })
}
