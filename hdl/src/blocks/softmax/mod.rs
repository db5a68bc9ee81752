//! The attention softmax unit: a streaming, bit-exact integer softmax with
//! masking, `lanes` logits a cycle.
//!
//! Ports of the top ([`top::softmax`], `serrano_softmax_l<L>_n<N>_i8_o<O>_t<T>`):
//! * `s_axis_*`: logits in (`tdata` int8 lanes, `tkeep` valid lanes,
//!   `tuser` a mask bit per lane, `tlast` at a row's end);
//! * `scale_k`: the logit scale, sampled with a row's first beat;
//! * `m_axis_*`: probabilities out (`tdata`, `tkeep`, `tlast`);
//! * `overflow`, `clk`, `rst`.
//!
//! Golden model: `golden::softmax` (`golden/src/softmax/`). Tests:
//! `testbenches/tests/softmax.rs`. Datasheet: `docs/softmax.md`; numerics
//! in the "Softmax" section of `docs/numerics.md`.

pub mod top;

pub use top::softmax;
