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
    /// The processing element of the systolic array.
    pub pe: PeConfig,
}

/// The processing element: int8 × int8 products summed into `acc_bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeConfig {
    /// Width of the partial sum, two's complement, wrapping.
    pub acc_bits: u32,
}

/// The allowed range of `pe.acc_bits`: at least the 16 bits of an exact
/// int8 × int8 product, at most 64.
pub const ACC_BITS: RangeInclusive<u32> = 16..=64;

/// A configuration that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The file could not be read.
    Io { path: String, message: String },
    /// Malformed TOML, an unknown field, a missing field or a wrong type.
    Parse {
        source_name: String,
        message: String,
    },
    /// A value outside its allowed range.
    Range {
        field: &'static str,
        value: String,
        allowed: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io { path, message } => write!(f, "cannot read config {path}: {message}"),
            ConfigError::Parse {
                source_name,
                message,
            } => {
                write!(f, "invalid config {source_name}: {}", message.trim_end())
            }
            ConfigError::Range {
                field,
                value,
                allowed,
            } => write!(f, "{field} = {value}: must be {allowed}"),
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
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Read, parse and validate a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Config::from_toml_str(&text, &path.display().to_string())
    }

    /// Check every field against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("pe.acc_bits", self.pe.acc_bits, ACC_BITS)
    }

    /// The configuration as JSON (for manifests).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a Config always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_good_config() {
        let c = Config::from_toml_str("[pe]\nacc_bits = 32\n", "t").unwrap();
        assert_eq!(c.pe.acc_bits, 32);
    }

    #[test]
    fn out_of_range_names_field_and_range() {
        let e = Config::from_toml_str("[pe]\nacc_bits = 8\n", "t")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "pe.acc_bits = 8: must be between 16 and 64");
    }

    #[test]
    fn unknown_field_is_named() {
        let e = Config::from_toml_str("[pe]\nacc_bits = 32\nacc_bitz = 3\n", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `acc_bitz`"), "{e}");
        let e = Config::from_toml_str("[pee]\nacc_bits = 32\n", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `pee`"), "{e}");
    }

    #[test]
    fn malformed_toml_is_an_error() {
        let e = Config::from_toml_str("[pe\nacc_bits = 32\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid config x.toml"), "{e}");
        let e = Config::from_toml_str("[pe]\nacc_bits = -3\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("acc_bits"), "{e}");
    }
}
