//! The core's command fetch (`hdl::blocks::accel::core_fetch`) against the
//! ring as a host fills it: a host that writes random commands into free
//! slots and advances the tail at random, a decoder that takes commands
//! under random back-pressure and now and then stops the fetch and restarts
//! it from an earlier head (as after a fault and a clear), and the AXI
//! memory model with latency, random stalls and an error region. Every
//! command must come out in ring order from the head, with its index, its
//! 32 bytes and the error response of its beats; no read may cross 4 KiB or
//! break AXI (the protocol monitor); for 64-, 128- and 512-bit buses and
//! rings that start off the bus width and wrap.

use golden::dma::Memory;
use hdl::blocks::accel::core_fetch::core_fetch;
use hdl::core::Bundle;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::axi::mem::{AxiMem, ErrorRegion, MemConfig};
use testbenches::axi::monitor::{Monitor, MonitorConfig};
use testbenches::axi::ports::BusPorts;
use testbenches::axi::{AxiSnapshot, Chan};
use testbenches::seed_from_env;
use testbenches::sim::run_with_waveform;
use verilator_sys::Model;

fn set(sim: &mut Model, n: &str, v: u64) {
    let p = sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    sim.set(p, v);
}

fn get(sim: &Model, n: &str) -> u64 {
    sim.get(sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}")))
}

fn run(sim: &mut Model, data_bits: u32, base: u64, size: u64, seed: u64) {
    let bus = BusPorts::bind(sim, "m_axi", &Bundle::axi4_read(32, data_bits, 2)).expect("the m_axi read port");
    let wb = (data_bits / 8) as usize;
    let clk = sim.port("clk").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cfg = MemConfig::ideal(wb as u32, 12);
    cfg.ready_prob = 0.7;
    cfg.valid_prob = 0.7;
    cfg.seed = seed;
    // One slot's beats answer SLVERR.
    let bad_slot = rng.gen_range(0..size);
    let bad = base + 32 * bad_slot;
    cfg.errors = vec![ErrorRegion { start: bad, end: bad + 32, resp: 2 }];
    let mut mem = AxiMem::new(cfg.clone(), Memory::new(seed));
    let mut mon = Monitor::new(MonitorConfig { data_bytes: wb as u32, max_burst: 256, watchdog: 2_000 });
    let slot_resp = |i: u64| {
        let a = base + 32 * i;
        (0..32u64.div_ceil(wb as u64).max(1))
            .map(|k| cfg.resp_at((a + k * wb as u64) & !(wb as u64 - 1)))
            .find(|r| *r != 0)
            .unwrap_or(0)
    };
    let mut head = rng.gen_range(0..size);
    let mut tail = head;
    let mut contents: Vec<[u8; 32]> = vec![[0; 32]; size as usize];
    set(sim, "ring_base", base);
    set(sim, "ring_size", size);
    set(sim, "rst", 1);
    sim.tick(clk);
    set(sim, "rst", 0);
    let mut expect = head;
    let mut stop_for = 5u32;
    let mut got = 0u64;
    for cycle in 0..40_000u64 {
        // The host: fill free slots (one slot stays free: head = tail is empty).
        let used = (tail + size - head) % size;
        if used + 1 < size && rng.gen_bool(0.2) {
            let n = rng.gen_range(1..=(size - 1 - used).min(9));
            for _ in 0..n {
                let c: [u8; 32] = rng.gen();
                mem.mem.write(base + 32 * tail, &c);
                contents[tail as usize] = c;
                tail = (tail + 1) % size;
            }
        }
        // The decoder: now and then stop and restart from an earlier, unconsumed-by-the-host head.
        if stop_for == 0 && rng.gen_bool(0.002) {
            stop_for = rng.gen_range(1..40);
            expect = head;
        }
        let stopping = stop_for > 0;
        stop_for = stop_for.saturating_sub(1);
        set(sim, "stop", stopping as u64);
        set(sim, "head", head);
        set(sim, "tail", tail);
        let ready = rng.gen_bool(0.6);
        set(sim, "cmd_ready", ready as u64);
        let o = mem.outputs();
        set(sim, "m_axi_arready", o.arready as u64);
        set(sim, "m_axi_rvalid", o.r.is_some() as u64);
        let rb = o.r.unwrap_or_default();
        set(sim, "m_axi_rid", rb.id as u64);
        let words: Vec<u32> = rb.data[..wb.div_ceil(4)].to_vec();
        let p = sim.port("m_axi_rdata").unwrap();
        sim.set_wide(p, &words).unwrap();
        set(sim, "m_axi_rresp", rb.resp as u64);
        set(sim, "m_axi_rlast", rb.last as u64);
        sim.eval();
        if get(sim, "cmd_valid") != 0 {
            assert!(!stopping, "cycle {cycle}: a command offered while stopped");
            if ready {
                let idx = get(sim, "cmd_index");
                assert_eq!(idx, expect, "cycle {cycle}: ring order");
                assert_ne!(idx, tail, "cycle {cycle}: a slot at the tail was fetched");
                let w = sim.get_wide(sim.port("cmd_data").unwrap());
                let bytes: Vec<u8> = (0..32).map(|i| (w[i / 4] >> (8 * (i % 4))) as u8).collect();
                let resp = slot_resp(idx);
                assert_eq!(get(sim, "cmd_resp"), resp as u64, "cycle {cycle}: command {idx}'s response");
                // An erroring beat carries no data.
                if resp == 0 {
                    assert_eq!(bytes, contents[idx as usize], "cycle {cycle}: command {idx}'s bytes");
                }
                expect = (expect + 1) % size;
                // The decoder retires it at once: the host may reuse its slot.
                head = expect;
                got += 1;
            }
        }
        let ar = bus.addr(sim, "ar").expect("the AR channel");
        let snap = AxiSnapshot {
            ar: Chan { valid: get(sim, "m_axi_arvalid") != 0, ready: o.arready, payload: ar },
            r: Chan { valid: o.r.is_some(), ready: get(sim, "m_axi_rready") != 0, payload: rb },
            ..Default::default()
        };
        mon.check(cycle, &snap, false);
        mem.update(&snap, cycle);
        sim.tick(clk);
    }
    assert!(mon.violations.is_empty(), "AXI violations:\n{}", mon.report());
    // Progress, not speed (a ring of 2 holds one command: a read round trip each).
    assert!(got > 1_000, "only {got} commands in 40,000 cycles");
}

#[test]
fn fetch_follows_the_ring_through_stalls_errors_and_restarts() {
    let seed = seed_from_env("fetch_follows_the_ring_through_stalls_errors_and_restarts", 21);
    // (bus bits, ring base, ring size): off the bus width, odd sizes, a ring across a 4 KiB boundary.
    for (d, base, size) in [(128u32, 0x1_0020u64, 37u64), (512, 0x2_0fa0, 45), (64, 0x3_0ee0, 29), (128, 0x4_0000, 2)] {
        let m = core_fetch(d, 32, 2).unwrap();
        let s = seed ^ d as u64 ^ base;
        run_with_waveform(&m, &format!("{}-seed{s}", m.name()), |sim| run(sim, d, base, size, s));
    }
}

#[test]
fn fetch_lints_clean_and_refuses_bad_parameters() {
    for (d, a, i) in [(64u32, 32u32, 1u32), (128, 32, 4), (512, 64, 6)] {
        testbenches::sim::lint_module(&core_fetch(d, a, i).unwrap()).unwrap();
    }
    assert!(core_fetch(96, 32, 4).unwrap_err().to_string().contains("data_bits = 96"));
}
