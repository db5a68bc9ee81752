//! The blocks of the integrated accelerator core that are not blocks of
//! their own elsewhere: the scratchpad, its banks, and the line reader and
//! writer through which the DMA, the tile and the softmax unit use it.

pub mod axi_read_mux;
pub mod cmd_fields;
pub mod core_cmdproc;
pub mod core_compute;
pub mod core_decode;
pub mod core_expand;
pub mod core_fetch;
pub mod core_load;
pub mod core_regmap;
pub mod core_regs;
pub mod core_store;
pub mod core_top;
pub mod line_walk;
pub mod scoreboard;
pub mod scratchpad;
pub mod softmax_drain;
pub mod softmax_feed;
pub mod spad_bank;
pub mod spad_reader;
pub mod spad_writer;
pub mod tile_operand;
pub mod tile_result;
