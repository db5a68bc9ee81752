//! The softmax unit at the level of its streams: beats in, probabilities
//! out, row by row, in the online order the hardware uses.

use crate::config::SoftmaxConfig;

use super::numerics::{out_term, reciprocal, shr, sum_term, Exp2, SoftmaxParams};

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
