//! The blocks of the integrated accelerator core that are not blocks of
//! their own elsewhere: the scratchpad, its banks, and the line reader and
//! writer through which the DMA, the tile and the softmax unit use it.

pub mod axi_read_mux;
pub mod core_decode;
pub mod core_fetch;
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
