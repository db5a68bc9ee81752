//! The int8 model's core steps on a core (`runtime::llm::runner`): on the
//! golden core model, a two-layer prefill and two decode steps give logits
//! equal, bit for bit, to the golden `QuantModel` forward, with one
//! attention call per query head and (heads sharing their quantization) per
//! group.

use std::path::Path;

use golden::llm::host::argmax;
use golden::llm::model::{KvCache, QuantModel};
use golden::softmax::SoftmaxParams;
use golden::Config;
use runtime::backend::GoldenBackend;
use runtime::llm::calibrate::{calibrate_tokens, model_input, CALIBRATION_TEXT};
use runtime::llm::runner::{CoreRunner, PAGE_TOKENS};
use runtime::llm::{load_model, model_path, Model};

fn config() -> Config {
    Config::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/default.toml")).unwrap()
}

fn model() -> (Model, Config, QuantModel) {
    let m = load_model(&model_path().unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    let cfg = config();
    let sp = SoftmaxParams::new(&cfg.softmax);
    let ids = m.tokenizer.encode(CALIBRATION_TEXT);
    let cal = calibrate_tokens(&m.weights, &ids[..200], LAYERS).unwrap();
    let qm = QuantModel::new(&model_input(&m.weights, LAYERS), &cal, &sp).unwrap();
    (m, cfg, qm)
}

const LAYERS: usize = 2;

/// A 20-token prefill and two decode steps on the golden core; returns the
/// attention calls the runner made.
fn prefill_and_decode_equal_golden(m: &Model, cfg: &Config, qm: &QuantModel) -> usize {
    let prompt = m.tokenizer.encode("Once upon a time, a little fox lived at the edge of a quiet green forest.");
    assert!((17..=32).contains(&prompt.len()), "{} tokens", prompt.len());
    let mut backend = GoldenBackend::new(cfg, 7).unwrap();
    // Pages of 16 tokens (the line's multiple): the prompt crosses a page.
    let mut core = CoreRunner::new(&mut backend, 16);
    let (mut want_cache, mut got_cache) = (KvCache::new(qm), KvCache::new(qm));
    let mut tokens = prompt.clone();
    for step in 0..3 {
        let want = qm.forward(&mut want_cache, &tokens, None).unwrap();
        let got = qm.forward_on(&mut core, &mut got_cache, &tokens, None).unwrap();
        assert_eq!(got.logits.len(), tokens.len());
        for (pos, (g, w)) in got.logits.iter().zip(&want.logits).enumerate() {
            let g: Vec<u32> = g.iter().map(|v| v.to_bits()).collect();
            let w: Vec<u32> = w.iter().map(|v| v.to_bits()).collect();
            assert!(g == w, "step {step} position {pos}: the logits differ");
        }
        assert_eq!(got_cache, want_cache, "step {step}: the caches differ");
        tokens = vec![argmax(want.logits.last().unwrap())];
    }
    let st = core.take_stats();
    // Per forward: 7 GEMMs per layer and the LM head.
    assert_eq!(st.gemms, 3 * (7 * LAYERS + 1));
    assert!(st.counters.dram_bytes_read >= st.weight_bytes && st.weight_bytes > 0);
    st.attention_calls
}

#[test]
fn two_layers_on_the_golden_core_equal_the_golden_model() {
    let (m, cfg, mut qm) = model();
    assert_eq!(m.tokenizer.encode("Once upon a time"), vec![6403, 1980, 253, 655]);
    // Every query head has its own quantization: one call per query head.
    assert_eq!(prefill_and_decode_equal_golden(&m, &cfg, &qm), 3 * 9 * LAYERS);
    // Heads of a group sharing their Q scale and quantization: one call per group.
    let group = qm.shape.n_heads / qm.shape.n_kv_heads;
    for l in &mut qm.layers {
        for h in 0..qm.shape.n_heads {
            let first = h / group * group;
            (l.attn.s_q[h], l.attn.quant[h], l.attn.logit_shift[h]) =
                (l.attn.s_q[first], l.attn.quant[first], l.attn.logit_shift[first]);
        }
    }
    assert_eq!(prefill_and_decode_equal_golden(&m, &cfg, &qm), 3 * 3 * LAYERS);
    assert_eq!(PAGE_TOKENS, 64);
}
