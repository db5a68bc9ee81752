//! SmolLM2-135M's hyper-parameters and weights, read from its GGUF file and
//! dequantized to f32 with the golden model's block decoders (`golden::llm`).
//!
//! Everything is checked before use: a missing or ill-typed key, an
//! inconsistent shape (heads that do not divide the width, say), a missing
//! tensor, a tensor with other dims than the hyper-parameters imply, or a
//! block format without a decoder is a [`WeightsError`] naming it.
//!
//! ggml lists dims fastest-varying first: a weight matrix `[in, out]` is
//! stored as `out` rows of `in` weights, which is exactly the row-major
//! `out × in` matrix of `y = W·x`, so [`Matrix`] keeps the storage order.

use std::fmt;
use std::path::Path;

use golden::llm::{f16, q4_1, q8_0};

use super::gguf::{Gguf, GgufError};

/// A failure to read the model's hyper-parameters or weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightsError(pub String);

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WeightsError {}

impl From<GgufError> for WeightsError {
    fn from(e: GgufError) -> Self {
        WeightsError(e.to_string())
    }
}

/// The architecture this module knows (`general.architecture`).
pub const ARCHITECTURE: &str = "llama";

/// The model's shape and constants, from the `llama.*` and `tokenizer.ggml.*`
/// metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct HyperParams {
    /// Transformer layers (`llama.block_count`).
    pub n_layers: usize,
    /// Width of the residual stream (`llama.embedding_length`).
    pub dim: usize,
    /// Query heads (`llama.attention.head_count`).
    pub n_heads: usize,
    /// Key/value heads, each shared by `n_heads / n_kv_heads` query heads.
    pub n_kv_heads: usize,
    /// `dim / n_heads`.
    pub head_dim: usize,
    /// Hidden width of the SwiGLU feed-forward (`llama.feed_forward_length`).
    pub ff_dim: usize,
    /// Vocabulary size (`llama.vocab_size`, else the token list's length).
    pub vocab: usize,
    /// RoPE's frequency base θ (`llama.rope.freq_base`, 10,000 when absent).
    pub rope_base: f32,
    /// RMSNorm's ε (`llama.attention.layer_norm_rms_epsilon`).
    pub rms_eps: f32,
    /// The longest sequence the model was trained on (`llama.context_length`).
    pub context_len: usize,
    /// Beginning- and end-of-sequence token ids.
    pub bos: u32,
    pub eos: u32,
}

/// Largest accepted value of a size field: far beyond any model this crate
/// could hold in memory, small enough that products of two cannot overflow.
const MAX_SIZE: u32 = 1 << 24;

fn size(g: &Gguf, key: &str) -> Result<usize, WeightsError> {
    let v = g.get_u32(key)?;
    if v == 0 || v > MAX_SIZE {
        return Err(WeightsError(format!("metadata '{key}' is {v}: must be in 1..={MAX_SIZE}")));
    }
    Ok(v as usize)
}

impl HyperParams {
    /// SmolLM2-135M-Instruct's shape, as its GGUF file states it.
    pub fn smollm2_135m() -> HyperParams {
        HyperParams {
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
        }
    }

    /// Read and validate the hyper-parameters of a Llama-architecture file.
    pub fn from_gguf(g: &Gguf) -> Result<HyperParams, WeightsError> {
        let arch = g.get_str("general.architecture")?;
        if arch != ARCHITECTURE {
            return Err(WeightsError(format!(
                "general.architecture is '{arch}': only '{ARCHITECTURE}' is implemented"
            )));
        }
        let n_heads = size(g, "llama.attention.head_count")?;
        let dim = size(g, "llama.embedding_length")?;
        let vocab = match g.get("llama.vocab_size") {
            Ok(_) => size(g, "llama.vocab_size")?,
            Err(_) => g.get_array("tokenizer.ggml.tokens")?.len(),
        };
        let rope_base = match g.get("llama.rope.freq_base") {
            Ok(_) => g.get_f32("llama.rope.freq_base")?,
            Err(_) => 10_000.0,
        };
        let hp = HyperParams {
            n_layers: size(g, "llama.block_count")?,
            dim,
            n_heads,
            n_kv_heads: size(g, "llama.attention.head_count_kv")?,
            head_dim: dim / n_heads,
            ff_dim: size(g, "llama.feed_forward_length")?,
            vocab,
            rope_base,
            rms_eps: g.get_f32("llama.attention.layer_norm_rms_epsilon")?,
            context_len: size(g, "llama.context_length")?,
            bos: g.get_u32("tokenizer.ggml.bos_token_id")?,
            eos: g.get_u32("tokenizer.ggml.eos_token_id")?,
        };
        hp.validate()?;
        // Partial rotation (only the first n dims of a head) is not implemented.
        if g.get("llama.rope.dimension_count").is_ok() {
            let n = g.get_u32("llama.rope.dimension_count")?;
            if n as usize != hp.head_dim {
                return Err(WeightsError(format!(
                    "llama.rope.dimension_count is {n}: only whole-head RoPE ({} = head dim) is implemented",
                    hp.head_dim
                )));
            }
        }
        Ok(hp)
    }

    /// Check that the fields describe a model the float reference can run.
    pub fn validate(&self) -> Result<(), WeightsError> {
        let e = |m: String| Err(WeightsError(m));
        for (name, v) in [
            ("n_layers", self.n_layers),
            ("dim", self.dim),
            ("n_heads", self.n_heads),
            ("n_kv_heads", self.n_kv_heads),
            ("ff_dim", self.ff_dim),
            ("vocab", self.vocab),
            ("context_len", self.context_len),
        ] {
            if v == 0 || v > MAX_SIZE as usize {
                return e(format!("{name} is {v}: must be in 1..={MAX_SIZE}"));
            }
        }
        if !self.dim.is_multiple_of(self.n_heads) || self.head_dim != self.dim / self.n_heads {
            return e(format!(
                "dim {} with {} heads: the width must be a whole number of heads (head_dim {})",
                self.dim, self.n_heads, self.head_dim
            ));
        }
        if !self.head_dim.is_multiple_of(2) {
            return e(format!("head_dim is {}: RoPE rotates pairs, so it must be even", self.head_dim));
        }
        if self.n_kv_heads > self.n_heads || !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return e(format!(
                "n_kv_heads is {}: must divide n_heads ({}) for grouped-query attention",
                self.n_kv_heads, self.n_heads
            ));
        }
        if !(self.rope_base.is_finite() && self.rope_base > 1.0) {
            return e(format!("rope_base is {}: must be a finite number above 1", self.rope_base));
        }
        if !(self.rms_eps.is_finite() && self.rms_eps > 0.0 && self.rms_eps < 1.0) {
            return e(format!("rms_eps is {}: must be in (0, 1)", self.rms_eps));
        }
        for (name, id) in [("bos", self.bos), ("eos", self.eos)] {
            if id as usize >= self.vocab {
                return e(format!("{name} token id is {id}: must be in 0..{}", self.vocab));
            }
        }
        Ok(())
    }

    /// The width of the keys (and values) of one position: `n_kv_heads · head_dim`.
    pub fn kv_dim(&self) -> usize {
        self.n_kv_heads * self.head_dim
    }
}

/// A dequantized weight matrix, row-major: `rows` outputs of `cols` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    /// Row `r` (the weights of output `r`).
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// One transformer layer's weights (`blk.L.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    pub attn_norm: Vec<f32>,
    /// `dim × dim`, `kv_dim × dim`, `kv_dim × dim`, `dim × dim`.
    pub attn_q: Matrix,
    pub attn_k: Matrix,
    pub attn_v: Matrix,
    pub attn_output: Matrix,
    pub ffn_norm: Vec<f32>,
    /// `ff_dim × dim`, `ff_dim × dim`, `dim × ff_dim`.
    pub ffn_gate: Matrix,
    pub ffn_up: Matrix,
    pub ffn_down: Matrix,
}

/// The whole model in f32.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub hp: HyperParams,
    /// `vocab × dim`: row `t` is token `t`'s embedding.
    pub token_embd: Matrix,
    pub output_norm: Vec<f32>,
    /// The LM head (`output.weight`, `vocab × dim`); `None` when the file ties
    /// it to `token_embd` (SmolLM2 does).
    pub output: Option<Matrix>,
    pub layers: Vec<LayerWeights>,
}

/// The elements of tensor `name`, decoded to f32, after checking that its
/// dims (ggml order) are `dims`.
fn tensor_f32(g: &Gguf, name: &str, dims: &[usize]) -> Result<Vec<f32>, WeightsError> {
    let info = g.tensor(name)?;
    if info.dims.len() != dims.len() || info.dims.iter().zip(dims).any(|(&a, &b)| a != b as u64) {
        return Err(WeightsError(format!(
            "tensor '{name}' has dims {:?} (ggml order, contiguous first): expected {dims:?}",
            info.dims
        )));
    }
    let bytes = g.tensor_data(name)?;
    let decoded = match info.ggml_type.name {
        "F32" => Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()),
        "F16" => Ok(bytes.chunks_exact(2).map(|b| f16::f16_to_f32(u16::from_le_bytes([b[0], b[1]]))).collect()),
        "Q4_1" => q4_1::dequantize(bytes),
        "Q8_0" => q8_0::dequantize(bytes),
        other => {
            return Err(WeightsError(format!(
                "tensor '{name}' is {other}: implemented formats are F32, F16, Q4_1 and Q8_0"
            )))
        }
    };
    decoded.map_err(|e| WeightsError(format!("tensor '{name}': {e}")))
}

/// A vector tensor of `len` elements.
fn vector(g: &Gguf, name: &str, len: usize) -> Result<Vec<f32>, WeightsError> {
    tensor_f32(g, name, &[len])
}

/// A matrix tensor of `rows` outputs by `cols` inputs (ggml dims `[cols, rows]`).
fn matrix(g: &Gguf, name: &str, rows: usize, cols: usize) -> Result<Matrix, WeightsError> {
    Ok(Matrix { rows, cols, data: tensor_f32(g, name, &[cols, rows])? })
}

impl Weights {
    /// Open the GGUF file at `path` and read the model from it.
    pub fn load(path: impl AsRef<Path>) -> Result<Weights, WeightsError> {
        Weights::from_gguf(&Gguf::open(path)?)
    }

    /// Read the hyper-parameters and dequantize every tensor.
    pub fn from_gguf(g: &Gguf) -> Result<Weights, WeightsError> {
        let hp = HyperParams::from_gguf(g)?;
        let (d, kv, ff) = (hp.dim, hp.kv_dim(), hp.ff_dim);
        let mut layers = Vec::with_capacity(hp.n_layers);
        for l in 0..hp.n_layers {
            let name = |t: &str| format!("blk.{l}.{t}.weight");
            layers.push(LayerWeights {
                attn_norm: vector(g, &name("attn_norm"), d)?,
                attn_q: matrix(g, &name("attn_q"), d, d)?,
                attn_k: matrix(g, &name("attn_k"), kv, d)?,
                attn_v: matrix(g, &name("attn_v"), kv, d)?,
                attn_output: matrix(g, &name("attn_output"), d, d)?,
                ffn_norm: vector(g, &name("ffn_norm"), d)?,
                ffn_gate: matrix(g, &name("ffn_gate"), ff, d)?,
                ffn_up: matrix(g, &name("ffn_up"), ff, d)?,
                ffn_down: matrix(g, &name("ffn_down"), d, ff)?,
            });
        }
        let output = match g.tensor("output.weight") {
            Ok(_) => Some(matrix(g, "output.weight", hp.vocab, d)?),
            Err(_) => None,
        };
        Ok(Weights {
            token_embd: matrix(g, "token_embd.weight", hp.vocab, d)?,
            output_norm: vector(g, "output_norm.weight", d)?,
            output,
            layers,
            hp,
        })
    }

    /// The LM head: `output.weight`, or the token embedding when tied.
    pub fn lm_head(&self) -> &Matrix {
        self.output.as_ref().unwrap_or(&self.token_embd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(edit: impl FnOnce(&mut HyperParams)) -> String {
        let mut hp = HyperParams::smollm2_135m();
        edit(&mut hp);
        hp.validate().unwrap_err().to_string()
    }

    #[test]
    fn llm_hyper_params_validation_names_the_field() {
        assert_eq!(HyperParams::smollm2_135m().validate(), Ok(()));
        assert_eq!(refused(|h| h.n_layers = 0), "n_layers is 0: must be in 1..=16777216");
        assert_eq!(
            refused(|h| h.n_kv_heads = 2),
            "n_kv_heads is 2: must divide n_heads (9) for grouped-query attention"
        );
        assert_eq!(
            refused(|h| h.n_kv_heads = 18),
            "n_kv_heads is 18: must divide n_heads (9) for grouped-query attention"
        );
        assert_eq!(
            refused(|h| {
                h.dim = 577;
                h.head_dim = 64
            }),
            "dim 577 with 9 heads: the width must be a whole number of heads (head_dim 64)"
        );
        assert_eq!(
            refused(|h| {
                h.dim = 567;
                h.head_dim = 63
            }),
            "head_dim is 63: RoPE rotates pairs, so it must be even"
        );
        assert_eq!(refused(|h| h.rope_base = f32::NAN), "rope_base is NaN: must be a finite number above 1");
        assert_eq!(refused(|h| h.rms_eps = 0.0), "rms_eps is 0: must be in (0, 1)");
        assert_eq!(refused(|h| h.eos = 49152), "eos token id is 49152: must be in 0..49152");
    }
}
