//! The softmax numerics: parameters derived from the configuration, the
//! exp2 table and its interpolation, the exponent split, and the reciprocal.

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
pub(super) fn shr(v: u64, sh: u64) -> u64 {
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

/// A UQ0.8 probability `y` (0..=255) as the int8 UQ0.7 the tile takes as an
/// activation: `min(127, (y + 1) >> 1)`, i.e. round half up to 7 fractional
/// bits, then saturate (a probability of 1, `y` = 255 or 254, gives 127).
/// The SOFTMAX command's `int8_out` (`docs/numerics.md`, "Attention").
pub fn to_int8_prob(y: u32) -> i8 {
    ((y + 1) >> 1).min(127) as i8
}
