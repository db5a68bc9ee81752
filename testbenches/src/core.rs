//! The simulated Serrano core (`hdl::blocks::accel::core_top`) with its
//! memory: the Verilator model on the AXI memory model (latency,
//! back-pressure, error regions) with the protocol monitor on every cycle,
//! and an AXI4-Lite driver for the register map. [`RtlBackend`] puts it
//! behind the runtime's `Backend` API, so a program runs on it exactly as on
//! the golden model.

use anyhow::{anyhow, bail, Result};
use golden::core::isa::table::ErrorCode;
use golden::core::{CoreFault, Counters, Ring, RunStatus};
use golden::dma::{Memory, Status};
use golden::Config;
use hdl::blocks::accel::core_regmap as map;
use hdl::core::Bundle;
use verilator_sys::{Model, Port};

use crate::axi::lite::LiteDriver;
use crate::axi::mem::{AxiMem, MemConfig};
use crate::axi::monitor::{Monitor, MonitorConfig};
use crate::axi::ports::{Axi4Ports, AxiLitePorts};
use crate::sim::{build_module, BuildOptions, Built};

/// Build (or fetch from the cache) the core for `cfg`.
pub fn build_core(cfg: &Config, opts: BuildOptions) -> Result<Built> {
    let top = hdl::blocks::accel::core_top::core_top(cfg).map_err(|e| anyhow!("{e}"))?;
    build_module(&top, opts)
}

/// The core, its memory, the monitor and the register driver, one cycle at a time.
pub struct CoreSim {
    pub cfg: Config,
    m: Model,
    clk: Port,
    rst: Port,
    irq: Port,
    axi: Axi4Ports,
    axil: AxiLitePorts,
    pub mem: AxiMem,
    pub monitor: Monitor,
    pub lite: LiteDriver,
    pub cycle: u64,
    /// `irq` in the last cycle.
    pub irq_level: bool,
    /// Beats on R and W (every handshake, command fetch included).
    pub r_beats: u64,
    pub w_beats: u64,
    pub last_progress: u64,
}

impl CoreSim {
    /// A core from `built` (for `cfg`) on memory `mem` behaving as `memcfg`;
    /// `x_seed` randomizes what has no reset (with an X-randomized build).
    pub fn new(built: &Built, cfg: &Config, memcfg: MemConfig, mem: Memory, x_seed: Option<u64>) -> Result<CoreSim> {
        let m = built.lib.instantiate(x_seed)?;
        let (a, d, id) = (cfg.dma.addr_bits, cfg.dma.data_bits, cfg.dma.id_bits);
        let axi = Axi4Ports::bind(&m, "m_axi", &Bundle::axi4(a, d, id))?;
        let axil = AxiLitePorts::bind(&m, "s_axil", &Bundle::axi4_lite(map::AXIL_ADDR_BITS, 32))?;
        let (clk, rst, irq) = (m.port("clk")?, m.port("rst")?, m.port("irq")?);
        let mut memcfg = memcfg;
        memcfg.data_bytes = cfg.dma.data_bytes();
        Ok(CoreSim {
            cfg: cfg.clone(),
            m,
            clk,
            rst,
            irq,
            axi,
            axil,
            mem: AxiMem::new(memcfg, mem),
            monitor: Monitor::new(MonitorConfig {
                data_bytes: cfg.dma.data_bytes(),
                // The fetch's bursts (up to MAX_CHUNK commands) may be longer than the DMA's.
                max_burst: cfg.dma.max_burst.max(hdl::blocks::accel::core_fetch::MAX_CHUNK * 32 / cfg.dma.data_bytes()),
                watchdog: 100_000,
            }),
            lite: LiteDriver::new(),
            cycle: 0,
            irq_level: false,
            r_beats: 0,
            w_beats: 0,
            last_progress: 0,
        })
    }

    pub fn trace_to(&mut self, path: &std::path::Path) -> Result<()> {
        self.m.trace_to(path)?;
        Ok(())
    }

    pub fn trace_flush(&mut self) {
        self.m.trace_flush();
    }

    /// Hold the synchronous reset for `cycles` cycles.
    pub fn reset(&mut self, cycles: u64) {
        self.m.set(self.rst, 1);
        for _ in 0..cycles {
            self.drive();
            self.m.eval();
            self.m.tick(self.clk);
            self.cycle += 1;
        }
        self.m.set(self.rst, 0);
        self.last_progress = self.cycle;
    }

    fn drive(&mut self) {
        let mo = self.mem.outputs();
        self.axi.drive_slave(&mut self.m, &mo);
        let lo = self.lite.outputs();
        self.axil.drive_master(&mut self.m, &lo);
    }

    /// One clock cycle: drive, check the protocol, update the models, tick.
    pub fn step(&mut self) {
        let mo = self.mem.outputs();
        self.drive();
        self.m.eval();
        let snap = self.axi.snapshot(&self.m, &mo);
        let lite_in = self.axil.sample(&self.m);
        self.irq_level = self.m.get(self.irq) != 0;
        let now = self.cycle;
        self.monitor.check(now, &snap, false);
        if snap.r.fire() {
            self.r_beats += 1;
        }
        if snap.w.fire() {
            self.w_beats += 1;
        }
        if snap.ar.fire() || snap.r.fire() || snap.aw.fire() || snap.w.fire() || snap.b.fire() {
            self.last_progress = now;
        }
        self.lite.update(&lite_in);
        self.mem.update(&snap, now);
        self.m.tick(self.clk);
        self.cycle += 1;
    }

    /// Run the queued register accesses to completion.
    pub fn settle_lite(&mut self) -> Result<()> {
        let end = self.cycle + 10_000;
        while !self.lite.idle() {
            if self.cycle > end {
                bail!("AXI4-Lite accesses did not complete in 10,000 cycles");
            }
            self.step();
        }
        Ok(())
    }

    /// Write a register (and wait for its response).
    pub fn write_reg(&mut self, addr: u32, data: u32) -> Result<()> {
        self.lite.write(addr, data);
        self.settle_lite()
    }

    /// Read a register.
    pub fn read_reg(&mut self, addr: u32) -> Result<u32> {
        self.lite.read(addr);
        self.settle_lite()?;
        let r = self.lite.reads.pop_back().ok_or_else(|| anyhow!("no read result for {addr:#x}"))?;
        if r.resp != 0 {
            bail!("register {addr:#x}: RRESP {}", r.resp);
        }
        Ok(r.data)
    }

    /// A 64-bit counter (LO then HI, which LO's read snapshots).
    pub fn read_counter(&mut self, name: &str) -> Result<u64> {
        let i = map::COUNTERS.iter().position(|c| c.name == name).ok_or_else(|| anyhow!("no counter {name}"))?;
        let off = map::counter_lo(i);
        let lo = self.read_reg(off)? as u64;
        let hi = self.read_reg(off + 4)? as u64;
        Ok(lo | hi << 32)
    }
}

/// What one run measured beyond the architectural status.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Cycles from the doorbell write's response to the end of the run
    /// (`irq` for a program ending in FENCE, else head = tail or a fault).
    pub cycles: u64,
    /// Every performance counter of the register map, by name.
    pub counters: Vec<(String, u64)>,
    /// Protocol violations the monitor saw.
    pub violations: usize,
    pub r_beats: u64,
    pub w_beats: u64,
}

/// The RTL core behind the runtime's [`runtime::backend::Backend`].
pub struct RtlBackend {
    pub sim: CoreSim,
    /// The host's view of memory: the memory model's.
    head: u32,
    ring: Option<Ring>,
    /// The page tables the host set (rewritten after a reset).
    tables: [Vec<u64>; 2],
    pending_clear: bool,
    pub last: RunStats,
    /// Cycles a run may take before it is declared hung.
    pub limit: u64,
}

impl RtlBackend {
    /// Build and reset the core for `cfg` on a memory of `seed` behaving as `memcfg`.
    pub fn new(
        cfg: &Config,
        memcfg: MemConfig,
        seed: u64,
        opts: BuildOptions,
        x_seed: Option<u64>,
    ) -> Result<RtlBackend> {
        let built = build_core(cfg, opts)?;
        Self::from_built(&built, cfg, memcfg, seed, x_seed)
    }

    pub fn from_built(
        built: &Built,
        cfg: &Config,
        memcfg: MemConfig,
        seed: u64,
        x_seed: Option<u64>,
    ) -> Result<RtlBackend> {
        let mut sim = CoreSim::new(built, cfg, memcfg, Memory::new(seed), x_seed)?;
        sim.reset(4);
        sim.write_reg(map::IRQ_ENABLE, 1)?;
        Ok(RtlBackend {
            sim,
            head: 0,
            ring: None,
            tables: [Vec::new(), Vec::new()],
            pending_clear: false,
            last: RunStats::default(),
            limit: 50_000_000,
        })
    }

    /// The host's clear after a fault: CONTROL.CLEAR, written by the next
    /// run after its TAIL (the core resumes from HEAD as soon as it is
    /// cleared, so the new tail must be there first).
    pub fn clear(&mut self) -> Result<()> {
        self.pending_clear = true;
        Ok(())
    }

    /// Reset the core (its head returns to 0) and set it up again: IRQ_ENABLE and the page tables.
    pub fn reset(&mut self) -> Result<()> {
        self.sim.reset(4);
        self.sim.write_reg(map::IRQ_ENABLE, 1)?;
        self.head = 0;
        self.ring = None;
        for load in [true, false] {
            let t = self.tables[!load as usize].clone();
            self.write_table(load, &t)?;
        }
        Ok(())
    }

    fn write_table(&mut self, load: bool, entries: &[u64]) -> Result<()> {
        let base = if load { map::READ_TABLE_BASE } else { map::WRITE_TABLE_BASE };
        for (i, e) in entries.iter().enumerate() {
            let a = base + 8 * i as u32;
            self.sim.lite.write(a, *e as u32);
            self.sim.lite.write(a + 4, (*e >> 32) as u32);
        }
        self.sim.settle_lite()
    }

    fn status(&mut self) -> Result<RunStatus> {
        let st = self.sim.read_reg(map::STATUS)?;
        let head = self.sim.read_reg(map::HEAD)?;
        let fault = if st & (1 << map::STATUS_FAULTED) != 0 {
            let code = ((st >> map::STATUS_CODE_LSB) & 0xff) as u8;
            let dma = ((st >> map::STATUS_DMA_LSB) & 0xff) as u8;
            let index = self.sim.read_reg(map::FAULT_INDEX)?;
            Some(CoreFault {
                code: ErrorCode::from_code(code).ok_or_else(|| anyhow!("status holds an unknown error code {code}"))?,
                index,
                dma_status: Status::from_code(dma)
                    .ok_or_else(|| anyhow!("status holds an unknown DMA status {dma}"))?,
            })
        } else {
            None
        };
        let c = |s: &mut Self, n: &str| s.sim.read_counter(n);
        let counters = Counters {
            commands_retired: c(self, "commands_retired")?,
            dram_bytes_read: c(self, "dram_bytes_read")?,
            dram_bytes_written: c(self, "dram_bytes_written")?,
            macs: c(self, "macs")?,
            softmax_elements: c(self, "softmax_elements")?,
            fences: c(self, "fences")?,
        };
        Ok(RunStatus { head, fault, irq: st & (1 << map::STATUS_FENCE) != 0, counters })
    }

    /// Run and return the status and the run's measurements.
    pub fn run_measured(&mut self, ring: Ring, head: u32, tail: u32) -> Result<RunStatus> {
        if self.ring != Some(ring) && self.ring.is_some() && self.head != 0 {
            self.reset()?;
        }
        if head != self.head {
            // The head is the core's: a run from elsewhere starts from a reset core.
            if head != 0 {
                bail!(
                    "the core's head is {}; a run from {head} needs the core there (a reset puts it at 0)",
                    self.head
                );
            }
            self.reset()?;
        }
        // After the resets: a reset clears the ring registers (a run on the
        // same ring from 0 again must set them anew).
        if self.ring != Some(ring) {
            self.sim.write_reg(map::RING_BASE_LO, ring.base as u32)?;
            self.sim.write_reg(map::RING_BASE_HI, (ring.base >> 32) as u32)?;
            self.sim.write_reg(map::RING_SIZE, ring.size)?;
            self.ring = Some(ring);
        }
        // Counters and the fence bit start from zero for each run.
        self.sim.write_reg(map::CONTROL, 1 << map::CONTROL_COUNTERS_CLEAR)?;
        self.sim.write_reg(map::STATUS, 1 << map::STATUS_FENCE)?;
        self.sim.write_reg(map::TAIL, tail)?;
        if std::mem::take(&mut self.pending_clear) {
            self.sim.write_reg(map::CONTROL, 1 << map::CONTROL_CLEAR)?;
        }
        let start = self.sim.cycle;
        let end = start + self.limit;
        // The run ends at the irq (a program ending in FENCE), or when the
        // status says idle or faulted (polled every 1,024 cycles).
        let cycles = 'run: loop {
            for _ in 0..1024 {
                self.sim.step();
                if self.sim.irq_level {
                    break 'run self.sim.cycle - start;
                }
            }
            let st = self.sim.read_reg(map::STATUS)?;
            if st & (1 << map::STATUS_BUSY) == 0 || st & (1 << map::STATUS_FAULTED) != 0 {
                break self.sim.cycle - start;
            }
            if self.sim.cycle > end {
                bail!("the core did not finish in {} cycles; {}", self.limit, self.sim.monitor.stuck_channels());
            }
        };
        // Let the core go idle after the irq (the fence retires with it).
        for _ in 0..1_000_000 {
            let st = self.sim.read_reg(map::STATUS)?;
            if st & (1 << map::STATUS_BUSY) == 0 || st & (1 << map::STATUS_FAULTED) != 0 {
                break;
            }
            for _ in 0..64 {
                self.sim.step();
            }
        }
        self.sim.monitor.finish(self.sim.cycle);
        let mut counters = Vec::new();
        for c in map::COUNTERS {
            counters.push((c.name.to_string(), self.sim.read_counter(c.name)?));
        }
        let st = self.status()?;
        self.head = st.head;
        self.last = RunStats {
            cycles,
            counters,
            violations: self.sim.monitor.violations.len(),
            r_beats: self.sim.r_beats,
            w_beats: self.sim.w_beats,
        };
        Ok(st)
    }
}

impl runtime::backend::Backend for RtlBackend {
    fn config(&self) -> &Config {
        &self.sim.cfg
    }

    fn memory(&mut self) -> &mut Memory {
        &mut self.sim.mem.mem
    }

    fn set_page_table(&mut self, load: bool, entries: &[u64]) -> Result<(), runtime::error::RuntimeError> {
        let n = self.sim.cfg.dma.table_entries as usize;
        if entries.len() > n {
            return Err(runtime::error::RuntimeError::Input(format!(
                "{} page-table entries: the engine has {n} (dma.table_entries)",
                entries.len()
            )));
        }
        self.tables[!load as usize] = entries.to_vec();
        self.write_table(load, entries).map_err(|e| runtime::error::RuntimeError::Backend(e.to_string()))
    }

    fn run(&mut self, ring: Ring, head: u32, tail: u32) -> Result<RunStatus, runtime::error::RuntimeError> {
        self.run_measured(ring, head, tail).map_err(|e| runtime::error::RuntimeError::Backend(format!("RTL core: {e}")))
    }
}
