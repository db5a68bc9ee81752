//! A transformer layer step on the golden backend against
//! `golden::layer::forward`, sequence by sequence: decode batches with
//! ragged contexts and prefill, a small shape on the tiny core (with the
//! tile's requantization) and SmolLM2-135M's shape on the default core.

use std::path::Path;

use golden::config::Config;
use golden::layer::{forward, LayerShape};
use golden::softmax::SoftmaxParams;
use runtime::layer::{layer, problem::random};
use runtime::GoldenBackend;

fn preset(name: &str) -> Config {
    let file = if name == "tiny-rq" { "tiny" } else { name };
    let mut c =
        Config::from_file(Path::new(&format!("{}/../configs/{file}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap();
    c.systolic.requant |= name == "tiny-rq";
    c
}

fn check(name: &str, shape: &LayerShape, seqs: &[(usize, usize)], page: usize) {
    let seed = std::env::var("SERRANO_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x1a7e);
    println!("SERRANO_SEED={seed}");
    let cfg = preset(name);
    let sp = SoftmaxParams::new(&cfg.softmax);
    let pr = random(&sp, shape, seqs, page, seed).unwrap();
    let mut be = GoldenBackend::new(&cfg, seed).unwrap();
    let r = layer(&mut be, &pr.shape, &pr.weights, &pr.seqs, &pr.paging).unwrap();
    for (i, s) in pr.seqs.iter().enumerate() {
        let want = forward(&sp, &pr.shape, &pr.weights, s).unwrap();
        assert_eq!(r.out[i], want, "{name} {seqs:?}: sequence {i}");
        let changed = (0..want.rows)
            .flat_map(|t| (0..want.cols).map(move |c| (t, c)))
            .filter(|&(t, c)| want.at(t, c) != s.x.at(t, c))
            .count();
        assert!(changed > want.rows * want.cols / 2, "the layer changes most of the stream ({changed})");
    }
    println!("{name} {seqs:?}: {} commands, {} core MACs, host {:?}", r.commands, r.core_macs, r.host);
}

fn small() -> LayerShape {
    LayerShape { width: 64, heads: 4, kv_heads: 2, d_head: 16, ffn: 96, rope_theta: 10_000.0 }
}

#[test]
fn decode_steps_match_golden() {
    check("tiny-rq", &small(), &[(1, 0), (1, 20), (1, 47)], 16);
    check("default", &LayerShape::smollm2_135m(), &[(1, 100), (1, 63)], 64);
}

#[test]
fn prefill_matches_golden() {
    check("tiny-rq", &small(), &[(19, 0)], 16);
    check("tiny-rq", &small(), &[(5, 11), (3, 0)], 16);
}
