//! The JSON of `serrano sim gemm --json` and `serrano sim softmax --json`
//! as typed results: the `gemm_256`, `gemm_decode` and `softmax` sections
//! of `docs/results.json` that `report` reads. Every key is required (a
//! `null` where a run has no value), so a missing or misspelt key is a parse
//! error naming it, not a "—" in the README.
//!
//! Field names are the JSON keys, which scripts read: do not rename them.

use serde::{Deserialize, Serialize};

/// `serrano sim gemm --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GemmJson {
    pub source: String,
    /// `ROWSxCOLS`.
    pub array: String,
    pub m: u64,
    pub k: u64,
    pub n: u64,
    pub cycles: u64,
    pub macs: u64,
    pub utilization: f64,
    pub mismatches: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub first_mismatch: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub waveform: Option<String>,
    pub total_cycles: u64,
    pub sim_seconds: f64,
    pub sim_cycles_per_sec: f64,
    pub build_seconds: f64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub requant: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub out: Option<String>,
    pub memory_need_bytes: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub peak_rss_bytes: Option<u64>,
    /// Cycles the weight stream alone needs: folds × rows (a bound on `cycles`).
    pub weight_roofline_cycles: u64,
    /// max(MAC roofline, weight roofline) / `cycles`.
    pub roofline_fraction: f64,
}

/// `serrano sim softmax --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxJson {
    pub block: String,
    pub source: String,
    pub top: String,
    pub lanes: u32,
    pub max_len: u32,
    pub in_bits: u32,
    pub out_bits: u32,
    pub rows: u64,
    pub len: u64,
    pub elements: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub scale: Option<f64>,
    pub causal: bool,
    pub seed: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub x_seed: Option<u64>,
    pub cycles: u64,
    pub mismatches: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub first_mismatch: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub waveform: Option<String>,
    pub max_err_lsb: f64,
    pub mean_err_lsb: f64,
    pub compared_elements: u64,
    pub elements_per_cycle: f64,
    pub sustained_elements_per_cycle: f64,
    pub row_overhead_cycles: f64,
    pub latency_cycles: u64,
    pub overflow: bool,
    pub build_seconds: f64,
    pub cache_hit: bool,
    pub sim_seconds: f64,
    pub sim_cycles_per_sec: f64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub out: Option<String>,
    pub memory_need_bytes: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub peak_rss_bytes: Option<u64>,
}

/// `serrano run gemm --json` (the keys first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoreGemmJson {
    pub config: String,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub latency: u32,
    /// Doorbell to the FENCE's interrupt.
    pub cycles: u64,
    /// The MACs the array did (`rows · R · C` per TILE_COMPUTE, padding included).
    pub macs: u64,
    /// M·K·N.
    pub useful_macs: u64,
    /// M·K·N / (rows·cols·cycles).
    pub utilization: f64,
    pub dram_bytes_read: u64,
    pub dram_bytes_written: u64,
    /// A, B and C once each.
    pub min_dram_bytes: u64,
    /// Beats on R and W (command fetch included) over 2 × cycles.
    pub bus_utilization: f64,
    pub mismatches: u64,
    pub violations: u64,
    pub busy_fetch: f64,
    pub busy_load: f64,
    pub busy_tile: f64,
    pub busy_softmax: f64,
    pub busy_store: f64,
    pub stall_load: f64,
    pub stall_tile: f64,
    pub stall_softmax: f64,
    pub stall_store: f64,
    pub commands: usize,
    pub counters_match_golden: bool,
    pub sim_seconds: f64,
    pub build_seconds: f64,
}
