//! What a DMA test asks for (a [`Scenario`] of jobs on the two engines) and
//! what it reports back ([`Report`]).

use std::path::PathBuf;

use golden::dma::{Descriptor, Status};
use golden::DmaConfig;
use hdl::blocks::dma::regs;

use crate::axi::mem::MemConfig;
use crate::axi::stream::StreamBeat;
use crate::axi::Addr;

/// Which engine a descriptor is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Read,
    Write,
}

impl Engine {
    pub fn base(self) -> u32 {
        match self {
            Engine::Read => regs::READ_BASE,
            Engine::Write => regs::WRITE_BASE,
        }
    }
    pub(super) fn idx(self) -> usize {
        match self {
            Engine::Read => 0,
            Engine::Write => 1,
        }
    }
}

/// One descriptor to push.
#[derive(Clone, Debug)]
pub struct Job {
    pub engine: Engine,
    pub desc: Descriptor,
    /// Write engine, no copy loop: the stream packet to send (`None`: random
    /// bytes of the descriptor's length; nothing for a rejected descriptor).
    pub stream: Option<Vec<StreamBeat>>,
    /// The status this descriptor must complete with, when golden cannot know
    /// it (a directed test's stream framing or slave protocol error).
    pub expect: Option<Status>,
}

impl Job {
    pub fn read(desc: Descriptor) -> Job {
        Job { engine: Engine::Read, desc, stream: None, expect: None }
    }
    pub fn write(desc: Descriptor) -> Job {
        Job { engine: Engine::Write, desc, stream: None, expect: None }
    }
}

/// A whole run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub cfg: DmaConfig,
    /// Seed of the memory's initial contents.
    pub mem_seed: u64,
    pub mem: MemConfig,
    /// Page tables (entries written through the registers before any descriptor).
    pub rd_table: Vec<u64>,
    pub wr_table: Vec<u64>,
    /// Descriptors, in push order.
    pub jobs: Vec<Job>,
    /// Loop the read engine's stream into the write engine.
    pub copy: bool,
    /// Seed of stream gaps and write data.
    pub seed: u64,
    /// Probability of TVALID (source) and TREADY (sink) per cycle.
    pub stream_valid_prob: f64,
    pub stream_ready_prob: f64,
    /// Read every completion from COMPLETION (and check each one); else only
    /// the counters at the end (a benchmark's mode: the AXI4-Lite bus then
    /// only pushes).
    pub pop_completions: bool,
    /// The slave misbehaves on purpose: violations are expected, so a failing
    /// run is not repeated with tracing.
    pub expect_violations: bool,
    /// Cycles without any handshake before the run is declared hung.
    pub stall_limit: u64,
    pub trace: Option<PathBuf>,
    /// Build with X randomization and initialize every register and memory
    /// from this seed (data-path registers without reset must not matter).
    pub x_seed: Option<u64>,
}

impl Scenario {
    /// A scenario with an ideal memory, no jobs, tables of zeros.
    pub fn new(cfg: &DmaConfig, seed: u64) -> Scenario {
        Scenario {
            cfg: *cfg,
            mem_seed: seed,
            mem: MemConfig::ideal(cfg.data_bytes(), 4),
            rd_table: vec![0; cfg.table_entries as usize],
            wr_table: vec![0; cfg.table_entries as usize],
            jobs: Vec::new(),
            copy: false,
            seed,
            stream_valid_prob: 1.0,
            stream_ready_prob: 1.0,
            pop_completions: true,
            expect_violations: false,
            stall_limit: 20_000,
            trace: None,
            x_seed: None,
        }
    }
}

/// What a run measured and found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub cycles: u64,
    /// Data beats on R and W.
    pub r_beats: u64,
    pub w_beats: u64,
    /// Cycles from the first AR handshake to the last R beat, and from the
    /// first AW handshake to the last B (inclusive).
    pub read_window: u64,
    pub write_window: u64,
    /// Cycles from the first address handshake to the last data or response
    /// beat on any channel.
    pub window: u64,
    pub bytes: u64,
    /// Protocol violations (monitor, stream checks, framing of the read stream).
    pub violations: Vec<String>,
    /// Differences from golden.
    pub mismatches: Vec<String>,
    /// Completions read from the registers: (engine, tag, code), in order.
    pub completions: Vec<(Engine, u16, u8)>,
    pub ar: Vec<Addr>,
    pub aw: Vec<Addr>,
    /// The AXI4-Lite write responses that were not OKAY.
    pub lite_errors: Vec<(u32, u8)>,
    pub waveform: Option<PathBuf>,
    pub build_seconds: f64,
    pub cache_hit: bool,
    pub sim_seconds: f64,
    pub top: String,
}

impl Report {
    pub fn read_utilization(&self) -> f64 {
        ratio(self.r_beats, self.read_window)
    }
    pub fn write_utilization(&self) -> f64 {
        ratio(self.w_beats, self.write_window)
    }
    /// Data beats per cycle over [`Report::window`]: R beats for a read-only
    /// run, W beats for a write-only run, the smaller of the two for a copy.
    pub fn bus_utilization(&self) -> f64 {
        let beats = match (self.r_beats, self.w_beats) {
            (r, 0) => r,
            (0, w) => w,
            (r, w) => r.min(w),
        };
        ratio(beats, self.window)
    }
    pub fn ok(&self) -> bool {
        self.violations.is_empty() && self.mismatches.is_empty()
    }
    /// A one-paragraph account of what failed (for assertion messages).
    pub fn failure(&self) -> String {
        let mut s = String::new();
        for v in self.violations.iter().take(10) {
            s += &format!("violation: {v}\n");
        }
        for m in self.mismatches.iter().take(10) {
            s += &format!("mismatch: {m}\n");
        }
        if let Some(w) = &self.waveform {
            s += &format!("waveform: {}\n", w.display());
        }
        s
    }
}

pub(super) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}
