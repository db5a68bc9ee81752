//! `serrano run llm`: SmolLM2-135M generating text on the Serrano core
//! (issue 15, `docs/llm.md`).
//!
//! The int8 model (`golden::llm::model::QuantModel`, calibrated and
//! quantized from the GGUF file) runs its one forward with the core steps on
//! a backend (`runtime::llm::runner`): the golden core model, or the
//! Verilator model of the generated core. Every position's logits are
//! compared bit for bit with the golden model's own forward; the picks are
//! greedy. The float reference of the same weights, fed the generated
//! tokens, gives `top1_agreement_float`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use clap::Args;
use golden::config::Config;
use golden::llm::host::argmax;
use golden::llm::model::{KvCache, QuantModel};
use golden::softmax::SoftmaxParams;
use runtime::backend::{Backend, GoldenBackend};
use runtime::llm::calibrate::quant_model;
use runtime::llm::runner::{host_ops, CoreRunner, RunStats, PAGE_TOKENS};
use runtime::llm::{load_model, model_path, FloatModel, Model};
use serde::{Deserialize, Serialize};
use testbenches::axi::mem::MemConfig;
use testbenches::core::RtlBackend;
use testbenches::sim::BuildOptions;

use super::step::Summed;
use crate::error::{print, UsageError};

/// The layers SmolLM2-135M has: `--layers` is 1 to this.
pub const MAX_LAYERS: usize = 30;

#[derive(Args)]
pub struct RunLlmArgs {
    #[command(flatten)]
    pub source: crate::presets::ConfigArgs,
    /// The text to continue.
    #[arg(long, default_value = "Once upon a time")]
    prompt: String,
    /// Tokens to generate greedily.
    #[arg(long, default_value_t = 8)]
    tokens: usize,
    /// golden (the golden core model) or rtl (the generated core in Verilator).
    #[arg(long, default_value = "golden")]
    backend: String,
    /// Run the first K layers only (1 to 30), then the final norm and the LM head.
    #[arg(long, default_value_t = MAX_LAYERS)]
    layers: usize,
    /// The GGUF model file (default: $SERRANO_MODEL, else the file `make model` installed).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Tokens per KV-cache page.
    #[arg(long = "page-size", default_value_t = PAGE_TOKENS)]
    page_size: usize,
    /// Memory latency in cycles (rtl).
    #[arg(long, default_value_t = 100)]
    latency: u32,
    /// Clock for tokens per second beside 1 GHz (e.g. an FPGA's Fmax), MHz.
    #[arg(long = "fmax-mhz")]
    fmax_mhz: Option<f64>,
    /// Seed of the memory never written (rtl and golden core alike).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// What `serrano run llm --json` prints. Cycle figures are the core's
/// cycles (rtl only: the golden core model does not count cycles) plus the
/// host steps' modelled cycles (their f32 bytes over the bus).
#[derive(Serialize, Deserialize)]
pub struct LlmJson {
    pub config: String,
    pub backend: String,
    pub layers: usize,
    pub prompt: String,
    pub prompt_tokens: Vec<u32>,
    pub text: String,
    pub tokens: Vec<u32>,
    /// Logits differing (bit for bit) from the golden QuantModel's, over every position.
    pub logit_mismatches: u64,
    pub tokens_match_golden: bool,
    pub top1_agreement_float: f64,
    pub cycles_prefill: Option<u64>,
    pub cycles_per_token: Option<f64>,
    pub dram_bytes_per_token: Option<f64>,
    /// Weights and the K/V cache once per decode token.
    pub min_bytes_per_token: Option<f64>,
    pub roofline_fraction: Option<f64>,
    pub tokens_per_s_1ghz: Option<f64>,
    pub tokens_per_s_fmax: Option<f64>,
    pub utilization_prefill: Option<f64>,
    pub host_op_share: Option<f64>,
    pub sim_seconds: f64,
}

/// A backend that may count cycles.
trait Measured: Backend {
    fn cycles(&self) -> Option<u64>;
}

impl Measured for GoldenBackend {
    fn cycles(&self) -> Option<u64> {
        None
    }
}

impl Measured for Summed {
    fn cycles(&self) -> Option<u64> {
        Some(self.cycles)
    }
}

/// One phase (prefill or decode): its forwards' stats and core cycles.
#[derive(Default)]
struct Phase {
    stats: RunStats,
    core_cycles: Option<u64>,
    positions: usize,
    forwards: usize,
    /// The K/V bytes attention must read: every layer's cache once per K/V head.
    kv_bytes: u64,
}

struct Generation {
    ids: Vec<u32>,
    mismatches: u64,
    tokens_match: bool,
    prefill: Phase,
    decode: Phase,
}

fn usage(m: String) -> anyhow::Error {
    UsageError(m).into()
}

pub fn run(args: RunLlmArgs) -> Result<()> {
    let (cfg, origin) = super::step::core_config(&args.source)?;
    if !["golden", "rtl"].contains(&args.backend.as_str()) {
        return Err(usage(format!("--backend {}: must be golden or rtl", args.backend)));
    }
    if !(1..=MAX_LAYERS).contains(&args.layers) {
        return Err(usage(format!("--layers {}: must be in 1..={MAX_LAYERS}", args.layers)));
    }
    if args.tokens == 0 {
        return Err(usage("--tokens 0: must be at least 1".into()));
    }
    let path = match &args.model {
        Some(p) if p.is_file() => p.clone(),
        Some(p) => return Err(usage(format!("--model {}: no such file", p.display()))),
        None => model_path().map_err(|e| usage(format!("--model not given and {e}")))?,
    };
    let m = load_model(&path).map_err(|e| usage(format!("--model {}: {e}", path.display())))?;
    if args.layers > m.weights.hp.n_layers {
        return Err(usage(format!("--layers {}: the model has {}", args.layers, m.weights.hp.n_layers)));
    }
    let prompt = m.tokenizer.encode(&args.prompt);
    if prompt.is_empty() {
        return Err(usage(format!("--prompt {:?}: tokenizes to nothing; give some text", args.prompt)));
    }
    let sp = SoftmaxParams::new(&cfg.softmax);
    let qm = quant_model(&m.weights, &m.tokenizer, args.layers, &sp).map_err(|e| anyhow!("quantizing: {e}"))?;
    let limit = qm.shape.context_len.min(sp.max_len);
    if prompt.len() + args.tokens > limit {
        return Err(usage(format!(
            "--prompt of {} tokens and --tokens {}: at most {limit} positions in all (the softmax row)",
            prompt.len(),
            args.tokens
        )));
    }
    let t0 = Instant::now();
    let g = if args.backend == "rtl" {
        let mem = MemConfig::ideal(cfg.dma.data_bytes(), args.latency);
        let mut be = Summed::new(RtlBackend::new(&cfg, mem, args.seed, BuildOptions::default(), None)?);
        generate(&mut be, &qm, &m, &prompt, &args)?
    } else {
        let mut be = GoldenBackend::new(&cfg, args.seed).map_err(super::step::usage)?;
        generate(&mut be, &qm, &m, &prompt, &args)?
    };
    let sim_seconds = t0.elapsed().as_secs_f64();
    let agreement = float_agreement(&m, args.layers, &prompt, &g.ids)?;
    let text = m.tokenizer.decode(&g.ids).map_err(|e| anyhow!("decoding: {e}"))?;
    let j = figures(&cfg, &qm, &args, origin, &prompt, text, &g, agreement, sim_seconds);
    if args.json {
        print(serde_json::to_string_pretty(&j)?)?;
    } else {
        print_text(&j)?;
    }
    if j.logit_mismatches != 0 || !j.tokens_match_golden {
        anyhow::bail!(
            "the {} backend's logits differ from the golden model's: {} mismatches, tokens equal: {}",
            j.backend,
            j.logit_mismatches,
            j.tokens_match_golden
        );
    }
    Ok(())
}

/// Prefill and decode on `be`, the golden model beside it; the text goes
/// to stdout as it is produced (unless --json), a progress line per token
/// to stderr.
fn generate<B: Measured>(
    be: &mut B,
    qm: &QuantModel,
    m: &Model,
    prompt: &[u32],
    args: &RunLlmArgs,
) -> Result<Generation> {
    let mut core = CoreRunner::new(be, args.page_size);
    let (mut got_cache, mut want_cache) = (KvCache::new(qm), KvCache::new(qm));
    let mut g = Generation {
        ids: Vec::new(),
        mismatches: 0,
        tokens_match: true,
        prefill: Phase::default(),
        decode: Phase::default(),
    };
    // On one terminal for both streams the text would be cut by the progress
    // lines: there each progress line carries the text so far instead.
    let shared = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let stream = !args.json && !shared;
    if stream {
        print_bytes(args.prompt.as_bytes())?;
    }
    let (mut input, mut shown) = (prompt.to_vec(), 0);
    let s = &qm.shape;
    for i in 0..args.tokens {
        let t = Instant::now();
        let c0 = core.backend().cycles();
        let got = qm
            .forward_on(&mut core, &mut got_cache, &input, None)
            .map_err(|e| anyhow!("{} backend: {e}", args.backend))?;
        let want = qm.forward(&mut want_cache, &input, None).map_err(|e| anyhow!("golden model: {e}"))?;
        let phase = if i == 0 { &mut g.prefill } else { &mut g.decode };
        let st = core.take_stats();
        phase.stats.add(&st);
        phase.core_cycles = core.backend().cycles().zip(c0).map(|(c1, c0)| phase.core_cycles.unwrap_or(0) + c1 - c0);
        phase.positions += input.len();
        phase.forwards += 1;
        phase.kv_bytes += (2 * got_cache.len() * s.kv_dim() * qm.layers.len()) as u64;
        for (a, b) in got.logits.iter().zip(&want.logits) {
            g.mismatches += a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count() as u64;
        }
        let (a, b) = (argmax(got.logits.last().expect("a row")), argmax(want.logits.last().expect("a row")));
        g.tokens_match &= a == b;
        g.ids.push(a);
        let bytes = m.tokenizer.decode_bytes(&g.ids).map_err(|e| anyhow!("decoding: {e}"))?;
        if stream && bytes.len() > shown {
            print_bytes(&bytes[shown..])?;
        }
        shown = bytes.len();
        let cycles =
            core.backend().cycles().zip(c0).map_or(String::new(), |(c1, c0)| format!(", {} core cycles", c1 - c0));
        let text = if shared { format!(": {}{}", args.prompt, String::from_utf8_lossy(&bytes)) } else { String::new() };
        eprintln!(
            "serrano run llm: token {}/{}: id {a}, {} position(s) in {:.1} s{cycles}{text}",
            i + 1,
            args.tokens,
            input.len(),
            t.elapsed().as_secs_f64(),
        );
        input = vec![a];
    }
    if stream {
        print_bytes(b"\n")?;
    } else if !args.json {
        print_bytes(
            format!("{}{}\n", args.prompt, String::from_utf8_lossy(&m.tokenizer.decode_bytes(&g.ids)?)).as_bytes(),
        )?;
    }
    Ok(g)
}

fn print_bytes(b: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(b)?;
    out.flush()?;
    Ok(())
}

/// The float reference of the same weights and layers, fed the prompt and
/// the generated tokens: the fraction of generated positions where its top
/// token is the one the int8 model picked.
fn float_agreement(m: &Model, layers: usize, prompt: &[u32], ids: &[u32]) -> Result<f64> {
    let mut fm = FloatModel::with_layers(&m.weights, layers).map_err(|e| anyhow!("float reference: {e}"))?;
    let all: Vec<u32> = prompt.iter().chain(ids).copied().collect();
    let mut agree = 0;
    for (pos, &id) in all[..all.len() - 1].iter().enumerate() {
        let logits = fm.forward_f64(id, pos).map_err(|e| anyhow!("float reference: {e}"))?;
        if pos + 1 >= prompt.len() {
            agree += usize::from(runtime::llm::float_model::argmax(&logits) == all[pos + 1]);
        }
    }
    Ok(agree as f64 / ids.len() as f64)
}

/// The JSON's figures from a generation.
#[allow(clippy::too_many_arguments)]
fn figures(
    cfg: &Config,
    qm: &QuantModel,
    args: &RunLlmArgs,
    origin: String,
    prompt: &[u32],
    text: String,
    g: &Generation,
    agreement: f64,
    sim_seconds: f64,
) -> LlmJson {
    let bus = cfg.dma.data_bytes() as u64;
    let layers = qm.layers.len();
    let host = |p: &Phase| host_ops(&qm.shape, layers, p.positions).bytes.div_ceil(bus);
    let total = |p: &Phase| p.core_cycles.map(|c| c + host(p));
    let cycles_prefill = total(&g.prefill);
    let per_token = |v: u64| (g.decode.forwards > 0).then(|| v as f64 / g.decode.forwards as f64);
    let cycles_per_token = total(&g.decode).and_then(per_token);
    let d = &g.decode.stats.counters;
    let min_bytes = per_token(g.decode.stats.weight_bytes + g.decode.kv_bytes);
    let peak = (cfg.systolic.rows * cfg.systolic.cols) as f64;
    let all_cycles = cycles_prefill.zip(total(&g.decode)).map(|(a, b)| a + b);
    LlmJson {
        config: origin,
        backend: args.backend.clone(),
        layers,
        prompt: args.prompt.clone(),
        prompt_tokens: prompt.to_vec(),
        text,
        tokens: g.ids.clone(),
        logit_mismatches: g.mismatches,
        tokens_match_golden: g.tokens_match,
        top1_agreement_float: agreement,
        cycles_prefill,
        cycles_per_token,
        dram_bytes_per_token: per_token(d.dram_bytes_read + d.dram_bytes_written),
        min_bytes_per_token: min_bytes,
        roofline_fraction: min_bytes.zip(cycles_per_token).map(|(b, c)| b / bus as f64 / c),
        tokens_per_s_1ghz: cycles_per_token.map(|c| 1e9 / c),
        tokens_per_s_fmax: cycles_per_token.zip(args.fmax_mhz).map(|(c, f)| f * 1e6 / c),
        utilization_prefill: cycles_prefill.map(|c| g.prefill.stats.useful_macs as f64 / (peak * c.max(1) as f64)),
        host_op_share: all_cycles.map(|c| (host(&g.prefill) + host(&g.decode)) as f64 / c.max(1) as f64),
        sim_seconds,
    }
}

fn print_text(j: &LlmJson) -> Result<()> {
    let opt =
        |v: Option<f64>, digits: usize| v.map_or("- (golden backend: no cycles)".into(), |v| format!("{v:.digits$}"));
    print(format_args!(
        "serrano run llm: {}, {} backend, {} layers, prompt {} tokens, {} generated",
        j.config,
        j.backend,
        j.layers,
        j.prompt_tokens.len(),
        j.tokens.len()
    ))?;
    print(format_args!("  tokens               {:?}", j.tokens))?;
    print(format_args!("  logit mismatches     {} (against the golden QuantModel)", j.logit_mismatches))?;
    print(format_args!("  tokens match golden  {}", j.tokens_match_golden))?;
    print(format_args!("  top-1 vs float       {:.4}", j.top1_agreement_float))?;
    print(format_args!("  cycles prefill       {}", opt(j.cycles_prefill.map(|c| c as f64), 0)))?;
    print(format_args!("  cycles per token     {}", opt(j.cycles_per_token, 0)))?;
    print(format_args!(
        "  DRAM bytes per token {} (minimum {})",
        opt(j.dram_bytes_per_token, 0),
        opt(j.min_bytes_per_token, 0)
    ))?;
    print(format_args!("  roofline fraction    {}", opt(j.roofline_fraction, 4)))?;
    print(format_args!("  tokens/s at 1 GHz    {}", opt(j.tokens_per_s_1ghz, 2)))?;
    if j.tokens_per_s_fmax.is_some() {
        print(format_args!("  tokens/s at Fmax     {}", opt(j.tokens_per_s_fmax, 2)))?;
    }
    print(format_args!("  utilization prefill  {}", opt(j.utilization_prefill, 4)))?;
    print(format_args!("  host op share        {}", opt(j.host_op_share, 4)))?;
    print(format_args!("  simulation           {:.1} s", j.sim_seconds))?;
    Ok(())
}
