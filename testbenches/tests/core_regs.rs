//! The core's register block (`hdl::blocks::accel::core_regs`) against a
//! Rust model of its map (`core_regmap`), on the default (32-bit addresses)
//! and large (64-bit) presets: after reset every register reads its table's
//! reset value; then random AXI4-Lite reads and writes (random byte strobes,
//! random delays on AW, W and AR, random BREADY/RREADY back-pressure) mixed
//! with random counter increments, fault and fence pulses and busy/head
//! inputs. Every read is compared with the model (RW masks, RO inputs, the
//! fault latch and its clear, fence W1C, the counters and the LO/HI latch,
//! COUNTERS_CLEAR, unmapped DECERR), and every cycle the outputs (ring
//! registers, clear, faulted, irq, the page-table write ports, AXI
//! attributes) are compared too. Seed: `SERRANO_SEED`. Also: the block
//! synthesizes without latches, and its C header compiles and agrees with
//! the table. The four-state run is `core_regs_fourstate.rs`.

use std::path::Path;

use golden::Config;
use hdl::blocks::accel::core_regs::*;
use hdl::core::Bundle;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::axi::ports::AxiLitePorts;
use testbenches::seed_from_env;
use testbenches::sim::{lint_module, run_with_waveform};
use verilator_sys::Model;

fn preset(name: &str) -> Config {
    Config::from_file(Path::new(&format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

fn set(sim: &mut Model, n: &str, v: u64) {
    let p = sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    sim.set(p, v);
}

fn get(sim: &Model, n: &str) -> u64 {
    sim.get(sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}")))
}

/// The register block's architectural state, as the map describes it.
#[derive(Clone, Default)]
struct State {
    irq_en: u32,
    attr: u32,
    base_lo: u32,
    base_hi: u32,
    size: u32,
    tail: u32,
    faulted: bool,
    code: u32,
    index: u32,
    dma: u32,
    fence: bool,
    irq: bool,
    clear: bool,
    counters: Vec<u64>,
    hi_snap: u32,
    /// (we, waddr, wdata) of each page-table port, as registered.
    tbl: [(bool, u64, u64); 2],
    tbl_hi: [u32; 2],
}

/// One AXI4-Lite access of the master, with its random timing.
#[derive(Clone, Copy, Debug)]
enum Op {
    Write { addr: u32, data: u32, strb: u8 },
    Read { addr: u32 },
}

struct Tb<'a> {
    sim: &'a mut Model,
    axil: AxiLitePorts,
    cfg: Config,
    rng: ChaCha8Rng,
    st: State,
    bvalid: bool,
    cycle: u64,
    /// Give random fault and fence pulses.
    pulses: bool,
    reads: u64,
    pending_r: Option<(u32, u32, u8)>,
    pending_b: std::collections::VecDeque<(u32, u8)>,
    last_read: u32,
}

impl Tb<'_> {
    fn a64(&self) -> bool {
        self.cfg.dma.addr_bits == 64
    }

    /// What a read of `addr` returns now, and its RRESP.
    fn expect_read(&self, addr: u32) -> (u32, u8) {
        let st = &self.st;
        let w = addr & !3;
        let entries = self.cfg.dma.table_entries;
        for tbase in [READ_TABLE_BASE, WRITE_TABLE_BASE] {
            if (tbase..tbase + 8 * entries).contains(&w) {
                return (0, 0);
            }
        }
        if (COUNTER_BASE..counter_lo(COUNTERS.len())).contains(&w) {
            let i = ((w - COUNTER_BASE) / 8) as usize;
            return (if w.is_multiple_of(8) { st.counters[i] as u32 } else { st.hi_snap }, 0);
        }
        let v = match w {
            ID => ID_VALUE,
            VERSION => VERSION_VALUE,
            CONFIG0 => {
                let c = &self.cfg;
                c.systolic.rows | c.systolic.cols << 8 | c.softmax.lanes << 16 | c.core.unwrap().spad_banks << 24
            }
            CONFIG1 => self.cfg.systolic.acc_depth,
            CONFIG2 => self.cfg.softmax.max_len,
            CONFIG3 => self.cfg.dma.data_bits | self.cfg.dma.addr_bits << 16,
            CONFIG4 => self.cfg.core.unwrap().spad_kib * 1024 / (self.cfg.dma.data_bits / 8),
            CONFIG5 => self.cfg.dma.table_entries,
            CONTROL => 0,
            IRQ_ENABLE => st.irq_en,
            AXI_ATTR => st.attr,
            RING_BASE_LO => st.base_lo,
            RING_BASE_HI => st.base_hi,
            RING_SIZE => st.size,
            TAIL => st.tail,
            HEAD => get(self.sim, "head") as u32,
            STATUS => {
                get(self.sim, "busy") as u32
                    | (st.faulted as u32) << 1
                    | (st.fence as u32) << 2
                    | st.code << 8
                    | st.dma << 16
            }
            FAULT_INDEX => st.index,
            _ => return (0, 3),
        };
        (v, 0)
    }

    /// The register state after a write (taken this cycle).
    fn apply_write(&mut self, addr: u32, data: u32, strb: u8, next: &mut State) {
        let bytes = (0..4).filter(|b| strb >> b & 1 == 1).fold(0u32, |m, b| m | 0xff << (8 * b));
        let merge = |old: u32, mask: u32| ((old & !bytes) | (data & bytes)) & mask;
        let w = addr & !3;
        match w {
            IRQ_ENABLE => next.irq_en = merge(self.st.irq_en, 1),
            AXI_ATTR => next.attr = merge(self.st.attr, 0x7f),
            RING_BASE_LO => next.base_lo = merge(self.st.base_lo, 0xffff_ffe0),
            RING_BASE_HI if self.a64() => next.base_hi = merge(self.st.base_hi, u32::MAX),
            RING_SIZE => next.size = merge(self.st.size, 0xf_ffff),
            TAIL => next.tail = merge(self.st.tail, 0xf_ffff),
            _ => {}
        }
        let entries = self.cfg.dma.table_entries;
        for (t, tbase) in [READ_TABLE_BASE, WRITE_TABLE_BASE].into_iter().enumerate() {
            if (tbase..tbase + 8 * entries).contains(&w) {
                let i = ((w - tbase) / 8) as u64;
                if w % 8 == 4 {
                    if self.a64() {
                        next.tbl_hi[t] = data;
                    }
                } else {
                    let d = if self.a64() { (self.st.tbl_hi[t] as u64) << 32 | data as u64 } else { data as u64 };
                    next.tbl[t] = (true, i, d);
                }
            }
        }
    }

    /// A random address to access: mostly registers, some counters, page-table
    /// entries (both words) and unmapped holes.
    fn random_addr(&mut self) -> u32 {
        let entries = self.cfg.dma.table_entries;
        match self.rng.gen_range(0..10) {
            0..=3 => *[IRQ_ENABLE, AXI_ATTR, RING_BASE_LO, RING_BASE_HI, RING_SIZE, TAIL, HEAD, STATUS, FAULT_INDEX]
                .get(self.rng.gen_range(0..9))
                .unwrap(),
            4..=6 => counter_lo(self.rng.gen_range(0..COUNTERS.len())) + 4 * self.rng.gen_range(0..2),
            7 => {
                let base = if self.rng.gen_bool(0.5) { READ_TABLE_BASE } else { WRITE_TABLE_BASE };
                base + 8 * self.rng.gen_range(0..entries) + 4 * self.rng.gen_range(0..2)
            }
            8 => *[ID, VERSION, CONFIG0, CONFIG1, CONFIG2, CONFIG3, CONFIG4, CONFIG5, CONTROL]
                .get(self.rng.gen_range(0..9))
                .unwrap(),
            _ => *[0x2c, 0x4c, 0xfc, counter_lo(COUNTERS.len()), 0x3ffc, READ_TABLE_BASE + 8 * entries, 0xc000]
                .get(self.rng.gen_range(0..7))
                .unwrap(),
        }
    }

    /// One cycle: random inputs, the master's `op` signals, the checks, the
    /// model's clock edge. Returns (AW/W taken, AR taken).
    fn cycle(&mut self, aw: Option<(u32, u32, u8)>, ar: Option<u32>, bready: bool, rready: bool) -> (bool, bool) {
        let incs: Vec<u64> = COUNTERS
            .iter()
            .map(|k| {
                if k.inc_bits == 1 {
                    self.rng.gen_bool(0.6) as u64
                } else if self.rng.gen_bool(0.3) {
                    0
                } else {
                    self.rng.gen::<u64>() >> self.rng.gen_range(24..64)
                }
            })
            .collect();
        for (k, v) in COUNTERS.iter().zip(&incs) {
            set(self.sim, &format!("inc_{}", k.name), *v);
        }
        let fault = self.pulses && self.rng.gen_bool(0.02);
        let fence = self.pulses && self.rng.gen_bool(0.03);
        let (fcode, findex, fdma) =
            (self.rng.gen_range(1..256u32), self.rng.gen_range(0..1u32 << 20), self.rng.gen_range(0..256u32));
        set(self.sim, "fault_set", fault as u64);
        set(self.sim, "fault_code", fcode as u64);
        set(self.sim, "fault_index", findex as u64);
        set(self.sim, "fault_dma", fdma as u64);
        set(self.sim, "fence_set", fence as u64);
        set(self.sim, "busy", self.rng.gen_bool(0.5) as u64);
        set(self.sim, "head", self.rng.gen_range(0..1u64 << 20));
        let ax = &self.axil;
        let (awaddr, wdata, wstrb) = aw.unwrap_or((0, 0, 0));
        for (p, v) in [
            (ax.awvalid, aw.is_some() as u64),
            (ax.wvalid, aw.is_some() as u64),
            (ax.awaddr, awaddr as u64),
            (ax.wdata, wdata as u64),
            (ax.wstrb, wstrb as u64),
            (ax.awprot, 0),
            (ax.bready, bready as u64),
            (ax.arvalid, ar.is_some() as u64),
            (ax.araddr, ar.unwrap_or(0) as u64),
            (ax.arprot, 0),
            (ax.rready, rready as u64),
        ] {
            self.sim.set(p, v);
        }
        self.sim.eval();
        self.check_outputs();
        let c = self.cycle;
        let ax = &self.axil;
        let aw_ready = self.sim.get(ax.awready) != 0;
        assert_eq!(aw_ready, self.sim.get(ax.wready) != 0, "cycle {c}: AWREADY = WREADY");
        assert_eq!(aw_ready, aw.is_some() && (!self.bvalid || bready), "cycle {c}: AWREADY");
        let rvalid = self.sim.get(ax.rvalid) != 0;
        let ar_ready = self.sim.get(ax.arready) != 0;
        assert_eq!(ar_ready, !rvalid || rready, "cycle {c}: ARREADY");
        assert_eq!(self.sim.get(ax.bvalid) != 0, self.bvalid, "cycle {c}: BVALID");
        let b = (self.bvalid && bready).then(|| self.sim.get(ax.bresp) as u8);
        let r = (rvalid && rready).then(|| (self.sim.get(ax.rdata) as u32, self.sim.get(ax.rresp) as u8));

        // The clock edge.
        if let Some((data, resp)) = r {
            let (addr, want, want_resp) = self.pending_r.take().expect("R for a read taken");
            assert_eq!((data, resp), (want, want_resp), "cycle {c}: read of 0x{addr:04x} (data, RRESP)");
            self.last_read = data;
        }
        if let Some(resp) = b {
            let (addr, want) = self.pending_b.pop_front().expect("B for a write taken");
            assert_eq!(resp, want, "cycle {c}: BRESP of the write to 0x{addr:04x}");
        }
        let mut next = self.st.clone();
        next.tbl[0].0 = false;
        next.tbl[1].0 = false;
        let aw_fire = aw.is_some() && aw_ready;
        let mut ctl = 0u32;
        let mut w1c = false;
        if let (true, Some((addr, data, strb))) = (aw_fire, aw) {
            self.apply_write(addr, data, strb, &mut next);
            self.pending_b.push_back((addr, self.expect_read(addr).1));
            let byte0 = strb & 1 == 1;
            if addr & !3 == CONTROL && byte0 {
                ctl = data & 3;
            }
            w1c = addr & !3 == STATUS && byte0 && data >> STATUS_FENCE & 1 == 1;
        }
        let clear = ctl & 1 != 0;
        let take = fault && !self.st.faulted;
        next.faulted = fault || (self.st.faulted && !clear);
        for (field, v) in [(&mut next.code, fcode), (&mut next.index, findex), (&mut next.dma, fdma)] {
            *field = if take {
                v
            } else if clear {
                0
            } else {
                *field
            };
        }
        next.fence = fence || (self.st.fence && !w1c);
        next.irq = self.st.irq_en & 1 == 1 && self.st.fence;
        next.clear = clear;
        let ar_fire = ar.is_some() && ar_ready;
        if let (true, Some(addr)) = (ar_fire, ar) {
            let (v, resp) = self.expect_read(addr);
            self.pending_r = Some((addr, v, resp));
            let w = addr & !3;
            if (COUNTER_BASE..counter_lo(COUNTERS.len())).contains(&w) && w.is_multiple_of(8) {
                next.hi_snap = (self.st.counters[((w - COUNTER_BASE) / 8) as usize] >> 32) as u32;
            }
            self.reads += 1;
        }
        for (n, inc) in next.counters.iter_mut().zip(&incs) {
            *n = if ctl & 2 != 0 { 0 } else { n.wrapping_add(*inc) };
        }
        self.bvalid = aw_fire || (self.bvalid && !bready);
        self.st = next;
        let clk = self.sim.port("clk").unwrap();
        self.sim.tick(clk);
        self.cycle += 1;
        (aw_fire, ar_fire)
    }

    /// The outputs against the state before this cycle's edge.
    fn check_outputs(&self) {
        let (st, c) = (&self.st, self.cycle);
        let base = if self.a64() { (st.base_hi as u64) << 32 | st.base_lo as u64 } else { st.base_lo as u64 };
        let want = [
            ("ring_base", base),
            ("ring_size", st.size as u64),
            ("tail", st.tail as u64),
            ("clear", st.clear as u64),
            ("faulted", st.faulted as u64),
            ("irq", st.irq as u64),
            ("axi_cache", (st.attr & 0xf) as u64),
            ("axi_prot", (st.attr >> 4 & 7) as u64),
            ("rtbl_we", st.tbl[0].0 as u64),
            ("wtbl_we", st.tbl[1].0 as u64),
        ];
        for (n, v) in want {
            assert_eq!(get(self.sim, n), v, "cycle {c}: {n}");
        }
        for (t, p) in ["rtbl", "wtbl"].iter().enumerate() {
            if st.tbl[t].0 {
                let got = (get(self.sim, &format!("{p}_waddr")), get(self.sim, &format!("{p}_wdata")));
                assert_eq!(got, (st.tbl[t].1, st.tbl[t].2), "cycle {c}: {p} entry, data");
            }
        }
    }

    /// Perform `op` with random delays and back-pressure, then let its
    /// response arrive.
    fn access(&mut self, op: Op) {
        let (mut aw_on, mut ar_on) = (false, false);
        let mut done = false;
        let mut guard = 0;
        while !done || self.bvalid || self.pending_r.is_some() {
            let bready = self.rng.gen_bool(0.6);
            let rready = self.rng.gen_bool(0.6);
            let (aw, ar) = match op {
                Op::Write { addr, data, strb } if !done => {
                    aw_on |= self.rng.gen_bool(0.5);
                    (aw_on.then_some((addr, data, strb)), None)
                }
                Op::Read { addr } if !done => {
                    ar_on |= self.rng.gen_bool(0.5);
                    (None, ar_on.then_some(addr))
                }
                _ => (None, None),
            };
            let (aw_fire, ar_fire) = self.cycle(aw, ar, bready, rready);
            done |= aw_fire || ar_fire;
            guard += 1;
            assert!(guard < 100, "cycle {}: {op:?} does not complete", self.cycle);
        }
    }

    fn write(&mut self, addr: u32, data: u32) {
        self.access(Op::Write { addr, data, strb: 0xf });
    }

    fn read(&mut self, addr: u32) -> u32 {
        let before = self.reads;
        self.access(Op::Read { addr });
        assert_eq!(self.reads, before + 1);
        self.last_read
    }
}

fn run(cfg: &Config, sim: &mut Model, seed: u64) {
    let axil = AxiLitePorts::bind(sim, "s_axil", &Bundle::axi4_lite(AXIL_ADDR_BITS, 32)).unwrap();
    let st = State { irq_en: 0, attr: 3, counters: vec![0; COUNTERS.len()], ..Default::default() };
    let rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tb = Tb {
        sim,
        axil,
        cfg: cfg.clone(),
        rng,
        st,
        bvalid: false,
        cycle: 0,
        pulses: false,
        reads: 0,
        pending_r: None,
        pending_b: Default::default(),
        last_read: 0,
    };
    for k in COUNTERS {
        set(tb.sim, &format!("inc_{}", k.name), 0);
    }
    set(tb.sim, "rst", 1);
    let clk = tb.sim.port("clk").unwrap();
    tb.sim.tick(clk);
    set(tb.sim, "rst", 0);

    // Reset values, as the table gives them (the model knows them too).
    for r in register_map(cfg) {
        let counter = r.offset >= COUNTER_BASE;
        if r.access != "WO" && !counter {
            let want = r.reset.expect("a built map has every reset value");
            let got = tb.read(r.offset);
            if !["HEAD", "STATUS"].contains(&r.name.as_str()) {
                assert_eq!(got, want, "{} after reset", r.name);
            }
        }
    }

    // Directed: every RW register with all ones reads back its mask.
    for r in register_map(cfg).iter().filter(|r| r.access == "RW") {
        tb.write(r.offset, u32::MAX);
        assert_eq!(tb.read(r.offset), r.write_mask(), "{}: all ones read back as its mask", r.name);
    }
    // Fault latch and clear, fence and irq, directed.
    tb.pulses = true;
    while !tb.st.faulted || !tb.st.fence {
        tb.read(STATUS);
    }
    tb.pulses = false;
    tb.write(IRQ_ENABLE, 1);
    tb.read(STATUS);
    assert!(tb.st.irq, "irq with fence and IRQ_ENABLE");
    tb.write(STATUS, 1 << STATUS_FENCE);
    tb.read(STATUS);
    assert!(!tb.st.irq && !tb.st.fence, "fence W1C drops irq");
    assert!(tb.st.faulted);
    tb.write(CONTROL, 1 << CONTROL_CLEAR);
    assert_eq!(tb.read(STATUS) >> STATUS_FAULTED & 1, 0, "CONTROL.clear clears the fault");
    assert_eq!(tb.read(FAULT_INDEX), 0);
    // A 64-bit counter read as LO then HI is the value at the LO read.
    let macs = COUNTERS.iter().position(|k| k.name == "macs").unwrap();
    for _ in 0..20 {
        tb.read(counter_lo(macs));
    }
    assert!(tb.st.counters[macs] >> 32 != 0, "macs passed 2^32");
    tb.write(CONTROL, 1 << CONTROL_COUNTERS_CLEAR);
    let after = tb.read(counter_lo(macs)) as u64 | (tb.read(counter_lo(macs) + 4) as u64) << 32;
    assert!(after < 1 << 48, "COUNTERS_CLEAR zeroes macs (a few cycles of increments since: {after:#x})");

    // Random accesses with random pulses; the model checks every read and output.
    tb.pulses = true;
    for _ in 0..3000 {
        let addr = tb.random_addr();
        let op = if tb.rng.gen_bool(0.45) {
            let data = match addr {
                CONTROL => tb.rng.gen_range(0..4) * tb.rng.gen_range(0..2),
                STATUS => tb.rng.gen::<u32>() & 0xff,
                _ => tb.rng.gen(),
            };
            let strb = if tb.rng.gen_bool(0.8) { 0xf } else { tb.rng.gen_range(0..16) };
            Op::Write { addr, data, strb }
        } else {
            Op::Read { addr }
        };
        tb.access(op);
        // LO then HI at once now and then: one consistent 64-bit value.
        if tb.rng.gen_bool(0.05) {
            let i = tb.rng.gen_range(0..COUNTERS.len());
            let lo = tb.read(counter_lo(i));
            let want = tb.st.hi_snap;
            assert_eq!(tb.read(counter_lo(i) + 4), want, "{}: HI after LO (LO {lo:#x})", COUNTERS[i].name);
        }
    }
    assert!(tb.reads > 1500, "only {} reads", tb.reads);
}

fn check(preset_name: &str, test: &str) {
    let cfg = preset(preset_name);
    let m = core_regs(&cfg).unwrap();
    lint_module(&m).unwrap();
    let seed = seed_from_env(test, 11);
    run_with_waveform(&m, test, |sim| run(&cfg, sim, seed));
}

#[test]
fn core_regs_default_32_bit_addresses() {
    check("default", "core_regs_default");
}

#[test]
fn core_regs_large_64_bit_addresses() {
    check("large", "core_regs_large");
}

#[test]
fn a_configuration_without_core_is_an_error_naming_it() {
    let mut cfg = preset("tiny");
    cfg.core = None;
    let e = core_regs(&cfg).unwrap_err().to_string();
    assert!(e.contains("[core]"), "{e}");
}

/// Yosys synthesizes the block without a latch, for 32- and 64-bit
/// addresses; prints its flip-flop count.
#[test]
fn core_regs_synthesize_without_latches() {
    use hdl::core::{emit, EmitOptions};
    for name in ["default", "large"] {
        let m = core_regs(&preset(name)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let files = emit(&m, &EmitOptions::default()).unwrap();
        for f in &files {
            std::fs::write(dir.path().join(&f.file_name), &f.text).unwrap();
        }
        let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
        let script = format!(
            "read_verilog {}; synth -flatten -top {}; select -assert-none t:$dlatch t:$_DLATCH_*; tee -o /dev/stdout stat",
            names.join(" "),
            m.name()
        );
        let out = std::process::Command::new("yosys")
            .current_dir(dir.path())
            .args(["-q", "-p", &script])
            .output()
            .expect("yosys must be installed (scripts/setup.sh installs it)");
        let stat = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "yosys failed:\n{stat}{}", String::from_utf8_lossy(&out.stderr));
        let flops: u64 = stat
            .lines()
            .filter(|l| l.trim_start().starts_with("$_SDFF") || l.trim_start().starts_with("$_DFF"))
            .map(|l| l.split_whitespace().last().unwrap().parse::<u64>().unwrap())
            .sum();
        eprintln!("{name}: {} flip-flops", flops);
        assert!(flops > 0, "{stat}");
    }
}

/// The C header compiles, and its macros are the table's addresses and
/// fields (a static assertion per register, field and counter).
#[test]
fn the_c_header_compiles_and_agrees_with_the_table() {
    for name in ["default", "large", "tiny"] {
        let cfg = preset(name);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("serrano_core_regs.h"), c_header(&cfg)).unwrap();
        let mut c = String::from("#include \"serrano_core_regs.h\"\n");
        for r in register_map(&cfg) {
            c += &format!("_Static_assert(SERRANO_CORE_{} == {}u, \"{}\");\n", r.name, r.offset, r.name);
            for f in r.fields.iter().filter(|f| f.width < 32) {
                let m = format!("SERRANO_CORE_{}_{}", r.name, f.name.to_uppercase());
                c += &format!("_Static_assert({m}_MASK == {}u && {m}_SHIFT == {}u, \"{m}\");\n", f.mask(), f.lsb);
            }
        }
        for (i, k) in COUNTERS.iter().enumerate() {
            let n = k.name.to_uppercase();
            c += &format!(
                "_Static_assert(SERRANO_CORE_COUNTER_LO(SERRANO_CORE_CNT_{n}) == SERRANO_CORE_{n}_LO && \
                 SERRANO_CORE_COUNTER_HI({i}) == {}u, \"{n}\");\n",
                counter_lo(i) + 4
            );
        }
        c += &format!("_Static_assert(SERRANO_CORE_COUNTERS == {}u, \"count\");\n", COUNTERS.len());
        c += "int main(void) { return 0; }\n";
        std::fs::write(dir.path().join("t.c"), c).unwrap();
        let out = std::process::Command::new("cc")
            .current_dir(dir.path())
            .args(["-std=c11", "-Wall", "-Werror", "-fsyntax-only", "t.c"])
            .output()
            .expect("a C compiler (cc) is installed");
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
