//! The int8 model's core steps on a core (`runtime::llm::runner`): on the
//! golden core model, a two-layer prefill and two decode steps give logits
//! equal, bit for bit, to the golden `QuantModel` forward.

use std::path::Path;

use golden::llm::host::argmax;
use golden::llm::model::{KvCache, QuantModel};
use golden::softmax::SoftmaxParams;
use golden::Config;
use runtime::backend::GoldenBackend;
use runtime::llm::calibrate::{calibrate_tokens, model_input, CALIBRATION_TEXT};
use runtime::llm::runner::{CoreRunner, PAGE_TOKENS};
use runtime::llm::{load_model, model_path};

fn config() -> Config {
    Config::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/default.toml")).unwrap()
}

#[test]
fn two_layers_on_the_golden_core_equal_the_golden_model() {
    let m = load_model(&model_path().unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    let cfg = config();
    let sp = SoftmaxParams::new(&cfg.softmax);
    let layers = 2;
    let ids = m.tokenizer.encode(CALIBRATION_TEXT);
    let cal = calibrate_tokens(&m.weights, &ids[..200], layers).unwrap();
    let qm = QuantModel::new(&model_input(&m.weights, layers), &cal, &sp).unwrap();
    let prompt = m.tokenizer.encode("Once upon a time, a little fox lived at the edge of a quiet green forest.");
    assert!((17..=32).contains(&prompt.len()), "{} tokens", prompt.len());

    let mut backend = GoldenBackend::new(&cfg, 7).unwrap();
    // Pages of 16 tokens (the line's multiple): the prompt crosses a page.
    let mut core = CoreRunner::new(&mut backend, 16);
    let (mut want_cache, mut got_cache) = (KvCache::new(&qm), KvCache::new(&qm));
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
    // Per forward: 7 GEMMs per layer and the LM head; 9 attention calls per layer.
    assert_eq!(st.gemms, 3 * (7 * layers + 1));
    assert_eq!(st.attention_calls, 3 * 9 * layers);
    assert!(st.counters.dram_bytes_read >= st.weight_bytes && st.weight_bytes > 0);
    assert_eq!(PAGE_TOKENS, 64);
}
