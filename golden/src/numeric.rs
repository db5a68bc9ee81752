//! Two's-complement helpers shared by the models.

/// Wrap `v` to a `bits`-bit two's-complement value (1 <= bits <= 64): keep the
/// low `bits` bits and sign-extend from bit `bits - 1`. This is what a
/// `bits`-wide adder does with its carry out: drops it.
pub fn wrap_signed(v: i64, bits: u32) -> i64 {
    assert!((1..=64).contains(&bits), "wrap_signed: bits = {bits} must be 1..=64");
    let sh = 64 - bits;
    (v << sh) >> sh
}

/// The range of a `bits`-bit signed value.
pub fn signed_range(bits: u32) -> (i64, i64) {
    let lo = -(1i128 << (bits - 1));
    let hi = (1i128 << (bits - 1)) - 1;
    (lo as i64, hi as i64)
}

/// `round_half_up(num / den)` for `den > 0`: floor(num / den + 1/2), ties
/// towards +∞, exact in integers (`floor((2·num + den) / (2·den))`).
pub fn div_round_half_up(num: i64, den: i64) -> i64 {
    assert!(den > 0, "div_round_half_up: den = {den} must be positive");
    (2 * num as i128 + den as i128).div_euclid(2 * den as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_like_an_adder() {
        assert_eq!(wrap_signed(127 + 1, 8), -128);
        assert_eq!(wrap_signed(-129, 8), 127);
        assert_eq!(wrap_signed(i64::MAX, 64), i64::MAX);
        assert_eq!(wrap_signed(1 << 31, 32), i32::MIN as i64);
        assert_eq!(wrap_signed(3, 1), -1);
        assert_eq!(signed_range(8), (-128, 127));
        assert_eq!(signed_range(64), (i64::MIN, i64::MAX));
    }

    #[test]
    fn division_rounds_half_up() {
        assert_eq!([5, 6, -5, -6, 7, -7].map(|n| div_round_half_up(n, 4)), [1, 2, -1, -1, 2, -2]);
        assert_eq!(div_round_half_up(-2, 4), 0);
        assert_eq!(div_round_half_up(2, 4), 1);
    }
}
