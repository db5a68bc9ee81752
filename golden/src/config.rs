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
    /// entries: 4..=32, a power of two. No effect on results, only on how
    /// far ahead of the engines dispatch runs, and on area (the scoreboard
    /// grows with its square).
    pub in_flight: u32,
}

impl Default for CoreConfig {
    /// The values of a `[core]` section that names no field (the default preset's).
    fn default() -> Self {
        CoreConfig { spad_kib: 256, spad_banks: 8, in_flight: 32 }
    }
}

/// The allowed range of `core.in_flight` (and it must be a power of two).
pub const CORE_IN_FLIGHT: RangeInclusive<u32> = 4..=32;

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

    fn softmax_err(section: &str) -> String {
        err(&format!("{GOOD}[softmax]\n{section}"))
    }

    #[test]
    fn softmax_section_is_optional_and_validated() {
        let c = Config::from_toml_str(GOOD, "t").unwrap();
        assert_eq!(c.softmax, SoftmaxConfig::default());
        let ok = "lanes = 4\nmax_len = 64\nin_bits = 16\nout_bits = 16\ntable_bits = 8\n";
        let c = Config::from_toml_str(&format!("{GOOD}[softmax]\n{ok}"), "t").unwrap();
        assert_eq!(c.softmax, SoftmaxConfig { lanes: 4, max_len: 64, in_bits: 16, out_bits: 16, table_bits: 8 });
        let e = softmax_err("lanes = 0\nmax_len = 64\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
        assert_eq!(e, "softmax.lanes = 0: must be between 1 and 64");
        let e = softmax_err("lanes = 65\nmax_len = 65\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
        assert_eq!(e, "softmax.lanes = 65: must be between 1 and 64");
        let e = softmax_err("lanes = 16\nmax_len = 100\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
        assert_eq!(e, "softmax.max_len = 100: must be a multiple of softmax.lanes = 16");
        let e = softmax_err("lanes = 16\nmax_len = 0\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
        assert_eq!(e, "softmax.max_len = 0: must be between 1 and 65536");
        let e = softmax_err("lanes = 16\nmax_len = 131072\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
        assert_eq!(e, "softmax.max_len = 131072: must be between 1 and 65536");
        let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 12\nout_bits = 8\ntable_bits = 5\n");
        assert_eq!(e, "softmax.in_bits = 12: must be 8 or 16");
        let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 8\nout_bits = 32\ntable_bits = 5\n");
        assert_eq!(e, "softmax.out_bits = 32: must be 8 or 16");
        let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 8\nout_bits = 8\ntable_bits = 11\n");
        assert_eq!(e, "softmax.table_bits = 11: must be between 2 and 10");
        let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 8\nout_bits = 8\ntable_bits = 5\nlane = 3\n");
        assert!(e.contains("unknown field `lane`"), "{e}");
    }

    const DMA_OK: &str = "[dma]\ndata_bits = 64\naddr_bits = 64\nmax_burst = 16\nmax_outstanding = 4\n\
                          queue_depth = 2\nid_bits = 1\ntable_entries = 64\n";

    #[test]
    fn dma_section_defaults_and_parses() {
        let c = Config::from_toml_str(GOOD, "t").unwrap();
        assert_eq!(c.dma, DmaConfig::default());
        let c = Config::from_toml_str(&format!("{GOOD}{DMA_OK}"), "t").unwrap();
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
        let e = err(&format!("{GOOD}{}", DMA_OK.replace("data_bits = 64", "data_bits = 100")));
        assert_eq!(e, "dma.data_bits = 100: must be a power of two between 64 and 512");
    }

    fn parse(text: &str) -> Config {
        Config::from_toml_str(text, "t").unwrap_or_else(|e| panic!("{e}:\n{text}"))
    }

    #[test]
    fn softmax_section_may_be_partial() {
        let d = SoftmaxConfig::default();
        assert_eq!(parse(&format!("{GOOD}[softmax]\n")).softmax, d);
        assert_eq!(parse(&format!("{GOOD}[softmax]\nlanes = 4\n")).softmax, SoftmaxConfig { lanes: 4, ..d });
        assert_eq!(
            parse(&format!("{GOOD}[softmax]\nout_bits = 16\ntable_bits = 8\n")).softmax,
            SoftmaxConfig { out_bits: 16, table_bits: 8, ..d }
        );
        // A defaulted field is validated like a written one, against the fields given.
        assert_eq!(softmax_err("lanes = 3\n"), "softmax.max_len = 4096: must be a multiple of softmax.lanes = 3");
        assert_eq!(softmax_err("in_bits = 12\n"), "softmax.in_bits = 12: must be 8 or 16");
        let e = softmax_err("lane = 4\n");
        assert!(e.contains("unknown field `lane`"), "{e}");
    }

    #[test]
    fn dma_section_may_be_partial() {
        let d = DmaConfig::default();
        assert_eq!(parse(&format!("{GOOD}[dma]\n")).dma, d);
        assert_eq!(parse(&format!("{GOOD}[dma]\ndata_bits = 64\n")).dma, DmaConfig { data_bits: 64, ..d });
        assert_eq!(
            parse(&format!("{GOOD}[dma]\naddr_bits = 64\nmax_outstanding = 32\n")).dma,
            DmaConfig { addr_bits: 64, max_outstanding: 32, ..d }
        );
        assert_eq!(
            err(&format!("{GOOD}[dma]\ntable_entries = 100\n")),
            "dma.table_entries = 100: must be a power of two between 2 and 2048"
        );
        let e = err(&format!("{GOOD}[dma]\ndata_bits = 64\ndatabits = 64\n"));
        assert!(e.contains("unknown field `databits`"), "{e}");
    }

    #[test]
    fn systolic_requant_is_optional_and_the_rest_is_required() {
        assert!(parse(GOOD).systolic.requant);
        assert!(!parse(&format!("{GOOD}requant = false\n")).systolic.requant);
        let e = err(&GOOD.replace("rows = 16\n", ""));
        assert!(e.contains("missing field `rows`"), "{e}");
    }

    /// The defaults, written out: the README's Configuration section states
    /// these, so changing one must change the README too.
    #[test]
    fn defaults_are_the_documented_values() {
        assert_eq!(
            SoftmaxConfig::default(),
            SoftmaxConfig { lanes: 16, max_len: 4096, in_bits: 8, out_bits: 8, table_bits: 5 }
        );
        assert_eq!(
            DmaConfig::default(),
            DmaConfig {
                data_bits: 128,
                addr_bits: 32,
                max_burst: 256,
                max_outstanding: 8,
                queue_depth: 8,
                id_bits: 4,
                table_entries: 256,
            }
        );
        // The README's example configuration writes the optional sections
        // out at their defaults; it must parse and agree with them.
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let section = &readme[readme.find("### Configuration").expect("README has a Configuration section")..];
        let start = section.find("```toml\n").expect("a TOML example") + "```toml\n".len();
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let c = parse(example);
        assert_eq!((c.softmax, c.dma, c.systolic.requant), (SoftmaxConfig::default(), DmaConfig::default(), true));
        assert_eq!(c.core, Some(CoreConfig::default()));
        assert_eq!(CoreConfig::default(), CoreConfig { spad_kib: 256, spad_banks: 8, in_flight: 32 });
    }

    #[test]
    fn core_section_is_optional_partial_and_validated() {
        assert_eq!(parse(GOOD).core, None);
        assert_eq!(parse(&format!("{GOOD}[core]\n")).core, Some(CoreConfig::default()));
        assert_eq!(
            parse(&format!("{GOOD}[core]\nspad_kib = 16\n")).core,
            Some(CoreConfig { spad_kib: 16, ..CoreConfig::default() })
        );
        let core = |section: &str| err(&format!("{GOOD}[core]\n{section}"));
        assert_eq!(core("spad_kib = 0\n"), "core.spad_kib = 0: must be a power of two between 4 and 4096");
        assert_eq!(core("spad_kib = 8192\n"), "core.spad_kib = 8192: must be a power of two between 4 and 4096");
        assert_eq!(core("spad_kib = 48\n"), "core.spad_kib = 48: must be a power of two between 4 and 4096");
        assert_eq!(core("spad_banks = 1\n"), "core.spad_banks = 1: must be a power of two between 2 and 32");
        assert_eq!(core("spad_banks = 12\n"), "core.spad_banks = 12: must be a power of two between 2 and 32");
        assert_eq!(
            core("spad_kib = 4\nspad_banks = 32\n"),
            "core.spad_banks = 32: must be at most 16 (banks of at least 16 lines: core.spad_kib = 4 holds 256 lines \
             of 16 bytes)"
        );
        assert!(parse(&format!("{GOOD}[core]\nspad_kib = 4\nspad_banks = 16\n")).core.is_some());
        assert_eq!(core("in_flight = 6\n"), "core.in_flight = 6: must be a power of two between 4 and 32");
        assert_eq!(core("in_flight = 64\n"), "core.in_flight = 64: must be a power of two between 4 and 32");
        let e = core("spad_kb = 4\n");
        assert!(e.contains("unknown field `spad_kb`"), "{e}");
    }

    #[test]
    fn core_ties_the_blocks_to_its_line() {
        // GOOD has 16-byte lines (the default DMA): rows 16 and cols 8 divide them.
        let with_core = |text: &str| err(&format!("{text}[core]\n"));
        assert_eq!(
            with_core(&GOOD.replace("rows = 16", "rows = 32")),
            "systolic.rows = 32: must be a divisor of the core's line of 16 bytes (dma.data_bits / 8) in a \
             configuration with [core]"
        );
        assert_eq!(
            with_core(&GOOD.replace("cols = 8", "cols = 3")),
            "systolic.cols = 3: must be a divisor of the core's line of 16 bytes (dma.data_bits / 8) in a \
             configuration with [core]"
        );
        // The same tile without a core is fine.
        parse(&GOOD.replace("rows = 16", "rows = 32"));
        assert_eq!(
            with_core(&format!("{GOOD}[softmax]\nin_bits = 16\n")),
            "softmax.lanes * softmax.in_bits / 8 = 32: must be a divisor of the core's line of 16 bytes \
             (dma.data_bits / 8) in a configuration with [core]"
        );
        assert_eq!(
            with_core(&format!("{GOOD}[softmax]\nlanes = 8\nout_bits = 16\n[dma]\ndata_bits = 64\n")),
            "systolic.rows = 16: must be a divisor of the core's line of 8 bytes (dma.data_bits / 8) in a \
             configuration with [core]"
        );
        let small = GOOD.replace("rows = 16", "rows = 4").replace("cols = 8", "cols = 4");
        assert_eq!(
            with_core(&format!("{small}[softmax]\nlanes = 8\nout_bits = 16\n[dma]\ndata_bits = 64\n")),
            "softmax.lanes * softmax.out_bits / 8 = 16: must be a divisor of the core's line of 8 bytes \
             (dma.data_bits / 8) in a configuration with [core]"
        );
    }

    /// Every preset has a core, with the sizes its comments give.
    #[test]
    fn presets_have_a_core() {
        for (name, kib, banks) in [("default", 256, 8), ("large", 1024, 16), ("tiny", 8, 4)] {
            let path = format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let c = Config::from_file(Path::new(&path)).unwrap();
            assert_eq!(
                c.core,
                Some(CoreConfig { spad_kib: kib, spad_banks: banks, ..CoreConfig::default() }),
                "{name}"
            );
        }
    }

    #[test]
    fn malformed_toml_is_an_error() {
        let e = err(&GOOD.replace("[systolic]", "[systolic"));
        assert!(e.starts_with("invalid config x.toml"), "{e}");
        let e = err(&GOOD.replace("rows = 16", "rows = -3"));
        assert!(e.contains("rows"), "{e}");
    }
}
