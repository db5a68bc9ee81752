//! The systolic matmul tile: an int8 weight-stationary array with
//! double-buffered weights, int32 accumulator banks and per-column
//! requantization.
//!
//! Ports of the top ([`top::tile`], `serrano_tile_r<R>c<C>_d<D>`):
//! * `cmd_*` (valid/ready): LOAD, COMPUTE, READ and QPARAM commands;
//! * `s_axis_a_*`: activation rows in (`rows` int8 lanes a beat);
//! * `s_axis_b_*`: weight rows in (`cols` int8 lanes a beat);
//! * `m_axis_c_*`: result rows out (`cols` int32, or requantized int8, lanes
//!   a beat, `tlast` on a READ's last row);
//! * `idle`, `clk`, `rst`.
//!
//! Files, data path order: [`mul`] (the 8×8 multiplier leaf), [`pe`] (one
//! processing element), [`array`](mod@array) (the `rows × cols` grid of PEs),
//! [`acc_bank`] (one accumulator bank per column), [`requant`] (one output
//! lane's requantizer), [`top`] (the ports and the wiring), `dispatch`
//! (the engines' state and the command dispatch), `engines` (the load,
//! compute and read engines and the per-column accumulation), `output` (the
//! output FIFO and the relaxed row interlock it allows).
//!
//! Golden model: `golden::tile` (`golden/src/tile/`). Tests:
//! `testbenches/tests/pe.rs` and `testbenches/tests/tile.rs`. Datasheets:
//! `docs/pe.md` and `docs/tile.md`.

pub mod acc_bank;
pub mod array;
mod dispatch;
mod engines;
pub mod mul;
mod output;
pub mod pe;
pub mod requant;
pub mod top;

pub use top::tile;
