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
use runtime::llm::{load_model, model_path, FloatModel, Gguf, HyperParams, Model, Weights};

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load_model(&model_path().unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}")))
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
    let want = HyperParams::smollm2_135m();
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
        "prompt of 8000 tokens plus 200 new ones needs 8199 positions: more than the context length 8192"
    );
}

/// A tiny Llama-architecture GGUF file with F32 tensors, written field by
/// field so that single fields can be broken: 2 layers, width 8, 2 query
/// heads sharing 1 KV head of 4, FF width 16, 10 tokens, an untied
/// `output.weight`.
struct TinyLlama {
    meta: Vec<(&'static str, u32, Vec<u8>)>,
    /// Name, ggml dims, ggml type, data.
    tensors: Vec<(String, Vec<u64>, u32, Vec<u8>)>,
}

fn gguf_str(s: &str) -> Vec<u8> {
    [(s.len() as u64).to_le_bytes().to_vec(), s.as_bytes().to_vec()].concat()
}

impl TinyLlama {
    fn new() -> TinyLlama {
        let u32v = |v: u32| v.to_le_bytes().to_vec();
        let meta = vec![
            ("general.architecture", 8, gguf_str("llama")),
            ("llama.block_count", 4, u32v(2)),
            ("llama.embedding_length", 4, u32v(8)),
            ("llama.attention.head_count", 4, u32v(2)),
            ("llama.attention.head_count_kv", 4, u32v(1)),
            ("llama.feed_forward_length", 4, u32v(16)),
            ("llama.vocab_size", 4, u32v(10)),
            ("llama.rope.freq_base", 6, 10_000f32.to_le_bytes().to_vec()),
            ("llama.attention.layer_norm_rms_epsilon", 6, 1e-6f32.to_le_bytes().to_vec()),
            ("llama.context_length", 4, u32v(16)),
            ("tokenizer.ggml.bos_token_id", 4, u32v(1)),
            ("tokenizer.ggml.eos_token_id", 4, u32v(2)),
        ];
        let mut t = TinyLlama { meta, tensors: vec![] };
        let mut seed = 0x2545_f491u32;
        let mut add = |t: &mut TinyLlama, name: String, dims: &[u64]| {
            let n: u64 = dims.iter().product();
            let data = (0..n)
                .flat_map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5).to_le_bytes()
                })
                .collect();
            t.tensors.push((name, dims.to_vec(), 0, data));
        };
        add(&mut t, "token_embd.weight".into(), &[8, 10]);
        for l in 0..2 {
            for (n, dims) in [
                ("attn_norm", &[8][..]),
                ("attn_q", &[8, 8]),
                ("attn_k", &[8, 4]),
                ("attn_v", &[8, 4]),
                ("attn_output", &[8, 8]),
                ("ffn_norm", &[8]),
                ("ffn_gate", &[8, 16]),
                ("ffn_up", &[8, 16]),
                ("ffn_down", &[16, 8]),
            ] {
                add(&mut t, format!("blk.{l}.{n}.weight"), dims);
            }
        }
        add(&mut t, "output_norm.weight".into(), &[8]);
        add(&mut t, "output.weight".into(), &[8, 10]);
        t
    }

    fn set_meta(mut self, key: &'static str, ty: u32, value: Vec<u8>) -> Self {
        self.meta.retain(|(k, _, _)| *k != key);
        self.meta.push((key, ty, value));
        self
    }

    fn without_tensor(mut self, name: &str) -> Self {
        self.tensors.retain(|(n, _, _, _)| n != name);
        self
    }

    fn gguf(&self) -> Gguf {
        let mut head = b"GGUF".to_vec();
        head.extend(3u32.to_le_bytes());
        head.extend((self.tensors.len() as u64).to_le_bytes());
        head.extend((self.meta.len() as u64).to_le_bytes());
        for (key, ty, value) in &self.meta {
            head.extend(gguf_str(key));
            head.extend(ty.to_le_bytes());
            head.extend(value);
        }
        let mut data = Vec::new();
        for (name, dims, ty, bytes) in &self.tensors {
            head.extend(gguf_str(name));
            head.extend((dims.len() as u32).to_le_bytes());
            dims.iter().for_each(|d| head.extend(d.to_le_bytes()));
            head.extend(ty.to_le_bytes());
            head.extend((data.len() as u64).to_le_bytes());
            data.extend(bytes);
            data.resize(data.len().div_ceil(32) * 32, 0);
        }
        head.resize(head.len().div_ceil(32) * 32, 0);
        head.extend(data);
        Gguf::parse(head).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn weights_err(t: TinyLlama) -> String {
    Weights::from_gguf(&t.gguf()).unwrap_err().to_string()
}

#[test]
fn llm_float_synthetic_untied_model() {
    let w = Weights::from_gguf(&TinyLlama::new().gguf()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((w.hp.n_layers, w.hp.dim, w.hp.head_dim, w.hp.kv_dim(), w.hp.vocab), (2, 8, 4, 4, 10));
    // The head is output.weight, not the embedding.
    let head = w.output.as_ref().expect("the file has output.weight");
    assert!(std::ptr::eq(w.lm_head(), head));
    assert_ne!(head.data, w.token_embd.data);
    // ggml dims [8, 16] are 16 rows of 8: row r starts at element 8·r.
    assert_eq!(w.layers[1].ffn_gate.row(3), &w.layers[1].ffn_gate.data[24..32]);

    // The head really is output.weight: the logits are its rows against the
    // final hidden state, which two models differing only in the head share.
    let mut tied = w.clone();
    tied.output = None;
    let mut a = FloatModel::new(&w);
    let mut b = FloatModel::new(&tied);
    let (la, lb) = (a.forward_f64(3, 0).unwrap(), b.forward_f64(3, 0).unwrap());
    assert_ne!(la, lb);
    assert!(la.iter().chain(&lb).all(|v| v.is_finite()));

    // Greedy generation is deterministic and restarts from an empty cache.
    let first = a.generate_greedy(&[1, 4, 7], 5).unwrap();
    assert_eq!(a.generate_greedy(&[1, 4, 7], 5).unwrap(), first);
    assert_eq!(a.position(), 7);
    assert!(first.iter().all(|&id| id < 10));
    // The last new token is never run: 3 + 14 tokens take positions 0..=15.
    let e = a.generate_greedy(&[1, 4, 7], 15).unwrap_err().to_string();
    assert_eq!(e, "prompt of 3 tokens plus 15 new ones needs 17 positions: more than the context length 16");
    assert_eq!(a.generate_greedy(&[1, 4, 7], 14).unwrap().len(), 14);
    assert_eq!(a.position(), 16);
}

#[test]
fn llm_float_synthetic_errors_name_the_field() {
    let u32v = |v: u32| v.to_le_bytes().to_vec();
    assert_eq!(
        weights_err(TinyLlama::new().set_meta("general.architecture", 8, gguf_str("gpt2"))),
        "general.architecture is 'gpt2': only 'llama' is implemented"
    );
    assert_eq!(
        weights_err(TinyLlama::new().set_meta("llama.block_count", 4, u32v(0))),
        "metadata 'llama.block_count' is 0: must be in 1..=16777216"
    );
    assert_eq!(
        weights_err(TinyLlama::new().set_meta("llama.rope.dimension_count", 4, u32v(2))),
        "llama.rope.dimension_count is 2: only whole-head RoPE (4 = head dim) is implemented"
    );
    let e = weights_err(TinyLlama::new().set_meta("llama.attention.layer_norm_rms_epsilon", 4, u32v(1)));
    assert!(e.ends_with("metadata 'llama.attention.layer_norm_rms_epsilon' is uint32, not float32"), "{e}");
    let e = weights_err(TinyLlama::new().without_tensor("blk.1.ffn_down.weight"));
    assert!(e.contains("blk.1.ffn_down.weight"), "{e}");
    // Transposed dims: [4, 8] is 8 rows of 4, the key matrix needs 4 rows of 8.
    let mut t = TinyLlama::new();
    t.tensors.iter_mut().find(|x| x.0 == "blk.0.attn_k.weight").unwrap().1 = vec![4, 8];
    assert_eq!(
        weights_err(t),
        "tensor 'blk.0.attn_k.weight' has dims [4, 8] (ggml order, contiguous first): expected [8, 4]"
    );
    let mut t = TinyLlama::new();
    let x = t.tensors.iter_mut().find(|x| x.0 == "output_norm.weight").unwrap();
    (x.1, x.2, x.3) = (vec![8], 1, vec![0; 16]);
    // F16 (type 1) decodes.
    let ok = Weights::from_gguf(&t.gguf()).unwrap();
    assert_eq!(ok.output_norm, [0.0; 8]);
    let mut t = TinyLlama::new();
    let x = t.tensors.iter_mut().find(|x| x.0 == "token_embd.weight").unwrap();
    // I8 (type 24) has a known size but no decoder here.
    (x.1, x.2, x.3) = (vec![8, 10], 24, vec![0; 80]);
    assert_eq!(weights_err(t), "tensor 'token_embd.weight' is I8: implemented formats are F32, F16, Q4_1 and Q8_0");
}
