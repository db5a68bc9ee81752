//! Timing measurements (not run by default):
//! `cargo test -p verilator-sys --release --test bench -- --ignored --nocapture`

mod common;

use std::time::Instant;

use common::*;
use verilator_sys::Builder;

#[test]
#[ignore = "benchmark"]
fn bench_counter() {
    // One-off per process: `verilator --version` (memoized afterwards).
    let t = Instant::now();
    verilator_sys::verilator_version().unwrap();
    let version_cost = t.elapsed();
    // Make sure the runtime seed store exists so it does not skew timings.
    drop(fresh_cache());

    // Fully cold: empty cache, runtime compiled too.
    let empty = tempfile::tempdir().unwrap();
    let (_d, v) = src("counter.v", COUNTER);
    let b = Builder::new("counter").source(&v).cache_dir(empty.path());
    let t = Instant::now();
    let lib = b.build().unwrap();
    let cold_full = t.elapsed();
    assert!(!lib.cache_hit());

    // Cold model, runtime objects already cached.
    let (_d2, v2) = src("counter.v", &COUNTER.replace("8'd1", "8'd1 + 8'd0"));
    let t = Instant::now();
    let lib2 = Builder::new("counter").source(&v2).cache_dir(empty.path()).build().unwrap();
    let cold_model = t.elapsed();
    assert!(!lib2.cache_hit());

    // Cached.
    let t = Instant::now();
    let hit = b.build().unwrap();
    let cached = t.elapsed();
    assert!(hit.cache_hit());

    // Loop cost.
    let mut m = lib.instantiate(None).unwrap();
    let (clk, rst, en, q) =
        (m.port("clk").unwrap(), m.port("rst").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
    m.set(rst, 0);
    let n = 5_000_000u64;
    let t = Instant::now();
    let mut acc = 0u64;
    for i in 0..n {
        m.set(en, i & 1);
        m.eval();
        acc = acc.wrapping_add(m.get(q));
    }
    let per_eval = t.elapsed() / n as u32;
    let t = Instant::now();
    for i in 0..n {
        m.set(en, i & 1);
        acc = acc.wrapping_add(m.get(q));
    }
    let per_setget = t.elapsed() / n as u32;
    let t = Instant::now();
    for _ in 0..n {
        m.tick(clk);
    }
    let per_tick = t.elapsed() / n as u32;
    m.set(en, 1);
    m.tick(clk);
    println!("acc={acc} q={}", m.get(q));
    println!("first verilator --version per process:   {version_cost:.2?}");
    println!("cold build (empty cache, incl. runtime): {cold_full:.2?}");
    println!("cold build (runtime objects cached):     {cold_model:.2?}");
    println!("cached build:                            {cached:.2?}");
    println!("set+eval+get iteration:                  {per_eval:?}");
    println!("set+get only iteration:                  {per_setget:?}");
    println!("tick:                                    {per_tick:?}");
}
