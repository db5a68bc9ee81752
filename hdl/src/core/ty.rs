//! Signal types: a width and a signedness. There is no implicit conversion
//! between types; `sext`, `zext`, `trunc`, `as_signed` and `as_unsigned` say
//! every change out loud.

use std::fmt;

/// The widest signal the core accepts. Wider buses are a sign of a mistake.
pub const MAX_WIDTH: u32 = 65_536;
/// The widest literal (literals are held as `u128` bit patterns).
pub const MAX_LITERAL_WIDTH: u32 = 128;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ty {
    /// Unsigned, `n` bits.
    UInt(u32),
    /// Two's-complement signed, `n` bits.
    SInt(u32),
}

pub use Ty::{SInt, UInt};

/// A single bit (`UInt(1)`).
#[allow(non_upper_case_globals)]
pub const Bit: Ty = Ty::UInt(1);

impl Ty {
    pub fn width(self) -> u32 {
        match self {
            UInt(w) | SInt(w) => w,
        }
    }

    pub fn is_signed(self) -> bool {
        matches!(self, SInt(_))
    }

    /// The same signedness at another width.
    pub fn with_width(self, w: u32) -> Ty {
        match self {
            UInt(_) => UInt(w),
            SInt(_) => SInt(w),
        }
    }

    pub(crate) fn check(self) -> Result<(), String> {
        let w = self.width();
        if w == 0 || w > MAX_WIDTH {
            return Err(format!("width {w} of {self}: must be between 1 and {MAX_WIDTH}"));
        }
        Ok(())
    }

    /// The two's-complement bit pattern of `value` at this type, if `value` fits.
    pub(crate) fn literal_bits(self, value: i128) -> Result<u128, String> {
        let w = self.width();
        if w > MAX_LITERAL_WIDTH {
            return Err(format!("a literal of {self} is wider than {MAX_LITERAL_WIDTH} bits"));
        }
        let (lo, hi): (i128, i128) = match self {
            UInt(_) if w >= 127 => (0, i128::MAX),
            UInt(_) => (0, (1i128 << w) - 1),
            SInt(_) if w == 128 => (i128::MIN, i128::MAX),
            SInt(_) => (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1),
        };
        if value < lo || value > hi {
            return Err(format!("literal {value} does not fit {self} (range {lo}..={hi})"));
        }
        Ok((value as u128) & mask(w))
    }
}

/// The low `w` bits set (w <= 128).
pub(crate) fn mask(w: u32) -> u128 {
    if w >= 128 {
        u128::MAX
    } else {
        (1u128 << w) - 1
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UInt(w) => write!(f, "UInt({w})"),
            SInt(w) => write!(f, "SInt({w})"),
        }
    }
}
