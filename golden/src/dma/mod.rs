//! The DMA engines' specification: descriptors and their validation, the burst
//! legalizer, and what the engines do to memory and to their streams.
//!
//! Files: [`desc`] (descriptors, status codes, validation), [`bursts`]
//! (segments and the burst legalizer), [`memory`] (the memory model and what
//! the engines do to it). Configuration: [`DmaConfig`](crate::DmaConfig).
//!
//! The RTL (`hdl::blocks::dma`) must match this model exactly: the same
//! error code for every descriptor, the same sequence of AXI4 bursts
//! (address, length, size) on each engine's address channel, the same bytes
//! on the stream, and the same final memory image. `docs/dma.md` describes it
//! for humans; this file is normative.
//!
//! # Descriptors
//! A descriptor names a sequence of *segments* (contiguous byte ranges in
//! memory); the engine moves the segments' bytes, in order, between memory and
//! one AXI-Stream packet:
//! * linear: one segment `[addr, addr + len)`;
//! * 2-D strided: `count1` rows of `len` bytes, row `j` at `addr + j·stride1`;
//! * 3-D strided: `count2` planes of `count1` rows, row `(k, j)` at
//!   `addr + k·stride2 + j·stride1`, planes outer;
//! * paged gather/scatter: `len` bytes of a *logical* space that starts at
//!   logical offset `addr` and is made of pages of `2^page_shift` bytes; logical
//!   page `p` lives at the physical page base `table[table_base + p]` (the
//!   engine's page table, a block table as in vLLM's PagedAttention). Each
//!   piece of a page is a segment.
//!
//! # Bursts
//! Each segment is split, from its first byte, into INCR bursts of full-width
//! beats (`size = log2(data bytes)`), each as long as possible but at most
//! `max_burst` beats, never crossing a 4 KiB boundary and never past the
//! segment's end. A burst's address is the exact byte address of its first
//! byte (unaligned when the segment starts mid-beat); on writes, only the
//! segment's bytes are strobed.

pub mod bursts;
pub mod desc;
pub mod memory;

pub use bursts::{bursts, legalize, segments, Burst, Segment};
pub use desc::*;
pub use memory::{read_bytes, status_of_responses, write_bytes, Memory};

#[cfg(test)]
mod tests;
