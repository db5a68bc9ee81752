//! A pretrained language model on the core (`docs/llm.md`): the model file,
//! its reader, its tokenizer, its weights, their float reference evaluation
//! and the calibration of the int8 model. The numeric definitions (the
//! stored weights, the int8 model, the host's float steps) live in the
//! golden model (`golden::llm`).

pub mod calibrate;
pub mod float_model;
pub mod gguf;
pub mod runner;
pub mod tokenizer;
mod unicode;
pub mod weights;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub use float_model::{FloatModel, FloatModelError};
pub use gguf::{GgmlType, Gguf, GgufError, TensorInfo, Value};
pub use tokenizer::{Tokenizer, TokenizerError};
pub use weights::{HyperParams, LayerWeights, Matrix, Weights, WeightsError};

/// The environment variable that names the model file, overriding the record.
pub const MODEL_ENV: &str = "SERRANO_MODEL";
/// Where `scripts/model.sh` (`make model`) records the installed file's path,
/// relative to the workspace root.
pub const MODEL_RECORD: &str = ".tools/model.path";

/// The model file's weights (dequantized) and tokenizer.
pub struct Model {
    pub weights: Weights,
    pub tokenizer: Tokenizer,
}

/// Read the model file at `path`: its weights and its tokenizer. Errors name
/// the file and what is wrong.
pub fn load_model(path: &Path) -> Result<Model, String> {
    let gguf = Gguf::open(path).map_err(|e| e.to_string())?;
    let weights = Weights::from_gguf(&gguf).map_err(|e| e.to_string())?;
    let tokenizer = Tokenizer::from_gguf(&gguf).map_err(|e| e.to_string())?;
    Ok(Model { weights, tokenizer })
}

/// The workspace root (this crate's parent folder).
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the runtime crate sits in the workspace root")
}

/// The SmolLM2-135M GGUF file: `$SERRANO_MODEL` when set, else the path
/// recorded in `.tools/model.path`. An error says how to get the file.
pub fn model_path() -> Result<PathBuf, String> {
    resolve_model_path(std::env::var_os(MODEL_ENV).as_deref(), workspace_root())
}

/// [`model_path`]'s rule with the environment value and the workspace root
/// given (so it can be tested without touching the process environment).
pub fn resolve_model_path(env: Option<&OsStr>, root: &Path) -> Result<PathBuf, String> {
    const HOW: &str = "run `make model` (scripts/model.sh) to install it, or set SERRANO_MODEL to a .gguf file";
    if let Some(p) = env.filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(format!("{MODEL_ENV}={} is not a file: {HOW}", p.display())) };
    }
    let record = root.join(MODEL_RECORD);
    let text = std::fs::read_to_string(&record)
        .map_err(|e| format!("no model file: {} cannot be read ({e}): {HOW}", record.display()))?;
    let p = PathBuf::from(text.trim());
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("the model file {} recorded in {} is missing: {HOW}", p.display(), record.display()))
    }
}
