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
    /// The attention softmax unit. Optional in a file: a configuration
    /// without a `[softmax]` section gets [`SoftmaxConfig::default`].
    #[serde(default)]
    pub softmax: SoftmaxConfig,
    /// The AXI4 DMA engines. Optional in a file: absent means [`DmaConfig::default`].
    #[serde(default)]
    pub dma: DmaConfig,
    /// The integrated core (scratchpad, command processor). Optional: a
    /// configuration without a `[core]` section builds the standalone blocks
    /// only, and its blocks are not held to the core's structural rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core: Option<CoreConfig>,
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
    /// Per-column requantization hardware (one int32 × int32 multiplier per
    /// column). Without it (`false`, for small FPGAs: the tiny preset's four
    /// multipliers alone would be ~14k iCE40 LUTs) the tile returns int32
    /// accumulators only; READ with requant and QPARAM are not allowed.
    #[serde(default = "default_true")]
    pub requant: bool,
}

fn default_true() -> bool {
    true
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

/// The streaming softmax unit (see `docs/softmax.md` and the "Softmax"
/// section of `docs/numerics.md`).
///
/// A `[softmax]` section may name only some fields: a missing one takes its
/// value from [`SoftmaxConfig::default`], the one table of defaults (also used
/// when the whole section is absent, and stated in the README), so a partial
/// section and an absent one can never disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SoftmaxConfig {
    /// Elements per beat (and per clock cycle).
    pub lanes: u32,
    /// The longest row in elements; a multiple of `lanes`.
    pub max_len: u32,
    /// Width of a logit: 8 (int8) or 16 (int16).
    pub in_bits: u32,
    /// Width of a probability: 8 (UQ0.8) or 16 (UQ0.16).
    pub out_bits: u32,
    /// log2 of the number of segments of the exp2 table (linear interpolation
    /// between its points).
    pub table_bits: u32,
}

impl Default for SoftmaxConfig {
    /// The default unit: 16 lanes, rows up to 4096, int8 in, UQ0.8 out.
    fn default() -> Self {
        SoftmaxConfig { lanes: 16, max_len: 4096, in_bits: 8, out_bits: 8, table_bits: 5 }
    }
}

/// The allowed range of `softmax.lanes`.
pub const SOFTMAX_LANES: RangeInclusive<u32> = 1..=64;
/// The allowed range of `softmax.max_len` (it must also be a multiple of `lanes`).
pub const SOFTMAX_MAX_LEN: RangeInclusive<u32> = 1..=65_536;
/// The allowed range of `softmax.table_bits`.
pub const SOFTMAX_TABLE_BITS: RangeInclusive<u32> = 2..=10;

impl SoftmaxConfig {
    /// Check every field against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("softmax.lanes", self.lanes, SOFTMAX_LANES)?;
        check_range("softmax.max_len", self.max_len, SOFTMAX_MAX_LEN)?;
        if !self.max_len.is_multiple_of(self.lanes) {
            return Err(ConfigError::Range {
                field: "softmax.max_len",
                value: self.max_len.to_string(),
                allowed: format!("a multiple of softmax.lanes = {}", self.lanes),
            });
        }
        check_one_of("softmax.in_bits", self.in_bits, &[8, 16])?;
        check_one_of("softmax.out_bits", self.out_bits, &[8, 16])?;
        check_range("softmax.table_bits", self.table_bits, SOFTMAX_TABLE_BITS)
    }
}

/// The AXI4 DMA engines (read: memory → AXI-Stream, write: AXI-Stream → memory).
/// See `docs/dma.md`.
///
/// A `[dma]` section may name only some fields: a missing one takes its value
/// from [`DmaConfig::default`], as a missing section does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// The values of a configuration without a `[dma]` section (8 bursts
    /// outstanding, as the DMA was specified; the default preset raises it).
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
        check_one_of("dma.addr_bits", self.addr_bits, &[32, 64])?;
        check_range("dma.max_burst", self.max_burst, 1..=256)?;
        check_range("dma.max_outstanding", self.max_outstanding, 1..=64)?;
        check_range("dma.queue_depth", self.queue_depth, 2..=256)?;
        check_range("dma.id_bits", self.id_bits, 1..=16)?;
        check_pow2("dma.table_entries", self.table_entries, 2..=2048)
    }
}

/// The integrated core: its scratchpad (see `docs/isa.md`). The scratchpad is
/// addressed in lines of `dma.data_bits / 8` bytes (the DMA's beat) and is
/// cut into `spad_banks` banks of consecutive lines, each a simple dual-port
/// RAM, so commands on different banks run concurrently.
///
/// A `[core]` section may name only some fields: a missing one takes its value
/// from [`CoreConfig::default`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoreConfig {
    /// Scratchpad size in KiB: 4..=4096, a power of two.
    pub spad_kib: u32,
    /// Scratchpad banks: 2..=32, a power of two, each of at least
    /// [`MIN_LINES_PER_BANK`] lines.
    pub spad_banks: u32,
    /// Commands in flight (dispatched, not retired), the scoreboard's
    /// entries: 4..=64, a power of two. No effect on results, only on how
    /// far ahead of the engines dispatch runs, and on area (the scoreboard
    /// grows with its square).
    pub in_flight: u32,
}

impl Default for CoreConfig {
    /// The values of a `[core]` section that names no field.
    fn default() -> Self {
        CoreConfig { spad_kib: 256, spad_banks: 8, in_flight: 32 }
    }
}

/// The allowed range of `core.in_flight` (and it must be a power of two).
pub const CORE_IN_FLIGHT: RangeInclusive<u32> = 4..=64;

/// The allowed range of `core.spad_kib` (and it must be a power of two).
pub const CORE_SPAD_KIB: RangeInclusive<u32> = 4..=4096;
/// The allowed range of `core.spad_banks` (and it must be a power of two).
pub const CORE_SPAD_BANKS: RangeInclusive<u32> = 2..=32;
/// A bank shallower than this is not worth a block RAM of its own.
pub const MIN_LINES_PER_BANK: u32 = 16;

impl CoreConfig {
    /// Scratchpad lines for lines of `line_bytes` bytes.
    pub fn spad_lines(&self, line_bytes: u32) -> u32 {
        self.spad_kib * 1024 / line_bytes
    }

    /// Check the fields and the rules that tie the core to its blocks: a tile
    /// operand row is a slice of one line (`systolic.rows` and `systolic.cols`
    /// divide the line), and so is a softmax beat, in and out.
    pub fn validate(&self, cfg: &Config) -> Result<(), ConfigError> {
        check_pow2("core.spad_kib", self.spad_kib, CORE_SPAD_KIB)?;
        check_pow2("core.spad_banks", self.spad_banks, CORE_SPAD_BANKS)?;
        check_pow2("core.in_flight", self.in_flight, CORE_IN_FLIGHT)?;
        let line = cfg.dma.data_bytes();
        let lines = self.spad_lines(line);
        if lines / self.spad_banks < MIN_LINES_PER_BANK {
            return Err(ConfigError::Range {
                field: "core.spad_banks",
                value: self.spad_banks.to_string(),
                allowed: format!(
                    "at most {} (banks of at least {MIN_LINES_PER_BANK} lines: core.spad_kib = {} holds {lines} lines \
                     of {line} bytes)",
                    (lines / MIN_LINES_PER_BANK).max(1),
                    self.spad_kib
                ),
            });
        }
        let divides = |field: &'static str, v: u32| {
            if line.is_multiple_of(v) {
                Ok(())
            } else {
                Err(ConfigError::Range {
                    field,
                    value: v.to_string(),
                    allowed: format!(
                        "a divisor of the core's line of {line} bytes (dma.data_bits / 8) in a configuration with [core]"
                    ),
                })
            }
        };
        divides("systolic.rows", cfg.systolic.rows)?;
        divides("systolic.cols", cfg.systolic.cols)?;
        divides("softmax.lanes * softmax.in_bits / 8", cfg.softmax.lanes * cfg.softmax.in_bits / 8)?;
        divides("softmax.lanes * softmax.out_bits / 8", cfg.softmax.lanes * cfg.softmax.out_bits / 8)
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

fn check_one_of(field: &'static str, v: u32, allowed: &[u32]) -> Result<(), ConfigError> {
    if allowed.contains(&v) {
        Ok(())
    } else {
        let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        Err(ConfigError::Range { field, value: v.to_string(), allowed: list.join(" or ") })
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
        check_range("systolic.acc_depth", self.systolic.acc_depth, ACC_DEPTH)?;
        self.softmax.validate()?;
        self.dma.validate()?;
        match &self.core {
            Some(core) => core.validate(self),
            None => Ok(()),
        }
    }

    /// The configuration as JSON (for manifests).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a Config always serializes")
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
