//! The shipped presets, embedded from `configs/*.toml` at build time.

use anyhow::Result;
use golden::Config;

use crate::UsageError;

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

/// The names of all presets.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// Load and validate preset `name`.
pub fn load(name: &str) -> Result<Config> {
    let (_, text) = PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| UsageError(format!("unknown preset `{name}`; the presets are: {}", names().join(", "))))?;
    Config::from_toml_str(text, &format!("configs/{name}.toml")).map_err(|e| UsageError(e.to_string()).into())
}
