//! AXI4 DMA engines with linear, strided (2-D, 3-D) and paged-gather
//! descriptors behind an AXI4-Lite register interface.
//!
//! Ports of the top ([`top::dma`], `serrano_dma_d<D>_a<A>_b<B>_o<O>_q<Q>_i<I>_t<T>`):
//! * `s_axil_*`: AXI4-Lite slave, the register map of [`regs`];
//! * `m_axi_*`: AXI4 master, reads (AR/R) from the read engine, writes
//!   (AW/W/B) from the write engine;
//! * `m_axis_*`: AXI-Stream out of the read engine;
//! * `s_axis_*`: AXI-Stream into the write engine;
//! * `irq`, `clk`, `rst`.
//!
//! Files, data path order: [`desc`] (the descriptor record layout),
//! [`regmap`] (the register map as data, with its C header and JSON),
//! [`regs`] (register block and descriptor queues), [`validate`] (descriptor
//! checks), [`legalizer`] (descriptors to legal AXI bursts), [`read`] and
//! [`write`] (the engines), [`top`] (the three wired together).
//!
//! Golden model: `golden::dma` (`golden/src/dma/`). Tests:
//! `testbenches/tests/dma.rs` and `testbenches/tests/dma_lint.rs`.
//! Datasheet: `docs/dma.md`.

pub mod desc;
pub mod legalizer;
pub mod read;
pub mod regmap;
pub mod regs;
pub mod top;
pub mod validate;
pub mod write;

pub use top::dma;
