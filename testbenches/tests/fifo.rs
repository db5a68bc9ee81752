//! The FIFO block (`hdl::blocks::common::fifo`) against a queue model: random pushes
//! and pops, every output compared every cycle, for several depths
//! (including depth 1 and depths that are not powers of two).

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::sim::BuildOptions;
use testbenches::{build_module, seed_from_env};

#[test]
fn fifo_matches_a_queue() {
    let seed = seed_from_env("fifo_matches_a_queue", 31);
    for depth in [1u32, 2, 3, 5, 8] {
        let m = hdl::blocks::common::fifo::fifo(12, depth).unwrap();
        let built = build_module(&m, BuildOptions::default()).unwrap();
        let mut sim = built.lib.instantiate(None).unwrap();
        let p = |n: &str| sim.port(n).unwrap();
        let (clk, rst, in_valid, in_data, out_ready) =
            (p("clk"), p("rst"), p("in_valid"), p("in_data"), p("out_ready"));
        let (in_ready, out_valid, out_data, count) = (p("in_ready"), p("out_valid"), p("out_data"), p("count"));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ depth as u64);
        // The model: words in the FIFO, and when each may appear at the output
        // (two cycles after its push when the FIFO was empty).
        let mut q: VecDeque<(u64, u64)> = VecDeque::new();
        sim.set(rst, 1);
        sim.tick(clk);
        sim.set(rst, 0);
        let mut max_seen = 0;
        for cycle in 0..20_000u64 {
            // Phases of pressure: fill, drain, random.
            let (pp, pr) = match (cycle / 500) % 3 {
                0 => (0.9, 0.2),
                1 => (0.2, 0.9),
                _ => (0.5, 0.5),
            };
            let v = rng.gen_bool(pp);
            let d: u64 = rng.gen_range(0..4096);
            let r = rng.gen_bool(pr);
            sim.set(in_valid, v as u64);
            sim.set(in_data, d);
            sim.set(out_ready, r as u64);
            sim.eval();
            let n = q.len() as u64;
            assert_eq!(sim.get(count), n, "depth {depth} cycle {cycle}: count");
            assert_eq!(sim.get(in_ready), (n < depth as u64) as u64, "depth {depth} cycle {cycle}: in_ready");
            let head = q.front().filter(|(_, at)| *at <= cycle);
            assert_eq!(sim.get(out_valid) != 0, head.is_some(), "depth {depth} cycle {cycle}: out_valid");
            if let Some((w, _)) = head {
                assert_eq!(sim.get(out_data), *w, "depth {depth} cycle {cycle}: out_data");
            }
            let pop = head.is_some() && r;
            let push = v && n < depth as u64;
            if pop {
                q.pop_front();
                // The next word moves up behind it: it is visible next cycle at the earliest.
                if let Some(f) = q.front_mut() {
                    f.1 = f.1.max(cycle + 1);
                }
            }
            if push {
                let at = if q.is_empty() { cycle + 2 } else { cycle + 1 };
                q.push_back((d, at));
            }
            max_seen = max_seen.max(q.len());
            sim.tick(clk);
        }
        assert_eq!(max_seen, depth as usize, "depth {depth}: filled to capacity");
    }
}
