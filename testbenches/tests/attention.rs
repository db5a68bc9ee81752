//! Attention through the RTL core (`runtime::attention` on the Verilator
//! backend) against `golden::attention`, head by head, and against the golden
//! core's counters: prefill with and without a causal mask (lengths 1, odd,
//! and the softmax unit's full `max_len`), queries behind a longer context,
//! batched decode with ragged contexts and grouped-query heads from one
//! shuffled page pool, more pages than the page table holds (several runs),
//! on random memory latency and back-pressure.
//!
//! The core is the tiny preset with the tile's requantization (attention
//! needs it), a small and fast build. A failing case is re-run with tracing
//! and leaves an FST waveform under `target/waves/`.

use golden::softmax::SoftmaxParams;
use golden::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use runtime::attention::attention;
use runtime::attention::problem::{golden, random, Shape};
use runtime::backend::GoldenBackend;
use testbenches::axi::mem::MemConfig;
use testbenches::core::RtlBackend;
use testbenches::sim::BuildOptions;
use testbenches::{seed_from_env, waves_dir};

fn tiny_with_requant() -> Config {
    let path = format!("{}/../configs/tiny.toml", env!("CARGO_MANIFEST_DIR"));
    let mut c = Config::from_toml_str(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    c.systolic.requant = true;
    c.validate().unwrap();
    c
}

fn shape(d: usize, heads: usize, kv: usize, page: usize, seqs: &[(usize, usize)], causal: bool, decode: bool) -> Shape {
    Shape { d_head: d, heads, kv_heads: kv, page_tokens: page, seqs: seqs.to_vec(), causal, decode }
}

/// One case on the RTL core; `Err` says what differs.
fn case(cfg: &Config, sh: &Shape, mem: &MemConfig, seed: u64, trace: Option<&std::path::Path>) -> Result<u64, String> {
    let sp = SoftmaxParams::new(&cfg.softmax);
    let pr = random(&sp, sh, seed)?;
    let mut gold = GoldenBackend::new(cfg, seed).unwrap();
    let g = attention(&mut gold, &pr.spec, &pr.seqs, pr.pool_blocks).map_err(|e| format!("golden: {e}"))?;
    let opts = BuildOptions { trace: trace.is_some(), ..Default::default() };
    let mut be = RtlBackend::new(cfg, mem.clone(), seed, opts, None).map_err(|e| format!("{e:#}"))?;
    if let Some(t) = trace {
        be.sim.trace_to(t).map_err(|e| format!("{e:#}"))?;
    }
    let r = attention(&mut be, &pr.spec, &pr.seqs, pr.pool_blocks);
    be.sim.trace_flush();
    let r = r.map_err(|e| format!("RTL: {e}"))?;
    for (i, s) in pr.seqs.iter().enumerate() {
        let want = golden(&sp, &pr.spec, s)?;
        for (h, w) in want.iter().enumerate() {
            if r.out[i][h] != *w {
                return Err(format!("sequence {i} head {h}: the output differs from golden::attention"));
            }
        }
    }
    if r.counters != g.counters {
        return Err(format!("counters {:?}, golden {:?}", r.counters, g.counters));
    }
    if be.last.violations != 0 {
        return Err(format!("{} protocol violations: {}", be.last.violations, be.sim.monitor.report()));
    }
    Ok(be.last.cycles)
}

/// Run a case; on failure, run it again with a waveform and panic with both.
fn check(cfg: &Config, sh: &Shape, mem: &MemConfig, seed: u64) {
    let what = format!("{sh:?}, memory latency {} (seed {seed})", mem.read_latency);
    match case(cfg, sh, mem, seed, None) {
        Ok(cycles) => eprintln!("{what}: {cycles} cycles in the last run"),
        Err(e) => {
            let dir = waves_dir();
            let _ = std::fs::create_dir_all(&dir);
            let wave = dir.join(format!("attention-{seed}.fst"));
            let again = case(cfg, sh, mem, seed, Some(&wave)).err().unwrap_or_default();
            panic!("{what}: {e}\n  waveform of the re-run: {} ({again})", wave.display());
        }
    }
}

fn random_mem(cfg: &Config, rng: &mut ChaCha8Rng) -> MemConfig {
    let mut m = MemConfig::ideal(cfg.dma.data_bytes(), rng.gen_range(1..=120));
    m.write_latency = rng.gen_range(1..=120);
    m.ready_prob = [1.0, 0.7][rng.gen_range(0..2)];
    m.valid_prob = [1.0, 0.8][rng.gen_range(0..2)];
    m.seed = rng.gen();
    m
}

#[test]
fn prefill_heads_equal_golden() {
    let seed = seed_from_env("prefill_heads_equal_golden", 21);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cfg = tiny_with_requant();
    let cases = [
        shape(16, 1, 1, 16, &[(1, 1)], false, false),
        shape(16, 2, 1, 16, &[(37, 37)], true, false),
        shape(8, 1, 1, 32, &[(23, 23)], false, false),
        shape(16, 1, 1, 16, &[(5, 40)], true, false),
        // The softmax unit's longest row: 256 keys.
        shape(8, 1, 1, 32, &[(9, 256)], true, false),
    ];
    // And one random shape: queries at the end of a longer context, any mask.
    let l = rng.gen_range(1..=120);
    let lq = rng.gen_range(1..=l.min(40));
    let (d, kv) = ([8, 16][rng.gen_range(0..2)], rng.gen_range(1..=2));
    let random = shape(d, kv * rng.gen_range(1..=2), kv, 128 / d, &[(lq, l)], rng.gen(), false);
    for sh in cases.iter().chain([&random]) {
        let mem = random_mem(&cfg, &mut rng);
        check(&cfg, sh, &mem, rng.gen());
    }
}

#[test]
fn batched_decode_from_a_shared_shuffled_pool_equals_golden() {
    let seed = seed_from_env("batched_decode_from_a_shared_shuffled_pool_equals_golden", 22);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cfg = tiny_with_requant();
    let cases = [
        // Ragged contexts, two query heads per K/V head.
        shape(16, 4, 2, 16, &[(1, 1), (1, 17), (1, 64), (1, 33)], false, true),
        // 40 pages for a page table of 32: two runs.
        shape(16, 1, 1, 16, &[(1, 64), (1, 60), (1, 50), (1, 49), (1, 64)], false, true),
    ];
    for sh in &cases {
        let mem = random_mem(&cfg, &mut rng);
        check(&cfg, sh, &mem, rng.gen());
    }
}
