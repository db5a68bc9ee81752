//! The core's AXI4 read mux (`hdl::blocks::accel::axi_read_mux`): two
//! masters issuing random INCR bursts (holding AR until taken, random
//! RREADY) through the mux to the testbench AXI memory, which reorders
//! responses across IDs and stalls at random. Every R beat must reach the
//! master that asked, in its order, with the memory's data and RLAST on the
//! burst's last beat; `s0` sees its own RID; the protocol monitor on the
//! shared port reports no violation (ARVALID and the AR payload held until
//! ARREADY, above all); and both masters make progress under contention.

use std::collections::VecDeque;

use golden::dma::Memory;
use hdl::blocks::accel::axi_read_mux::axi_read_mux;
use hdl::core::Bundle;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::axi::mem::{AxiMem, MemConfig};
use testbenches::axi::monitor::{Monitor, MonitorConfig};
use testbenches::axi::ports::BusPorts;
use testbenches::axi::{Addr, AxiSnapshot, Chan};
use testbenches::seed_from_env;
use verilator_sys::Model;

const ID_BITS: u32 = 2;

/// One master: its AR (held until taken) and the beats it still expects.
struct Master {
    name: &'static str,
    ar: Option<Addr>,
    expect: VecDeque<(u64, bool)>,
    beats: u64,
}

fn get(sim: &Model, n: &str) -> u64 {
    sim.get(sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}")))
}

fn set(sim: &mut Model, n: &str, v: u64) {
    let p = sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    sim.set(p, v);
}

#[test]
fn two_masters_share_one_read_port() {
    let seed = seed_from_env("two_masters_share_one_read_port", 5);
    let m = axi_read_mux(32, 64, ID_BITS).unwrap();
    let name = format!("{}-seed{seed}", m.name());
    testbenches::sim::run_with_waveform(&m, &name, |sim| run(sim, seed));
}

fn run(sim: &mut Model, seed: u64) {
    let bus = BusPorts::bind(sim, "m_axi", &Bundle::axi4_read(32, 64, ID_BITS)).expect("the m_axi read port");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let content = Memory::new(seed);
    let mut cfg = MemConfig::ideal(8, 20);
    cfg.ready_prob = 0.6;
    cfg.valid_prob = 0.7;
    cfg.reorder = true;
    cfg.seed = seed;
    let mut mem = AxiMem::new(cfg, Memory::new(seed));
    let mut mon = Monitor::new(MonitorConfig { data_bytes: 8, max_burst: 256, watchdog: 2_000 });
    let mut ms = [
        Master { name: "s0", ar: None, expect: VecDeque::new(), beats: 0 },
        Master { name: "s1", ar: None, expect: VecDeque::new(), beats: 0 },
    ];
    set(sim, "rst", 1);
    let clk = sim.port("clk").unwrap();
    sim.tick(clk);
    set(sim, "rst", 0);
    for cycle in 0..30_000u64 {
        for (i, mm) in ms.iter_mut().enumerate() {
            if mm.ar.is_none() && mm.expect.len() < 64 && rng.gen_bool(0.3) {
                let len: u8 = rng.gen_range(0..16);
                // Within one 4 KiB page, as AXI requires.
                let page = rng.gen_range(0..256u64) << 12;
                let addr = page + (rng.gen_range(0..4096 - 8 * (len as u64 + 1)) & !7);
                mm.ar = Some(Addr { id: 0, addr, len, size: 3, burst: 1, lock: 0, cache: 3, prot: i as u8 });
            }
            let p = format!("s{i}");
            set(sim, &format!("{p}_arvalid"), mm.ar.is_some() as u64);
            let a = mm.ar.unwrap_or_default();
            for (f, v) in [("addr", a.addr), ("len", a.len as u64), ("size", 3), ("burst", 1), ("prot", a.prot as u64)]
            {
                set(sim, &format!("{p}_ar{f}"), v);
            }
            for f in ["arid", "arlock"] {
                set(sim, &format!("{p}_{f}"), 0);
            }
            set(sim, &format!("{p}_arcache"), 3);
            set(sim, &format!("{p}_rready"), rng.gen_bool(0.7) as u64);
        }
        let o = mem.outputs();
        set(sim, "m_axi_arready", o.arready as u64);
        set(sim, "m_axi_rvalid", o.r.is_some() as u64);
        let rb = o.r.unwrap_or_default();
        set(sim, "m_axi_rid", rb.id as u64);
        set(sim, "m_axi_rdata", rb.data[0] as u64 | (rb.data[1] as u64) << 32);
        set(sim, "m_axi_rresp", rb.resp as u64);
        set(sim, "m_axi_rlast", rb.last as u64);
        sim.eval();
        let ar = bus.addr(sim, "ar").expect("the AR channel");
        let snap = AxiSnapshot {
            ar: Chan { valid: get(sim, "m_axi_arvalid") != 0, ready: o.arready, payload: ar },
            r: Chan { valid: o.r.is_some(), ready: get(sim, "m_axi_rready") != 0, payload: rb },
            ..Default::default()
        };
        mon.check(cycle, &snap, false);
        // Which master's AR went out: arprot carries the master's index, the ID the mux's choice.
        if snap.ar.fire() {
            let i = ar.prot as usize;
            let want_id = if i == 1 { (1 << ID_BITS) - 1 } else { 0 };
            assert_eq!(ar.id, want_id, "cycle {cycle}: ARID of {}", ms[i].name);
            let sent = ms[i].ar.take().expect("the AR of a master that asked");
            assert_eq!(ar, Addr { id: ar.id, ..sent }, "cycle {cycle}: AR payload of {}", ms[i].name);
            assert_eq!(get(sim, &format!("s{i}_arready")), 1, "cycle {cycle}: {} told of its AR", ms[i].name);
            for b in 0..=sent.len as u64 {
                let mut buf = [0u8; 8];
                content.read(sent.addr + 8 * b, &mut buf);
                ms[i].expect.push_back((u64::from_le_bytes(buf), b == sent.len as u64));
            }
        }
        for (i, mm) in ms.iter_mut().enumerate() {
            let v = get(sim, &format!("s{i}_rvalid")) != 0;
            if v && get(sim, &format!("s{i}_rready")) != 0 {
                let (data, last) = mm
                    .expect
                    .pop_front()
                    .unwrap_or_else(|| panic!("cycle {cycle}: {} got a beat it did not ask for", mm.name));
                assert_eq!(get(sim, &format!("s{i}_rdata")), data, "cycle {cycle}: {} data", mm.name);
                assert_eq!(get(sim, &format!("s{i}_rlast")) != 0, last, "cycle {cycle}: {} rlast", mm.name);
                if i == 0 {
                    assert_eq!(get(sim, "s0_rid"), 0, "cycle {cycle}: s0 sees its RID");
                }
                mm.beats += 1;
            }
        }
        mem.update(&snap, cycle);
        sim.tick(clk);
    }
    assert!(mon.violations.is_empty(), "AXI violations on the shared port:\n{}", mon.report());
    for mm in &ms {
        assert!(mm.beats > 20_000 / 10, "{} moved only {} beats: starved", mm.name, mm.beats);
    }
}

#[test]
fn read_mux_lints_clean_at_preset_widths() {
    for (a, d, i) in [(32u32, 64u32, 1u32), (32, 128, 4), (64, 512, 6)] {
        testbenches::sim::lint_module(&axi_read_mux(a, d, i).unwrap()).unwrap();
    }
    assert!(axi_read_mux(32, 64, 0).unwrap_err().to_string().contains("id_bits = 0"));
}
