//! The simulated DMA and everything around it (memory model, protocol
//! monitor, AXI4-Lite driver, streams), one cycle at a time.

use std::collections::VecDeque;

use anyhow::{anyhow, Result};
use golden::dma::Memory;
use golden::DmaConfig;
use verilator_sys::Model;

use crate::axi::lite::LiteDriver;
use crate::axi::mem::AxiMem;
use crate::axi::monitor::{Monitor, MonitorConfig};
use crate::axi::stream::{StreamBeat, StreamChecker, StreamSink, StreamSource};
use crate::axi::{Addr, AxiSnapshot, Chan};
use crate::sim::{build_module, BuildOptions, Built};

use super::ports::Ports;
use super::*;

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
    pub(super) m: Model,
    pub(super) p: Ports,
    pub mem: AxiMem,
    pub monitor: Monitor,
    pub lite: LiteDriver,
    pub source: StreamSource,
    pub sink: StreamSink,
    pub(super) copy: bool,
    pub(super) loop_fifo: VecDeque<StreamBeat>,
    pub(super) m_check: StreamChecker,
    pub(super) s_check: StreamChecker,
    pub cycle: u64,
    pub ar_log: Vec<Addr>,
    pub aw_log: Vec<Addr>,
    pub r_beats: u64,
    pub w_beats: u64,
    /// Beats the write engine took from `s_axis`.
    pub s_beats: u64,
    pub first_ar: Option<u64>,
    pub last_r: Option<u64>,
    pub first_aw: Option<u64>,
    /// The first W handshake.
    pub first_w: Option<u64>,
    pub last_b: Option<u64>,
    /// The last cycle with a handshake anywhere.
    pub last_progress: u64,
    pub irq: bool,
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
            s_beats: 0,
            first_ar: None,
            last_r: None,
            first_aw: None,
            first_w: None,
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

    pub(super) fn sample_master_only(&self) -> AxiSnapshot {
        let m = &self.m;
        let p = &self.p;
        AxiSnapshot {
            ar: Chan { valid: m.get(p.axi.arvalid) != 0, ..Default::default() },
            aw: Chan { valid: m.get(p.axi.awvalid) != 0, ..Default::default() },
            w: Chan { valid: m.get(p.axi.wvalid) != 0, ..Default::default() },
            ..Default::default()
        }
    }

    /// One clock cycle.
    pub fn step(&mut self) {
        let (m, p) = (&mut self.m, &self.p);
        // ---- drive inputs ----
        let mo = self.mem.outputs();
        p.axi.drive_slave(m, &mo);
        let lo = self.lite.outputs();
        p.axil.drive_master(m, &lo);
        let (m_ready, s_beat) = if self.copy {
            (self.loop_fifo.len() < 4, self.loop_fifo.front().copied())
        } else {
            (self.sink.ready(), self.source.output())
        };
        m.set(p.m_axis.tready, m_ready as u64);
        let sb = s_beat.unwrap_or_default();
        m.set(p.s_axis.tvalid, s_beat.is_some() as u64);
        m.set_wide(p.s_axis.tdata, &sb.data[..p.s_axis.tdata.words()]).expect("tdata fits");
        m.set(p.s_axis.keep(), sb.keep);
        m.set(p.s_axis.last(), sb.last as u64);
        m.eval();

        // ---- sample ----
        let snap = p.axi.snapshot(m, &mo);
        let lite_in = p.axil.sample(m);
        let m_valid = m.get(p.m_axis.tvalid) != 0;
        let m_beat = StreamBeat {
            data: crate::axi::ports::words_of(m, p.m_axis.tdata),
            keep: m.get(p.m_axis.keep()),
            last: m.get(p.m_axis.last()) != 0,
        };
        let s_ready = m.get(p.s_axis.tready) != 0;
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
            self.first_w.get_or_insert(now);
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
        if s_beat.is_some() && s_ready {
            self.s_beats += 1;
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
