//! The scratchpad's line writer and reader (`hdl::blocks::accel`) with a
//! scratchpad between them, against a model of the memory and of the line
//! walk: random walks (base, stride, lines per row, rows, wrapping at the
//! end of the scratchpad) written from a stream with random gaps and byte
//! strobes, then read back under random back-pressure, every beat's data,
//! `tkeep`, `tuser` (row end) and `tlast` compared; and, with no gaps and no
//! back-pressure, a line per cycle (an exact cycle count).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use hdl::blocks::accel::scratchpad::{scratchpad, SpadParams};
use hdl::blocks::accel::spad_reader::spad_reader;
use hdl::blocks::accel::spad_writer::spad_writer;
use hdl::core::{Bit, Expr, Module};
use testbenches::seed_from_env;
use verilator_sys::{Model, Port};

const P: SpadParams = SpadParams { line_bytes: 8, banks: 2, lines_per_bank: 16, writers: 1, readers: 1 };

/// The writer and the reader on one scratchpad; their outer ports are the top's.
fn harness() -> Module {
    let aw = P.line_bits();
    let (sp, wr, rd) = (scratchpad(&P).unwrap(), spad_writer(8, aw).unwrap(), spad_reader(8, aw).unwrap());
    let mut m = Module::new("spad_io_harness");
    let ins = |m: &mut Module, child: &Module, prefix: &str, skip: &[&str]| -> Vec<(String, Expr)> {
        child
            .ports()
            .iter()
            .filter(|p| p.dir == hdl::core::Dir::Input && p.name != "clk" && p.name != "rst")
            .filter(|p| !skip.iter().any(|s| p.name.starts_with(s)))
            .map(|p| (p.name.clone(), m.input(&format!("{prefix}_{}", p.name), p.ty).unwrap()))
            .collect()
    };
    let w_ready = m.wire("w_ready", Bit).unwrap();
    let (r_ready, r_rvalid) = (m.wire("r_ready", Bit).unwrap(), m.wire("r_rvalid", Bit).unwrap());
    let r_rdata = m.wire("r_rdata", hdl::core::UInt(64)).unwrap();
    let mut wi = ins(&mut m, &wr, "writer", &["w_"]);
    wi.push(("w_ready".into(), w_ready.clone()));
    let wi_refs: Vec<(&str, &Expr)> = wi.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let uw = m.instance("u_writer", &wr, &wi_refs).unwrap();
    let mut ri = ins(&mut m, &rd, "reader", &["r_"]);
    ri.extend([("r_ready".into(), r_ready.clone()), ("r_rvalid".into(), r_rvalid.clone())]);
    ri.push(("r_rdata".into(), r_rdata.clone()));
    let ri_refs: Vec<(&str, &Expr)> = ri.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let ur = m.instance("u_reader", &rd, &ri_refs).unwrap();
    let o = |u: &hdl::core::Instance, n: &str| u.out(n).unwrap();
    let us = m
        .instance(
            "u_spad",
            &sp,
            &[
                ("w0_valid", &o(&uw, "w_valid")),
                ("w0_line", &o(&uw, "w_line")),
                ("w0_data", &o(&uw, "w_data")),
                ("w0_strb", &o(&uw, "w_strb")),
                ("r0_valid", &o(&ur, "r_valid")),
                ("r0_line", &o(&ur, "r_line")),
            ],
        )
        .unwrap();
    m.assign(&w_ready, o(&us, "w0_ready")).unwrap();
    m.assign(&r_ready, o(&us, "r0_ready")).unwrap();
    m.assign(&r_rvalid, o(&us, "r0_rvalid")).unwrap();
    m.assign(&r_rdata, o(&us, "r0_rdata")).unwrap();
    for p in ["cmd_ready", "s_axis_tready", "busy", "done"] {
        m.output(&format!("wr_{p}"), o(&uw, p)).unwrap();
    }
    for p in ["cmd_ready", "m_axis_tvalid", "m_axis_tdata", "m_axis_tkeep", "m_axis_tuser", "m_axis_tlast", "busy"] {
        m.output(&format!("rd_{p}"), o(&ur, p)).unwrap();
    }
    m
}

/// A walk: (base, stride, lines per row, rows).
type Walk = (u64, u64, u64, u64);

fn lines_of(w: Walk, total: u64) -> Vec<(u64, bool)> {
    let (base, stride, inner, rows) = w;
    (0..rows).flat_map(|r| (0..inner).map(move |i| ((base + r * stride + i) % total, i == inner - 1))).collect()
}

struct Tb<'a> {
    sim: &'a mut Model,
    port: std::collections::HashMap<String, Port>,
    cycle: u64,
}

impl Tb<'_> {
    fn set(&mut self, n: &str, v: u64) {
        let p = self.port[n];
        self.sim.set(p, v);
    }
    fn get(&self, n: &str) -> u64 {
        self.sim.get(self.port[n])
    }
    fn tick(&mut self) {
        let clk = self.port["clk"];
        self.sim.tick(clk);
        self.cycle += 1;
    }
    fn cmd(&mut self, who: &str, w: Walk, extra: Option<u64>) {
        for (f, v) in ["base", "stride", "inner", "rows"].iter().zip([w.0, w.1, w.2, w.3]) {
            self.set(&format!("{who}_cmd_{f}"), v);
        }
        if let Some(lb) = extra {
            self.set("reader_cmd_last_bytes", lb);
        }
        self.set(&format!("{who}_cmd_valid"), 1);
        self.sim.eval();
        let prefix = if who == "writer" { "wr" } else { "rd" };
        assert_eq!(self.get(&format!("{prefix}_cmd_ready")), 1, "cycle {}: {who} idle", self.cycle);
        self.tick();
        self.set(&format!("{who}_cmd_valid"), 0);
    }
}

/// Write `w` with random data, strobes and gaps (`gaps`); the model follows.
fn write(tb: &mut Tb, rng: &mut ChaCha8Rng, mem: &mut [u64], w: Walk, gaps: bool, full: bool) {
    let total = mem.len() as u64;
    tb.cmd("writer", w, None);
    let lines = lines_of(w, total);
    let mut k = 0;
    while k < lines.len() {
        let valid = !gaps || rng.gen_bool(0.6);
        let data: u64 = rng.gen();
        let keep: u64 = if full { 0xff } else { rng.gen::<u8>() as u64 };
        tb.set("writer_s_axis_tvalid", valid as u64);
        tb.set("writer_s_axis_tdata", data);
        tb.set("writer_s_axis_tkeep", keep);
        tb.sim.eval();
        let done = tb.get("wr_done") != 0;
        if valid && tb.get("wr_s_axis_tready") != 0 {
            let line = lines[k].0 as usize;
            let mask = (0..8).filter(|b| keep >> b & 1 == 1).fold(0u64, |a, b| a | 0xff << (8 * b));
            mem[line] = (mem[line] & !mask) | (data & mask);
            k += 1;
            assert_eq!(done, k == lines.len(), "cycle {}: writer done", tb.cycle);
        } else {
            assert!(!done, "cycle {}: done without a write", tb.cycle);
        }
        tb.tick();
    }
    tb.set("writer_s_axis_tvalid", 0);
    tb.sim.eval();
    assert_eq!(tb.get("wr_busy"), 0, "cycle {}: the writer is idle after its last line", tb.cycle);
}

/// Read `w` back under random back-pressure (none if `!stall`); the cycles from the command to the last beat.
fn read(tb: &mut Tb, rng: &mut ChaCha8Rng, mem: &[u64], w: Walk, last_bytes: u64, stall: bool) -> u64 {
    let lines = lines_of(w, mem.len() as u64);
    let t0 = tb.cycle;
    tb.cmd("reader", w, Some(last_bytes));
    let mut k = 0;
    while k < lines.len() {
        assert!(tb.cycle - t0 < 100 * lines.len() as u64 + 100, "reader hung at line {k}");
        let ready = !stall || rng.gen_bool(0.5);
        tb.set("reader_m_axis_tready", ready as u64);
        tb.sim.eval();
        if tb.get("rd_m_axis_tvalid") != 0 && ready {
            let (line, row_end) = lines[k];
            let last = k + 1 == lines.len();
            let keep = if last && last_bytes < 8 { (1u64 << last_bytes) - 1 } else { 0xff };
            let c = tb.cycle;
            assert_eq!(tb.get("rd_m_axis_tdata"), mem[line as usize], "cycle {c}: line {line} (beat {k})");
            assert_eq!(tb.get("rd_m_axis_tkeep"), keep, "cycle {c}: tkeep of beat {k}");
            assert_eq!(tb.get("rd_m_axis_tuser"), row_end as u64, "cycle {c}: row end of beat {k}");
            assert_eq!(tb.get("rd_m_axis_tlast"), last as u64, "cycle {c}: tlast of beat {k}");
            k += 1;
        }
        tb.tick();
    }
    tb.set("reader_m_axis_tready", 0);
    tb.cycle - t0
}

/// The whole run on one model: every line written, a full-speed read, then random rounds.
fn run(sim: &mut Model, seed: u64) {
    let port = sim.ports().iter().map(|p| (p.name.clone(), sim.port(&p.name).unwrap())).collect();
    let mut tb = Tb { sim, port, cycle: 0 };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total = (P.banks * P.lines_per_bank) as u64;
    let mut mem = vec![0u64; total as usize];
    tb.set("rst", 1);
    tb.tick();
    tb.set("rst", 0);
    // Every line once, then a straight read at full speed: one line per cycle after a fixed latency.
    write(&mut tb, &mut rng, &mut mem, (0, 0, total, 1), false, true);
    let cycles = read(&mut tb, &mut rng, &mem, (0, 0, total, 1), 8, false);
    assert_eq!(cycles, total + 4, "a line per cycle after 4 cycles of latency");
    for round in 0..300 {
        let inner = rng.gen_range(1..=4);
        let rows = rng.gen_range(1..=6);
        let w = (rng.gen_range(0..total), rng.gen_range(0..total), inner, rows);
        write(&mut tb, &mut rng, &mut mem, w, round % 3 != 0, false);
        let r = (rng.gen_range(0..total), rng.gen_range(0..total), rng.gen_range(1..=4), rng.gen_range(1..=6));
        let last_bytes = rng.gen_range(1..=8);
        read(&mut tb, &mut rng, &mem, r, last_bytes, round % 2 == 0);
    }
}

#[test]
fn line_writer_and_reader_walk_the_scratchpad() {
    let seed = seed_from_env("line_writer_and_reader_walk_the_scratchpad", 11);
    testbenches::sim::run_with_waveform(&harness(), &format!("spad_io-seed{seed}"), |sim| run(sim, seed));
}

#[test]
fn line_writer_and_reader_lint_clean_at_preset_sizes() {
    for (lb, aw) in [(8u32, 11u32), (16, 14), (64, 14)] {
        for m in [spad_writer(lb, aw).unwrap(), spad_reader(lb, aw).unwrap()] {
            testbenches::sim::lint_module(&m).unwrap();
        }
    }
    assert!(spad_reader(0, 8).unwrap_err().to_string().contains("line_bytes = 0"));
    assert!(spad_writer(8, 0).unwrap_err().to_string().contains("line_bits = 0"));
}
