//! The core's golden model: runs the commands of a ring buffer in DRAM one
//! at a time, in program order (the order the scoreboard guarantees for the
//! scratchpad), and reports the architectural status and counters.
//!
//! Two kinds of failure:
//! * a **core fault** ([`CoreFault`]): what the hardware reports in its status
//!   registers (error code, ring index, DMA status) when it stops on a bad
//!   command; the model's final DRAM image is the hardware's;
//! * a **program error** ([`ProgramError`]): a program whose result the
//!   hardware does not define (a DRAM race without a BARRIER, a read of a
//!   scratchpad byte or accumulator row never written, a bad ring). Such a
//!   program is refused here so that it never reaches an RTL comparison.

use std::fmt;

use crate::config::Config;
use crate::dma::{self, Memory};
use crate::softmax::{Exp2, SoftmaxParams};
use crate::tile::TileModel;

use super::check::{check, CoreParams, Fault};
use super::dram::RangeSet;
use super::isa::{Command, ErrorCode, IsaError, Raw, COMMAND_BYTES};
use super::spad::Scratchpad;

/// The ring buffer: `size` commands of 32 bytes from `base` (32-byte aligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ring {
    pub base: u64,
    pub size: u32,
}

/// Beats whose bus-aligned address lies in `[addr, addr + len)` get the AXI
/// response `resp` (2 SLVERR, 3 DECERR): the memory's error regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxiErrorRegion {
    pub addr: u64,
    pub len: u64,
    pub resp: u8,
}

/// Where and why the core stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreFault {
    pub code: ErrorCode,
    /// The ring index of the offending command.
    pub index: u32,
    /// The DMA status of a DMA_DESCRIPTOR, AXI_FETCH or AXI_DATA fault (else OK).
    pub dma_status: dma::Status,
}

/// The architectural counters (those the RTL must match exactly).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Commands completed (a faulting command is not counted).
    pub commands_retired: u64,
    /// Bytes DMA_LOADs read (descriptor bytes, not bus beats; command fetch excluded).
    pub dram_bytes_read: u64,
    /// Bytes DMA_STOREs wrote (descriptor bytes).
    pub dram_bytes_written: u64,
    /// rows·R·C per TILE_COMPUTE: the multiply-accumulates the array performs,
    /// zero padding included.
    pub macs: u64,
    /// rows·len per SOFTMAX.
    pub softmax_elements: u64,
    /// FENCEs reached.
    pub fences: u64,
}

impl Counters {
    /// Add another run's counters (a program that took several runs).
    pub fn add(&mut self, o: &Counters) {
        self.commands_retired += o.commands_retired;
        self.dram_bytes_read += o.dram_bytes_read;
        self.dram_bytes_written += o.dram_bytes_written;
        self.macs += o.macs;
        self.softmax_elements += o.softmax_elements;
        self.fences += o.fences;
    }
}

/// The status after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStatus {
    /// The ring index of the next command: `tail` after a clean run, the
    /// faulting command's index after a fault.
    pub head: u32,
    pub fault: Option<CoreFault>,
    /// A FENCE was reached (the level `irq` and its status bit; the host clears them).
    pub irq: bool,
    pub counters: Counters,
}

/// A program whose result the hardware does not define.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramError {
    /// Ring base not 32-byte aligned, size 0, or head/tail outside the ring.
    BadRing(String),
    /// A DRAM race the hardware does not order (no BARRIER in between).
    DramRace { index: u32, what: &'static str, addr: u64 },
    /// A scratchpad byte read before anything wrote it.
    UndefinedSpad { index: u32, line: u64 },
    /// An accumulator row read (or accumulated into) before a COMPUTE wrote it.
    UndefinedAcc { index: u32, row: u32 },
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramError::BadRing(m) => write!(f, "bad ring: {m}"),
            ProgramError::DramRace { index, what, addr } => {
                write!(f, "command {index}: {what} (byte {addr:#x}); put a BARRIER between them")
            }
            ProgramError::UndefinedSpad { index, line } => {
                write!(f, "command {index}: reads scratchpad line {line}, which holds bytes nothing has written")
            }
            ProgramError::UndefinedAcc { index, row } => {
                write!(f, "command {index}: uses accumulator row {row}, which no overwriting TILE_COMPUTE has written")
            }
        }
    }
}

impl std::error::Error for ProgramError {}

/// The core's state between runs: scratchpad, tile, page tables and the
/// memory's error regions (set by the host or the test before a run).
#[derive(Clone, Debug)]
pub struct CoreModel {
    pub params: CoreParams,
    pub(super) spad: Scratchpad,
    pub(super) tile: TileModel,
    /// A TILE_LOAD's fold waits for its TILE_COMPUTE.
    pub(super) fold_pending: bool,
    /// Accumulator rows an overwriting COMPUTE has written.
    pub(super) acc_defined: Vec<bool>,
    pub(super) softmax: SoftmaxParams,
    pub(super) exp2: Exp2,
    /// The DMA read engine's page table (DMA_LOAD), `dma.table_entries` entries.
    pub read_table: Vec<u64>,
    /// The DMA write engine's page table (DMA_STORE).
    pub write_table: Vec<u64>,
    pub axi_errors: Vec<AxiErrorRegion>,
}

/// Per-run bookkeeping of DRAM ranges since the last BARRIER.
#[derive(Default)]
pub(super) struct Races {
    pub written: RangeSet,
    pub read: RangeSet,
    pub ring: (u64, u64),
}

/// How a command ended.
pub(super) enum Outcome {
    Done,
    Fault(Fault),
}

impl CoreModel {
    /// A core after reset: scratchpad undefined, no fold loaded, page tables 0.
    pub fn new(cfg: &Config) -> Result<CoreModel, String> {
        let params = CoreParams::new(cfg)?;
        let softmax = SoftmaxParams::new(&cfg.softmax);
        let entries = cfg.dma.table_entries as usize;
        Ok(CoreModel {
            spad: Scratchpad::new(params.lines, params.line),
            tile: TileModel::new(&cfg.systolic),
            fold_pending: false,
            acc_defined: vec![false; cfg.systolic.acc_depth as usize],
            exp2: softmax.exp2(),
            softmax,
            read_table: vec![0; entries],
            write_table: vec![0; entries],
            axi_errors: Vec::new(),
            params,
        })
    }

    /// The host's clear after a fault: the tile's pending weight fold is
    /// dropped (so the next program starts with TILE_LOAD); the scratchpad,
    /// the accumulator, the requantization parameters and the page tables
    /// keep their contents. (The status lives in [`RunStatus`], one per run.)
    pub fn clear(&mut self) {
        self.fold_pending = false;
    }

    /// Give the scratchpad defined contents (every byte), e.g. zeros.
    pub fn load_spad_image(&mut self, image: &[u8]) {
        self.spad.load_image(image);
    }

    /// The scratchpad's bytes (undefined ones read as 0).
    pub fn spad_bytes(&self) -> &[u8] {
        self.spad.bytes()
    }

    /// The AXI response of a beat at bus-aligned address `beat`.
    pub(super) fn resp_at(&self, beat: u64) -> u8 {
        self.axi_errors.iter().find(|r| beat >= r.addr && beat - r.addr < r.len).map_or(0, |r| r.resp)
    }

    /// Run the commands at ring indices `head..tail` (wrapping at `ring.size`).
    pub fn run(&mut self, mem: &mut Memory, ring: Ring, head: u32, tail: u32) -> Result<RunStatus, ProgramError> {
        if !ring.base.is_multiple_of(COMMAND_BYTES as u64) || ring.size == 0 || head >= ring.size || tail >= ring.size {
            return Err(ProgramError::BadRing(format!(
                "base {:#x} must be a multiple of 32, size {} at least 1, head {head} and tail {tail} below the size",
                ring.base, ring.size
            )));
        }
        let mut st = RunStatus { head, fault: None, irq: false, counters: Counters::default() };
        let mut races =
            Races { ring: (ring.base, ring.base + ring.size as u64 * COMMAND_BYTES as u64), ..Default::default() };
        while st.head != tail {
            let index = st.head;
            let outcome = match self.fetch(mem, ring, index) {
                Err(f) => Outcome::Fault(f),
                Ok(raw) => match Command::decode(&raw) {
                    Err(e) => Outcome::Fault(decode_fault(&e)),
                    Ok(cmd) => self.execute(&cmd, index, mem, &mut races, &mut st)?,
                },
            };
            if let Outcome::Fault(f) = outcome {
                st.fault = Some(CoreFault { code: f.code, index, dma_status: f.dma_status });
                return Ok(st);
            }
            st.counters.commands_retired += 1;
            st.head = (index + 1) % ring.size;
        }
        Ok(st)
    }

    fn fetch(&self, mem: &Memory, ring: Ring, index: u32) -> Result<Raw, Fault> {
        let addr = ring.base + index as u64 * COMMAND_BYTES as u64;
        let l = self.params.line as u64;
        let mut beat = addr - addr % l;
        while beat < addr + COMMAND_BYTES as u64 {
            let resp = self.resp_at(beat);
            if resp >= 2 {
                return Err(Fault { code: ErrorCode::AxiFetch, dma_status: dma::Status::from_resp(resp) });
            }
            beat += l;
        }
        let mut raw = [0u8; COMMAND_BYTES];
        mem.read(addr, &mut raw);
        Ok(raw)
    }

    /// Check, then run one command.
    fn execute(
        &mut self,
        cmd: &Command,
        index: u32,
        mem: &mut Memory,
        races: &mut Races,
        st: &mut RunStatus,
    ) -> Result<Outcome, ProgramError> {
        if let Command::TileMatmul(m) = cmd {
            // Its pairs run as commands of their own (golden::core::matmul).
            if let Err(f) = m.check(&self.params) {
                return Ok(Outcome::Fault(f));
            }
            for c in m.expand(&self.params) {
                if let Outcome::Fault(f) = self.execute(&c, index, mem, races, st)? {
                    return Ok(Outcome::Fault(f));
                }
            }
            return Ok(Outcome::Done);
        }
        if let Err(f) = check(cmd, &self.params, &self.read_table, &self.write_table) {
            return Ok(Outcome::Fault(f));
        }
        self.run_checked(cmd, index, mem, races, st)
    }
}

/// The fault of a command the decoder refuses.
fn decode_fault(e: &IsaError) -> Fault {
    let code = match e {
        IsaError::UnknownOpcode(_) => ErrorCode::UnknownOpcode,
        IsaError::Reserved { .. } => ErrorCode::ReservedBits,
        IsaError::TooWide { .. } => unreachable!("decoding never finds a value too wide"),
    };
    Fault { code, dma_status: dma::Status::Ok }
}
