//! The AXI verification components checked on their own: the protocol
//! monitor must report each rule when fed deliberately broken traffic (and
//! nothing on legal traffic, including W before AW and responses reordered
//! across IDs); the slave memory model must keep same-ID order, reorder
//! across IDs, honour its latency and inject errors; the AXI4-Lite driver and
//! stream components are exercised through the DMA tests.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::axi::mem::{AxiMem, ErrorRegion, MemConfig};
use testbenches::axi::monitor::{Monitor, MonitorConfig, Rule};
use testbenches::axi::{Addr, AxiSnapshot, BResp, Chan, RBeat, WBeat};
use testbenches::seed_from_env;

const CFG: MonitorConfig = MonitorConfig { data_bytes: 16, max_burst: 16, watchdog: 50 };

fn incr(id: u32, addr: u64, beats: u32) -> Addr {
    Addr { id, addr, len: (beats - 1) as u8, size: 4, burst: 1, ..Default::default() }
}

fn ar(a: Addr, ready: bool) -> AxiSnapshot {
    AxiSnapshot { ar: Chan { valid: true, ready, payload: a }, ..Default::default() }
}

fn aw(a: Addr, ready: bool) -> AxiSnapshot {
    AxiSnapshot { aw: Chan { valid: true, ready, payload: a }, ..Default::default() }
}

fn r(id: u32, last: bool, resp: u8) -> AxiSnapshot {
    AxiSnapshot {
        r: Chan { valid: true, ready: true, payload: RBeat { id, data: [0; 16], resp, last } },
        ..Default::default()
    }
}

fn w(strb: u64, last: bool) -> AxiSnapshot {
    AxiSnapshot {
        w: Chan { valid: true, ready: true, payload: WBeat { data: [0; 16], strb, last } },
        ..Default::default()
    }
}

fn b(id: u32, resp: u8) -> AxiSnapshot {
    AxiSnapshot { b: Chan { valid: true, ready: true, payload: BResp { id, resp } }, ..Default::default() }
}

/// Feed cycles to a fresh monitor; return the rules it reported.
fn rules(cycles: &[AxiSnapshot], finish: bool) -> Vec<Rule> {
    let mut m = Monitor::new(CFG);
    for (i, s) in cycles.iter().enumerate() {
        m.check(i as u64, s, false);
    }
    if finish {
        m.finish(cycles.len() as u64);
    }
    m.violations.iter().map(|v| v.rule).collect()
}

fn idle() -> AxiSnapshot {
    AxiSnapshot::default()
}

#[test]
fn legal_traffic_has_no_violation() {
    let cycles = vec![
        ar(incr(1, 0x1000, 2), false),
        ar(incr(1, 0x1000, 2), true),
        ar(incr(2, 0x2008, 1), true),
        // Responses across IDs reordered: ID 2 first.
        r(2, true, 0),
        r(1, false, 0),
        idle(),
        r(1, true, 0),
        // Write data before its address (legal in AXI4), unaligned start.
        w(0xff00, false),
        w(0x00ff, true),
        aw(incr(3, 0x3008, 2), true),
        b(3, 2),
        aw(incr(4, 0x4000, 1), true),
        w(0xffff, true),
        b(4, 0),
    ];
    assert_eq!(rules(&cycles, true), []);
}

#[test]
fn each_rule_is_reported() {
    let a = incr(0, 0x1000, 2);
    let cases: Vec<(&str, Vec<AxiSnapshot>, Rule)> = vec![
        ("AR valid dropped", vec![ar(a, false), idle()], Rule::ValidDropped),
        (
            "W valid dropped",
            vec![
                {
                    let mut s = w(0xffff, true);
                    s.w.ready = false;
                    s
                },
                idle(),
            ],
            Rule::ValidDropped,
        ),
        ("AR payload changed", vec![ar(a, false), ar(Addr { addr: 0x1010, ..a }, true)], Rule::PayloadChanged),
        (
            "R payload changed",
            vec![
                ar(a, true),
                {
                    let mut s = r(0, false, 0);
                    s.r.ready = false;
                    s
                },
                r(0, false, 2),
            ],
            Rule::PayloadChanged,
        ),
        ("4 KiB crossing", vec![ar(incr(0, 0xff0, 2), true)], Rule::Cross4k),
        ("INCR too long", vec![ar(incr(0, 0, 17), true)], Rule::BurstLimits),
        ("AxSIZE too wide", vec![ar(Addr { size: 5, ..a }, true)], Rule::BurstLimits),
        ("WRAP of 3 beats", vec![ar(Addr { burst: 2, len: 2, ..a }, true)], Rule::BurstLimits),
        ("reserved burst", vec![ar(Addr { burst: 3, ..a }, true)], Rule::BurstLimits),
        ("RLAST early", vec![ar(a, true), r(0, true, 0)], Rule::BeatCount),
        ("RLAST missing", vec![ar(a, true), r(0, false, 0), r(0, false, 0)], Rule::BeatCount),
        ("WLAST early", vec![aw(a, true), w(0xffff, true)], Rule::BeatCount),
        ("WSTRB below the start address", vec![aw(incr(0, 0x1003, 1), true), w(0xfffe, true)], Rule::StrobeOutside),
        (
            "WSTRB outside a narrow beat",
            vec![aw(Addr { size: 2, len: 0, ..a }, true), w(0x00f0, true)],
            Rule::StrobeOutside,
        ),
        ("B before the last W", vec![aw(a, true), w(0xffff, false), b(0, 0)], Rule::EarlyResponse),
        ("B before the AW", vec![w(0xffff, true), b(0, 0)], Rule::Unrequested),
        ("R without AR", vec![r(0, true, 0)], Rule::Unrequested),
        ("R of another ID", vec![ar(a, true), r(5, false, 0)], Rule::Unrequested),
        ("EXOKAY on a normal read", vec![ar(incr(0, 0, 1), true), r(0, true, 1)], Rule::BadResponse),
        ("read never answered", vec![ar(a, true)], Rule::Unanswered),
        ("write never answered", vec![aw(incr(0, 0, 1), true), w(0xffff, true)], Rule::Unanswered),
    ];
    for (what, cycles, rule) in cases {
        let got = rules(&cycles, true);
        assert!(got.contains(&rule), "{what}: expected {rule:?}, got {got:?}");
    }
}

#[test]
fn valid_during_reset_is_reported() {
    let mut m = Monitor::new(CFG);
    m.check(0, &idle(), true);
    m.check(1, &ar(incr(0, 0, 1), false), true);
    assert_eq!(m.violations.len(), 1);
    assert_eq!(m.violations[0].rule, Rule::ValidInReset);
    assert_eq!(m.violations[0].channel, "AR");
}

#[test]
fn watchdog_names_the_stuck_channel() {
    // AW waits for AWREADY forever.
    let mut m = Monitor::new(CFG);
    for c in 0..100 {
        m.check(c, &aw(incr(0, 0, 1), false), false);
    }
    let v: Vec<_> = m.violations.iter().filter(|v| v.rule == Rule::Stuck).collect();
    assert_eq!(v.len(), 1, "reported once");
    assert_eq!(v[0].channel, "AW");
    assert!(m.stuck_channels().contains("AW VALID waiting"));
    // A read that never gets data.
    let mut m = Monitor::new(CFG);
    m.check(0, &ar(incr(0, 0, 1), true), false);
    for c in 1..100 {
        m.check(c, &idle(), false);
    }
    let v: Vec<_> = m.violations.iter().filter(|v| v.rule == Rule::Stuck).collect();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].channel, "R");
    assert!(m.stuck_channels().contains("reads waiting for R"));
}

/// A random master (several IDs, random READY) against the memory model,
/// watched by the monitor: no violation, same-ID order kept, reordering
/// across IDs seen, latency honoured, errors injected where asked, data
/// read back as written.
#[test]
fn memory_model_reorders_across_ids_only_and_injects_errors() {
    let seed = seed_from_env("memory_model", 21);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nb = 16u32;
    let cfg = MemConfig {
        data_bytes: nb,
        read_latency: 12,
        write_latency: 9,
        ready_prob: 0.6,
        valid_prob: 0.7,
        reorder: true,
        errors: vec![ErrorRegion { start: 0x5010, end: 0x5020, resp: 3 }],
        max_pending: 16,
        seed,
        misbehave: None,
    };
    let mut mem = AxiMem::new(cfg, golden::dma::Memory::new(seed));
    let mut mon = Monitor::new(MonitorConfig { data_bytes: nb, max_burst: 256, watchdog: 1000 });
    // Pending requests the master will issue: reads on 4 IDs, writes on 2.
    let mut reads: Vec<Addr> = (0..200).map(|i| incr(i % 4, 0x1000 + 0x40 * (i as u64 % 97), 1 + (i % 4))).collect();
    reads.push(incr(0, 0x5000, 3)); // its second beat hits the error region
    let writes: Vec<Addr> = (0..40).map(|i| incr(i % 2, 0x8000 + 0x100 * i as u64, 1 + (i % 3))).collect();
    let (mut ri, mut wi) = (0usize, 0usize);
    // The write in its data phase: (address, beats sent).
    let mut w_cur: Option<(Addr, u32)> = None;
    let mut ar_cycle: Vec<u64> = Vec::new();
    let mut first_r: Vec<Option<u64>> = vec![None; reads.len()];
    let mut r_order: Vec<usize> = Vec::new();
    let mut resps: Vec<(usize, u8)> = Vec::new();
    let mut issued_per_id: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    let mut done_per_id: std::collections::HashMap<u32, usize> = Default::default();
    let mut s = AxiSnapshot::default();
    for cycle in 0..20_000u64 {
        let o = mem.outputs();
        // The master holds VALID and payload until READY (a new choice only after a handshake).
        s.ar = Chan { valid: ri < reads.len(), ready: o.arready, payload: reads.get(ri).copied().unwrap_or_default() };
        s.aw = Chan {
            valid: w_cur.is_none() && wi < writes.len(),
            ready: o.awready,
            payload: writes.get(wi).copied().unwrap_or_default(),
        };
        s.w = Chan {
            valid: w_cur.is_some(),
            ready: o.wready,
            payload: WBeat { data: [wi as u32; 16], strb: 0xffff, last: w_cur.is_some_and(|(a, n)| n == a.len as u32) },
        };
        s.r = Chan { valid: o.r.is_some(), ready: rng.gen_bool(0.8), payload: o.r.unwrap_or_default() };
        s.b = Chan { valid: o.b.is_some(), ready: rng.gen_bool(0.8), payload: o.b.unwrap_or_default() };
        mon.check(cycle, &s, false);
        if s.ar.fire() {
            ar_cycle.push(cycle);
            issued_per_id.entry(s.ar.payload.id).or_default().push(ri);
            ri += 1;
        }
        if s.r.fire() {
            let id = s.r.payload.id;
            let k = issued_per_id[&id][*done_per_id.get(&id).unwrap_or(&0)];
            first_r[k].get_or_insert(cycle);
            resps.push((k, s.r.payload.resp));
            if s.r.payload.last {
                r_order.push(k);
                *done_per_id.entry(id).or_default() += 1;
            }
        }
        if s.w.fire() {
            let (a, n) = w_cur.unwrap();
            w_cur = if n == a.len as u32 { None } else { Some((a, n + 1)) };
        }
        if s.aw.fire() {
            w_cur = Some((s.aw.payload, 0));
            wi += 1;
        }
        mem.update(&s, cycle);
        if ri == reads.len() && wi == writes.len() && w_cur.is_none() && mem.pending() == 0 {
            break;
        }
    }
    mon.finish(20_000);
    assert!(mon.violations.is_empty(), "{}", mon.report());
    assert_eq!(r_order.len(), reads.len(), "every read answered");
    // Same-ID order kept; across IDs, out of issue order at least once.
    for id in 0..4 {
        let seq: Vec<usize> = r_order.iter().copied().filter(|&k| reads[k].id == id).collect();
        assert!(seq.windows(2).all(|p| p[0] < p[1]), "ID {id} out of order: {seq:?}");
    }
    assert!(r_order.windows(2).any(|p| p[0] > p[1]), "no reordering across IDs");
    // Latency: no data earlier than read_latency cycles after its AR.
    for (k, c) in ar_cycle.iter().enumerate() {
        assert!(first_r[k].unwrap() >= c + 12, "read {k} answered early");
    }
    // The error region: the second beat of the last read answers DECERR.
    let last: Vec<u8> = resps.iter().filter(|(k, _)| *k == reads.len() - 1).map(|x| x.1).collect();
    assert_eq!(last, [0, 3, 0]);
    assert_eq!(mem.handshakes[4], writes.len() as u64);
}
