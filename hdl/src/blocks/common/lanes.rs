//! Expression helpers shared by the DMA blocks: literals of any width, byte
//! lane masks and rotations, small arithmetic. Not a block: functions that
//! build expressions.

use crate::core::{cat, mux, Expr, UInt};

/// `v` as a `UInt(w)` literal; `w` may exceed 128 bits (zero-extended).
pub fn lit(v: u128, w: u32) -> Expr {
    if w <= 128 {
        Expr::lit(v as i128, UInt(w))
    } else {
        Expr::lit(v as i128, UInt(128)).zext(w)
    }
}

/// All zeros, any width.
pub fn zeros(w: u32) -> Expr {
    lit(0, w)
}

/// All ones, any width.
pub fn ones(w: u32) -> Expr {
    !zeros(w)
}

/// Bits needed to hold every value of `0..=n` (at least 1).
pub fn bits_for(n: u64) -> u32 {
    (64 - n.leading_zeros()).max(1)
}

/// Bits needed to index `n` things (`0..n`, at least 1).
pub fn index_bits(n: u64) -> u32 {
    bits_for(n.saturating_sub(1))
}

/// The smaller of two values of one type (unsigned).
pub fn min(a: &Expr, b: &Expr) -> Expr {
    mux(&a.cmp_lt(b), a, b)
}

/// A priority multiplexer: the value of the first case whose condition is 1,
/// else `default`.
pub fn pmux(cases: &[(Expr, Expr)], default: &Expr) -> Expr {
    cases.iter().rev().fold(default.clone(), |acc, (c, v)| mux(c, v, &acc))
}

/// `n` lanes, lane `i` set iff `i < k` (`k` from 0 to `n`, any UInt width).
pub fn mask_lt(k: &Expr, n: u32) -> Expr {
    !ones(n).shl(k)
}

/// `n` lanes, lane `i` set iff `i >= k`.
pub fn mask_ge(k: &Expr, n: u32) -> Expr {
    ones(n).shl(k)
}

/// Each bit of a lane mask repeated 8 times: a byte mask for a data word.
pub fn bytes_of(mask: &Expr) -> Expr {
    let n = mask.width();
    let bits: Vec<Expr> = (0..n).rev().map(|i| mask.bit(i)).collect();
    let mut parts: Vec<&Expr> = Vec::with_capacity(8 * n as usize);
    for b in &bits {
        for _ in 0..8 {
            parts.push(b);
        }
    }
    cat(&parts)
}

/// Rotate a word of `2^lb` bytes towards the high lanes by `r` (a
/// `UInt(lb)`): byte `i` of the result is byte `(i - r) mod 2^lb` of `x`.
pub fn rotl_bytes(x: &Expr, r: &Expr, lb: u32) -> Expr {
    let n = 1u128 << lb;
    let left = x.shl(&cat(&[r, &zeros(3)]));
    let nr = lit(n, lb + 1) - r.zext(lb + 1);
    let right = x.shr(&cat(&[&nr, &zeros(3)]));
    left | right
}

/// Per byte: `a` where `byte_mask` is set, else `b`.
pub fn merge(byte_mask: &Expr, a: &Expr, b: &Expr) -> Expr {
    (a & byte_mask) | (b & !byte_mask)
}

/// Extract `width` bits at `lsb` of a packed bundle.
pub fn field(x: &Expr, lsb: u32, width: u32) -> Expr {
    x.slice(lsb + width - 1, lsb)
}
