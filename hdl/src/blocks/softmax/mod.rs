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
//! Files, data path order: [`top`] (the ports, the wiring of the parts, the
//! module name and the row buffer's depth), `input` (acceptance and the
//! row buffer's write side), `accumulate` (A0–A10: running max and running
//! sum), `divide` (the row queue and the divider), `output` (C0–C9: read
//! back, exp2 again, × reciprocal, round), [`units`] (the exp2 and reciprocal
//! sub-modules), `pipe` (widths and helpers every part uses).
//!
//! Golden model: `golden::softmax` (`golden/src/softmax/`). Tests:
//! `testbenches/tests/softmax.rs`. Datasheet: `docs/softmax.md`; numerics
//! in the "Softmax" section of `docs/numerics.md`.

mod accumulate;
mod divide;
mod input;
mod output;
mod pipe;
pub mod top;
pub mod units;

pub use top::softmax;
