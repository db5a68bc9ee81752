//! The softmax unit's two sub-modules: the exp2 unit (a ROM and a linear
//! interpolation; 2 × lanes instances, one per lane in the accumulator and in
//! the output pipeline) and the reciprocal unit (a restoring divider; one
//! instance, behind the row queue). Each is tested on its own against golden
//! in `testbenches/tests/softmax.rs`.

use golden::config::SOFTMAX_TABLE_BITS;
use golden::softmax::{exp2_table, SoftmaxParams};
use golden::SoftmaxConfig;

use crate::blocks::common::lanes::bits_for;
use crate::blocks::common::params::{check_one_of, check_range};
use crate::core::{mux, Bit, Module, Result, UInt};

use super::pipe::{dreg, ulit};

/// The exp2 unit: `p ≈ 2^F · 2^(−φ/2^F)` by a ROM of `2^T` words
/// `{t[j], t[j] − t[j+1]}` (from [`golden::softmax::exp2_table`]) and linear
/// interpolation. The lookup is registered when `ce` is 1; `p` is computed
/// from that register, so `p` belongs to the `phi` of the previous enabled
/// cycle.
pub fn exp2_unit(p: &SoftmaxParams) -> Result<Module> {
    const BLOCK: &str = "serrano_softmax_exp2";
    check_range(BLOCK, "table_bits", p.table_bits, SOFTMAX_TABLE_BITS)?;
    check_one_of(BLOCK, "exp_frac", p.exp_frac, &derived(|q| q.exp_frac))?;
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
    const BLOCK: &str = "serrano_softmax_recip";
    check_one_of(BLOCK, "recip_frac", p.recip_frac, &derived(|q| q.recip_frac))?;
    check_one_of(BLOCK, "norm_frac", p.norm_frac, &derived(|q| q.norm_frac))?;
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

/// The values golden derives for one of the units' fractions, one per allowed
/// `out_bits` (the only field they follow): a unit takes [`SoftmaxParams`],
/// whose fields anyone can set, so it accepts only what a valid
/// configuration gives, and golden stays the one place that derives them.
fn derived(field: impl Fn(&SoftmaxParams) -> u32) -> Vec<u32> {
    [8, 16]
        .iter()
        .map(|&out_bits| field(&SoftmaxParams::new(&SoftmaxConfig { out_bits, ..SoftmaxConfig::default() })))
        .collect()
}
