//! The typed program builder and the ring writer.
//!
//! Commands are `golden::core::isa::Command` values; [`ProgramBuilder::encode`]
//! turns them into bytes through `Command::encode`, which packs each field
//! from the one table in `golden::core::isa`.

use golden::core::isa::{Command, MatmulCmd, Raw, SoftmaxCmd, COMMAND_BYTES};
use golden::core::{CoreParams, Ring};
use golden::dma::{Descriptor, Memory};
use golden::tile::gemm::Requant;

use crate::error::RuntimeError;

/// A program under construction: commands in program order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramBuilder {
    cmds: Vec<Command>,
}

impl ProgramBuilder {
    pub fn new() -> ProgramBuilder {
        ProgramBuilder::default()
    }

    pub fn commands(&self) -> &[Command] {
        &self.cmds
    }

    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// Append any command.
    pub fn push(&mut self, c: Command) -> &mut Self {
        self.cmds.push(c);
        self
    }

    pub fn nop(&mut self) -> &mut Self {
        self.push(Command::Nop)
    }

    pub fn barrier(&mut self) -> &mut Self {
        self.push(Command::Barrier)
    }

    pub fn fence(&mut self) -> &mut Self {
        self.push(Command::Fence)
    }

    /// DRAM → scratchpad: the descriptor's packet from line `spad_line` on.
    pub fn dma_load(&mut self, desc: Descriptor, spad_line: u32) -> &mut Self {
        self.push(Command::DmaLoad { desc, spad_line })
    }

    /// Scratchpad → DRAM: lines from `spad_line` on as the descriptor's packet.
    pub fn dma_store(&mut self, desc: Descriptor, spad_line: u32) -> &mut Self {
        self.push(Command::DmaStore { desc, spad_line })
    }

    /// One weight fold: `k_rows` rows at `b_line + i·b_stride`, C-byte slice `b_off`.
    pub fn tile_load(&mut self, b_line: u32, b_stride: u32, b_off: u32, k_rows: u32) -> &mut Self {
        self.push(Command::TileLoad { b_line, b_stride, b_off, k_rows })
    }

    /// `rows` activation rows at `a_line + m·a_stride`, R-byte slice `a_off`.
    pub fn tile_compute(&mut self, a_line: u32, a_stride: u32, a_off: u32, rows: u32, accumulate: bool) -> &mut Self {
        self.push(Command::TileCompute { a_line, a_stride, a_off, rows, accumulate })
    }

    /// Accumulator rows `0..rows` to `c_line + m·c_stride` (slice `c_off`).
    pub fn tile_read(&mut self, c_line: u32, c_stride: u32, c_off: u32, rows: u32, requant: bool) -> &mut Self {
        self.push(Command::TileRead { c_line, c_stride, c_off, rows, requant })
    }

    /// Requantization parameters of column `col`, or of every column (`None`).
    pub fn tile_qparam(&mut self, col: Option<u32>, q: Requant) -> &mut Self {
        self.push(Command::TileQParam { col, q })
    }

    pub fn softmax(&mut self, s: SoftmaxCmd) -> &mut Self {
        self.push(Command::Softmax(s))
    }

    /// The program's bytes, 32 per command; a value too wide for its field
    /// is an error naming the command index and the field.
    pub fn encode(&self) -> Result<Vec<u8>, RuntimeError> {
        let mut out = Vec::with_capacity(self.cmds.len() * COMMAND_BYTES);
        for (i, c) in self.cmds.iter().enumerate() {
            let raw: Raw = c.encode().map_err(|e| RuntimeError::Input(format!("command {i}: {e}")))?;
            out.extend_from_slice(&raw);
        }
        Ok(out)
    }
}

/// Write encoded commands into the ring from index `head` on (wrapping) and
/// return the new tail, the value the host writes to the doorbell. The ring
/// keeps one slot free (head = tail means empty), so at most `size − 1`
/// commands fit.
pub fn write_ring(mem: &mut Memory, ring: Ring, head: u32, bytes: &[u8]) -> Result<u32, RuntimeError> {
    let n = bytes.len() / COMMAND_BYTES;
    if n >= ring.size as usize {
        return Err(RuntimeError::Input(format!(
            "{n} commands do not fit a ring of {} (at most {} at once)",
            ring.size,
            ring.size - 1
        )));
    }
    for (i, raw) in bytes.chunks(COMMAND_BYTES).enumerate() {
        let idx = (head as u64 + i as u64) % ring.size as u64;
        mem.write(ring.base + idx * COMMAND_BYTES as u64, raw);
    }
    Ok(((head as u64 + n as u64) % ring.size as u64) as u32)
}

/// A TILE_LOAD + TILE_COMPUTE pair, as a one-fold TILE_MATMUL.
fn pair(c: &[Command]) -> Option<MatmulCmd> {
    match *c {
        [Command::TileLoad { b_line, b_stride, b_off, k_rows }, Command::TileCompute { a_line, a_stride, a_off, rows, accumulate }] => {
            Some(MatmulCmd {
                b_line,
                b_stride,
                b_off,
                b_fold_stride: 0,
                k_last: k_rows,
                a_line,
                a_stride,
                a_off,
                a_slice_stride: 0,
                rows,
                folds: 1,
                accumulate,
            })
        }
        _ => None,
    }
}

impl ProgramBuilder {
    /// Fuse every run of adjacent TILE_LOAD + TILE_COMPUTE pairs that one
    /// TILE_MATMUL describes exactly (`MatmulCmd::expand` gives the same
    /// pairs back) into that TILE_MATMUL: one command fetched instead of two
    /// per fold. Runs are broken by any other command, so the loads a
    /// lowering places between folds stay where they are.
    pub fn fuse_folds(&mut self, p: &CoreParams) -> &mut Self {
        let (r, n) = (p.systolic.rows, p.line / p.systolic.rows);
        let mut out = Vec::with_capacity(self.cmds.len());
        let mut i = 0;
        while i < self.cmds.len() {
            let Some(mut m) = self.cmds.get(i..i + 2).and_then(pair) else {
                out.push(self.cmds[i]);
                i += 1;
                continue;
            };
            let (b0, a0, ao) = (m.b_line, m.a_line, m.a_off);
            let mut slice_set = false;
            // Extend while fold f (k_rows of the previous fold R) continues the progression.
            while m.k_last == r && ao < n {
                let Some(x) = self.cmds.get(i + 2 * m.folds as usize..).and_then(|c| c.get(..2)).and_then(pair) else {
                    break;
                };
                let (b, a) = (x.b_line, x.a_line);
                let f = m.folds;
                if m.folds == 1 {
                    if b < b0 {
                        break;
                    }
                    m.b_fold_stride = b - b0;
                }
                let s = ao + f;
                let line_step = s / n;
                if !slice_set && line_step > 0 {
                    if a < a0 || (a - a0) % line_step != 0 {
                        break;
                    }
                    m.a_slice_stride = (a - a0) / line_step;
                    slice_set = true;
                }
                let ok = (x.b_stride, x.b_off, x.a_stride, x.rows, x.accumulate)
                    == (m.b_stride, m.b_off, m.a_stride, m.rows, true)
                    && b as u64 == b0 as u64 + f as u64 * m.b_fold_stride as u64
                    && x.a_off == s % n
                    && a as u64 == a0 as u64 + line_step as u64 * m.a_slice_stride as u64;
                if !ok {
                    break;
                }
                m.folds += 1;
                m.k_last = x.k_last;
            }
            if m.folds >= 2 {
                debug_assert_eq!(m.expand(p), self.cmds[i..i + 2 * m.folds as usize].to_vec());
                out.push(Command::TileMatmul(m));
            } else {
                out.extend_from_slice(&self.cmds[i..i + 2]);
            }
            i += 2 * m.folds as usize;
        }
        self.cmds = out;
        self
    }

    /// Every TILE_MATMUL back into its pairs (for a core that predates it, and for tests).
    pub fn expand_folds(&mut self, p: &CoreParams) -> &mut Self {
        self.cmds = golden::core::matmul::expand_all(&self.cmds, p);
        self
    }
}

impl ProgramBuilder {
    /// Move every DMA_LOAD earlier in program order, past up to `folds`
    /// folds of tile work, so that the core's in-order dispatch hands it to
    /// the load engine that much before the tile needs it (the command
    /// queues, not the scoreboard, bound how far ahead a load placed where
    /// its data is first used can start). A load moves only past commands
    /// whose scratchpad footprints it does not conflict with, and never past
    /// another load, a store, a BARRIER or a FENCE, so the program's
    /// meaning (program-order semantics) is unchanged.
    pub fn hoist_loads(&mut self, p: &CoreParams, folds: u32) -> &mut Self {
        use golden::core::check::{check, dma_lines, Footprint};
        let mut out: Vec<Command> = Vec::with_capacity(self.cmds.len());
        for &c in &self.cmds {
            let Command::DmaLoad { desc, spad_line } = c else {
                out.push(c);
                continue;
            };
            // Its lines from the packet's length alone: a paged descriptor's
            // table is the run's, not known here (and not needed for lines).
            let lo = spad_line as u64;
            let mine = Footprint { read: None, write: Some(lo..lo + dma_lines(&desc, p)) };
            let (mut at, mut passed) = (out.len(), 0u32);
            while at > 0 {
                let o = &out[at - 1];
                let work = match o {
                    Command::TileCompute { .. } => 1,
                    Command::TileMatmul(m) => m.folds,
                    Command::TileLoad { .. } | Command::TileRead { .. } | Command::TileQParam { .. } => 0,
                    Command::Softmax(_) | Command::Nop => 0,
                    Command::DmaStore { desc: st, .. } if dram_apart(&desc, st, p) => 0,
                    _ => break,
                };
                if passed + work > folds {
                    break;
                }
                match check(o, p, &[], &[]) {
                    Ok(f) if !f.conflicts(&mine) => {}
                    _ => break,
                }
                passed += work;
                at -= 1;
            }
            out.insert(at, c);
        }
        self.cmds = out;
        self
    }
}

/// The DRAM byte spans of a load and a store are known (neither is paged)
/// and do not meet, so the load may go before the store.
fn dram_apart(a: &Descriptor, b: &Descriptor, p: &CoreParams) -> bool {
    use golden::dma::bursts::segments;
    let span = |d: &Descriptor| {
        if d.masked(&p.dma).kind == golden::dma::desc::KIND_PAGED {
            return None;
        }
        let s = segments(d, &p.dma, &[]);
        let lo = s.iter().map(|x| x.addr).min()?;
        let hi = s.iter().map(|x| x.addr + x.len).max()?;
        Some(lo..hi)
    };
    match (span(a), span(b)) {
        (Some(x), Some(y)) => x.end <= y.start || y.end <= x.start,
        _ => false,
    }
}
