//! The streaming softmax unit: `lanes` logits per cycle in, probabilities out
//! after each row ends.
//!
//! Behaviour is specified by `golden::softmax` (and the "Softmax" section of
//! `docs/numerics.md`); the interface, timing and latency are in
//! `docs/softmax.md`. The unit has three parts that work on different rows at
//! once:
//!
//! * **Accumulate (A)**: a pipeline without stalls that takes one beat per
//!   cycle, keeps the exact running max and, eleven stages later, the online
//!   sum `S = floor(S / 2^(M − M_prev)) + beat sum` (a shift and an add: the
//!   only loop). Every accepted beat is also written into the row buffer.
//! * **Reciprocal (B)**: a two-entry queue of finished rows' statistics, the
//!   normalization of S and a restoring divider (one quotient bit per cycle).
//! * **Output (C)**: reads a finished row back from the buffer, recomputes
//!   each element's exp2 against the row's final reference, multiplies by the
//!   reciprocal, rounds, saturates and streams the row out. Its pipeline
//!   moves when the output register is empty or taken (one enable).
//!
//! The row buffer is a block RAM used as a FIFO of beats, `max_len / lanes`
//! deep plus enough slack to hide the time from a row's last beat to its
//! first output, so long rows stream in while the previous row streams out.

use golden::softmax::{exp2_table, SoftmaxParams};
use golden::SoftmaxConfig;

use crate::blocks::common::lanes::bits_for;
use crate::core::{cat, mux, Bit, Expr, Module, Result, SInt, UInt};

/// Stages from the input register to the running-sum register (A0..A10).
pub const ACC_STAGES: u32 = 11;
/// Stages of the output pipeline from the buffer read to the output register.
pub const OUT_STAGES: u32 = 9;

/// The module name, which carries the parameters:
/// `serrano_softmax_l16_n4096_i8_o8_t5`.
pub fn softmax_name(cfg: &SoftmaxConfig) -> String {
    format!("serrano_softmax_l{}_n{}_i{}_o{}_t{}", cfg.lanes, cfg.max_len, cfg.in_bits, cfg.out_bits, cfg.table_bits)
}

/// Beats the row buffer holds: `max_len / lanes` (one longest row) plus the
/// slack that covers a row's trip through the accumulator, the queue and the
/// divider, so that a longest row can be written while the one before it is
/// still waiting for its reciprocal.
pub fn buffer_depth(p: &SoftmaxParams) -> u32 {
    p.max_beats as u32 + ACC_STAGES + p.recip_frac + 8
}

/// A data-path register (no reset: its valid bit has one) loading `v` when `en`.
fn dreg(m: &mut Module, name: &str, v: &Expr, en: &Expr) -> Result<Expr> {
    let ty = v.ty().unwrap_or(Bit); // a broken expression is reported by d()
    m.reg(name, ty).no_reset().enable(en).d(v)
}

/// A control register with reset value 0.
fn creg(m: &mut Module, name: &str, v: &Expr) -> Result<Expr> {
    let ty = v.ty().unwrap_or(Bit);
    m.reg(name, ty).reset(0).d(v)
}

/// Lanes packed into one vector, lane 0 in the low bits.
fn pack(lanes: &[Expr]) -> Expr {
    let parts: Vec<&Expr> = lanes.iter().rev().collect();
    cat(&parts)
}

/// The lanes of a packed vector, each `w` bits.
fn unpack(v: &Expr, lanes: usize, w: u32) -> Vec<Expr> {
    (0..lanes as u32).map(|i| v.slice((i + 1) * w - 1, i * w)).collect()
}

/// `v >> a` (logical) for any amount: amounts that reach past the width give
/// 0, and only as many amount bits as matter feed the shifter.
fn shr_any(v: &Expr, a: &Expr) -> Expr {
    let w = v.width();
    let n = a.width();
    let s = bits_for(w as u64); // 2^s > w: amounts up to 2^s − 1 shift correctly
    if n <= s {
        return v.shr(a);
    }
    let big = a.slice(n - 1, s).any();
    let small = v.shr(&a.slice(s - 1, 0));
    mux(&big, &Expr::lit(0, UInt(w)), &small)
}

fn ulit(v: u64, w: u32) -> Expr {
    Expr::lit(v as i128, UInt(w))
}

/// The exp2 unit: `p ≈ 2^F · 2^(−φ/2^F)` by a ROM of `2^T` words
/// `{t[j], t[j] − t[j+1]}` (from [`golden::softmax::exp2_table`]) and linear
/// interpolation. The lookup is registered when `ce` is 1; `p` is computed
/// from that register, so `p` belongs to the `phi` of the previous enabled
/// cycle.
pub fn exp2_unit(p: &SoftmaxParams) -> Result<Module> {
    let (t, f) = (p.table_bits, p.exp_frac);
    let r = f - t;
    let table = exp2_table(t, f);
    let wdt = bits_for((table[0] - table[1]) as u64);
    let words: Vec<u128> =
        (0..1usize << t).map(|j| ((table[j] as u128) << wdt) | (table[j] - table[j + 1]) as u128).collect();
    let mut m = Module::new(&format!("serrano_softmax_exp2_t{t}_f{f}"));
    m.doc("exp2 of a fraction: p = t[j] - floor((t[j] - t[j+1]) * r / 2^R), j = phi[F-1:R], r = phi[R-1:0].");
    m.doc("ROM words {t[j], t[j]-t[j+1]} come from golden::softmax::exp2_table; one cycle of latency.");
    let ce = m.input_doc("ce", Bit, "clock enable of the lookup register")?;
    let phi = m.input_doc("phi", UInt(f), "exponent fraction, F bits (value phi / 2^F)")?;
    let j = phi.slice(f - 1, r);
    let word = m.rom("lut", UInt(f + 1 + wdt), &words, &j)?;
    let word_q = dreg(&mut m, "word_q", &word, &ce)?;
    let r_q = dreg(&mut m, "r_q", &phi.slice(r - 1, 0), &ce)?;
    let t0 = word_q.slice(f + wdt, wdt);
    let dt = word_q.slice(wdt - 1, 0);
    // floor(dt * r / 2^R) < dt, so it fits dt's width.
    let step = m.node("step", dt.mul_wide(&r_q).shr_const(r).trunc(wdt))?;
    m.output_doc("p", &t0 - step.zext(f + 1), "2^F * 2^(-phi/2^F), UQ1.F, for the phi of the last enabled cycle")?;
    Ok(m)
}

/// The reciprocal unit: `q = floor(2^(G+H) / sm)` by restoring division, one
/// quotient bit per cycle. `start` (taken when not busy) loads `sm`; `busy`
/// is 1 for the next G+1 cycles, and `q` holds the result from then until
/// the next start.
pub fn recip_unit(p: &SoftmaxParams) -> Result<Module> {
    let (g, h) = (p.recip_frac, p.norm_frac);
    let mut m = Module::new(&format!("serrano_softmax_recip_g{g}_h{h}"));
    m.doc("Restoring divider: q = floor(2^(G+H) / sm) for sm in 2^H..2^(H+1), one quotient bit per cycle.");
    let start = m.input_doc("start", Bit, "load sm and start (ignored while busy)")?;
    let sm = m.input_doc("sm", UInt(h + 1), "normalized divisor, UQ1.H")?;
    let cw = bits_for(g as u64);
    let busy = m.reg("busy_q", Bit).reset(0).build()?;
    let cnt = m.reg("cnt", UInt(cw)).reset(0).build()?;
    let load = m.node("load", &start & !&busy.q)?;
    let step_en = m.node("step_en", &load | &busy.q)?;
    let rem = m.reg("rem", UInt(h + 2)).no_reset().enable(&step_en).build()?;
    let d = dreg(&mut m, "d", &sm, &load)?;
    let q = m.reg("quot", UInt(g + 1)).no_reset().enable(&step_en).build()?;
    let dz = d.zext(h + 2);
    let ge = m.node("ge", rem.q.cmp_ge(&dz))?;
    let nrem = mux(&ge, &(&rem.q - &dz), &rem.q);
    m.set_next(&rem, mux(&load, &ulit(1 << h, h + 2), &nrem.shl_const(1)))?;
    m.set_next(&q, mux(&load, &ulit(0, g + 1), &(q.q.shl_const(1) | ge.zext(g + 1))))?;
    m.set_next(&cnt, mux(&load, &ulit(g as u64, cw), &(&cnt.q - 1)))?;
    m.set_next(&busy, &load | (&busy.q & cnt.q.cmp_ne(0)))?;
    m.output_doc("busy", &busy.q, "a division is in progress")?;
    m.output_doc("q", &q.q, "quotient, UQ1.G, valid when not busy after a start")?;
    Ok(m)
}

/// The softmax unit (see the module comment and `docs/softmax.md`).
pub fn softmax(cfg: &SoftmaxConfig) -> Result<Module> {
    let p = SoftmaxParams::new(cfg);
    let lanes = p.lanes;
    let b = p.in_bits;
    let o = p.out_bits;
    let (kf, kb) = (p.k_frac, p.k_bits);
    let f = p.exp_frac;
    let (fs, ws) = (p.sum_frac, p.sum_bits);
    let fo = p.out_frac;
    let (g, h) = (p.recip_frac, p.norm_frac);
    let max_beats = p.max_beats as u64;
    let depth = buffer_depth(&p);
    let aw = bits_for(depth as u64 - 1); // buffer address
    let cntw = bits_for(depth as u64); // buffer occupancy 0..=depth
    let iw = bits_for(max_beats - 1); // beat index in a row
    let nbw = bits_for(max_beats); // beats in a row
    let mw = b + 9; // M = ceil(m*K / 2^kf)
    let iexp = b + kb - kf; // integer part of an exponent
    let ew = fs + 1; // a summed term, UQ1.F_sum
    let eow = fo + 1; // an output term, UQ1.F_out
    let vw = eow + g + 1; // e_out * Rm
    let lw = 6; // leading-one index and output shift: sum_bits < 64
    let x_min = p.x_min();

    let exp2_mod = exp2_unit(&p)?;
    let recip_mod = recip_unit(&p)?;

    let mut m = Module::new(&softmax_name(cfg));
    m.doc(&format!(
        "Streaming integer softmax: {lanes} lanes of int{b} logits per cycle, rows of up to {} elements, UQ0.{o} probabilities.",
        p.max_len
    ));
    m.doc("Specified by golden::softmax (docs/numerics.md, Softmax); interface and timing in docs/softmax.md.");

    // ---- ports ----
    let s_valid = m.input_doc("s_axis_tvalid", Bit, "input beat valid")?;
    let s_data = m.input_doc(
        "s_axis_tdata",
        UInt(lanes as u32 * b),
        "logits, lane i in bits [i*in_bits +: in_bits], two's complement",
    )?;
    let s_keep = m.input_doc("s_axis_tkeep", UInt(lanes as u32), "lane i holds an element of the row")?;
    let s_user = m.input_doc("s_axis_tuser", UInt(lanes as u32), "mask: lane i is excluded (output 0)")?;
    let s_last = m.input_doc("s_axis_tlast", Bit, "last beat of the row")?;
    let scale_k = m.input_doc("scale_k", UInt(kb), "K = s*log2(e), UQ8.kf; sampled with a row's first beat")?;
    let m_ready = m.input_doc("m_axis_tready", Bit, "output beat taken")?;

    // ---- input acceptance ----
    let tready = m.wire("s_tready_w", Bit)?;
    let accept = m.node("accept", &s_valid & &tready)?;
    let a_cnt = m.reg("a_cnt", UInt(iw)).reset(0).build()?;
    let first_in = m.node("first_in", a_cnt.q.cmp_eq(0))?;
    let at_cap = m.node("at_cap", a_cnt.q.cmp_eq(max_beats as i64 - 1))?;
    let last_in = m.node("last_in", &s_last | &at_cap)?;
    let a_cnt_next = if max_beats == 1 { ulit(0, iw) } else { mux(&last_in, &ulit(0, iw), &(&a_cnt.q + 1)) };
    m.set_next(&a_cnt, mux(&accept, &a_cnt_next, &a_cnt.q))?;
    let overflow = m.reg("overflow_q", Bit).reset(0).build()?;
    m.set_next(&overflow, &overflow.q | (&accept & &at_cap & !&s_last))?;

    // The row buffer: {valid, keep, x} per beat, used as a FIFO.
    let valid_in = m.node("valid_in", &s_keep & !&s_user)?;
    let buf = m.memory("rowbuf", UInt(lanes as u32 * (b + 2)), depth)?;
    let wr_ptr = m.reg("wr_ptr", UInt(aw)).reset(0).build()?;
    let rd_ptr = m.reg("rd_ptr", UInt(aw)).reset(0).build()?;
    let fifo_cnt = m.reg("fifo_cnt", UInt(cntw)).reset(0).build()?;
    m.mem_write(&buf, &accept, &wr_ptr.q, &cat(&[&valid_in, &s_keep, &s_data]))?;
    let wrap = |p: &Expr| mux(&p.cmp_eq(depth as i64 - 1), &ulit(0, aw), &(p + 1));
    m.set_next(&wr_ptr, mux(&accept, &wrap(&wr_ptr.q), &wr_ptr.q))?;

    // ---- A0: input register ----
    let v0 = creg(&mut m, "a0_v", &accept)?;
    let x0 = dreg(&mut m, "a0_x", &s_data, &accept)?;
    let val0 = dreg(&mut m, "a0_val", &valid_in, &accept)?;
    let first0 = dreg(&mut m, "a0_first", &first_in, &accept)?;
    let last0 = dreg(&mut m, "a0_last", &last_in, &accept)?;
    let idx0 = dreg(&mut m, "a0_idx", &a_cnt.q, &accept)?;
    // K of the row whose beat is in A0: loaded with the row's first beat.
    let k0 = dreg(&mut m, "a0_k", &scale_k, &(&accept & &first_in))?;

    // ---- A1: the beat's max over valid lanes (x_min when none) ----
    let xs0 = unpack(&x0, lanes, b);
    let minv = Expr::lit(x_min as i128, SInt(b));
    let mut level: Vec<Expr> =
        xs0.iter().enumerate().map(|(i, x)| mux(&val0.bit(i as u32), &x.as_signed(), &minv)).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|c| if c.len() == 2 { mux(&c[0].cmp_ge(&c[1]), &c[0], &c[1]) } else { c[0].clone() })
            .collect();
    }
    let bm = m.node("beat_max", &level[0])?;
    let v1 = creg(&mut m, "a1_v", &v0)?;
    let x1 = dreg(&mut m, "a1_x", &x0, &v0)?;
    let val1 = dreg(&mut m, "a1_val", &val0, &v0)?;
    let first1 = dreg(&mut m, "a1_first", &first0, &v0)?;
    let last1 = dreg(&mut m, "a1_last", &last0, &v0)?;
    let idx1 = dreg(&mut m, "a1_idx", &idx0, &v0)?;
    let k1 = dreg(&mut m, "a1_k", &k0, &v0)?;
    let bm1 = dreg(&mut m, "a1_bm", &bm, &v0)?;
    let any1 = dreg(&mut m, "a1_any", &val0.any(), &v0)?;

    // ---- A2: the running max (loop: compare and select) ----
    let v2 = creg(&mut m, "a2_v", &v1)?;
    let m2 = m.reg("a2_m", SInt(b)).no_reset().enable(&v1).build()?;
    let seen2 = m.reg("a2_seen", Bit).no_reset().enable(&v1).build()?;
    let base = mux(&first1, &minv, &m2.q);
    let m_new = m.node("m_new", mux(&(&any1 & bm1.cmp_gt(&base)), &bm1, &base))?;
    m.set_next(&m2, &m_new)?;
    m.set_next(&seen2, mux(&first1, &Expr::lit(0, Bit), &seen2.q) | &any1)?;
    let x2 = dreg(&mut m, "a2_x", &x1, &v1)?;
    let val2 = dreg(&mut m, "a2_val", &val1, &v1)?;
    let first2 = dreg(&mut m, "a2_first", &first1, &v1)?;
    let last2 = dreg(&mut m, "a2_last", &last1, &v1)?;
    let idx2 = dreg(&mut m, "a2_idx", &idx1, &v1)?;
    let k2 = dreg(&mut m, "a2_k", &k1, &v1)?;

    // ---- A3: P = m*K; per lane delta = m - x ----
    let ks2 = k2.zext(kb + 1).as_signed();
    let pk = m2.q.mul_wide(&ks2); // SInt(b + kb + 1), exact
    let xs2 = unpack(&x2, lanes, b);
    let deltas: Vec<Expr> =
        xs2.iter().map(|x| (m2.q.sext(b + 1) - x.as_signed().sext(b + 1)).trunc(b).as_unsigned()).collect();
    let v3 = creg(&mut m, "a3_v", &v2)?;
    let p3 = dreg(&mut m, "a3_p", &pk, &v2)?;
    let d3 = dreg(&mut m, "a3_delta", &pack(&deltas), &v2)?;
    let val3 = dreg(&mut m, "a3_val", &val2, &v2)?;
    let first3 = dreg(&mut m, "a3_first", &first2, &v2)?;
    let last3 = dreg(&mut m, "a3_last", &last2, &v2)?;
    let idx3 = dreg(&mut m, "a3_idx", &idx2, &v2)?;
    let k3 = dreg(&mut m, "a3_k", &k2, &v2)?;
    let m3 = dreg(&mut m, "a3_m", &m2.q, &v2)?;
    let seen3 = dreg(&mut m, "a3_seen", &seen2.q, &v2)?;

    // ---- A4: c = (-P) mod 2^kf, M = (P + c) / 2^kf; per lane Q = delta*K ----
    let pw = b + kb + 1;
    let c_a = m.node("a_c", (-&p3).trunc(kf).as_unsigned())?;
    let big_m = m.node("a_bigm", (&p3 + c_a.zext(pw).as_signed()).shr_const(kf).trunc(mw))?;
    let qs: Vec<Expr> = unpack(&d3, lanes, b).iter().map(|d| d.mul_wide(&k3)).collect();
    let v4 = creg(&mut m, "a4_v", &v3)?;
    let c4 = dreg(&mut m, "a4_c", &c_a, &v3)?;
    let bigm4 = dreg(&mut m, "a4_bigm", &big_m, &v3)?;
    let q4 = dreg(&mut m, "a4_q", &pack(&qs), &v3)?;
    let val4 = dreg(&mut m, "a4_val", &val3, &v3)?;
    let first4 = dreg(&mut m, "a4_first", &first3, &v3)?;
    let last4 = dreg(&mut m, "a4_last", &last3, &v3)?;
    let idx4 = dreg(&mut m, "a4_idx", &idx3, &v3)?;
    let k4 = dreg(&mut m, "a4_k", &k3, &v3)?;
    let m4 = dreg(&mut m, "a4_m", &m3, &v3)?;
    let seen4 = dreg(&mut m, "a4_seen", &seen3, &v3)?;

    // ---- A5: u = Q + c split into I and phi; the rescale shift M - M_prev ----
    let bigm5 = m.reg("a5_bigm", SInt(mw)).no_reset().enable(&v4).build()?;
    m.set_next(&bigm5, &bigm4)?;
    let rescale = m.node("rescale", mux(&first4, &ulit(0, mw), &(&bigm4 - &bigm5.q).as_unsigned()))?;
    let (is, phis): (Vec<Expr>, Vec<Expr>) = unpack(&q4, lanes, b + kb)
        .iter()
        .map(|q| {
            let u = q + c4.zext(b + kb);
            (u.slice(b + kb - 1, kf), u.slice(kf - 1, kf - f))
        })
        .unzip();
    let v5 = creg(&mut m, "a5_v", &v4)?;
    let i5 = dreg(&mut m, "a5_int", &pack(&is), &v4)?;
    let phi5 = dreg(&mut m, "a5_phi", &pack(&phis), &v4)?;
    let rs5 = dreg(&mut m, "a5_rescale", &rescale, &v4)?;
    let val5 = dreg(&mut m, "a5_val", &val4, &v4)?;
    let first5 = dreg(&mut m, "a5_first", &first4, &v4)?;
    let last5 = dreg(&mut m, "a5_last", &last4, &v4)?;
    let idx5 = dreg(&mut m, "a5_idx", &idx4, &v4)?;
    let k5 = dreg(&mut m, "a5_k", &k4, &v4)?;
    let m5 = dreg(&mut m, "a5_m", &m4, &v4)?;
    let c5 = dreg(&mut m, "a5_c", &c4, &v4)?;
    let seen5 = dreg(&mut m, "a5_seen", &seen4, &v4)?;

    // ---- A6: the exp2 units register their lookups ----
    let one = Expr::lit(1, Bit);
    let mut ps = Vec::new();
    for (i, phi) in unpack(&phi5, lanes, f).iter().enumerate() {
        let inst = m.instance(&format!("a_exp2_{i}"), &exp2_mod, &[("ce", &one), ("phi", phi)])?;
        ps.push(inst.out("p")?);
    }
    let v6 = creg(&mut m, "a6_v", &v5)?;
    let i6 = dreg(&mut m, "a6_int", &i5, &v5)?;
    let rs6 = dreg(&mut m, "a6_rescale", &rs5, &v5)?;
    let val6 = dreg(&mut m, "a6_val", &val5, &v5)?;
    let first6 = dreg(&mut m, "a6_first", &first5, &v5)?;
    let last6 = dreg(&mut m, "a6_last", &last5, &v5)?;
    let idx6 = dreg(&mut m, "a6_idx", &idx5, &v5)?;
    let k6 = dreg(&mut m, "a6_k", &k5, &v5)?;
    let m6 = dreg(&mut m, "a6_m", &m5, &v5)?;
    let c6 = dreg(&mut m, "a6_c", &c5, &v5)?;
    let seen6 = dreg(&mut m, "a6_seen", &seen5, &v5)?;

    // ---- A7: p ----
    let v7 = creg(&mut m, "a7_v", &v6)?;
    let p7 = dreg(&mut m, "a7_p", &pack(&ps), &v6)?;
    let i7 = dreg(&mut m, "a7_int", &i6, &v6)?;
    let rs7 = dreg(&mut m, "a7_rescale", &rs6, &v6)?;
    let val7 = dreg(&mut m, "a7_val", &val6, &v6)?;
    let first7 = dreg(&mut m, "a7_first", &first6, &v6)?;
    let last7 = dreg(&mut m, "a7_last", &last6, &v6)?;
    let idx7 = dreg(&mut m, "a7_idx", &idx6, &v6)?;
    let k7 = dreg(&mut m, "a7_k", &k6, &v6)?;
    let m7 = dreg(&mut m, "a7_m", &m6, &v6)?;
    let c7 = dreg(&mut m, "a7_c", &c6, &v6)?;
    let seen7 = dreg(&mut m, "a7_seen", &seen6, &v6)?;

    // ---- A8: summed terms e_sum = floor(p * 2^(F_sum - F) / 2^I), 0 if not valid ----
    let p7s = unpack(&p7, lanes, f + 1);
    let i7s = unpack(&i7, lanes, iexp);
    let terms: Vec<Expr> = (0..lanes)
        .map(|i| {
            let wide = p7s[i].zext(ew).shl_const(fs - f);
            mux(&val7.bit(i as u32), &shr_any(&wide, &i7s[i]), &ulit(0, ew))
        })
        .collect();
    let v8 = creg(&mut m, "a8_v", &v7)?;
    let e8 = dreg(&mut m, "a8_terms", &pack(&terms), &v7)?;
    let rs8 = dreg(&mut m, "a8_rescale", &rs7, &v7)?;
    let first8 = dreg(&mut m, "a8_first", &first7, &v7)?;
    let last8 = dreg(&mut m, "a8_last", &last7, &v7)?;
    let idx8 = dreg(&mut m, "a8_idx", &idx7, &v7)?;
    let k8 = dreg(&mut m, "a8_k", &k7, &v7)?;
    let m8 = dreg(&mut m, "a8_m", &m7, &v7)?;
    let c8 = dreg(&mut m, "a8_c", &c7, &v7)?;
    let seen8 = dreg(&mut m, "a8_seen", &seen7, &v7)?;

    // ---- A9: the beat sum (an adder tree; exact) ----
    let mut level: Vec<Expr> = unpack(&e8, lanes, ew).iter().map(|e| e.zext(ws)).collect();
    while level.len() > 1 {
        level = level.chunks(2).map(|c| if c.len() == 2 { &c[0] + &c[1] } else { c[0].clone() }).collect();
    }
    let v9 = creg(&mut m, "a9_v", &v8)?;
    let bs9 = dreg(&mut m, "a9_sum", &level[0], &v8)?;
    let rs9 = dreg(&mut m, "a9_rescale", &rs8, &v8)?;
    let first9 = dreg(&mut m, "a9_first", &first8, &v8)?;
    let last9 = dreg(&mut m, "a9_last", &last8, &v8)?;
    let idx9 = dreg(&mut m, "a9_idx", &idx8, &v8)?;
    let k9 = dreg(&mut m, "a9_k", &k8, &v8)?;
    let m9 = dreg(&mut m, "a9_m", &m8, &v8)?;
    let c9 = dreg(&mut m, "a9_c", &c8, &v8)?;
    let seen9 = dreg(&mut m, "a9_seen", &seen8, &v8)?;

    // ---- A10: the running sum (loop: shift and add) ----
    let s10 = m.reg("a10_s", UInt(ws)).no_reset().enable(&v9).build()?;
    let s_new = m.node("s_new", mux(&first9, &bs9, &(shr_any(&s10.q, &rs9) + &bs9)))?;
    m.set_next(&s10, &s_new)?;

    // ---- B: the queue of finished rows (two entries) ----
    let nb9 = idx9.zext(nbw) + 1;
    let entry = cat(&[&seen9, &m9, &c9, &k9, &nb9, &s_new]);
    let ew_q = entry.width();
    let push = m.node("push", &v9 & &last9)?;
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
    let inc = (&accept & &last_in).zext(2);
    m.set_next(&pending, &pending.q + inc - pop.zext(2))?;

    // Fields of the queue head.
    let mut off = 0;
    let mut field = |w: u32| {
        let e = q0.slice(off + w - 1, off);
        off += w;
        e
    };
    let h_s = field(ws);
    let h_nb = field(nbw);
    let h_k = field(kb);
    let h_c = field(kf);
    let h_m = field(b).as_signed();
    let h_seen = field(1);

    // Normalization: L = leading one of S (S >= 2^(F_sum-1) when seen),
    // Sm = floor(S / 2^(L-H)), sh = F_out + G - O + L - F_sum.
    let mut lead = ulit((fs - 1) as u64, lw);
    for i in fs..ws {
        lead = mux(&h_s.bit(i), &ulit(i as u64, lw), &lead);
    }
    let lead = m.node("lead", lead)?;
    let sm = m.node("sm", shr_any(&h_s, &(&lead - h as i64)).trunc(h + 1))?;
    let sh_off = (fo + g) as i64 - (o + fs) as i64;
    let sh = if sh_off >= 0 { &lead + sh_off } else { &lead - (-sh_off) };

    // The divider and the row it works on. State: idle, busy, full (result
    // waiting for the output side).
    let div = m.instance("recip", &recip_mod, &[("start", &pop), ("sm", &sm)])?;
    let div_busy = div.out("busy")?;
    let rm = div.out("q")?;
    let b_run = m.reg("b_run", Bit).reset(0).build()?;
    let b_full = m.reg("b_full", Bit).reset(0).build()?;
    let take = m.wire("take", Bit)?;
    // The divider takes the next row when it is free, or is being freed
    // (its result taken by the output side) in this very cycle.
    m.assign(&pop, &qv0.q & ((!&b_run.q & !&b_full.q) | &take))?;
    let b_m = dreg(&mut m, "b_m", &h_m, &pop)?;
    let b_c = dreg(&mut m, "b_c", &h_c, &pop)?;
    let b_k = dreg(&mut m, "b_k", &h_k, &pop)?;
    let b_nb = dreg(&mut m, "b_nb", &h_nb, &pop)?;
    let b_seen = dreg(&mut m, "b_seen", &h_seen, &pop)?;
    let b_sh = dreg(&mut m, "b_sh", &sh, &pop)?;
    // The result is ready in the cycle the divider finishes (done) and
    // stays ready (full) until the output side takes it.
    let done = m.node("div_done", &b_run.q & !&div_busy)?;
    let result = m.node("result_ready", &done | &b_full.q)?;
    m.set_next(&b_run, &pop | (&b_run.q & !&done))?;
    m.set_next(&b_full, &result & !&take)?;

    // ---- C: issue reads of a finished row ----
    let out_v = m.reg("out_v", Bit).reset(0).build()?;
    let adv = m.node("adv", !&out_v.q | &m_ready)?;
    let c_act = m.reg("c_active", Bit).reset(0).build()?;
    let c_left = m.reg("c_left", UInt(nbw)).reset(0).build()?;
    let issue = m.node("issue", &c_act.q & &adv)?;
    let last_issue = m.node("last_issue", &issue & c_left.q.cmp_eq(1))?;
    m.assign(&take, &result & (!&c_act.q | &last_issue))?;
    m.set_next(&c_act, &take | (&c_act.q & !&last_issue))?;
    m.set_next(&c_left, mux(&take, &b_nb, &mux(&issue, &(&c_left.q - 1), &c_left.q)))?;
    let c0_m = dreg(&mut m, "c0_m", &b_m, &take)?;
    let c0_c = dreg(&mut m, "c0_c", &b_c, &take)?;
    let c0_k = dreg(&mut m, "c0_k", &b_k, &take)?;
    let c0_rm = dreg(&mut m, "c0_rm", &rm, &take)?;
    let c0_sh = dreg(&mut m, "c0_sh", &b_sh, &take)?;
    let c0_seen = dreg(&mut m, "c0_seen", &b_seen, &take)?;
    m.set_next(&rd_ptr, mux(&issue, &wrap(&rd_ptr.q), &rd_ptr.q))?;
    let inc_w = accept.zext(cntw);
    let dec_w = issue.zext(cntw);
    m.set_next(&fifo_cnt, &fifo_cnt.q + inc_w - dec_w)?;
    m.assign(&tready, fifo_cnt.q.cmp_ne(depth as i64) & pending.q.cmp_ne(2))?;

    // ---- C1: the buffer's read register, with the row's parameters ----
    let word1 = m.mem_read(&buf, "c1_word", &issue, &rd_ptr.q)?;
    let cv1 = m.reg("c1_v", Bit).reset(0).enable(&adv).d(&issue)?;
    let cl1 = dreg(&mut m, "c1_last", &c_left.q.cmp_eq(1), &issue)?;
    let cm1 = dreg(&mut m, "c1_m", &c0_m, &issue)?;
    let cc1 = dreg(&mut m, "c1_c", &c0_c, &issue)?;
    let ck1 = dreg(&mut m, "c1_k", &c0_k, &issue)?;
    let crm1 = dreg(&mut m, "c1_rm", &c0_rm, &issue)?;
    let csh1 = dreg(&mut m, "c1_sh", &c0_sh, &issue)?;
    let cseen1 = dreg(&mut m, "c1_seen", &c0_seen, &issue)?;
    let x1c = word1.slice(lanes as u32 * b - 1, 0);
    let keep1 = word1.slice(lanes as u32 * (b + 1) - 1, lanes as u32 * b);
    let val1c = word1.slice(lanes as u32 * (b + 2) - 1, lanes as u32 * (b + 1));

    // A C stage: every register loads when the pipeline advances.
    let cv2 = m.reg("c2_v", Bit).reset(0).enable(&adv).d(&cv1)?;
    let dc: Vec<Expr> = unpack(&x1c, lanes, b)
        .iter()
        .map(|x| (cm1.sext(b + 1) - x.as_signed().sext(b + 1)).trunc(b).as_unsigned())
        .collect();
    let d2 = dreg(&mut m, "c2_delta", &pack(&dc), &adv)?;
    let val2c = dreg(&mut m, "c2_val", &val1c, &adv)?;
    let keep2 = dreg(&mut m, "c2_keep", &keep1, &adv)?;
    let cl2 = dreg(&mut m, "c2_last", &cl1, &adv)?;
    let cc2 = dreg(&mut m, "c2_c", &cc1, &adv)?;
    let ck2 = dreg(&mut m, "c2_k", &ck1, &adv)?;
    let crm2 = dreg(&mut m, "c2_rm", &crm1, &adv)?;
    let csh2 = dreg(&mut m, "c2_sh", &csh1, &adv)?;
    let cseen2 = dreg(&mut m, "c2_seen", &cseen1, &adv)?;

    // C3: Q = delta*K
    let cv3 = m.reg("c3_v", Bit).reset(0).enable(&adv).d(&cv2)?;
    let qc: Vec<Expr> = unpack(&d2, lanes, b).iter().map(|d| d.mul_wide(&ck2)).collect();
    let q3 = dreg(&mut m, "c3_q", &pack(&qc), &adv)?;
    let val3c = dreg(&mut m, "c3_val", &val2c, &adv)?;
    let keep3 = dreg(&mut m, "c3_keep", &keep2, &adv)?;
    let cl3 = dreg(&mut m, "c3_last", &cl2, &adv)?;
    let cc3 = dreg(&mut m, "c3_c", &cc2, &adv)?;
    let crm3 = dreg(&mut m, "c3_rm", &crm2, &adv)?;
    let csh3 = dreg(&mut m, "c3_sh", &csh2, &adv)?;
    let cseen3 = dreg(&mut m, "c3_seen", &cseen2, &adv)?;

    // C4: u = Q + c, split into I and phi
    let cv4 = m.reg("c4_v", Bit).reset(0).enable(&adv).d(&cv3)?;
    let (ics, phics): (Vec<Expr>, Vec<Expr>) = unpack(&q3, lanes, b + kb)
        .iter()
        .map(|q| {
            let u = q + cc3.zext(b + kb);
            (u.slice(b + kb - 1, kf), u.slice(kf - 1, kf - f))
        })
        .unzip();
    let i4 = dreg(&mut m, "c4_int", &pack(&ics), &adv)?;
    let phi4 = dreg(&mut m, "c4_phi", &pack(&phics), &adv)?;
    let val4c = dreg(&mut m, "c4_val", &val3c, &adv)?;
    let keep4 = dreg(&mut m, "c4_keep", &keep3, &adv)?;
    let cl4 = dreg(&mut m, "c4_last", &cl3, &adv)?;
    let crm4 = dreg(&mut m, "c4_rm", &crm3, &adv)?;
    let csh4 = dreg(&mut m, "c4_sh", &csh3, &adv)?;
    let cseen4 = dreg(&mut m, "c4_seen", &cseen3, &adv)?;

    // C5: the exp2 units register their lookups (enabled with the pipeline)
    let mut pcs = Vec::new();
    for (i, phi) in unpack(&phi4, lanes, f).iter().enumerate() {
        let inst = m.instance(&format!("c_exp2_{i}"), &exp2_mod, &[("ce", &adv), ("phi", phi)])?;
        pcs.push(inst.out("p")?);
    }
    let cv5 = m.reg("c5_v", Bit).reset(0).enable(&adv).d(&cv4)?;
    let i5c = dreg(&mut m, "c5_int", &i4, &adv)?;
    let val5c = dreg(&mut m, "c5_val", &val4c, &adv)?;
    let keep5 = dreg(&mut m, "c5_keep", &keep4, &adv)?;
    let cl5 = dreg(&mut m, "c5_last", &cl4, &adv)?;
    let crm5 = dreg(&mut m, "c5_rm", &crm4, &adv)?;
    let csh5 = dreg(&mut m, "c5_sh", &csh4, &adv)?;
    let cseen5 = dreg(&mut m, "c5_seen", &cseen4, &adv)?;

    // C6: p
    let cv6 = m.reg("c6_v", Bit).reset(0).enable(&adv).d(&cv5)?;
    let p6 = dreg(&mut m, "c6_p", &pack(&pcs), &adv)?;
    let i6c = dreg(&mut m, "c6_int", &i5c, &adv)?;
    let val6c = dreg(&mut m, "c6_val", &val5c, &adv)?;
    let keep6 = dreg(&mut m, "c6_keep", &keep5, &adv)?;
    let cl6 = dreg(&mut m, "c6_last", &cl5, &adv)?;
    let crm6 = dreg(&mut m, "c6_rm", &crm5, &adv)?;
    let csh6 = dreg(&mut m, "c6_sh", &csh5, &adv)?;
    let cseen6 = dreg(&mut m, "c6_seen", &cseen5, &adv)?;

    // C7: e_out = floor(p / 2^(I + F - F_out))
    let cv7 = m.reg("c7_v", Bit).reset(0).enable(&adv).d(&cv6)?;
    let p6s = unpack(&p6, lanes, f + 1);
    let i6s = unpack(&i6c, lanes, iexp);
    let eos: Vec<Expr> = (0..lanes)
        .map(|i| {
            let sh = i6s[i].zext(iexp + 1) + (f - fo) as i64;
            shr_any(&p6s[i], &sh).trunc(eow)
        })
        .collect();
    let eo7 = dreg(&mut m, "c7_eout", &pack(&eos), &adv)?;
    let val7c = dreg(&mut m, "c7_val", &val6c, &adv)?;
    let keep7 = dreg(&mut m, "c7_keep", &keep6, &adv)?;
    let cl7 = dreg(&mut m, "c7_last", &cl6, &adv)?;
    let crm7 = dreg(&mut m, "c7_rm", &crm6, &adv)?;
    let csh7 = dreg(&mut m, "c7_sh", &csh6, &adv)?;
    let cseen7 = dreg(&mut m, "c7_seen", &cseen6, &adv)?;

    // C8: v = e_out * Rm
    let cv8 = m.reg("c8_v", Bit).reset(0).enable(&adv).d(&cv7)?;
    let vs: Vec<Expr> = unpack(&eo7, lanes, eow).iter().map(|e| e.mul_wide(&crm7)).collect();
    let v8c = dreg(&mut m, "c8_prod", &pack(&vs), &adv)?;
    // A row without a valid element outputs 0 everywhere.
    let val8c = dreg(&mut m, "c8_val", &mux(&cseen7, &val7c, &ulit(0, lanes as u32)), &adv)?;
    let keep8 = dreg(&mut m, "c8_keep", &keep7, &adv)?;
    let cl8 = dreg(&mut m, "c8_last", &cl7, &adv)?;
    let csh8 = dreg(&mut m, "c8_sh", &csh7, &adv)?;

    // C9 (output register): y = min(2^O - 1, round_half_up(v / 2^sh))
    let ymax = ulit((1u64 << o) - 1, o);
    let sh_m1 = &csh8 - 1;
    let ys: Vec<Expr> = unpack(&v8c, lanes, vw)
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
    m.set_next(&out_v, mux(&adv, &cv8, &out_v.q))?;
    let out_y = dreg(&mut m, "out_data", &pack(&ys), &adv)?;
    let out_keep = dreg(&mut m, "out_keep", &keep8, &adv)?;
    let out_last = dreg(&mut m, "out_last", &cl8, &adv)?;

    m.output_doc("s_axis_tready", &tready, "the unit takes the input beat")?;
    m.output_doc("m_axis_tvalid", &out_v.q, "output beat valid")?;
    m.output_doc("m_axis_tdata", &out_y, "probabilities, lane i in bits [i*out_bits +: out_bits], UQ0.out_bits")?;
    m.output_doc("m_axis_tkeep", &out_keep, "the input beat's tkeep")?;
    m.output_doc("m_axis_tlast", &out_last, "last beat of the row")?;
    m.output_doc("overflow", &overflow.q, "sticky: a row longer than max_len was cut")?;
    Ok(m)
}
