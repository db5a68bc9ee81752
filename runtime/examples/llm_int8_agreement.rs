//! Measures `top1_agreement_float` (`docs/llm.md`, "The int8 model"): the int8
//! golden model greedily generates 64 tokens from "Once upon a time"; at each
//! generated position the float reference, fed the same prefix (the int8
//! model's tokens), picks its own top token, and the fraction of positions
//! where both agree is printed with the text and the times taken.
//!
//! `SERRANO_MODEL=… cargo run --release -p serrano-runtime --example llm_int8_agreement [-- TOKENS [PROMPT]]`

use std::path::Path;
use std::time::Instant;

use golden::softmax::SoftmaxParams;
use golden::Config;
use runtime::llm::calibrate::quant_model;
use runtime::llm::float_model::argmax;
use runtime::llm::{model_path, FloatModel, Gguf, Tokenizer, Weights};

const PROMPT: &str = "Once upon a time";

fn main() -> Result<(), String> {
    let n: usize = std::env::args().nth(1).map_or(Ok(64), |a| a.parse().map_err(|e| format!("TOKENS {a}: {e}")))?;
    let t0 = Instant::now();
    let gguf = Gguf::open(&model_path()?).map_err(|e| e.to_string())?;
    let w = Weights::from_gguf(&gguf).map_err(|e| e.to_string())?;
    let tok = Tokenizer::from_gguf(&gguf).map_err(|e| e.to_string())?;
    let preset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/default.toml");
    let sp = SoftmaxParams::new(&Config::from_file(&preset).map_err(|e| e.to_string())?.softmax);
    println!("loaded in {:.1} s", t0.elapsed().as_secs_f64());

    let t = Instant::now();
    let model = quant_model(&w, &tok, w.hp.n_layers, &sp)?;
    println!("calibration text: {} tokens", tok.encode(runtime::llm::calibrate::CALIBRATION_TEXT).len());
    println!("calibrated and quantized in {:.1} s", t.elapsed().as_secs_f64());

    let text_in = std::env::args().nth(2).unwrap_or_else(|| PROMPT.to_string());
    let prompt = tok.encode(&text_in);
    let t = Instant::now();
    let (ids, int8_logits) = model.generate_greedy(&prompt, n)?;
    let int8_s = t.elapsed().as_secs_f64();
    let text = tok.decode(&ids).map_err(|e| e.to_string())?;

    let t = Instant::now();
    let mut fm = FloatModel::new(&w);
    let mut agree = 0;
    let mut logits = Vec::new();
    for (pos, &id) in prompt.iter().enumerate() {
        logits = fm.forward_f64(id, pos).map_err(|e| e.to_string())?;
    }
    let mut misses = Vec::new();
    let mut err2 = 0.0;
    for (i, &id) in ids.iter().enumerate() {
        let f = argmax(&logits);
        let d2: f64 = logits.iter().zip(&int8_logits[i]).map(|(a, &b)| (a - b as f64).powi(2)).sum();
        err2 += d2 / logits.len() as f64;
        if f == id {
            agree += 1;
        } else {
            // How close the float reference itself was: its top logit minus its logit of the int8 pick.
            let gap = logits[f as usize] - logits[id as usize];
            misses.push((i, id, f, (gap * 1000.0).round() / 1000.0));
        }
        if i + 1 < ids.len() {
            logits = fm.forward_f64(id, prompt.len() + i).map_err(|e| e.to_string())?;
        }
    }
    let float_s = t.elapsed().as_secs_f64();
    println!("int8 text: {text_in}{text}");
    println!("int8 ids: {ids:?}");
    println!("disagreements (index, int8 id, float id, float's logit gap): {misses:?}");
    println!("logits' RMS error against the float reference: {:.4}", (err2 / n as f64).sqrt());
    println!("top1_agreement_float = {agree}/{n} = {:.4}", agree as f64 / n as f64);
    println!("int8 generation {int8_s:.1} s ({:.2} s/token), float teacher-forced {float_s:.1} s", int8_s / n as f64);
    Ok(())
}
