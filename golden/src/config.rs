//! Configuration: one object drives generation, the golden models and the
//! tests. Read from TOML (`configs/*.toml`), validated with messages that name
//! the field and the allowed range.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A whole Serrano configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// One line saying what this configuration is for.
    #[serde(default)]
    pub description: String,
    /// The systolic matmul tile.
    pub systolic: SystolicConfig,
}

/// The systolic matmul tile: a `rows` × `cols` weight-stationary array of
/// int8 PEs with int32 partial sums, and an accumulator of `acc_depth` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystolicConfig {
    /// PE rows: the K-slice of one weight fold.
    pub rows: u32,
    /// PE columns: the N-slice of one weight fold.
    pub cols: u32,
    /// Accumulator rows (the largest M of one pass); any M is tiled by it.
    pub acc_depth: u32,
}

/// The allowed ranges of the systolic fields.
pub const ARRAY_DIM: RangeInclusive<u32> = 1..=128;
pub const ACC_DEPTH: RangeInclusive<u32> = 2..=65_536;

/// Parameters of one processing element. Not a configuration-file section:
/// the tile's PEs accumulate in 32 bits (int32 results); the PE block itself
/// is parametric and tested at other widths too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeConfig {
    /// Width of the partial sum, two's complement, wrapping (16..=64).
    pub acc_bits: u32,
}

/// The accumulator width of the tile: int32, wrapping.
pub const TILE_ACC_BITS: u32 = 32;

impl SystolicConfig {
    /// The PE configuration of this tile.
    pub fn pe(&self) -> PeConfig {
        PeConfig { acc_bits: TILE_ACC_BITS }
    }
}

/// A configuration that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The file could not be read.
    Io { path: String, message: String },
    /// Malformed TOML, an unknown field, a missing field or a wrong type.
    Parse { source_name: String, message: String },
    /// A value outside its allowed range.
    Range { field: &'static str, value: String, allowed: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io { path, message } => write!(f, "cannot read config {path}: {message}"),
            ConfigError::Parse { source_name, message } => {
                write!(f, "invalid config {source_name}: {}", message.trim_end())
            }
            ConfigError::Range { field, value, allowed } => write!(f, "{field} = {value}: must be {allowed}"),
        }
    }
}

impl std::error::Error for ConfigError {}

fn check_range(field: &'static str, v: u32, r: RangeInclusive<u32>) -> Result<(), ConfigError> {
    if r.contains(&v) {
        Ok(())
    } else {
        Err(ConfigError::Range {
            field,
            value: v.to_string(),
            allowed: format!("between {} and {}", r.start(), r.end()),
        })
    }
}

impl Config {
    /// Parse and validate TOML text; `source_name` names it in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { source_name: source_name.to_string(), message: e.to_string() })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Read, parse and validate a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), message: e.to_string() })?;
        Config::from_toml_str(&text, &path.display().to_string())
    }

    /// Check every field against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("systolic.rows", self.systolic.rows, ARRAY_DIM)?;
        check_range("systolic.cols", self.systolic.cols, ARRAY_DIM)?;
        check_range("systolic.acc_depth", self.systolic.acc_depth, ACC_DEPTH)
    }

    /// The configuration as JSON (for manifests).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a Config always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[systolic]\nrows = 16\ncols = 8\nacc_depth = 64\n";

    fn err(text: &str) -> String {
        Config::from_toml_str(text, "x.toml").unwrap_err().to_string()
    }

    #[test]
    fn accepts_a_good_config() {
        let c = Config::from_toml_str(GOOD, "t").unwrap();
        assert_eq!((c.systolic.rows, c.systolic.cols, c.systolic.acc_depth), (16, 8, 64));
        assert_eq!(c.systolic.pe().acc_bits, 32);
    }

    #[test]
    fn out_of_range_names_field_and_range() {
        assert_eq!(err(&GOOD.replace("rows = 16", "rows = 0")), "systolic.rows = 0: must be between 1 and 128");
        assert_eq!(err(&GOOD.replace("cols = 8", "cols = 129")), "systolic.cols = 129: must be between 1 and 128");
        assert_eq!(
            err(&GOOD.replace("acc_depth = 64", "acc_depth = 1")),
            "systolic.acc_depth = 1: must be between 2 and 65536"
        );
    }

    #[test]
    fn unknown_field_is_named() {
        let e = err(&format!("{GOOD}colz = 3\n"));
        assert!(e.contains("unknown field `colz`"), "{e}");
        let e = err(&GOOD.replace("[systolic]", "[systolik]"));
        assert!(e.contains("unknown field `systolik`"), "{e}");
    }

    #[test]
    fn malformed_toml_is_an_error() {
        let e = err(&GOOD.replace("[systolic]", "[systolic"));
        assert!(e.starts_with("invalid config x.toml"), "{e}");
        let e = err(&GOOD.replace("rows = 16", "rows = -3"));
        assert!(e.contains("rows"), "{e}");
    }
}
