//! The shipped presets, embedded from `configs/*.toml` at build time, and
//! `--preset NAME | --config FILE`, the one way every subcommand loads a
//! configuration.

use std::path::PathBuf;

use anyhow::Result;
use golden::Config;

use crate::error::UsageError;

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

/// `--preset NAME | --config FILE`, shared by every subcommand that takes a configuration.
#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    /// A preset name (see `serrano presets`).
    #[arg(long, conflicts_with = "config", required_unless_present = "config")]
    pub preset: Option<String>,
    /// A TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// The configuration, a description of where it came from ("preset default"),
    /// and a name for its default output directory.
    pub fn resolve(&self) -> Result<(Config, String, String)> {
        match (&self.preset, &self.config) {
            (Some(name), None) => Ok((crate::presets::load(name)?, format!("preset {name}"), name.to_string())),
            (None, Some(path)) => {
                let cfg = Config::from_file(path).map_err(|e| UsageError(e.to_string()))?;
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("config").to_string();
                let shown = path.file_name().and_then(|s| s.to_str()).unwrap_or("config");
                Ok((cfg, format!("config {shown}"), stem))
            }
            _ => Err(UsageError("give exactly one of --preset NAME or --config FILE".into()).into()),
        }
    }
}
