//! The DMA testbench: the `serrano_dma` top in Verilator with the AXI4 slave
//! memory model on `m_axi`, the protocol monitor on every cycle, an
//! AXI4-Lite driver programming descriptors through the registers, and an
//! AXI-Stream sink/source (or a loop from the read engine to the write engine
//! for copies). Results are compared with `golden::dma`: each engine's burst
//! sequence (address, length, size), every stream packet, every descriptor's
//! status and the final memory image.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use golden::dma::{self, Descriptor, Memory, Status};
use golden::DmaConfig;
use hdl::blocks::dma_regs as regs;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use verilator_sys::{Model, Port};

use crate::axi::lite::{LiteDriver, LiteIn};
use crate::axi::mem::{AxiMem, MemConfig};
use crate::axi::monitor::{Monitor, MonitorConfig};
use crate::axi::stream::{StreamBeat, StreamChecker, StreamSink, StreamSource};
use crate::axi::{Addr, AxiSnapshot, Chan, WBeat, Words};
use crate::sim::{build_module, waves_dir, BuildOptions, Built};

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
    fn idx(self) -> usize {
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

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

struct Ports {
    clk: Port,
    rst: Port,
    axil_awaddr: Port,
    axil_awprot: Port,
    axil_awvalid: Port,
    axil_awready: Port,
    axil_wdata: Port,
    axil_wstrb: Port,
    axil_wvalid: Port,
    axil_wready: Port,
    axil_bresp: Port,
    axil_bvalid: Port,
    axil_bready: Port,
    axil_araddr: Port,
    axil_arprot: Port,
    axil_arvalid: Port,
    axil_arready: Port,
    axil_rdata: Port,
    axil_rresp: Port,
    axil_rvalid: Port,
    axil_rready: Port,
    arid: Port,
    araddr: Port,
    arlen: Port,
    arsize: Port,
    arburst: Port,
    arlock: Port,
    arcache: Port,
    arprot: Port,
    arvalid: Port,
    arready: Port,
    rid: Port,
    rdata: Port,
    rresp: Port,
    rlast: Port,
    rvalid: Port,
    rready: Port,
    awid: Port,
    awaddr: Port,
    awlen: Port,
    awsize: Port,
    awburst: Port,
    awlock: Port,
    awcache: Port,
    awprot: Port,
    awvalid: Port,
    awready: Port,
    wdata: Port,
    wstrb: Port,
    wlast: Port,
    wvalid: Port,
    wready: Port,
    bid: Port,
    bresp: Port,
    bvalid: Port,
    bready: Port,
    m_tdata: Port,
    m_tkeep: Port,
    m_tlast: Port,
    m_tvalid: Port,
    m_tready: Port,
    s_tdata: Port,
    s_tkeep: Port,
    s_tlast: Port,
    s_tvalid: Port,
    s_tready: Port,
    irq: Port,
}

impl Ports {
    fn of(m: &Model) -> Result<Ports> {
        let p = |n: &str| m.port(n).map_err(|e| anyhow!("{e}"));
        Ok(Ports {
            clk: p("clk")?,
            rst: p("rst")?,
            axil_awaddr: p("s_axil_awaddr")?,
            axil_awprot: p("s_axil_awprot")?,
            axil_awvalid: p("s_axil_awvalid")?,
            axil_awready: p("s_axil_awready")?,
            axil_wdata: p("s_axil_wdata")?,
            axil_wstrb: p("s_axil_wstrb")?,
            axil_wvalid: p("s_axil_wvalid")?,
            axil_wready: p("s_axil_wready")?,
            axil_bresp: p("s_axil_bresp")?,
            axil_bvalid: p("s_axil_bvalid")?,
            axil_bready: p("s_axil_bready")?,
            axil_araddr: p("s_axil_araddr")?,
            axil_arprot: p("s_axil_arprot")?,
            axil_arvalid: p("s_axil_arvalid")?,
            axil_arready: p("s_axil_arready")?,
            axil_rdata: p("s_axil_rdata")?,
            axil_rresp: p("s_axil_rresp")?,
            axil_rvalid: p("s_axil_rvalid")?,
            axil_rready: p("s_axil_rready")?,
            arid: p("m_axi_arid")?,
            araddr: p("m_axi_araddr")?,
            arlen: p("m_axi_arlen")?,
            arsize: p("m_axi_arsize")?,
            arburst: p("m_axi_arburst")?,
            arlock: p("m_axi_arlock")?,
            arcache: p("m_axi_arcache")?,
            arprot: p("m_axi_arprot")?,
            arvalid: p("m_axi_arvalid")?,
            arready: p("m_axi_arready")?,
            rid: p("m_axi_rid")?,
            rdata: p("m_axi_rdata")?,
            rresp: p("m_axi_rresp")?,
            rlast: p("m_axi_rlast")?,
            rvalid: p("m_axi_rvalid")?,
            rready: p("m_axi_rready")?,
            awid: p("m_axi_awid")?,
            awaddr: p("m_axi_awaddr")?,
            awlen: p("m_axi_awlen")?,
            awsize: p("m_axi_awsize")?,
            awburst: p("m_axi_awburst")?,
            awlock: p("m_axi_awlock")?,
            awcache: p("m_axi_awcache")?,
            awprot: p("m_axi_awprot")?,
            awvalid: p("m_axi_awvalid")?,
            awready: p("m_axi_awready")?,
            wdata: p("m_axi_wdata")?,
            wstrb: p("m_axi_wstrb")?,
            wlast: p("m_axi_wlast")?,
            wvalid: p("m_axi_wvalid")?,
            wready: p("m_axi_wready")?,
            bid: p("m_axi_bid")?,
            bresp: p("m_axi_bresp")?,
            bvalid: p("m_axi_bvalid")?,
            bready: p("m_axi_bready")?,
            m_tdata: p("m_axis_tdata")?,
            m_tkeep: p("m_axis_tkeep")?,
            m_tlast: p("m_axis_tlast")?,
            m_tvalid: p("m_axis_tvalid")?,
            m_tready: p("m_axis_tready")?,
            s_tdata: p("s_axis_tdata")?,
            s_tkeep: p("s_axis_tkeep")?,
            s_tlast: p("s_axis_tlast")?,
            s_tvalid: p("s_axis_tvalid")?,
            s_tready: p("s_axis_tready")?,
            irq: p("irq")?,
        })
    }
}

/// Build (or fetch from the cache) the DMA top for `cfg`.
pub fn build_dma(cfg: &DmaConfig, trace: bool) -> Result<Built> {
    build_dma_with(cfg, trace, false)
}

/// Build the DMA top, optionally with X randomization (every register
/// without a reset, and every memory, starts from random bits).
pub fn build_dma_with(cfg: &DmaConfig, trace: bool, x_randomize: bool) -> Result<Built> {
    let top = hdl::blocks::dma::dma(cfg).map_err(|e| anyhow!("{e}"))?;
    build_module(&top, BuildOptions { trace, x_randomize })
}

/// The simulated DMA and everything around it, one cycle at a time.
pub struct DmaSim {
    pub cfg: DmaConfig,
    m: Model,
    p: Ports,
    pub mem: AxiMem,
    pub monitor: Monitor,
    pub lite: LiteDriver,
    pub source: StreamSource,
    pub sink: StreamSink,
    copy: bool,
    loop_fifo: VecDeque<StreamBeat>,
    m_check: StreamChecker,
    s_check: StreamChecker,
    pub cycle: u64,
    pub ar_log: Vec<Addr>,
    pub aw_log: Vec<Addr>,
    pub r_beats: u64,
    pub w_beats: u64,
    pub first_ar: Option<u64>,
    pub last_r: Option<u64>,
    pub first_aw: Option<u64>,
    pub last_b: Option<u64>,
    /// The last cycle with a handshake anywhere.
    pub last_progress: u64,
    pub irq: bool,
}

fn words_of(m: &Model, p: Port) -> Words {
    let mut w = [0u32; 16];
    m.get_wide_into(p, &mut w);
    w
}

impl DmaSim {
    /// Instantiate a built DMA with the memory and stream settings of `sc`.
    pub fn new(built: &Built, sc: &Scenario) -> Result<DmaSim> {
        let m = built.lib.instantiate(sc.x_seed)?;
        let p = Ports::of(&m)?;
        let cfg = sc.cfg;
        let mut memcfg = sc.mem.clone();
        memcfg.data_bytes = cfg.data_bytes();
        Ok(DmaSim {
            cfg,
            m,
            p,
            mem: AxiMem::new(memcfg, Memory::new(sc.mem_seed)),
            monitor: Monitor::new(MonitorConfig {
                data_bytes: cfg.data_bytes(),
                max_burst: cfg.max_burst,
                watchdog: sc.stall_limit,
            }),
            lite: LiteDriver::new(),
            source: StreamSource::new(sc.seed ^ 0x5151, sc.stream_valid_prob),
            sink: StreamSink::new(sc.seed ^ 0x7373, sc.stream_ready_prob),
            copy: sc.copy,
            loop_fifo: VecDeque::new(),
            m_check: StreamChecker::default(),
            s_check: StreamChecker::default(),
            cycle: 0,
            ar_log: Vec::new(),
            aw_log: Vec::new(),
            r_beats: 0,
            w_beats: 0,
            first_ar: None,
            last_r: None,
            first_aw: None,
            last_b: None,
            last_progress: 0,
            irq: false,
        })
    }

    pub fn trace_to(&mut self, path: &std::path::Path) -> Result<()> {
        self.m.trace_to(path)?;
        Ok(())
    }

    pub fn trace_flush(&mut self) {
        self.m.trace_flush();
    }

    /// Hold reset for `cycles` cycles. The reset is synchronous: from the
    /// first clock edge in reset on, every VALID must be low (before that
    /// edge, registers hold their power-up values, random with X
    /// randomization, so the first cycle is not checked).
    pub fn reset(&mut self, cycles: u64) {
        self.m.set(self.p.rst, 1);
        for i in 0..cycles {
            self.m.eval();
            let s = self.sample_master_only();
            if i > 0 {
                self.monitor.check(self.cycle, &s, true);
            }
            self.m.tick(self.p.clk);
            self.cycle += 1;
        }
        self.m.set(self.p.rst, 0);
    }

    fn sample_master_only(&self) -> AxiSnapshot {
        let m = &self.m;
        let p = &self.p;
        AxiSnapshot {
            ar: Chan { valid: m.get(p.arvalid) != 0, ..Default::default() },
            aw: Chan { valid: m.get(p.awvalid) != 0, ..Default::default() },
            w: Chan { valid: m.get(p.wvalid) != 0, ..Default::default() },
            ..Default::default()
        }
    }

    /// One clock cycle.
    pub fn step(&mut self) {
        let (m, p) = (&mut self.m, &self.p);
        // ---- drive inputs ----
        let mo = self.mem.outputs();
        m.set(p.arready, mo.arready as u64);
        m.set(p.awready, mo.awready as u64);
        m.set(p.wready, mo.wready as u64);
        let r = mo.r.unwrap_or_default();
        m.set(p.rvalid, mo.r.is_some() as u64);
        m.set(p.rid, r.id as u64);
        m.set_wide(p.rdata, &r.data[..p.rdata.words()]).expect("rdata fits");
        m.set(p.rresp, r.resp as u64);
        m.set(p.rlast, r.last as u64);
        let b = mo.b.unwrap_or_default();
        m.set(p.bvalid, mo.b.is_some() as u64);
        m.set(p.bid, b.id as u64);
        m.set(p.bresp, b.resp as u64);
        let lo = self.lite.outputs();
        m.set(p.axil_awvalid, lo.awvalid as u64);
        m.set(p.axil_awaddr, lo.awaddr as u64);
        m.set(p.axil_awprot, 0);
        m.set(p.axil_wvalid, lo.wvalid as u64);
        m.set(p.axil_wdata, lo.wdata as u64);
        m.set(p.axil_wstrb, lo.wstrb as u64);
        m.set(p.axil_bready, lo.bready as u64);
        m.set(p.axil_arvalid, lo.arvalid as u64);
        m.set(p.axil_araddr, lo.araddr as u64);
        m.set(p.axil_arprot, 0);
        m.set(p.axil_rready, lo.rready as u64);
        let (m_ready, s_beat) = if self.copy {
            (self.loop_fifo.len() < 4, self.loop_fifo.front().copied())
        } else {
            (self.sink.ready(), self.source.output())
        };
        m.set(p.m_tready, m_ready as u64);
        let sb = s_beat.unwrap_or_default();
        m.set(p.s_tvalid, s_beat.is_some() as u64);
        m.set_wide(p.s_tdata, &sb.data[..p.s_tdata.words()]).expect("tdata fits");
        m.set(p.s_tkeep, sb.keep);
        m.set(p.s_tlast, sb.last as u64);
        m.eval();

        // ---- sample ----
        let addr = |m: &Model, id, a, l, s, bu, lk, c, pr| Addr {
            id: m.get(id) as u32,
            addr: m.get(a),
            len: m.get(l) as u8,
            size: m.get(s) as u8,
            burst: m.get(bu) as u8,
            lock: m.get(lk) as u8,
            cache: m.get(c) as u8,
            prot: m.get(pr) as u8,
        };
        let snap = AxiSnapshot {
            ar: Chan {
                valid: m.get(p.arvalid) != 0,
                ready: mo.arready,
                payload: addr(m, p.arid, p.araddr, p.arlen, p.arsize, p.arburst, p.arlock, p.arcache, p.arprot),
            },
            r: Chan { valid: mo.r.is_some(), ready: m.get(p.rready) != 0, payload: r },
            aw: Chan {
                valid: m.get(p.awvalid) != 0,
                ready: mo.awready,
                payload: addr(m, p.awid, p.awaddr, p.awlen, p.awsize, p.awburst, p.awlock, p.awcache, p.awprot),
            },
            w: Chan {
                valid: m.get(p.wvalid) != 0,
                ready: mo.wready,
                payload: WBeat { data: words_of(m, p.wdata), strb: m.get(p.wstrb), last: m.get(p.wlast) != 0 },
            },
            b: Chan { valid: mo.b.is_some(), ready: m.get(p.bready) != 0, payload: b },
        };
        let lite_in = LiteIn {
            awready: m.get(p.axil_awready) != 0,
            wready: m.get(p.axil_wready) != 0,
            bvalid: m.get(p.axil_bvalid) != 0,
            bresp: m.get(p.axil_bresp) as u8,
            arready: m.get(p.axil_arready) != 0,
            rvalid: m.get(p.axil_rvalid) != 0,
            rdata: m.get(p.axil_rdata) as u32,
            rresp: m.get(p.axil_rresp) as u8,
        };
        let m_valid = m.get(p.m_tvalid) != 0;
        let m_beat = StreamBeat { data: words_of(m, p.m_tdata), keep: m.get(p.m_tkeep), last: m.get(p.m_tlast) != 0 };
        let s_ready = m.get(p.s_tready) != 0;
        self.irq = m.get(p.irq) != 0;

        // ---- check and record ----
        let now = self.cycle;
        self.monitor.check(now, &snap, false);
        let mut progress = false;
        if snap.ar.fire() {
            self.ar_log.push(snap.ar.payload);
            self.first_ar.get_or_insert(now);
            progress = true;
        }
        if snap.aw.fire() {
            self.aw_log.push(snap.aw.payload);
            self.first_aw.get_or_insert(now);
            progress = true;
        }
        if snap.r.fire() {
            self.r_beats += 1;
            self.last_r = Some(now);
            progress = true;
        }
        if snap.w.fire() {
            self.w_beats += 1;
            progress = true;
        }
        if snap.b.fire() {
            self.last_b = Some(now);
            progress = true;
        }
        if (lo.awvalid && lite_in.awready) || (lo.arvalid && lite_in.arready) {
            progress = true;
        }
        self.m_check.check(now, "m_axis", m_valid, m_ready, &m_beat);
        self.s_check.check(now, "s_axis", s_beat.is_some(), s_ready, &sb);
        if (m_valid && m_ready) || (s_beat.is_some() && s_ready) {
            progress = true;
        }
        if progress {
            self.last_progress = now;
        }

        // ---- update the components ----
        self.lite.update(&lite_in);
        self.mem.update(&snap, now);
        if self.copy {
            if s_beat.is_some() && s_ready {
                self.loop_fifo.pop_front();
            }
            if m_valid && m_ready {
                self.loop_fifo.push_back(m_beat);
            }
        } else {
            let nb = self.cfg.data_bytes() as usize;
            self.sink.update(now, m_valid, &m_beat, nb);
            self.source.update(s_ready);
        }
        self.m.tick(self.p.clk);
        self.cycle += 1;
    }

    /// Run until `done` or a hang (no handshake for `stall` cycles) or `limit` cycles.
    pub fn run_until(
        &mut self,
        limit: u64,
        stall: u64,
        mut done: impl FnMut(&mut DmaSim) -> bool,
    ) -> Result<(), String> {
        let end = self.cycle + limit;
        while !done(self) {
            if self.cycle >= end {
                return Err(format!("not done after {limit} cycles; {}", self.monitor.stuck_channels()));
            }
            if self.cycle - self.last_progress > stall {
                return Err(format!(
                    "hung at cycle {}: no handshake for {stall} cycles; {}",
                    self.cycle,
                    self.monitor.stuck_channels()
                ));
            }
            self.step();
        }
        Ok(())
    }

    /// Run `n` cycles.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Violations of the stream checks.
    pub fn stream_violations(&self) -> Vec<String> {
        let mut v = self.m_check.violations.clone();
        v.extend(self.s_check.violations.iter().cloned());
        v.extend(self.sink.errors.iter().cloned());
        v
    }
}

/// The register writes that program `d` into `engine`'s shadow registers,
/// skipping those whose value `shadow` says is already there, then PUSH.
pub fn descriptor_writes(
    cfg: &DmaConfig,
    engine: Engine,
    d: &Descriptor,
    shadow: &mut [Option<u32>; 16],
) -> Vec<(u32, u32)> {
    let b = engine.base();
    let mut fields = vec![
        (regs::DESC_CTRL, d.kind as u32 | (d.page_shift as u32) << 8),
        (regs::ADDR_LO, d.addr as u32),
        (regs::LEN, d.len),
        (regs::COUNTS, d.count1 as u32 | (d.count2 as u32) << 16),
        (regs::STRIDE1_LO, d.stride1 as u32),
        (regs::STRIDE2_LO, d.stride2 as u32),
        (regs::TABLE_BASE, d.table_base as u32),
    ];
    if cfg.addr_bits == 64 {
        fields.push((regs::ADDR_HI, (d.addr >> 32) as u32));
        fields.push((regs::STRIDE1_HI, (d.stride1 >> 32) as u32));
        fields.push((regs::STRIDE2_HI, (d.stride2 >> 32) as u32));
    }
    let mut v = Vec::new();
    for (off, val) in fields {
        let slot = &mut shadow[(off / 4) as usize];
        if *slot != Some(val) {
            *slot = Some(val);
            v.push((b + off, val));
        }
    }
    v.push((b + regs::PUSH, d.tag as u32));
    v
}

/// The table writes for one engine's page table.
pub fn table_writes(cfg: &DmaConfig, engine: Engine, table: &[u64]) -> Vec<(u32, u32)> {
    let base = match engine {
        Engine::Read => regs::READ_TABLE_BASE,
        Engine::Write => regs::WRITE_TABLE_BASE,
    };
    let mut v = Vec::new();
    for (i, &e) in table.iter().enumerate() {
        let at = base + 8 * i as u32;
        if cfg.addr_bits == 64 {
            v.push((at + 4, (e >> 32) as u32));
        }
        v.push((at, e as u32));
    }
    v
}

/// What golden expects of a scenario.
struct Expected {
    statuses: [Vec<(u16, Status)>; 2],
    bursts: [Vec<(u64, u8, u8)>; 2],
    /// Where each expected burst came from (job index), for messages.
    burst_job: [Vec<usize>; 2],
    packets: Vec<(usize, Vec<u8>)>,
    mem: Memory,
    write_packets: Vec<Option<Vec<u8>>>,
}

/// The bytes a read engine streams for a valid descriptor, with beats that met
/// an error response zeroed (the memory model returns zeros on them).
fn read_packet(sc: &Scenario, mem: &Memory, d: &Descriptor) -> Vec<u8> {
    let cfg = &sc.cfg;
    let nb = cfg.data_bytes() as u64;
    let mut out = Vec::new();
    for b in dma::bursts(d, cfg, &sc.rd_table) {
        for (beat, lo, hi) in b.beat_lanes(nb) {
            let n = (hi - lo) as usize;
            let start = out.len();
            out.resize(start + n, 0);
            if sc.mem.resp_at(beat) == 0 {
                mem.read(beat + lo as u64, &mut out[start..]);
            }
        }
    }
    out
}

fn expected(sc: &Scenario) -> Expected {
    let cfg = &sc.cfg;
    let nb = cfg.data_bytes() as u64;
    let init = Memory::new(sc.mem_seed);
    let mut mem = Memory::new(sc.mem_seed);
    let mut e = Expected {
        statuses: [Vec::new(), Vec::new()],
        bursts: [Vec::new(), Vec::new()],
        burst_job: [Vec::new(), Vec::new()],
        packets: Vec::new(),
        mem: Memory::new(sc.mem_seed),
        write_packets: Vec::new(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(sc.seed ^ 0xda7a);
    let mut copy_data: VecDeque<Vec<u8>> = VecDeque::new();
    for (j, job) in sc.jobs.iter().enumerate() {
        let table = match job.engine {
            Engine::Read => &sc.rd_table,
            Engine::Write => &sc.wr_table,
        };
        let d = job.desc.masked(cfg);
        let k = job.engine.idx();
        let v = dma::validate(&d, cfg, table);
        let mut write_packet = None;
        if v != Status::Ok {
            e.statuses[k].push((d.tag, v));
        } else {
            let bursts = dma::bursts(&d, cfg, table);
            for b in &bursts {
                e.bursts[k].push(b.axi());
                e.burst_job[k].push(j);
            }
            let st = match job.engine {
                Engine::Read => dma::status_of_responses(
                    bursts.iter().flat_map(|b| b.beat_lanes(nb).into_iter().map(|(beat, _, _)| sc.mem.resp_at(beat))),
                ),
                Engine::Write => dma::status_of_responses(bursts.iter().map(|b| {
                    b.beat_lanes(nb).into_iter().map(|(beat, _, _)| sc.mem.resp_at(beat)).find(|&r| r != 0).unwrap_or(0)
                })),
            };
            e.statuses[k].push((d.tag, job.expect.unwrap_or(st)));
            match job.engine {
                Engine::Read => {
                    let p = read_packet(sc, &init, &d);
                    if sc.copy {
                        copy_data.push_back(p);
                    } else {
                        e.packets.push((j, p));
                    }
                }
                Engine::Write => {
                    let data = if sc.copy {
                        copy_data.pop_front().unwrap_or_default()
                    } else if let Some(beats) = &job.stream {
                        // A directed packet: the engine takes the first `len` bytes.
                        let mut v = Vec::new();
                        for b in beats {
                            for l in 0..nb as usize {
                                v.push(crate::axi::byte_of(&b.data, l));
                            }
                        }
                        v.truncate(d.total_bytes() as usize);
                        v
                    } else {
                        (0..d.total_bytes()).map(|_| rng.gen()).collect()
                    };
                    dma::write_bytes(&mut mem, &d, cfg, table, &data, |beat| sc.mem.resp_at(beat) != 0);
                    write_packet = Some(data);
                }
            }
        }
        e.write_packets.push(write_packet);
    }
    e.mem = mem;
    e
}

/// Run a scenario: program the tables, push every descriptor, wait for all
/// to complete, and compare with golden. A failing run is repeated with
/// tracing and leaves an FST under `target/waves/`.
pub fn run_scenario(sc: &Scenario) -> Result<Report> {
    let built = build_dma_with(&sc.cfg, sc.trace.is_some(), sc.x_seed.is_some())?;
    let mut r = run_on(&built, sc, sc.trace.as_deref(), None)?;
    if !r.ok() && sc.trace.is_none() && !sc.expect_violations {
        let traced = build_dma_with(&sc.cfg, true, sc.x_seed.is_some())?;
        let dir = waves_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-seed{}.fst", r.top, sc.seed));
        let _ = run_on(&traced, sc, Some(&path), Some(r.cycles + 8))?;
        r.waveform = Some(path);
    }
    Ok(r)
}

fn run_on(built: &Built, sc: &Scenario, trace: Option<&std::path::Path>, stop_at: Option<u64>) -> Result<Report> {
    let cfg = sc.cfg;
    let exp = expected(sc);
    let mut sim = DmaSim::new(built, sc)?;
    if let Some(t) = trace {
        sim.trace_to(t)?;
    }
    let mut report = Report {
        top: built.top.clone(),
        build_seconds: built.build_seconds,
        cache_hit: built.lib.cache_hit(),
        ..Default::default()
    };
    let t0 = Instant::now();
    sim.reset(4);
    sim.lite.write(regs::IRQ_ENABLE, 3);
    for (a, d) in table_writes(&cfg, Engine::Read, &sc.rd_table).into_iter().chain(table_writes(
        &cfg,
        Engine::Write,
        &sc.wr_table,
    )) {
        sim.lite.write(a, d);
    }
    // Stream packets for the write engine (no copy loop).
    if !sc.copy {
        for (j, job) in sc.jobs.iter().enumerate() {
            if job.engine != Engine::Write {
                continue;
            }
            if let Some(beats) = &job.stream {
                for b in beats {
                    sim.source.push_beat(*b);
                }
            } else if let Some(p) = &exp.write_packets[j] {
                sim.source.push_packet(p, cfg.data_bytes() as usize);
            }
        }
    }

    let depth = cfg.queue_depth as usize;
    let mut shadow = [[None; 16]; 2];
    let mut next_job = 0usize;
    let mut pushed = [0usize; 2];
    let mut popped = [0usize; 2];
    let totals = [
        sc.jobs.iter().filter(|j| j.engine == Engine::Read).count(),
        sc.jobs.iter().filter(|j| j.engine == Engine::Write).count(),
    ];
    let mut poll_engine = 0usize;
    let mut polling = false;
    let mut final_counts_asked = false;
    let mut counts: [Option<u32>; 2] = [None, None];
    let limit = stop_at.unwrap_or(u64::MAX);
    let stall = sc.stall_limit;
    let mut hang: Option<String> = None;

    loop {
        // Feed the driver: one descriptor at a time, keeping its queue short.
        while next_job < sc.jobs.len() && sim.lite.queued() < 4 {
            let job = &sc.jobs[next_job];
            let k = job.engine.idx();
            if sc.pop_completions && pushed[k] - popped[k] >= depth {
                break;
            }
            for (a, d) in descriptor_writes(&cfg, job.engine, &job.desc.masked(&cfg), &mut shadow[k]) {
                sim.lite.write(a, d);
            }
            pushed[k] += 1;
            next_job += 1;
        }
        // Collect read results.
        while let Some(rr) = sim.lite.reads.pop_front() {
            polling = false;
            for (k, e) in [Engine::Read, Engine::Write].into_iter().enumerate() {
                if rr.addr == e.base() + regs::COMPLETION && rr.data >> 31 == 1 {
                    report.completions.push((e, rr.data as u16, (rr.data >> 16) as u8));
                    popped[k] += 1;
                }
                if rr.addr == e.base() + regs::COMPLETED {
                    counts[k] = Some(rr.data);
                }
            }
        }
        // Poll completions when the interrupt says one waits.
        if sc.pop_completions && !polling && sim.irq && sim.lite.queued() == 0 {
            for _ in 0..2 {
                poll_engine ^= 1;
                if pushed[poll_engine] > popped[poll_engine] {
                    break;
                }
            }
            sim.lite.read([Engine::Read, Engine::Write][poll_engine].base() + regs::COMPLETION);
            polling = true;
        }
        let all_pushed = next_job == sc.jobs.len();
        let done = if sc.pop_completions {
            all_pushed && popped == totals && sim.lite.idle()
        } else {
            if all_pushed && sim.lite.idle() && sim.mem.pending() == 0 && !final_counts_asked {
                // Ask the counters; repeat until every descriptor is counted.
                sim.lite.read(regs::READ_BASE + regs::COMPLETED);
                sim.lite.read(regs::WRITE_BASE + regs::COMPLETED);
                final_counts_asked = true;
            }
            if let [Some(a), Some(b)] = counts {
                if a as usize == totals[0] && b as usize == totals[1] {
                    true
                } else {
                    counts = [None, None];
                    final_counts_asked = false;
                    false
                }
            } else {
                false
            }
        };
        if done || sim.cycle >= limit {
            break;
        }
        if sim.cycle - sim.last_progress > stall {
            hang = Some(format!(
                "hung at cycle {}: no handshake for {stall} cycles; {}; pushed {:?}, completed {:?} of {:?}",
                sim.cycle,
                sim.monitor.stuck_channels(),
                pushed,
                popped,
                totals
            ));
            break;
        }
        sim.step();
    }
    // Let trailing beats settle, then close the books.
    sim.run(4);
    if trace.is_some() {
        sim.trace_flush();
    }
    report.sim_seconds = t0.elapsed().as_secs_f64();
    sim.monitor.finish(sim.cycle);
    report.cycles = sim.cycle;
    report.r_beats = sim.r_beats;
    report.w_beats = sim.w_beats;
    report.read_window = window(sim.first_ar, sim.last_r);
    report.write_window = window(sim.first_aw, sim.last_b);
    let first = [sim.first_ar, sim.first_aw].into_iter().flatten().min();
    let last = [sim.last_r, sim.last_b].into_iter().flatten().max();
    report.window = window(first, last);
    report.bytes = sc.jobs.iter().filter(|j| j.engine == Engine::Read || !sc.copy).map(|j| j.desc.total_bytes()).sum();
    report.ar = sim.ar_log.clone();
    report.aw = sim.aw_log.clone();
    report.lite_errors = sim.lite.write_errors.clone();
    report.violations = sim.monitor.violations.iter().map(|v| v.to_string()).collect();
    report.violations.extend(sim.stream_violations());
    if let Some(h) = hang {
        report.mismatches.push(h);
    }
    compare(sc, &exp, &sim, &mut report);
    Ok(report)
}

fn window(a: Option<u64>, b: Option<u64>) -> u64 {
    match (a, b) {
        (Some(a), Some(b)) if b >= a => b - a + 1,
        _ => 0,
    }
}

fn compare(sc: &Scenario, exp: &Expected, sim: &DmaSim, r: &mut Report) {
    let mm = &mut r.mismatches;
    // Burst sequences.
    for (k, (name, log)) in [("AR", &sim.ar_log), ("AW", &sim.aw_log)].into_iter().enumerate() {
        let want = &exp.bursts[k];
        let got: Vec<(u64, u8, u8)> = log.iter().map(|a| (a.addr, a.len, a.size)).collect();
        if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            let job = exp.burst_job[k].get(i).map(|&j| format!("{:?}", sc.jobs[j].desc));
            mm.push(format!(
                "{name} burst {i}: RTL {:?}, golden {:?} (descriptor {}); {} vs {} bursts",
                got.get(i),
                want.get(i),
                job.unwrap_or_else(|| "-".into()),
                got.len(),
                want.len()
            ));
        }
    }
    // Statuses, in completion order per engine.
    if sc.pop_completions {
        for (k, e) in [Engine::Read, Engine::Write].into_iter().enumerate() {
            let got: Vec<(u16, u8)> = r.completions.iter().filter(|c| c.0 == e).map(|c| (c.1, c.2)).collect();
            let want: Vec<(u16, u8)> = exp.statuses[k].iter().map(|(t, s)| (*t, s.code())).collect();
            if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
                mm.push(format!("{e:?} completion {i}: RTL (tag, code) {:?}, golden {:?}", got.get(i), want.get(i)));
            }
        }
    }
    // Read packets.
    if !sc.copy {
        let got: Vec<&Vec<u8>> = sim.sink.packets.iter().collect();
        if got.len() != exp.packets.len() {
            mm.push(format!("read stream: {} packets, golden {}", got.len(), exp.packets.len()));
        }
        for (i, ((j, want), got)) in exp.packets.iter().zip(got).enumerate() {
            if want != got {
                let at = want.iter().zip(got.iter()).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
                mm.push(format!(
                    "read packet {i} ({:?}): {} bytes, golden {}; first difference at byte {at}",
                    sc.jobs[*j].desc,
                    got.len(),
                    want.len()
                ));
                break;
            }
        }
    }
    // Memory image.
    if let Some(a) = sim.mem.mem.first_difference(&exp.mem) {
        mm.push(format!(
            "memory differs at {a:#x}: RTL {:#04x}, golden {:#04x}",
            sim.mem.mem.read_byte(a),
            exp.mem.read_byte(a)
        ));
    }
}
