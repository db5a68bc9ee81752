//! The core's geometry, and the checks a command passes before it runs:
//! field values, the tile's requantization, the DMA descriptor and the
//! scratchpad lines it touches (its footprint, which is also what the
//! scoreboard compares).

use std::ops::Range;

use crate::config::{Config, DmaConfig, SoftmaxConfig, SystolicConfig};
use crate::dma::{self, Descriptor};
use crate::softmax::SoftmaxParams;
use crate::tile::gemm::MAX_SHIFT;

use super::isa::{Command, ErrorCode, SoftmaxCmd};

/// What the core is built of, from a configuration with a `[core]` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreParams {
    /// L: bytes per scratchpad line (`dma.data_bits / 8`).
    pub line: u32,
    /// Scratchpad lines.
    pub lines: u32,
    pub banks: u32,
    /// Commands in flight: the scoreboard's entries (`core.in_flight`).
    pub in_flight: u32,
    pub systolic: SystolicConfig,
    pub softmax: SoftmaxConfig,
    pub dma: DmaConfig,
}

impl CoreParams {
    /// The parameters of a validated configuration; `Err` when it has no `[core]`.
    pub fn new(cfg: &Config) -> Result<CoreParams, String> {
        let core = cfg.core.ok_or("the configuration has no [core] section: it builds no core")?;
        let line = cfg.dma.data_bytes();
        Ok(CoreParams {
            line,
            lines: core.spad_lines(line),
            banks: core.spad_banks,
            in_flight: core.in_flight,
            systolic: cfg.systolic,
            softmax: cfg.softmax,
            dma: cfg.dma,
        })
    }

    /// Lines per bank (bank `b` holds lines `[b·lines_per_bank, (b+1)·lines_per_bank)`).
    pub fn lines_per_bank(&self) -> u32 {
        self.lines / self.banks
    }

    /// Bytes of one TILE_READ row: 4C (int32) or C (requantized).
    pub fn read_row_bytes(&self, requant: bool) -> u32 {
        self.systolic.cols * if requant { 1 } else { 4 }
    }

    /// Lines a SOFTMAX row of `len` elements of `bits` bits spans.
    pub fn softmax_row_lines(&self, len: u32, bits: u32) -> u64 {
        (len as u64 * (bits / 8) as u64).div_ceil(self.line as u64)
    }
}

/// The scratchpad lines a command reads and writes: one bounding interval each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub read: Option<Range<u64>>,
    pub write: Option<Range<u64>>,
}

impl Footprint {
    /// Whether an older command `self` and a younger `other` conflict (the
    /// younger one must wait): write/write, write/read or read/write overlap.
    pub fn conflicts(&self, other: &Footprint) -> bool {
        let ov = |a: &Option<Range<u64>>, b: &Option<Range<u64>>| match (a, b) {
            (Some(a), Some(b)) => a.start < b.end && b.start < a.end,
            _ => false,
        };
        ov(&self.write, &other.write) || ov(&self.write, &other.read) || ov(&self.read, &other.write)
    }
}

/// A command's fault: the error code and, for DMA and AXI errors, the DMA status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub code: ErrorCode,
    pub dma_status: dma::Status,
}

fn fault(code: ErrorCode) -> Fault {
    Fault { code, dma_status: dma::Status::Ok }
}

/// Lines `[line, line + (count − 1)·stride + each)`: `count` accesses of
/// `each` lines, `stride` apart.
fn span(line: u32, stride: u32, count: u32, each: u64) -> Range<u64> {
    let lo = line as u64;
    lo..lo + (count as u64 - 1) * stride as u64 + each
}

fn bad_unless(ok: bool) -> Result<(), Fault> {
    if ok {
        Ok(())
    } else {
        Err(fault(ErrorCode::BadField))
    }
}

/// The checks in order (the first failing one gives the code): requantization
/// present, field values, the DMA descriptor, the scratchpad range. On
/// success, the command's footprint.
pub fn check(cmd: &Command, p: &CoreParams, read_table: &[u64], write_table: &[u64]) -> Result<Footprint, Fault> {
    let (r, c, l) = (p.systolic.rows, p.systolic.cols, p.line);
    let rows_ok = |rows: u32| (1..=p.systolic.acc_depth).contains(&rows);
    let fp = match *cmd {
        Command::Nop | Command::Barrier | Command::Fence | Command::TileQParam { .. } => {
            if let Command::TileQParam { col, q } = cmd {
                if !p.systolic.requant {
                    return Err(fault(ErrorCode::NoRequant));
                }
                bad_unless(q.shift <= MAX_SHIFT && col.is_none_or(|j| j < c))?;
            }
            Footprint::default()
        }
        Command::DmaLoad { desc, spad_line } | Command::DmaStore { desc, spad_line } => {
            let load = matches!(cmd, Command::DmaLoad { .. });
            let table = if load { read_table } else { write_table };
            let st = dma::validate(&desc, &p.dma, table);
            if st != dma::Status::Ok {
                return Err(Fault { code: ErrorCode::DmaDescriptor, dma_status: st });
            }
            let lines = dma_lines(&desc, p);
            let range = spad_line as u64..spad_line as u64 + lines;
            if load {
                Footprint { read: None, write: Some(range) }
            } else {
                Footprint { read: Some(range), write: None }
            }
        }
        Command::TileLoad { b_line, b_stride, b_off, k_rows } => {
            bad_unless((1..=r).contains(&k_rows) && b_off < l / c)?;
            Footprint { read: Some(span(b_line, b_stride, k_rows, 1)), write: None }
        }
        Command::TileCompute { a_line, a_stride, a_off, rows, .. } => {
            bad_unless(rows_ok(rows) && a_off < l / r)?;
            Footprint { read: Some(span(a_line, a_stride, rows, 1)), write: None }
        }
        Command::TileRead { c_line, c_stride, c_off, rows, requant } => {
            if requant && !p.systolic.requant {
                return Err(fault(ErrorCode::NoRequant));
            }
            let row = p.read_row_bytes(requant);
            let slices = if row < l { l / row } else { 1 };
            bad_unless(rows_ok(rows) && c_off < slices)?;
            let each = (row as u64).div_ceil(l as u64);
            Footprint { read: None, write: Some(span(c_line, c_stride, rows, each)) }
        }
        Command::Softmax(s) => softmax_footprint(&s, p)?,
        Command::TileMatmul(m) => {
            // The macro's footprint is its pairs' (each is checked and
            // ordered on its own in the core): their span, for the timing model.
            m.check(p)?;
            let mut read: Option<Range<u64>> = None;
            for c in m.expand(p) {
                if let Some(r) = check(&c, p, read_table, write_table)?.read {
                    read = Some(read.map_or(r.clone(), |a| a.start.min(r.start)..a.end.max(r.end)));
                }
            }
            Footprint { read, write: None }
        }
    };
    let past = |r: &Option<Range<u64>>| r.as_ref().is_some_and(|r| r.end > p.lines as u64);
    if past(&fp.read) || past(&fp.write) {
        return Err(fault(ErrorCode::SpadRange));
    }
    Ok(fp)
}

/// What a command adds at retirement to its architectural counter
/// (`Counters`): DMA_LOAD to `dram_bytes_read` and DMA_STORE to
/// `dram_bytes_written` the descriptor's bytes, TILE_COMPUTE to `macs`
/// rows·R·C, SOFTMAX to `softmax_elements` rows·len; every other command 0
/// (FENCE's count is the command itself). The model and the RTL decoder
/// share this one definition.
pub fn retire_amount(cmd: &Command, p: &CoreParams) -> u64 {
    match *cmd {
        Command::DmaLoad { desc, .. } | Command::DmaStore { desc, .. } => desc.masked(&p.dma).total_bytes(),
        Command::TileCompute { rows, .. } => rows as u64 * (p.systolic.rows * p.systolic.cols) as u64,
        Command::Softmax(s) => s.rows as u64 * s.len as u64,
        _ => 0,
    }
}

/// Lines of a (valid) descriptor's packet.
pub fn dma_lines(desc: &Descriptor, p: &CoreParams) -> u64 {
    desc.masked(&p.dma).total_bytes().div_ceil(p.line as u64)
}

fn softmax_footprint(s: &SoftmaxCmd, p: &CoreParams) -> Result<Footprint, Fault> {
    let sp = SoftmaxParams::new(&p.softmax);
    bad_unless(s.rows >= 1 && (1..=p.softmax.max_len).contains(&s.len))?;
    bad_unless(s.k >= 1 && s.k < (1u64 << sp.k_bits))?;
    let x_each = p.softmax_row_lines(s.len, p.softmax.in_bits);
    // int8 probabilities exist only for UQ0.8 outputs (one byte in, one out).
    bad_unless(!s.int8_out || p.softmax.out_bits == 8)?;
    let y_each = p.softmax_row_lines(s.len, p.softmax.out_bits);
    Ok(Footprint {
        read: Some(span(s.x_line, s.x_stride, s.rows, x_each)),
        write: Some(span(s.y_line, s.y_stride, s.rows, y_each)),
    })
}
