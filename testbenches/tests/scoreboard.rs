//! The core's scoreboard (`hdl::blocks::accel::scoreboard`) against a model
//! of the ordering rule of `docs/isa.md` (`golden::core`'s
//! `Footprint::conflicts`): random commands with random read and write
//! intervals (empty ones too) in a small line space so they collide, random
//! queue heads and random completions in any order; every cycle each
//! queue's `clear`, `sync_clear`, `alloc_ready`, `retire`, `head_id` and
//! `empty` are compared, entries must leave in program order, and a rare
//! `flush` empties it.

use std::collections::VecDeque;

use golden::core::Footprint;
use hdl::blocks::accel::scoreboard::scoreboard;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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

/// One command in flight: its entry, footprint, and whether it is done.
struct Entry {
    id: u64,
    fp: Footprint,
    raw: [u64; 4],
    sync: bool,
    done: bool,
}

fn interval(rng: &mut ChaCha8Rng, lines: u64) -> (u64, u64) {
    if rng.gen_bool(0.25) {
        let x = rng.gen_range(0..=lines);
        return (x, x);
    }
    let lo = rng.gen_range(0..lines);
    (lo, rng.gen_range(lo + 1..=lines.min(lo + 6)))
}

fn run(sim: &mut Model, n: u64, queues: usize, dones: usize, seed: u64) {
    let clk = sim.port("clk").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lines = 24u64;
    set(sim, "rst", 1);
    sim.tick(clk);
    set(sim, "rst", 0);
    let mut rob: VecDeque<Entry> = VecDeque::new();
    let mut next_id = 0u64;
    let mut retired = 0u64;
    for cycle in 0..30_000u64 {
        // A new command, maybe.
        let offer = rng.gen_bool(0.5);
        let (r, w) = (interval(&mut rng, lines), interval(&mut rng, lines));
        let raw = [r.0, r.1, w.0, w.1];
        for (f, v) in ["rd_lo", "rd_hi", "wr_lo", "wr_hi"].iter().zip(raw) {
            set(sim, &format!("alloc_{f}"), v);
        }
        let sync = rng.gen_bool(0.3);
        set(sim, "alloc_sync", sync as u64);
        set(sim, "alloc_valid", offer as u64);
        let flush = rng.gen_bool(0.002);
        set(sim, "flush", flush as u64);
        // Queue heads: any entry in flight (or a stale id, whose answer is not checked).
        let heads: Vec<Option<usize>> =
            (0..queues).map(|_| if rob.is_empty() { None } else { Some(rng.gen_range(0..rob.len())) }).collect();
        for (k, h) in heads.iter().enumerate() {
            set(sim, &format!("q{k}_id"), h.map(|i| rob[i].id).unwrap_or(0));
        }
        // Completions of entries in flight, in any order.
        let mut finishing = Vec::new();
        for k in 0..dones {
            let pick = rob.iter().enumerate().filter(|(_, e)| !e.done).map(|(i, _)| i).collect::<Vec<_>>();
            let v = !pick.is_empty() && rng.gen_bool(0.3);
            let i = if v { pick[rng.gen_range(0..pick.len())] } else { 0 };
            set(sim, &format!("d{k}_valid"), v as u64);
            set(sim, &format!("d{k}_id"), if v { rob[i].id } else { 0 });
            if v {
                finishing.push(i);
            }
        }
        sim.eval();
        let full = rob.len() as u64 == n;
        if let Some(e) = rob.front() {
            assert_eq!(get(sim, "head_id"), e.id, "cycle {cycle}: head_id");
        }
        assert_eq!(get(sim, "alloc_ready"), !full as u64, "cycle {cycle}: alloc_ready");
        assert_eq!(get(sim, "empty"), rob.is_empty() as u64, "cycle {cycle}: empty");
        for (k, h) in heads.iter().enumerate() {
            if let Some(i) = h {
                let blocked = rob.iter().take(*i).any(|o| !o.done && o.fp.conflicts(&rob[*i].fp));
                assert_eq!(
                    get(sim, &format!("q{k}_clear")),
                    !blocked as u64,
                    "cycle {cycle}: queue {k} head (entry {}, {:?}) behind {:?}",
                    rob[*i].id,
                    rob[*i].raw,
                    rob.iter().take(*i).filter(|o| !o.done).map(|o| o.raw).collect::<Vec<_>>()
                );
                let synced = rob.iter().take(*i).any(|o| !o.done && o.sync);
                assert_eq!(
                    get(sim, &format!("q{k}_sync_clear")),
                    !synced as u64,
                    "cycle {cycle}: queue {k} sync_clear"
                );
            }
        }
        let retire = rob.front().is_some_and(|e| e.done);
        assert_eq!(get(sim, "retire"), retire as u64, "cycle {cycle}: retire");
        if offer && !full && !flush {
            assert_eq!(get(sim, "alloc_id"), next_id % n, "cycle {cycle}: alloc_id");
        }
        // The clock edge: completions, retirement, allocation.
        for i in finishing {
            rob[i].done = true;
        }
        if retire {
            rob.pop_front();
            retired += 1;
        }
        if flush {
            rob.clear();
            next_id = 0;
        } else if offer && !full {
            let fp = |(lo, hi): (u64, u64)| (lo < hi).then_some(lo..hi);
            rob.push_back(Entry {
                id: next_id % n,
                fp: Footprint { read: fp(r), write: fp(w) },
                raw,
                sync,
                done: false,
            });
            next_id += 1;
        }
        sim.tick(clk);
    }
    assert!(retired > 5_000, "only {retired} commands retired");
}

#[test]
fn scoreboard_follows_the_ordering_rule() {
    let seed = seed_from_env("scoreboard_follows_the_ordering_rule", 13);
    for (n, q, d) in [(8u64, 3usize, 3usize), (4, 2, 2), (16, 3, 7)] {
        let m = scoreboard(n as u32, 5, q as u32, d as u32).unwrap();
        let s = seed ^ n;
        run_with_waveform(&m, &format!("{}-seed{s}", m.name()), |sim| run(sim, n, q, d, s));
    }
}

#[test]
fn scoreboard_lints_clean_and_refuses_bad_parameters() {
    let m = scoreboard(8, 14, 3, 7).unwrap();
    testbenches::sim::lint_module(&m).unwrap();
    assert!(scoreboard(6, 14, 3, 3).unwrap_err().to_string().contains("entries = 6"));
    assert!(scoreboard(8, 14, 0, 3).unwrap_err().to_string().contains("queues = 0"));
    assert!(scoreboard(8, 14, 3, 9).unwrap_err().to_string().contains("dones = 9"));
}
