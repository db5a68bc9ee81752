//! A first-word-fall-through FIFO on a block RAM, with valid/ready on both sides.
//!
//! Capacity is exactly `depth` words (the RAM plus the output register count
//! together), so a FIFO of depth N can stand for "at most N things in
//! flight". The word at the head is in a register (`out_data`), so the
//! consumer sees no RAM read latency; a word pushed into an empty FIFO
//! appears at the output two cycles later. Push and pop may happen every
//! cycle. `count` is the number of words held.

use crate::blocks::common::lanes::{bits_for, index_bits, lit};
use crate::blocks::common::params::check_range;
use crate::core::{mux, Bit, Module, Result, UInt, MAX_WIDTH};

/// The block's name in parameter errors.
pub const FIFO_BLOCK: &str = "serrano_fifo";
/// The deepest FIFO: the DMA's deepest is 256; a bound keeps the RAM within
/// what the HDL core declares and a depth typo from building a huge RAM.
pub const FIFO_MAX_DEPTH: u32 = 65_536;

pub fn fifo_name(width: u32, depth: u32) -> String {
    format!("serrano_fifo_w{width}_d{depth}")
}

/// A FIFO of `depth` (1..=65536) words of `width` (1..=MAX_WIDTH) bits.
pub fn fifo(width: u32, depth: u32) -> Result<Module> {
    check_range(FIFO_BLOCK, "width", width, 1..=MAX_WIDTH)?;
    check_range(FIFO_BLOCK, "depth", depth, 1..=FIFO_MAX_DEPTH)?;
    let mut m = Module::new(&fifo_name(width, depth));
    m.doc(&format!("First-word-fall-through FIFO: {depth} words of {width} bits (block RAM plus an output register)."));
    m.doc("in_ready = fewer than depth words held; out_valid = a word at the head.");
    let in_valid = m.input_doc("in_valid", Bit, "a word is offered")?;
    let in_data = m.input_doc("in_data", UInt(width), "the word offered")?;
    let out_ready = m.input_doc("out_ready", Bit, "the consumer takes the head word")?;

    // The RAM holds up to `depth` words (when the output register is empty).
    let mem_depth = depth.max(2);
    let pw = index_bits(mem_depth as u64);
    let cw = bits_for(depth as u64);
    let mem = m.memory("ram", UInt(width), mem_depth)?;
    let wptr = m.reg("wptr", UInt(pw)).reset(0).build()?;
    let rptr = m.reg("rptr", UInt(pw)).reset(0).build()?;
    let held = m.reg("held", UInt(cw)).reset(0).doc("words in the RAM").build()?;
    let out_valid = m.reg("out_valid_q", Bit).reset(0).doc("the output register holds the head word").build()?;

    let total = m.node("total", &held.q + out_valid.q.zext(cw))?;
    let in_ready = m.node("in_ready_w", total.cmp_lt(lit(depth as u128, cw)))?;
    let push = m.node("push", &in_valid & &in_ready)?;
    // Refill the output register whenever it is empty or being emptied.
    let load = m.node("load", held.q.cmp_ne(lit(0, cw)) & (!&out_valid.q | &out_ready))?;

    let next_ptr = |p: &crate::core::Expr| {
        if mem_depth.is_power_of_two() {
            p + 1
        } else {
            mux(&p.cmp_eq(lit(mem_depth as u128 - 1, pw)), &lit(0, pw), &(p + 1))
        }
    };
    m.set_next(&wptr, mux(&push, &next_ptr(&wptr.q), &wptr.q))?;
    m.set_next(&rptr, mux(&load, &next_ptr(&rptr.q), &rptr.q))?;
    m.set_next(&held, &held.q + push.zext(cw) - load.zext(cw))?;
    m.set_next(&out_valid, &load | (&out_valid.q & !&out_ready))?;
    m.mem_write(&mem, &push, &wptr.q, &in_data)?;
    let q = m.mem_read(&mem, "head", &load, &rptr.q)?;

    m.output_doc("in_ready", &in_ready, "fewer than depth words are held")?;
    m.output_doc("out_valid", &out_valid.q, "out_data is the head word")?;
    m.output_doc("out_data", &q, "the head word")?;
    m.output_doc("count", &total, "words held")?;
    Ok(m)
}
