//! The streaming integer softmax: the specification of the softmax unit.
//!
//! `docs/numerics.md` (section "Softmax") states these rules in words; this
//! file implements that text step by step, in integers. The RTL
//! (`hdl::blocks::softmax`) must match it bit for bit.
//!
//! A row of logits `x` (int8 or int16) arrives in beats of `lanes` slots. A
//! slot holds an element when its keep bit is set; an element takes part when
//! it is kept and not masked ("valid"). With `K = s·log2(e)` in fixed point
//! (UQ8.kf, `kf = in_bits + 16` fractional bits), the unit computes, for every
//! valid element, `y = 2^-(Δ·K + c) / Σ 2^-(Δ·K + c)` with `Δ = max − x`
//! and `c` the row's alignment offset (see below), in the online order
//! written in [`SoftmaxParams::row`]:
//!
//! * the running max `m` is exact (integers);
//! * the running reference `M = ceil(m·K)` is an integer, so when the max
//!   rises the running sum is rescaled by a pure shift (`floor(S / 2^(M' − M))`);
//!   every element's exponent magnitude is `u = M·2^kf − x·K = Δ·K + c`
//!   with `c = (−m·K) mod 2^kf`;
//! * `2^-u` is split into an integer shift `I = floor(u / 2^kf)` and a fraction
//!   looked up in a table of `2^table_bits` segments with linear interpolation
//!   ([`Exp2`], table from [`exp2_table`], shared with the RTL);
//! * the sum is exact within a beat; between beats the online order is
//!   normative (two-pass and online sums differ in their last bits);
//! * the reciprocal of the sum is normalized and computed by a restoring
//!   divider ([`reciprocal`], [`restoring_reciprocal`]);
//! * `y = round_half_up(e·R)` saturated to UQ0.`out_bits`.
//!
//! Floats appear only in [`scale_to_k`] (turning a user's scale into `K`), in
//! [`exp2_table`] (generating the constant table; a test proves every entry is
//! far from a rounding boundary, so any correctly rounded `exp2` gives the same
//! table) and in [`reference`] (float64 softmax, to measure error).

use crate::config::SoftmaxConfig;

/// `ceil(log2(n))` for n >= 1: the bits needed to count `0..n`.
pub fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Every width and fraction of the unit, derived from the configuration.
/// The names are those of `docs/numerics.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxParams {
    /// Slots per beat.
    pub lanes: usize,
    /// Longest row, elements.
    pub max_len: usize,
    /// Longest row, beats (`max_len / lanes`).
    pub max_beats: usize,
    /// Logit width (8 or 16), two's complement.
    pub in_bits: u32,
    /// Output width O (8 or 16): y is UQ0.O.
    pub out_bits: u32,
    /// T: the exp2 table has 2^T segments (2^T + 1 points).
    pub table_bits: u32,
    /// kf: fractional bits of K (and of the exponent u): in_bits + 16.
    pub k_frac: u32,
    /// Width of K: kf + 8 (UQ8.kf).
    pub k_bits: u32,
    /// F: fractional bits of the exp2 fraction result p (UQ1.F), and of the
    /// exponent fraction fed to the table: O + 6.
    pub exp_frac: u32,
    /// R = F − T: bits of the interpolation weight.
    pub interp_bits: u32,
    /// F_sum: fractional bits of each summed term and of the sum:
    /// O + 5 + max(clog2(max_len), 2).
    pub sum_frac: u32,
    /// Width of the sum: F_sum + clog2(max_len + 1).
    pub sum_bits: u32,
    /// F_out: fractional bits of the term that is multiplied by the
    /// reciprocal for the output: O + 5.
    pub out_frac: u32,
    /// H: fractional bits of the normalized sum Sm (UQ1.H): O + 6.
    pub norm_frac: u32,
    /// G: fractional bits of the reciprocal mantissa Rm (UQ1.G): O + 6.
    pub recip_frac: u32,
}

impl SoftmaxParams {
    /// The parameters of a (validated) configuration.
    pub fn new(cfg: &SoftmaxConfig) -> SoftmaxParams {
        let o = cfg.out_bits;
        let k_frac = cfg.in_bits + 16;
        let exp_frac = o + 6;
        let sum_frac = o + 5 + clog2(cfg.max_len as u64).max(2);
        SoftmaxParams {
            lanes: cfg.lanes as usize,
            max_len: cfg.max_len as usize,
            max_beats: (cfg.max_len / cfg.lanes) as usize,
            in_bits: cfg.in_bits,
            out_bits: o,
            table_bits: cfg.table_bits,
            k_frac,
            k_bits: k_frac + 8,
            exp_frac,
            interp_bits: exp_frac - cfg.table_bits,
            sum_frac,
            sum_bits: sum_frac + clog2(cfg.max_len as u64 + 1),
            out_frac: o + 5,
            norm_frac: o + 6,
            recip_frac: o + 6,
        }
    }

    /// The smallest logit (the running max before any element).
    pub fn x_min(&self) -> i64 {
        -(1i64 << (self.in_bits - 1))
    }

    /// The largest logit.
    pub fn x_max(&self) -> i64 {
        (1i64 << (self.in_bits - 1)) - 1
    }

    /// The largest output code, 2^O − 1.
    pub fn y_max(&self) -> u32 {
        (1u32 << self.out_bits) - 1
    }

    /// The exp2 unit of this configuration.
    pub fn exp2(&self) -> Exp2 {
        Exp2::new(self.table_bits, self.exp_frac)
    }
}

/// The exp2 table: `t[j] = round_half_up(2^F · 2^(−j / 2^T))` for
/// `j = 0..=2^T` (so `t[0] = 2^F`, `t[2^T] = 2^(F−1)`).
///
/// This one function fills both the golden model and the ROM in the RTL.
pub fn exp2_table(table_bits: u32, frac_bits: u32) -> Vec<u32> {
    assert!(
        (1..=12).contains(&table_bits) && table_bits < frac_bits && frac_bits <= 30,
        "exp2_table({table_bits}, {frac_bits}): need 1 <= T <= 12, T < F <= 30"
    );
    let n = 1u32 << table_bits;
    (0..=n)
        .map(|j| {
            let v = (1u64 << frac_bits) as f64 * (-(j as f64) / n as f64).exp2();
            (v + 0.5).floor() as u32 // round half up
        })
        .collect()
}

/// The exp2 unit: `p ≈ 2^F · 2^(−φ / 2^F)` for a fraction φ of F bits, by
/// linear interpolation between the points of [`exp2_table`].
#[derive(Clone, Debug)]
pub struct Exp2 {
    table: Vec<u32>,
    table_bits: u32,
    frac_bits: u32,
}

impl Exp2 {
    pub fn new(table_bits: u32, frac_bits: u32) -> Exp2 {
        Exp2 { table: exp2_table(table_bits, frac_bits), table_bits, frac_bits }
    }

    /// The table points (2^T + 1 of them).
    pub fn table(&self) -> &[u32] {
        &self.table
    }

    /// `p(φ)`, φ in `0..2^F`: with `j = φ >> R` (the top T bits) and
    /// `r = φ mod 2^R`, `p = t[j] − floor((t[j] − t[j+1]) · r / 2^R)`.
    /// The result is in `2^(F−1)..=2^F`.
    pub fn frac(&self, phi: u32) -> u32 {
        let r_bits = self.frac_bits - self.table_bits;
        debug_assert!(phi < 1 << self.frac_bits);
        let j = (phi >> r_bits) as usize;
        let r = (phi & ((1 << r_bits) - 1)) as u64;
        let (t0, t1) = (self.table[j], self.table[j + 1]);
        let step = (((t0 - t1) as u64 * r) >> r_bits) as u32; // floor
        t0 - step
    }
}

/// An exponent magnitude u (kf fractional bits) split for the exp2 unit:
/// `I = floor(u / 2^kf)` and the fraction truncated (floor) to F bits,
/// `φ = floor((u mod 2^kf) / 2^(kf − F))`.
pub fn split_exponent(p: &SoftmaxParams, u: u64) -> (u64, u32) {
    let int = u >> p.k_frac;
    let frac = (u & ((1u64 << p.k_frac) - 1)) >> (p.k_frac - p.exp_frac);
    (int, frac as u32)
}

/// `floor(v / 2^sh)` for any shift (0 when sh >= 64).
fn shr(v: u64, sh: u64) -> u64 {
    if sh >= 64 {
        0
    } else {
        v >> sh
    }
}

/// The term that enters the sum: `floor(p · 2^(F_sum − F) / 2^I)`, UQ1.F_sum.
pub fn sum_term(p: &SoftmaxParams, e: &Exp2, u: u64) -> u64 {
    let (int, phi) = split_exponent(p, u);
    let pv = (e.frac(phi) as u64) << (p.sum_frac - p.exp_frac);
    shr(pv, int)
}

/// The term that is multiplied by the reciprocal: `floor(p / 2^(I + F − F_out))`, UQ1.F_out.
pub fn out_term(p: &SoftmaxParams, e: &Exp2, u: u64) -> u64 {
    let (int, phi) = split_exponent(p, u);
    shr(e.frac(phi) as u64, int + (p.exp_frac - p.out_frac) as u64)
}

/// The reciprocal mantissa: `Rm = floor(2^(G+H) / Sm)` for a normalized sum
/// `Sm` in `2^H..2^(H+1)`; the result is in `2^(G−1)..=2^G`.
pub fn reciprocal(sm: u64, g: u32, h: u32) -> u64 {
    assert!(sm >> h == 1, "reciprocal: Sm = {sm} is not normalized to 2^{h}..2^{}", h + 1);
    (1u64 << (g + h)) / sm
}

/// The restoring division the RTL performs, one quotient bit per step, most
/// significant first: the remainder starts at `2^H` (the dividend's top part);
/// step `i = G, G−1, ..., 0`: if `rem >= Sm` the quotient bit is 1 and
/// `rem −= Sm`; then (except after the last step) `rem = 2·rem`. It equals
/// [`reciprocal`] for every normalized input (tested exhaustively).
pub fn restoring_reciprocal(sm: u64, g: u32, h: u32) -> u64 {
    let mut rem = 1u64 << h;
    let mut q = 0u64;
    for i in (0..=g).rev() {
        let bit = rem >= sm;
        if bit {
            rem -= sm;
        }
        q = (q << 1) | bit as u64;
        if i > 0 {
            rem <<= 1;
        }
    }
    q
}

/// One beat of a row: `lanes` slots. Bit `i` of `keep` says slot `i` holds an
/// element; bit `i` of `mask` excludes that element (it is output as 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beat {
    pub x: Vec<i64>,
    pub keep: u64,
    pub mask: u64,
    /// `tlast`: the row's last beat.
    pub last: bool,
}

impl Beat {
    /// Slot `i` takes part: kept and not masked.
    pub fn valid(&self, i: usize) -> bool {
        (self.keep >> i) & 1 == 1 && (self.mask >> i) & 1 == 0
    }
}

/// One output beat: probabilities (UQ0.O codes), the keep bits of the input
/// beat, and `tlast`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutBeat {
    pub y: Vec<u32>,
    pub keep: u64,
    pub last: bool,
}

/// What a row leaves behind after its last beat: the inputs of the output
/// phase (for tests and debugging).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RowStats {
    /// At least one valid element.
    pub seen: bool,
    /// Exact max over valid elements (x_min if none).
    pub m: i64,
    /// Alignment offset c = (−m·K) mod 2^kf.
    pub c: u64,
    /// The online sum S (UQ.F_sum).
    pub s: u64,
    /// Index of the leading one of S.
    pub lead: u32,
    /// Normalized sum Sm = floor(S / 2^(lead − H)).
    pub sm: u64,
    /// Reciprocal mantissa Rm = floor(2^(G+H) / Sm).
    pub rm: u64,
    /// Output shift sh = F_out + G − O + lead − F_sum.
    pub sh: u32,
}

/// `(P, c, M)` for a running max m: `P = m·K`, `c = (−P) mod 2^kf`,
/// `M = (P + c) / 2^kf = ceil(P / 2^kf)`.
pub fn reference_point(p: &SoftmaxParams, m: i64, k: u64) -> (i128, u64, i128) {
    let pk = m as i128 * k as i128;
    let c = ((-pk) as u128 & ((1u128 << p.k_frac) - 1)) as u64;
    let big_m = (pk + c as i128) >> p.k_frac;
    (pk, c, big_m)
}

impl SoftmaxParams {
    /// The exponent magnitude of an element: `u = Δ·K + c` with `Δ = m − x`.
    pub fn exponent(&self, m: i64, x: i64, k: u64, c: u64) -> u64 {
        debug_assert!(m >= x);
        (m - x) as u64 * k + c
    }

    /// The accumulation phase of one row (normative order): returns the row's
    /// statistics. `beats` must be non-empty; `k` is the row's K.
    pub fn accumulate(&self, e: &Exp2, k: u64, beats: &[Beat]) -> RowStats {
        let mut m = self.x_min();
        let mut seen = false;
        let mut s = 0u64;
        let mut m_prev: i128 = 0;
        let mut c = 0;
        for (b, beat) in beats.iter().enumerate() {
            // 1. The running max over valid elements (exact).
            for i in 0..self.lanes {
                if beat.valid(i) {
                    seen = true;
                    m = m.max(beat.x[i]);
                }
            }
            // 2. The reference M = ceil(m·K) and the offset c.
            let (_, cc, big_m) = reference_point(self, m, k);
            c = cc;
            // 3. The beat's terms, relative to M, summed exactly.
            let mut beat_sum = 0u64;
            for i in 0..self.lanes {
                if beat.valid(i) {
                    beat_sum += sum_term(self, e, self.exponent(m, beat.x[i], k, c));
                }
            }
            // 4. The running sum: rescaled by a shift when M rose, then added to.
            s = if b == 0 {
                beat_sum
            } else {
                let shift = (big_m - m_prev) as u64; // >= 0: m never falls
                shr(s, shift) + beat_sum
            };
            m_prev = big_m;
        }
        let mut st = RowStats { seen, m, c, s, ..Default::default() };
        if seen {
            // Normalize: S = Sm · 2^(lead − H), Sm in 2^H..2^(H+1) (floor).
            st.lead = 63 - s.leading_zeros();
            st.sm = s >> (st.lead - self.norm_frac);
            st.rm = reciprocal(st.sm, self.recip_frac, self.norm_frac);
            st.sh = self.out_frac + self.recip_frac - self.out_bits + st.lead - self.sum_frac;
        }
        st
    }

    /// The output code of an element from its row's statistics:
    /// `y = min(2^O − 1, floor((e_out · Rm + 2^(sh−1)) / 2^sh))` (round half up, saturate).
    pub fn output(&self, e: &Exp2, k: u64, st: &RowStats, x: i64) -> u32 {
        let eo = out_term(self, e, self.exponent(st.m, x, k, st.c));
        let v = eo as u128 * st.rm as u128;
        let y = (v + (1u128 << (st.sh - 1))) >> st.sh;
        y.min(self.y_max() as u128) as u32
    }

    /// One whole row: the accumulation, then every slot's output. Invalid
    /// slots (not kept, or masked) and every slot of a row without a valid
    /// element give 0.
    pub fn row(&self, e: &Exp2, k: u64, beats: &[Beat]) -> (Vec<OutBeat>, RowStats) {
        let st = self.accumulate(e, k, beats);
        let outs = beats
            .iter()
            .enumerate()
            .map(|(b, beat)| OutBeat {
                y: (0..self.lanes)
                    .map(|i| if st.seen && beat.valid(i) { self.output(e, k, &st, beat.x[i]) } else { 0 })
                    .collect(),
                keep: beat.keep,
                last: b + 1 == beats.len(),
            })
            .collect();
        (outs, st)
    }

    /// Pack a row of elements into beats: element j in beat j / lanes, slot
    /// j mod lanes; the last beat keeps only its filled slots. `mask[j]`
    /// excludes element j.
    pub fn pack_row(&self, x: &[i64], mask: &[bool]) -> Vec<Beat> {
        assert!(!x.is_empty() && x.len() == mask.len());
        let nb = x.len().div_ceil(self.lanes);
        (0..nb)
            .map(|b| {
                let mut beat = Beat { x: vec![0; self.lanes], keep: 0, mask: 0, last: b + 1 == nb };
                for i in 0..self.lanes {
                    let j = b * self.lanes + i;
                    if j < x.len() {
                        beat.x[i] = x[j];
                        beat.keep |= 1 << i;
                        beat.mask |= (mask[j] as u64) << i;
                    }
                }
                beat
            })
            .collect()
    }

    /// Softmax of one row of elements (see [`SoftmaxParams::pack_row`]).
    pub fn softmax_row(&self, e: &Exp2, k: u64, x: &[i64], mask: &[bool]) -> Vec<u32> {
        let beats = self.pack_row(x, mask);
        let (outs, _) = self.row(e, k, &beats);
        outs.iter().flat_map(|o| o.y.iter().copied()).take(x.len()).collect()
    }

    /// K for a scale s: `K = round_half_up(s · log2(e) · 2^kf)`, which must be in
    /// `1..2^(kf+8)`. Errors name the allowed range of s.
    pub fn scale_to_k(&self, s: f64) -> Result<u64, String> {
        if !s.is_finite() || s <= 0.0 {
            return Err(format!("scale {s}: must be a positive finite number"));
        }
        let v = s * std::f64::consts::LOG2_E * (1u64 << self.k_frac) as f64;
        let k = (v + 0.5).floor();
        let k_max = ((1u64 << self.k_bits) - 1) as f64;
        let unit = 1.0 / (std::f64::consts::LOG2_E * (1u64 << self.k_frac) as f64);
        if k < 1.0 {
            return Err(format!(
                "scale {s} cannot be represented: K = s·log2(e)·2^{} rounds to 0 (the smallest scale is {:e})",
                self.k_frac,
                0.5 * unit
            ));
        }
        if k > k_max {
            return Err(format!(
                "scale {s} cannot be represented: K = s·log2(e)·2^{} exceeds {} (the largest scale is {})",
                self.k_frac,
                k_max,
                (k_max + 0.5) * unit
            ));
        }
        Ok(k as u64)
    }
}

/// The stream-level model: beats in, output beats out, row by row. A row
/// ends at a beat with `last`, or at its `max_beats`-th beat (a row longer
/// than `max_len` is cut there: that beat is output with `last`, and the
/// sticky overflow flag is raised).
#[derive(Clone, Debug)]
pub struct SoftmaxStream {
    pub params: SoftmaxParams,
    exp2: Exp2,
    row: Vec<Beat>,
    k: u64,
    /// A row was cut at `max_beats`.
    pub overflow: bool,
}

impl SoftmaxStream {
    pub fn new(cfg: &SoftmaxConfig) -> SoftmaxStream {
        let params = SoftmaxParams::new(cfg);
        SoftmaxStream { exp2: params.exp2(), params, row: Vec::new(), k: 0, overflow: false }
    }

    /// Accept one beat with the K input `k` (sampled on a row's first beat);
    /// at a row's end, the row's output beats.
    pub fn push(&mut self, k: u64, beat: Beat) -> Option<(Vec<OutBeat>, RowStats)> {
        if self.row.is_empty() {
            self.k = k;
        }
        let mut beat = beat;
        if !beat.last && self.row.len() + 1 == self.params.max_beats {
            beat.last = true;
            self.overflow = true;
        }
        let last = beat.last;
        self.row.push(beat);
        if last {
            let r = self.params.row(&self.exp2, self.k, &self.row);
            self.row.clear();
            Some(r)
        } else {
            None
        }
    }
}

/// float64 softmax of `scale · x` over the valid elements; 0 elsewhere (and
/// everywhere when no element is valid).
pub fn reference(scale: f64, x: &[i64], valid: &[bool]) -> Vec<f64> {
    let m = x.iter().zip(valid).filter(|(_, &v)| v).map(|(&x, _)| x).max();
    let Some(m) = m else {
        return vec![0.0; x.len()];
    };
    let e: Vec<f64> =
        x.iter().zip(valid).map(|(&x, &v)| if v { (scale * (x - m) as f64).exp() } else { 0.0 }).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// Error statistics against float64, in output LSB (units of 2^-O).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorStats {
    pub elements: u64,
    pub sum_err: f64,
    pub max_err: f64,
}

impl ErrorStats {
    /// Add one element: code `y`, float64 probability `r`.
    pub fn add(&mut self, out_bits: u32, y: u32, r: f64) {
        let err = (y as f64 - r * (1u64 << out_bits) as f64).abs();
        self.elements += 1;
        self.sum_err += err;
        self.max_err = self.max_err.max(err);
    }

    pub fn merge(&mut self, o: &ErrorStats) {
        self.elements += o.elements;
        self.sum_err += o.sum_err;
        self.max_err = self.max_err.max(o.max_err);
    }

    pub fn mean(&self) -> f64 {
        if self.elements == 0 {
            0.0
        } else {
            self.sum_err / self.elements as f64
        }
    }
}

#[cfg(test)]
mod tests;
