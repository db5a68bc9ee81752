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
    /// The AXI4 DMA engines. Optional in a file: absent means [`DmaConfig::default`].
    #[serde(default)]
    pub dma: DmaConfig,
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

/// The AXI4 DMA engines (read: memory → AXI-Stream, write: AXI-Stream → memory).
/// See `docs/dma.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmaConfig {
    /// Width of the AXI4 data buses and of the AXI-Stream ports: 64..=512, a power of two.
    pub data_bits: u32,
    /// Width of AXI4 addresses: 32 or 64.
    pub addr_bits: u32,
    /// The longest burst the legalizer issues, in beats: 1..=256 (AXI4 INCR allows 256).
    pub max_burst: u32,
    /// Bursts in flight per engine (address handshaken, last data or response not yet
    /// received): 1..=64. Hides memory latency: a burst stream stays back to back when
    /// `max_outstanding × burst beats ≥ latency + burst beats`.
    pub max_outstanding: u32,
    /// Descriptors waiting per engine (the queue behind the `PUSH` register), and the
    /// depth of each engine's completion FIFO: 2..=256.
    pub queue_depth: u32,
    /// Width of `m_axi_arid`/`awid`/`rid`/`bid`: 1..=16. The engines issue ID 0.
    pub id_bits: u32,
    /// Entries of each engine's page table (paged-gather descriptors): 2..=2048, a power of two.
    pub table_entries: u32,
}

impl Default for DmaConfig {
    /// The default preset's values.
    fn default() -> Self {
        DmaConfig {
            data_bits: 128,
            addr_bits: 32,
            max_burst: 256,
            max_outstanding: 8,
            queue_depth: 8,
            id_bits: 4,
            table_entries: 256,
        }
    }
}

impl DmaConfig {
    /// Bytes per data beat.
    pub fn data_bytes(&self) -> u32 {
        self.data_bits / 8
    }

    /// Check every field against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_pow2("dma.data_bits", self.data_bits, 64..=512)?;
        if self.addr_bits != 32 && self.addr_bits != 64 {
            return Err(ConfigError::Range {
                field: "dma.addr_bits",
                value: self.addr_bits.to_string(),
                allowed: "32 or 64".into(),
            });
        }
        check_range("dma.max_burst", self.max_burst, 1..=256)?;
        check_range("dma.max_outstanding", self.max_outstanding, 1..=64)?;
        check_range("dma.queue_depth", self.queue_depth, 2..=256)?;
        check_range("dma.id_bits", self.id_bits, 1..=16)?;
        check_pow2("dma.table_entries", self.table_entries, 2..=2048)
    }
}

fn check_pow2(field: &'static str, v: u32, r: RangeInclusive<u32>) -> Result<(), ConfigError> {
    if r.contains(&v) && v.is_power_of_two() {
        Ok(())
    } else {
        Err(ConfigError::Range {
            field,
            value: v.to_string(),
            allowed: format!("a power of two between {} and {}", r.start(), r.end()),
        })
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
        check_range("pe.acc_bits", self.pe.acc_bits, ACC_BITS)?;
        self.dma.validate()
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
        let e = Config::from_toml_str("[pe]\nacc_bits = 8\n", "t").unwrap_err().to_string();
        assert_eq!(e, "pe.acc_bits = 8: must be between 16 and 64");
    }

    #[test]
    fn unknown_field_is_named() {
        let e = Config::from_toml_str("[pe]\nacc_bits = 32\nacc_bitz = 3\n", "t").unwrap_err().to_string();
        assert!(e.contains("unknown field `acc_bitz`"), "{e}");
        let e = Config::from_toml_str("[pee]\nacc_bits = 32\n", "t").unwrap_err().to_string();
        assert!(e.contains("unknown field `pee`"), "{e}");
    }

    #[test]
    fn dma_section_defaults_and_parses() {
        let c = Config::from_toml_str("[pe]\nacc_bits = 32\n", "t").unwrap();
        assert_eq!(c.dma, DmaConfig::default());
        let c = Config::from_toml_str(
            "[pe]\nacc_bits = 32\n[dma]\ndata_bits = 64\naddr_bits = 64\nmax_burst = 16\n\
             max_outstanding = 4\nqueue_depth = 2\nid_bits = 1\ntable_entries = 64\n",
            "t",
        )
        .unwrap();
        assert_eq!(c.dma.data_bytes(), 8);
        assert_eq!(c.dma.addr_bits, 64);
    }

    #[test]
    fn dma_ranges_name_the_field() {
        let base = DmaConfig::default();
        let cases: Vec<(DmaConfig, &str)> = vec![
            (DmaConfig { data_bits: 96, ..base }, "dma.data_bits = 96: must be a power of two between 64 and 512"),
            (DmaConfig { data_bits: 1024, ..base }, "dma.data_bits = 1024: must be a power of two between 64 and 512"),
            (DmaConfig { addr_bits: 48, ..base }, "dma.addr_bits = 48: must be 32 or 64"),
            (DmaConfig { max_burst: 0, ..base }, "dma.max_burst = 0: must be between 1 and 256"),
            (DmaConfig { max_burst: 257, ..base }, "dma.max_burst = 257: must be between 1 and 256"),
            (DmaConfig { max_outstanding: 65, ..base }, "dma.max_outstanding = 65: must be between 1 and 64"),
            (DmaConfig { queue_depth: 1, ..base }, "dma.queue_depth = 1: must be between 2 and 256"),
            (DmaConfig { id_bits: 0, ..base }, "dma.id_bits = 0: must be between 1 and 16"),
            (
                DmaConfig { table_entries: 100, ..base },
                "dma.table_entries = 100: must be a power of two between 2 and 2048",
            ),
        ];
        for (cfg, msg) in cases {
            assert_eq!(cfg.validate().unwrap_err().to_string(), msg);
        }
        let e = Config::from_toml_str("[pe]\nacc_bits = 32\n[dma]\ndata_bits = 128\n", "t").unwrap_err().to_string();
        assert!(e.contains("missing field"), "{e}");
        let e = Config::from_toml_str(
            "[pe]\nacc_bits = 32\n[dma]\ndata_bits = 100\naddr_bits = 32\nmax_burst = 16\n\
             max_outstanding = 4\nqueue_depth = 2\nid_bits = 1\ntable_entries = 64\n",
            "t",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "dma.data_bits = 100: must be a power of two between 64 and 512");
    }

    #[test]
    fn malformed_toml_is_an_error() {
        let e = Config::from_toml_str("[pe\nacc_bits = 32\n", "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("invalid config x.toml"), "{e}");
        let e = Config::from_toml_str("[pe]\nacc_bits = -3\n", "x.toml").unwrap_err().to_string();
        assert!(e.contains("acc_bits"), "{e}");
    }
}
