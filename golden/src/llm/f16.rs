//! IEEE 754 binary16 ("half", ggml's `ggml_fp16_t`) to f32.
//!
//! Every binary16 value is exactly representable in f32 (11-bit significand,
//! exponents −24..=15 inside f32's range), so the conversion is exact: no
//! rounding rule is needed. Written out rather than taken from a crate so the
//! golden model depends on nothing for it.

/// The f32 whose value equals the binary16 with bit pattern `bits`.
/// Subnormals become normal f32 values; infinities stay infinities; a NaN
/// stays a NaN with its payload in the top significand bits (as hardware
/// converters do).
pub fn f16_to_f32(bits: u16) -> f32 {
    let sign = ((bits as u32) & 0x8000) << 16;
    let exp = ((bits >> 10) & 0x1f) as u32;
    let frac = (bits & 0x03ff) as u32;
    let magnitude = match (exp, frac) {
        (0, 0) => 0,
        // Subnormal: frac · 2^-24. Shift the leading one up to the implicit bit
        // position and lower the exponent by the same amount.
        (0, _) => {
            let shift = frac.leading_zeros() - 21; // 1..=10: moves the top set bit to bit 10
            let e = 127 - 15 + 1 - shift;
            (e << 23) | ((frac << shift) & 0x03ff) << 13
        }
        (0x1f, _) => 0x7f80_0000 | (frac << 13),
        _ => ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(sign | magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95); // 1365/4096
        assert_eq!(f16_to_f32(0x7bff), 65504.0); // largest finite
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14)); // smallest normal
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24)); // smallest subnormal
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24)); // largest subnormal
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000); // −0 keeps its sign
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    /// Every finite half against its value computed from the definition
    /// (−1)^s · 2^(e−15) · (1 + f/1024), or 2^−14 · f/1024 for subnormals.
    #[test]
    fn all_finite_values_are_exact() {
        for bits in 0..=u16::MAX {
            let exp = (bits >> 10) & 0x1f;
            if exp == 0x1f {
                continue;
            }
            let frac = (bits & 0x3ff) as f64;
            let mag = if exp == 0 {
                frac / 1024.0 * 2f64.powi(-14)
            } else {
                (1.0 + frac / 1024.0) * 2f64.powi(exp as i32 - 15)
            };
            let want = if bits & 0x8000 != 0 { -mag } else { mag };
            let got = f16_to_f32(bits);
            assert_eq!(got as f64, want, "half {bits:#06x}");
            assert_eq!(got.is_sign_negative(), bits & 0x8000 != 0, "half {bits:#06x}: sign");
        }
    }
}
