//! A first-order timing model of a program on the core, to check that a
//! lowering lets loads, compute and stores overlap. It is not a measurement
//! (the RTL's cycle counts are): it assumes one bus beat per cycle per DMA
//! engine, a fixed memory latency, a tile that takes one cycle per
//! activation row and streams result rows out beside the next COMPUTE, and
//! hides everything else (fill and drain of the array, TILE_LOAD).
//!
//! The rules are the ISA's: commands dispatch in order into the load,
//! compute and store queues; a queue runs its commands in order; a command
//! starts only when every older command whose footprint conflicts with its
//! own has finished; BARRIER and FENCE wait for everything older; a
//! DMA_STORE waits for every older DMA_LOAD and DMA_STORE to have all its
//! responses (so that nothing is written after a fault: `docs/isa.md`).

use golden::core::isa::{Command, Queue};
use golden::core::{check, CoreParams, Footprint};

/// The model's figures for one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Estimate {
    /// From the first command's start to the last one's end.
    pub cycles: u64,
    /// Cycles each queue is busy (loads and stores: bus beats; compute: rows).
    pub busy_load: u64,
    pub busy_compute: u64,
    pub busy_store: u64,
}

struct Done {
    fp: Footprint,
    end: u64,
}

/// Estimate `cmds` on core `p` with a memory latency of `latency` cycles.
/// Commands that fail their checks are counted as taking no time.
pub fn estimate(p: &CoreParams, cmds: &[Command], latency: u64) -> Estimate {
    // A TILE_MATMUL is its pairs in the core (expanded before dispatch).
    let cmds = golden::core::matmul::expand_all(cmds, p);
    let cmds = &cmds[..];
    let l = p.line as u64;
    let mut done: Vec<Done> = Vec::with_capacity(cmds.len());
    // Per queue: when its last command started issuing and ended its issue.
    let (mut load_free, mut store_free, mut compute_free) = (0u64, 0u64, 0u64);
    let mut e = Estimate::default();
    let (mut all_end, mut dma_end) = (0u64, 0u64);
    for c in cmds {
        let fp = check(c, p, &[], &[]).unwrap_or_default();
        let ready = match c {
            Command::Barrier | Command::Fence => all_end,
            _ => done.iter().filter(|d| d.fp.conflicts(&fp)).map(|d| d.end).max().unwrap_or(0),
        };
        let end = match (c.op().queue, c) {
            (Queue::Load, Command::DmaLoad { desc, .. }) | (Queue::Store, Command::DmaStore { desc, .. }) => {
                let beats = desc.total_bytes().div_ceil(l);
                let free = if c.op().queue == Queue::Load { &mut load_free } else { &mut store_free };
                let mut start = ready.max(*free);
                if c.op().queue == Queue::Store {
                    start = start.max(dma_end);
                }
                *free = start + beats; // the next transfer issues behind this one
                if c.op().queue == Queue::Load {
                    e.busy_load += beats;
                } else {
                    e.busy_store += beats;
                }
                dma_end = dma_end.max(start + beats + latency);
                start + beats + latency
            }
            (Queue::Compute, Command::TileRead { rows, .. }) => {
                // The tile streams a READ out beside the next COMPUTE (row
                // interlocks, docs/tile.md): it does not hold the queue.
                let start = ready.max(compute_free);
                e.busy_compute += *rows as u64;
                start + *rows as u64
            }
            (Queue::Compute, _) => {
                let rows = match c {
                    Command::TileCompute { rows, .. } => *rows as u64,
                    Command::Softmax(s) => s.rows as u64 * (s.len as u64).div_ceil(p.softmax.lanes as u64),
                    _ => 0,
                };
                let start = ready.max(compute_free);
                compute_free = start + rows;
                e.busy_compute += rows;
                start + rows
            }
            _ => ready,
        };
        all_end = all_end.max(end);
        done.push(Done { fp, end });
    }
    e.cycles = all_end;
    e
}
