//! Attention on the golden backend against `golden::attention`, head by
//! head: prefill (causal or not, lengths 1, odd and full), decode with
//! grouped-query heads, a shared and shuffled page pool, ragged batches,
//! and the errors a bad call gets. `SERRANO_SEED=N` reproduces a run.

use std::path::Path;

use golden::config::Config;
use golden::softmax::SoftmaxParams;
use runtime::attention::problem::{golden, random, Shape};
use runtime::attention::{attention, AttentionResult};
use runtime::{GoldenBackend, RuntimeError};

/// A preset; "tiny" with the tile's requantization (attention needs it).
fn preset(name: &str) -> Config {
    let file = if name == "tiny-rq" { "tiny" } else { name };
    let mut c =
        Config::from_file(Path::new(&format!("{}/../configs/{file}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap();
    c.systolic.requant |= name == "tiny-rq";
    c
}

fn seed() -> u64 {
    let s = std::env::var("SERRANO_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xa77e);
    println!("SERRANO_SEED={s}");
    s
}

fn run(name: &str, shape: &Shape, seed: u64) -> Result<AttentionResult, RuntimeError> {
    let cfg = preset(name);
    let sp = SoftmaxParams::new(&cfg.softmax);
    let pr = random(&sp, shape, seed).map_err(RuntimeError::Input)?;
    let mut be = GoldenBackend::new(&cfg, seed).unwrap();
    let r = attention(&mut be, &pr.spec, &pr.seqs, pr.pool_blocks)?;
    for (i, s) in pr.seqs.iter().enumerate() {
        let want = golden(&sp, &pr.spec, s).unwrap();
        for (h, w) in want.iter().enumerate() {
            assert_eq!(&r.out[i][h], w, "{name} {shape:?}: sequence {i} head {h}");
            assert!((0..w.rows).any(|t| (0..w.cols).any(|c| w.at(t, c) != 0)), "a head of zeros proves little");
        }
    }
    assert_eq!(r.counters.commands_retired, r.commands as u64);
    assert_eq!(r.counters.fences, r.runs as u64);
    Ok(r)
}

fn shape(d: usize, heads: usize, kv: usize, page: usize, seqs: &[(usize, usize)], causal: bool, decode: bool) -> Shape {
    Shape { d_head: d, heads, kv_heads: kv, page_tokens: page, seqs: seqs.to_vec(), causal, decode }
}

#[test]
fn prefill_heads_match_golden() {
    let s = seed();
    for (name, d, l, page) in
        [("tiny-rq", 16, 1, 16), ("tiny-rq", 16, 37, 16), ("tiny-rq", 8, 256, 32), ("default", 64, 100, 64)]
    {
        for causal in [false, true] {
            let r = run(name, &shape(d, 2, 1, page, &[(l, l)], causal, false), s).unwrap();
            println!("{name} d={d} L={l} causal={causal}: {} commands, {:?}", r.commands, r.counters);
        }
    }
}

#[test]
fn queries_behind_a_longer_context_see_their_causal_limit() {
    run("tiny-rq", &shape(16, 1, 1, 16, &[(5, 40)], true, false), seed()).unwrap();
}

#[test]
fn batched_decode_with_ragged_contexts_and_grouped_heads() {
    let s = seed();
    let seqs = [(1, 1), (1, 17), (1, 64), (1, 33)];
    run("tiny-rq", &shape(16, 4, 2, 16, &seqs, false, true), s).unwrap();
    run("default", &shape(64, 3, 1, 64, &[(1, 130), (1, 64), (1, 1)], false, true), s).unwrap();
}

#[test]
fn more_pages_than_the_page_table_take_several_runs() {
    // tiny: 32 page-table entries; 5 sequences × 2 × 4 pages need 40.
    let r = run("tiny-rq", &shape(16, 1, 1, 16, &[(1, 64), (1, 60), (1, 50), (1, 49), (1, 64)], false, true), seed())
        .unwrap();
    assert_eq!(r.runs, 2);
}

#[test]
fn bad_calls_are_named() {
    let e = |name, sh: Shape| run(name, &sh, 1).unwrap_err().to_string();
    assert!(e("tiny-rq", shape(12, 1, 1, 16, &[(4, 4)], false, false)).contains("d_head = 12"));
    assert!(e("tiny-rq", shape(16, 3, 2, 16, &[(4, 4)], false, false)).contains("kv_heads must divide heads"));
    assert!(e("tiny-rq", shape(16, 1, 1, 12, &[(4, 4)], false, false)).contains("page_size = 12"));
    assert!(e("tiny-rq", shape(16, 1, 1, 16, &[(4, 300)], false, false)).contains("max_len = 256"));
    assert!(e("tiny", shape(16, 1, 1, 16, &[(4, 4)], false, false)).contains("systolic.requant = false"));
    assert!(e("large", shape(64, 1, 1, 64, &[(4, 4)], false, false)).contains("softmax.out_bits = 16"));
    let cfg = preset("tiny-rq");
    let sp = SoftmaxParams::new(&cfg.softmax);
    let mut pr = random(&sp, &shape(16, 1, 1, 16, &[(1, 40)], false, true), 1).unwrap();
    let mut be = GoldenBackend::new(&cfg, 1).unwrap();
    pr.seqs[0].blocks[1] = 99;
    let err = attention(&mut be, &pr.spec, &pr.seqs, pr.pool_blocks).unwrap_err().to_string();
    assert!(err.contains("block table entry 1 = 99 is out of range"), "{err}");
    pr.seqs[0].blocks.truncate(2);
    let err = attention(&mut be, &pr.spec, &pr.seqs, pr.pool_blocks).unwrap_err().to_string();
    assert!(err.contains("needs 3 blocks of 16 tokens; its block table has 2"), "{err}");
}

/// Contexts of more pages than the scratchpad has slots (tiny: 8 K and 8 V
/// slots of 16 tokens × 16 bytes): pages are evicted and loaded again, and
/// a load running ahead never overwrites a page a fold still reads.
#[test]
fn more_pages_than_slots_are_reloaded_not_overwritten() {
    let s = seed();
    run("tiny-rq", &shape(16, 2, 1, 16, &[(40, 200)], true, false), s).unwrap();
    run("tiny-rq", &shape(16, 1, 1, 16, &[(1, 200), (1, 150)], false, true), s).unwrap();
}
