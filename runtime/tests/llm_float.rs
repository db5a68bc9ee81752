//! The float reference of SmolLM2-135M (`runtime::llm::FloatModel`) on the
//! real model file (installed by `make model`), against an independent
//! implementation.
//!
//! The expected ids and logits come from a separate float64 numpy evaluation
//! run once in a scratch virtual environment outside the repository: the
//! `gguf` Python package's `GGUFReader` and `gguf.quants.dequantize` for the
//! weights, numpy matrix products for the layers, RoPE on adjacent pairs,
//! the prompt's ids looked up in the file's vocabulary by spelling
//! (`Once`, `Ġupon`, `Ġa`, `Ġtime`). Both evaluations sum in f64, in
//! different orders, so logits agree to far better than the tolerance used
//! here (1e-5 relative, with the f32 rounding of the returned logits).

use std::sync::OnceLock;

use runtime::llm::float_model::argmax;
use runtime::llm::{model_path, FloatModel, Gguf, HyperParams, Tokenizer, Weights};

struct Model {
    weights: Weights,
    tokenizer: Tokenizer,
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = model_path().unwrap_or_else(|e| panic!("{e}"));
        let gguf = Gguf::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let weights = Weights::from_gguf(&gguf).unwrap_or_else(|e| panic!("{e}"));
        let tokenizer = Tokenizer::from_gguf(&gguf).unwrap_or_else(|e| panic!("{e}"));
        Model { weights, tokenizer }
    })
}

const PROMPT: &str = "Once upon a time";
/// The prompt's ids: the tokenizer's, and the vocabulary look-up's above.
const PROMPT_IDS: [u32; 4] = [6403, 1980, 253, 655];
/// The numpy reference's greedy continuation: ", the city of Nova Haven was a".
const GREEDY_IDS: [u32; 8] = [28, 260, 2240, 282, 23324, 27108, 436, 253];

/// Logits from the numpy reference, `(id, value)`, after the prompt (position
/// 3) and after the seventh generated token (position 10).
const LOGITS_POS3: [(u32, f64); 4] =
    [(28, 18.142016516347276), (0, 2.1129396447628017), (1000, 2.6639291969293843), (49151, -5.379996411226052)];
const LOGITS_POS10: [(u32, f64); 4] =
    [(253, 22.164904007808087), (0, 7.243233924648769), (1000, 3.3221952235947794), (49151, -1.9167993814912743)];
/// The same with only the first two layers (`FloatModel::with_layers(w, 2)`),
/// after the prompt: the top token is `-` (29), not `,`.
const LOGITS_2_LAYERS_POS3: [(u32, f64); 4] =
    [(29, 27.40996206371566), (0, 6.414555415323379), (1000, -0.21005888311628818), (49151, -17.416484766494268)];

/// Both sides are f64 sums of the same products in different orders (about
/// 1e-13 apart); the margin covers the f32 rounding of `forward`'s logits.
fn assert_logits(logits: &[f32], want: &[(u32, f64)], what: &str) {
    for &(id, v) in want {
        let got = logits[id as usize] as f64;
        assert!((got - v).abs() <= 1e-5 * v.abs().max(1.0), "{what}: logit of {id} is {got}, reference {v}");
    }
}

#[test]
fn llm_float_hyper_params() {
    let w = &model().weights;
    let want = HyperParams {
        n_layers: 30,
        dim: 576,
        n_heads: 9,
        n_kv_heads: 3,
        head_dim: 64,
        ff_dim: 1536,
        vocab: 49152,
        rope_base: 100_000.0,
        rms_eps: 1e-5,
        context_len: 8192,
        bos: 1,
        eos: 2,
    };
    assert_eq!(w.hp, want);
    assert_eq!(w.hp.kv_dim(), 192);
    assert_eq!(w.layers.len(), 30);
    // No output.weight in the file: the head is the token embedding.
    assert!(w.output.is_none());
    assert!(std::ptr::eq(w.lm_head(), &w.token_embd));
    let l = &w.layers[29];
    let shape = |m: &runtime::llm::Matrix| (m.rows, m.cols, m.data.len());
    assert_eq!(shape(&w.token_embd), (49152, 576, 49152 * 576));
    assert_eq!(shape(&l.attn_q), (576, 576, 576 * 576));
    assert_eq!(shape(&l.attn_k), (192, 576, 192 * 576));
    assert_eq!(shape(&l.ffn_gate), (1536, 576, 1536 * 576));
    assert_eq!(shape(&l.ffn_down), (576, 1536, 576 * 1536));
    assert_eq!((l.attn_norm.len(), l.ffn_norm.len(), w.output_norm.len()), (576, 576, 576));
}

#[test]
fn llm_float_greedy_once_upon_a_time() {
    let m = model();
    // Plain text, no chat template and no BOS: the file says not to add one
    // (tokenizer.ggml.add_bos_token = false), and its bos id 1 is the chat
    // turn marker <|im_start|>, not a document start.
    let gguf = Gguf::open(model_path().unwrap()).unwrap();
    assert!(!gguf.get_bool("tokenizer.ggml.add_bos_token").unwrap());
    assert_eq!(m.tokenizer.encode(PROMPT), PROMPT_IDS);

    let mut f = FloatModel::new(&m.weights);
    let ids = f.generate_greedy(&PROMPT_IDS, 8).unwrap();
    let text = m.tokenizer.decode(&ids).unwrap();
    println!("{PROMPT}{text}");
    assert_eq!(ids, GREEDY_IDS, "generated {text:?}");
    assert_eq!(text, ", the city of Nova Haven was a");
    assert_eq!(f.position(), 11);

    // The same positions one at a time through `forward`, from a reset cache:
    // each top-1 is the next generated id, and the logits are the reference's.
    f.reset();
    let seq: Vec<u32> = PROMPT_IDS.iter().chain(&GREEDY_IDS[..7]).copied().collect();
    for (pos, &t) in seq.iter().enumerate() {
        let logits = f.forward(t, pos).unwrap();
        assert!(logits.iter().all(|v| v.is_finite()), "position {pos}");
        if pos + 1 >= PROMPT_IDS.len() {
            let top = argmax(&logits.iter().map(|&v| v as f64).collect::<Vec<_>>());
            assert_eq!(top, GREEDY_IDS[pos + 1 - PROMPT_IDS.len()], "position {pos}");
        }
        match pos {
            3 => assert_logits(&logits, &LOGITS_POS3, "position 3"),
            10 => assert_logits(&logits, &LOGITS_POS10, "position 10"),
            _ => {}
        }
    }
}

#[test]
fn llm_float_layers_limit() {
    let w = &model().weights;
    let mut f = FloatModel::with_layers(w, 2).unwrap();
    assert_eq!(f.layers(), 2);
    let mut logits = Vec::new();
    for (pos, &t) in PROMPT_IDS.iter().enumerate() {
        logits = f.forward(t, pos).unwrap();
    }
    assert!(logits.iter().all(|v| v.is_finite()));
    assert_logits(&logits, &LOGITS_2_LAYERS_POS3, "2 layers, position 3");
    // The full model's top-1 here is `,` (28, checked above); two layers pick another.
    let top = argmax(&logits.iter().map(|&v| v as f64).collect::<Vec<_>>());
    assert_eq!(top, 29);
    assert_ne!(top, GREEDY_IDS[0]);
    assert_eq!(FloatModel::with_layers(w, 30).unwrap().layers(), 30);
}

#[test]
fn llm_float_bad_input_is_an_error() {
    let w = &model().weights;
    let err = |r: Result<_, runtime::llm::FloatModelError>| r.map(|_: Vec<f32>| ()).unwrap_err().to_string();
    assert_eq!(
        FloatModel::with_layers(w, 31).unwrap_err().to_string(),
        "layers is 31: the model has 30, so it must be in 0..=30"
    );
    let mut f = FloatModel::with_layers(w, 0).unwrap();
    assert_eq!(err(f.forward(49152, 0)), "token is 49152: must be in 0..49152");
    assert_eq!(err(f.forward(1, 1)), "pos is 1: the cache holds 0 positions, so the next must be 0");
    f.forward(1, 0).unwrap();
    assert_eq!(err(f.forward(1, 0)), "pos is 0: the cache holds 1 positions, so the next must be 1");
    assert_eq!(
        f.generate_greedy(&[], 3).unwrap_err().to_string(),
        "prompt is empty: greedy generation needs at least one token"
    );
    assert_eq!(
        f.generate_greedy(&[1; 8000], 200).unwrap_err().to_string(),
        "prompt of 8000 tokens plus 200 new ones exceeds the context length 8192"
    );
}
