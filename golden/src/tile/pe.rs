//! The processing element (PE) of the weight-stationary systolic array.
//!
//! State (all reset to 0): `a` (activation register), `w` (active weight),
//! `w_next` (shadow weight), `product` (the registered product), `psum`
//! (partial-sum register), `swap` (the swap flag travelling east, one cycle
//! ahead of the activation).
//!
//! On each rising clock edge, with the inputs and registers sampled before
//! the edge:
//! * `rst` = 1: every register becomes 0.
//! * otherwise:
//!   * `product <= a_in × w` (exact, 16 bits)
//!   * `psum   <= wrap_acc(psum_in + product)` (the sum wraps to `acc_bits`
//!     in two's complement). So `psum_in` meets the product of the
//!     activation that came one cycle before it: in an array, whose rows are
//!     skewed by one cycle, that is the same activation row, and the partial
//!     sum still moves one PE south per cycle. The product register splits
//!     the multiplier from the 32-bit adder, which halves the PE's critical
//!     path on FPGAs without DSPs and is the MREG of a DSP48E1 on Xilinx.
//!   * `w      <= w_next` if `w_swap` (so `w_swap` comes one cycle before the
//!     first activation of a new fold: that activation meets the new weight)
//!   * `w_next <= w_in` if `w_load` (the shadow weight, loaded from the
//!     column's weight bus while `w` computes)
//!   * `a      <= a_in`, `swap <= w_swap`
//!
//! Outputs are the registers: `a_out = a`, `psum_out = psum`, `swap_out = swap`.

use crate::config::PeConfig;
use crate::numeric::wrap_signed;

/// Inputs of one clock cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeInputs {
    pub rst: bool,
    pub a_in: i8,
    /// A value of `acc_bits` bits, sign-extended to i64.
    pub psum_in: i64,
    pub w_in: i8,
    pub w_load: bool,
    pub w_swap: bool,
}

/// The registered outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeOutputs {
    pub a_out: i8,
    pub psum_out: i64,
    pub swap_out: bool,
}

/// The PE's state; starts in the reset state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pe {
    acc_bits: u32,
    a: i8,
    w: i8,
    w_next: i8,
    product: i64,
    psum: i64,
    swap: bool,
}

impl Pe {
    pub fn new(cfg: &PeConfig) -> Pe {
        Pe { acc_bits: cfg.acc_bits, a: 0, w: 0, w_next: 0, product: 0, psum: 0, swap: false }
    }

    pub fn outputs(&self) -> PeOutputs {
        PeOutputs { a_out: self.a, psum_out: self.psum, swap_out: self.swap }
    }

    /// The active weight (for tests and debugging).
    pub fn weight(&self) -> i8 {
        self.w
    }

    /// The shadow weight (for tests and debugging).
    pub fn shadow_weight(&self) -> i8 {
        self.w_next
    }

    /// One rising clock edge.
    pub fn step(&mut self, i: &PeInputs) {
        if i.rst {
            *self = Pe::new(&PeConfig { acc_bits: self.acc_bits });
            return;
        }
        self.psum = wrap_signed(i.psum_in.wrapping_add(self.product), self.acc_bits);
        self.product = i.a_in as i64 * self.w as i64; // exact: |p| <= 2^14
        if i.w_swap {
            self.w = self.w_next;
        }
        if i.w_load {
            self.w_next = i.w_in;
        }
        self.a = i.a_in;
        self.swap = i.w_swap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> PeConfig {
        PeConfig { acc_bits: 32 }
    }

    #[test]
    fn swap_applies_from_the_next_activation() {
        let mut pe = Pe::new(&cfg());
        pe.step(&PeInputs { w_in: -128, w_load: true, ..Default::default() });
        assert_eq!(pe.shadow_weight(), -128);
        assert_eq!(pe.weight(), 0);
        // The activation that comes with the swap still meets the old weight (0)...
        pe.step(&PeInputs { a_in: -128, psum_in: 5, w_swap: true, ..Default::default() });
        assert_eq!(pe.weight(), -128);
        assert!(pe.outputs().swap_out);
        pe.step(&PeInputs { a_in: -128, psum_in: 5, ..Default::default() });
        assert_eq!(pe.outputs().psum_out, 5, "its product (0) is added to the next cycle's psum_in");
        assert_eq!(pe.outputs().a_out, -128);
        assert!(!pe.outputs().swap_out);
        // ...and the next one the new weight.
        pe.step(&PeInputs { psum_in: 7, ..Default::default() });
        assert_eq!(pe.outputs().psum_out, 7 + 16384);
    }

    #[test]
    fn load_and_swap_together_use_the_old_shadow() {
        let mut pe = Pe::new(&cfg());
        pe.step(&PeInputs { w_in: 3, w_load: true, ..Default::default() });
        pe.step(&PeInputs { a_in: 2, w_in: 7, w_load: true, w_swap: true, ..Default::default() });
        assert_eq!((pe.weight(), pe.shadow_weight()), (3, 7));
        pe.step(&PeInputs { a_in: 2, ..Default::default() });
        pe.step(&PeInputs::default());
        assert_eq!(pe.outputs().psum_out, 6);
    }

    #[test]
    fn psum_wraps_at_acc_bits() {
        let mut pe = Pe::new(&PeConfig { acc_bits: 16 });
        pe.step(&PeInputs { w_in: 127, w_load: true, w_swap: false, ..Default::default() });
        pe.step(&PeInputs { w_swap: true, ..Default::default() });
        pe.step(&PeInputs { a_in: 127, ..Default::default() });
        pe.step(&PeInputs { psum_in: 32767, ..Default::default() });
        assert_eq!(pe.outputs().psum_out, wrap_signed(32767 + 127 * 127, 16));
    }

    #[test]
    fn reset_clears_everything() {
        let mut pe = Pe::new(&cfg());
        pe.step(&PeInputs { a_in: 3, psum_in: 9, w_in: 4, w_load: true, w_swap: true, rst: false });
        pe.step(&PeInputs { rst: true, a_in: 3, psum_in: 9, w_in: 4, w_load: true, w_swap: true });
        assert_eq!(pe, Pe::new(&cfg()));
    }
}
