//! The accumulator (A0–A10): a pipeline without stalls that takes one beat
//! per cycle and keeps, per row, the exact running max m and the online sum
//! `S = floor(S / 2^(M − M_prev)) + beat sum` of the exp2 terms against the
//! running reference `M = ceil(m*K / 2^kf)`. Its two loops are A2 (compare
//! and select) and A10 (a shift and an add).
//!
//! Stages, each a function below: [`input_register`] (A0), [`running_max`]
//! (A1–A2), [`exponents`] (A3–A5), [`terms`] (A6–A8), [`running_sum`]
//! (A9–A10). A stage's registers are named `a<stage>_<field>`, and
//! `a<stage>_<field>_<lane>` for a lane's own value.

use golden::softmax::SoftmaxParams;

use crate::core::{mux, Bit, Expr, Module, Result, SInt, UInt};

use super::input::{Accepted, InPorts};
use super::pipe::{creg, dreg, dregs, shr_any, tree, ulit, unpack, Widths};

/// What travels with a beat through the accumulator beside its lanes. Each
/// stage registers the fields present, in the order of the struct (the
/// order of the declarations in the Verilog); a field is absent before the
/// stage that makes it and after the last stage that reads it.
#[derive(Clone)]
struct BeatTag {
    /// `M − M_prev`, the shift of the running sum (A5 on).
    rescale: Option<Expr>,
    /// Lanes that count (up to A7).
    val: Option<Expr>,
    /// The row's first beat.
    first: Expr,
    /// The row's last beat.
    last: Expr,
    /// The beat's index in the row.
    idx: Expr,
    /// The row's K.
    k: Expr,
    /// The running max after this beat (A3 on).
    m: Option<Expr>,
    /// `c = (−m*K) mod 2^kf`, the fraction that makes M an integer (A5 on).
    c: Option<Expr>,
    /// Some lane of the row so far was valid (A3 on).
    seen: Option<Expr>,
}

impl BeatTag {
    /// The tag registered into stage `stage` when `en`.
    fn next(&self, m: &mut Module, stage: u32, en: &Expr) -> Result<BeatTag> {
        let mut reg = |field: &str, e: &Expr| dreg(m, &format!("a{stage}_{field}"), e, en);
        let rescale = self.rescale.as_ref().map(|e| reg("rescale", e)).transpose()?;
        let val = self.val.as_ref().map(|e| reg("val", e)).transpose()?;
        let first = reg("first", &self.first)?;
        let last = reg("last", &self.last)?;
        let idx = reg("idx", &self.idx)?;
        let k = reg("k", &self.k)?;
        let m_ = self.m.as_ref().map(|e| reg("m", e)).transpose()?;
        let c = self.c.as_ref().map(|e| reg("c", e)).transpose()?;
        let seen = self.seen.as_ref().map(|e| reg("seen", e)).transpose()?;
        Ok(BeatTag { rescale, val, first, last, idx, k, m: m_, c, seen })
    }

    /// A field that is present at this stage by construction.
    fn field(e: &Option<Expr>) -> Expr {
        e.clone().expect("the stage functions set this field before reading it")
    }
}

/// A beat in the accumulator: its stage's valid bit and its tag. Its lanes'
/// data changes meaning from stage to stage, so the stage functions pass it
/// beside, by name: the logits packed as they came in (`x0`), then one
/// signal per lane (`i5`, `e8`, ...).
struct Beat {
    v: Expr,
    tag: BeatTag,
}

/// A row's statistics as they leave the accumulator with its last beat
/// (A9's registers and A10's sum), on their way into the row queue.
pub(super) struct RowStats {
    /// A9 holds a beat.
    pub v: Expr,
    /// That beat ends its row.
    pub last: Expr,
    /// The row had a valid element.
    pub seen: Expr,
    /// The row's max.
    pub m: Expr,
    /// The row's `c`.
    pub c: Expr,
    /// The row's K.
    pub k: Expr,
    /// The last beat's index (beats − 1).
    pub idx: Expr,
    /// The running sum including this beat (A10's next value).
    pub s: Expr,
}

/// In: the accepted beat and the logits. Out: each row's statistics at its
/// last beat. `exp2_mod` is the exp2 unit, one instance per lane.
pub(super) fn accumulate(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    exp2_mod: &Module,
    a: &Accepted,
    s: &InPorts,
) -> Result<RowStats> {
    let (beat, x0) = input_register(m, a, s)?;
    let (beat, x2, m2, seen2) = running_max(m, p, beat, &x0)?;
    let (beat, i5, phi5) = exponents(m, p, w, beat, &x2, &m2, &seen2)?;
    let (beat, e8) = terms(m, p, w, exp2_mod, beat, &i5, &phi5)?;
    running_sum(m, p, beat, &e8)
}

/// A0, the input register. In: the accepted beat. Out: its logits (`a0_x`),
/// its tag, and K, loaded with a row's first beat.
fn input_register(m: &mut Module, a: &Accepted, s: &InPorts) -> Result<(Beat, Expr)> {
    let v0 = creg(m, "a0_v", &a.accept)?;
    let x0 = dreg(m, "a0_x", &s.data, &a.accept)?;
    let val0 = dreg(m, "a0_val", &a.valid, &a.accept)?;
    let first0 = dreg(m, "a0_first", &a.first, &a.accept)?;
    let last0 = dreg(m, "a0_last", &a.last, &a.accept)?;
    let idx0 = dreg(m, "a0_idx", &a.idx, &a.accept)?;
    // K of the row whose beat is in A0: loaded with the row's first beat.
    let k0 = dreg(m, "a0_k", &s.scale_k, &(&a.accept & &a.first))?;
    let tag = BeatTag {
        rescale: None,
        val: Some(val0),
        first: first0,
        last: last0,
        idx: idx0,
        k: k0,
        m: None,
        c: None,
        seen: None,
    };
    Ok((Beat { v: v0, tag }, x0))
}

/// A1–A2. In: A0's logits. Out: A2's logits, the running max m (the A2
/// register, which includes this beat) and "some lane of the row was valid".
fn running_max(m: &mut Module, p: &SoftmaxParams, a0: Beat, x0: &Expr) -> Result<(Beat, Expr, Expr, Expr)> {
    let b = p.in_bits;
    let val0 = BeatTag::field(&a0.tag.val);

    // ---- A1: the beat's max over valid lanes (x_min when none) ----
    let xs0 = unpack(x0, p.lanes, b);
    let minv = Expr::lit(p.x_min() as i128, SInt(b));
    let leaves = xs0
        .iter()
        .enumerate()
        .map(|(i, x)| m.node(&format!("beat_max_0_{i}"), mux(&val0.bit(i as u32), &x.as_signed(), &minv)))
        .collect::<Result<Vec<Expr>>>()?;
    let bm = tree(m, "beat_max", leaves, |a, b| mux(&a.cmp_ge(b), a, b))?;
    let v1 = creg(m, "a1_v", &a0.v)?;
    let x1 = dreg(m, "a1_x", x0, &a0.v)?;
    let tag1 = a0.tag.next(m, 1, &a0.v)?;
    let bm1 = dreg(m, "a1_bm", &bm, &a0.v)?;
    let any1 = dreg(m, "a1_any", &val0.any(), &a0.v)?;

    // ---- A2: the running max (loop: compare and select) ----
    let v2 = creg(m, "a2_v", &v1)?;
    let m2 = m.reg("a2_m", SInt(b)).no_reset().enable(&v1).build()?;
    let seen2 = m.reg("a2_seen", Bit).no_reset().enable(&v1).build()?;
    let base = mux(&tag1.first, &minv, &m2.q);
    let m_new = m.node("m_new", mux(&(&any1 & bm1.cmp_gt(&base)), &bm1, &base))?;
    m.set_next(&m2, &m_new)?;
    m.set_next(&seen2, mux(&tag1.first, &Expr::lit(0, Bit), &seen2.q) | &any1)?;
    let x2 = dreg(m, "a2_x", &x1, &v1)?;
    let tag2 = tag1.next(m, 2, &v1)?;
    Ok((Beat { v: v2, tag: tag2 }, x2, m2.q, seen2.q))
}

/// A3–A5. In: A2's logits and running max. Out: each lane's exponent
/// `u = (m − x)*K + c` split into its integer part I (`a5_int_<lane>`) and
/// its fraction φ (`a5_phi_<lane>`), and the rescale shift `M − M_prev` in
/// the tag.
fn exponents(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    a2: Beat,
    x2: &Expr,
    m2: &Expr,
    seen2: &Expr,
) -> Result<(Beat, Vec<Expr>, Vec<Expr>)> {
    let (b, kf, kb, f) = (p.in_bits, p.k_frac, p.k_bits, p.exp_frac);
    let (lanes, mw) = (p.lanes, w.mw);
    let v2 = &a2.v;

    // ---- A3: P = m*K; per lane delta = m - x ----
    let ks2 = a2.tag.k.zext(kb + 1).as_signed();
    let pk = m2.mul_wide(&ks2); // SInt(b + kb + 1), exact
    let xs2 = unpack(x2, lanes, b);
    let deltas: Vec<Expr> =
        xs2.iter().map(|x| (m2.sext(b + 1) - x.as_signed().sext(b + 1)).trunc(b).as_unsigned()).collect();
    let v3 = creg(m, "a3_v", v2)?;
    let p3 = dreg(m, "a3_p", &pk, v2)?;
    let d3 = dregs(m, "a3_delta", &deltas, v2)?;
    let tag3 = BeatTag { m: Some(m2.clone()), seen: Some(seen2.clone()), ..a2.tag }.next(m, 3, v2)?;

    // ---- A4: c = (-P) mod 2^kf, M = (P + c) / 2^kf; per lane Q = delta*K ----
    let pw = b + kb + 1;
    let c_a = m.node("a_c", (-&p3).trunc(kf).as_unsigned())?;
    let big_m = m.node("a_bigm", (&p3 + c_a.zext(pw).as_signed()).shr_const(kf).trunc(mw))?;
    let qs: Vec<Expr> = d3.iter().map(|d| d.mul_wide(&tag3.k)).collect();
    let v4 = creg(m, "a4_v", &v3)?;
    let c4 = dreg(m, "a4_c", &c_a, &v3)?;
    let bigm4 = dreg(m, "a4_bigm", &big_m, &v3)?;
    let q4 = dregs(m, "a4_q", &qs, &v3)?;
    let tag4 = tag3.next(m, 4, &v3)?;

    // ---- A5: u = Q + c split into I and phi; the rescale shift M - M_prev ----
    let bigm5 = m.reg("a5_bigm", SInt(mw)).no_reset().enable(&v4).build()?;
    m.set_next(&bigm5, &bigm4)?;
    let rescale = m.node("rescale", mux(&tag4.first, &ulit(0, mw), &(&bigm4 - &bigm5.q).as_unsigned()))?;
    let (is, phis): (Vec<Expr>, Vec<Expr>) = q4
        .iter()
        .map(|q| {
            let u = q + c4.zext(b + kb);
            (u.slice(b + kb - 1, kf), u.slice(kf - 1, kf - f))
        })
        .unzip();
    let v5 = creg(m, "a5_v", &v4)?;
    let i5 = dregs(m, "a5_int", &is, &v4)?;
    let phi5 = dregs(m, "a5_phi", &phis, &v4)?;
    let tag5 = BeatTag { rescale: Some(rescale), c: Some(c4), ..tag4 }.next(m, 5, &v4)?;
    Ok((Beat { v: v5, tag: tag5 }, i5, phi5))
}

/// A6–A8. In: A5's exponents. Out: each lane's summed term
/// `e_sum = floor(p * 2^(F_sum − F) / 2^I)` (0 for a lane that does not
/// count) in `a8_term_<lane>`, with `p = 2^F * 2^(−φ/2^F)` from the exp2
/// units.
fn terms(
    m: &mut Module,
    p: &SoftmaxParams,
    w: &Widths,
    exp2_mod: &Module,
    a5: Beat,
    i5: &[Expr],
    phi5: &[Expr],
) -> Result<(Beat, Vec<Expr>)> {
    let (f, fs) = (p.exp_frac, p.sum_frac);
    let ew = w.ew;
    let v5 = &a5.v;

    // ---- A6: the exp2 units register their lookups ----
    let one = Expr::lit(1, Bit);
    let mut ps = Vec::new();
    for (i, phi) in phi5.iter().enumerate() {
        let inst = m.instance(&format!("a_exp2_{i}"), exp2_mod, &[("ce", &one), ("phi", phi)])?;
        ps.push(inst.out("p")?);
    }
    let v6 = creg(m, "a6_v", v5)?;
    let i6 = dregs(m, "a6_int", i5, v5)?;
    let tag6 = a5.tag.next(m, 6, v5)?;

    // ---- A7: p ----
    let v7 = creg(m, "a7_v", &v6)?;
    let p7 = dregs(m, "a7_p", &ps, &v6)?;
    let i7 = dregs(m, "a7_int", &i6, &v6)?;
    let tag7 = tag6.next(m, 7, &v6)?;

    // ---- A8: summed terms e_sum = floor(p * 2^(F_sum - F) / 2^I), 0 if not valid ----
    let val7 = BeatTag::field(&tag7.val);
    let terms: Vec<Expr> = (0..p.lanes)
        .map(|i| {
            let wide = p7[i].zext(ew).shl_const(fs - f);
            mux(&val7.bit(i as u32), &shr_any(&wide, &i7[i]), &ulit(0, ew))
        })
        .collect();
    let v8 = creg(m, "a8_v", &v7)?;
    let e8 = dregs(m, "a8_term", &terms, &v7)?;
    let tag8 = BeatTag { val: None, ..tag7 }.next(m, 8, &v7)?;
    Ok((Beat { v: v8, tag: tag8 }, e8))
}

/// A9–A10. In: A8's terms. Out: the row's statistics, with the running sum
/// that includes this beat.
fn running_sum(m: &mut Module, p: &SoftmaxParams, a8: Beat, e8: &[Expr]) -> Result<RowStats> {
    let ws = p.sum_bits;
    let v8 = &a8.v;

    // ---- A9: the beat sum (an adder tree; exact) ----
    let terms: Vec<Expr> = e8.iter().map(|e| e.zext(ws)).collect();
    let beat_sum = tree(m, "beat_sum", terms, |a, b| a + b)?;
    let v9 = creg(m, "a9_v", v8)?;
    let bs9 = dreg(m, "a9_sum", &beat_sum, v8)?;
    let tag9 = a8.tag.next(m, 9, v8)?;

    // ---- A10: the running sum (loop: shift and add) ----
    let rs9 = BeatTag::field(&tag9.rescale);
    let s10 = m.reg("a10_s", UInt(ws)).no_reset().enable(&v9).build()?;
    let s_new = m.node("s_new", mux(&tag9.first, &bs9, &(shr_any(&s10.q, &rs9) + &bs9)))?;
    m.set_next(&s10, &s_new)?;
    Ok(RowStats {
        v: v9,
        last: tag9.last,
        seen: BeatTag::field(&tag9.seen),
        m: BeatTag::field(&tag9.m),
        c: BeatTag::field(&tag9.c),
        k: tag9.k,
        idx: tag9.idx,
        s: s_new,
    })
}
