//! `serrano sim softmax`: rows of logits through the softmax unit's RTL in
//! Verilator, compared with the golden model bit for bit and with float64
//! softmax(s·x) in output LSB; throughput and latency from the simulation.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use golden::softmax::{ErrorStats, SoftmaxParams};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use testbenches::npy::{Array, DType};
use testbenches::softmax::{logits, random_scale, row_error, run_softmax, RowSpec, SoftmaxRun, DISTS};

use crate::error::UsageError;

/// `serrano sim softmax`: the softmax unit in Verilator against golden and float64.
#[derive(Args, Debug)]
pub struct SoftmaxArgs {
    #[command(flatten)]
    pub source: crate::presets::ConfigArgs,
    /// Logits: a 2-D .npy array [rows, len] of int8 (or int16 for in_bits = 16).
    #[arg(long, requires = "scale")]
    pub input: Option<PathBuf>,
    /// The input scale s (dequantization scale with 1/sqrt(d) folded in);
    /// without --input, every random row uses it [default: a random
    /// log-uniform scale in 1/256..1 per row (2^-16..2^-8 for int16)].
    #[arg(long, allow_negative_numbers = true)]
    pub scale: Option<f64>,
    /// Random rows to run (without --input).
    #[arg(long, conflicts_with = "input", default_value_t = 64)]
    pub rows: usize,
    /// Length of each random row (without --input) [default: max_len].
    #[arg(long, conflicts_with = "input")]
    pub len: Option<usize>,
    /// Seed of the random rows.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Causal mask: row r of R attends positions 0..=r + len − R (the last R
    /// queries of a sequence of len); the rest is masked (output 0).
    #[arg(long)]
    pub causal: bool,
    /// Write the RTL's probabilities here: .npy [rows, len] of uint8 (UQ0.8)
    /// or uint16 (UQ0.16).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Build with X randomization and initialize registers from this seed.
    #[arg(long)]
    pub x_seed: Option<u64>,
    /// Write an FST waveform of the run to this file.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Also write the unit's Verilog (one file per module) to this directory.
    #[arg(long)]
    pub verilog: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn usage(msg: String) -> anyhow::Error {
    UsageError(msg).into()
}

/// The causal mask of row `r` of `rows`, each `len` long.
pub fn causal_mask(r: usize, rows: usize, len: usize) -> Vec<bool> {
    // Position j is visible to query r when j <= r + len - rows.
    (0..len).map(|j| j + rows > r + len).collect()
}

pub fn run(a: SoftmaxArgs) -> Result<()> {
    let (cfg, origin, _) = a.source.resolve()?;
    let sc = cfg.softmax;
    let p = SoftmaxParams::new(&sc);

    // The rows: logits, masks and scales.
    let fixed_k = match a.scale {
        Some(s) => Some(p.scale_to_k(s).map_err(|e| usage(format!("--scale: {e}")))?),
        None => None,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let mut specs: Vec<RowSpec> = Vec::new();
    let (rows, len) = if let Some(path) = &a.input {
        let arr = Array::read(path).map_err(|e| usage(format!("--input: {e}")))?;
        let ok = match arr.dtype {
            DType::I8 => true,
            DType::I16 => sc.in_bits == 16,
            _ => false,
        };
        if !ok {
            let allowed = if sc.in_bits == 16 { "int8 or int16" } else { "int8" };
            return Err(usage(format!(
                "--input {}: dtype {} is not allowed; the logits must be {allowed} (softmax.in_bits = {})",
                path.display(),
                arr.dtype.name(),
                sc.in_bits
            )));
        }
        if arr.shape.len() != 2 {
            return Err(usage(format!(
                "--input {}: shape {} must be 2-D [rows, len]",
                path.display(),
                testbenches::npy::shape_str(&arr.shape)
            )));
        }
        let (rows, len) = arr.rows_cols();
        if rows == 0 || len == 0 || len > p.max_len {
            return Err(usage(format!(
                "--input {}: shape ({rows}, {len}): need at least one row and a length between 1 \
                 and softmax.max_len = {}",
                path.display(),
                p.max_len
            )));
        }
        let (s, k) = (a.scale.expect("clap requires --scale"), fixed_k.expect("set"));
        for r in 0..rows {
            specs.push(RowSpec { x: arr.row(r).to_vec(), mask: vec![false; len], scale: s, k });
        }
        (rows, len)
    } else {
        let len = a.len.unwrap_or(p.max_len);
        if len == 0 || len > p.max_len {
            return Err(usage(format!("--len {len}: must be between 1 and softmax.max_len = {}", p.max_len)));
        }
        if a.rows == 0 {
            return Err(usage("--rows 0: must be at least 1".into()));
        }
        for r in 0..a.rows {
            let x = logits(&mut rng, &p, DISTS[r % DISTS.len()], len);
            let (scale, k) = match (a.scale, fixed_k) {
                (Some(s), Some(k)) => (s, k),
                _ => {
                    let s = random_scale(&mut rng, &p);
                    (s, p.scale_to_k(s).expect("random scales are representable"))
                }
            };
            specs.push(RowSpec { x, mask: vec![false; len], scale, k });
        }
        (a.rows, len)
    };
    if a.causal {
        for (r, s) in specs.iter_mut().enumerate() {
            s.mask = causal_mask(r, rows, len);
        }
    }

    if let Some(dir) = &a.verilog {
        let top = hdl::blocks::softmax::softmax(&sc).map_err(|e| anyhow::anyhow!("{e}"))?;
        let files = hdl::core::emit(
            &top,
            &hdl::core::EmitOptions {
                header: vec![
                    format!("Generated by serrano {}", env!("CARGO_PKG_VERSION")),
                    format!("softmax unit of {origin}"),
                ],
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::create_dir_all(dir).map_err(|e| usage(format!("--verilog {}: {e}", dir.display())))?;
        for f in files {
            let path = dir.join(&f.file_name);
            std::fs::write(&path, f.text)
                .map_err(|e| usage(format!("--verilog: cannot write {}: {e}", path.display())))?;
        }
    }

    let drive: Vec<_> = specs.iter().map(|s| s.row(&p)).collect();
    let run = SoftmaxRun { seed: a.seed, x_seed: a.x_seed, trace: a.trace.clone(), ready_prob: 1.0, valid_prob: 1.0 };
    let r = run_softmax(&sc, &drive, &run)?;

    // The RTL's probabilities per row, and their error against float64.
    let mut flat = Vec::with_capacity(rows * len);
    let mut err = ErrorStats::default();
    let mut beat = 0;
    for s in &specs {
        let nb = len.div_ceil(p.lanes);
        let y: Vec<u32> = r.outputs[beat.min(r.outputs.len())..(beat + nb).min(r.outputs.len())]
            .iter()
            .flat_map(|o| o.y.iter().copied())
            .take(len)
            .collect();
        beat += nb;
        if y.len() == len {
            err.merge(&row_error(&p, s, &y));
        }
        flat.extend(y.iter().map(|&v| v as i64));
    }
    let beats_per_row = len.div_ceil(p.lanes) as f64;
    let in_cycles = match (r.timing.first(), r.timing.last()) {
        (Some(f), Some(l)) => (l.last_in - f.first_in + 1) as f64,
        _ => 0.0,
    };
    let overhead = in_cycles / rows as f64 - beats_per_row;
    let out = json!({
        "block": "softmax",
        "source": origin,
        "top": hdl::blocks::softmax::top::softmax_name(&sc),
        "lanes": sc.lanes,
        "max_len": sc.max_len,
        "in_bits": sc.in_bits,
        "out_bits": sc.out_bits,
        "rows": rows,
        "len": len,
        "elements": r.elements,
        "scale": a.scale,
        "causal": a.causal,
        "seed": a.seed,
        "x_seed": a.x_seed,
        "cycles": r.cycles,
        "mismatches": r.mismatches,
        "first_mismatch": r.first_mismatch,
        "waveform": r.waveform.as_ref().map(|p| p.display().to_string()),
        "max_err_lsb": err.max_err,
        "mean_err_lsb": err.mean(),
        "compared_elements": err.elements,
        "elements_per_cycle": r.elements_per_cycle(),
        "sustained_elements_per_cycle": r.input_elements_per_cycle(),
        "row_overhead_cycles": overhead,
        "latency_cycles": r.max_latency(),
        "overflow": r.overflow.0,
        "build_seconds": r.build_seconds,
        "cache_hit": r.cache_hit,
        "sim_seconds": r.sim_seconds,
        "sim_cycles_per_sec": r.sim_cycles_per_sec(),
        "out": a.out.as_ref().map(|p| p.display().to_string()),
    });
    if let Some(path) = &a.out {
        let dtype = if sc.out_bits == 8 { DType::U8 } else { DType::U16 };
        if flat.len() == rows * len {
            Array::new(dtype, vec![rows, len], flat)?.write(path).map_err(|e| usage(format!("--out: {e}")))?;
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "serrano sim softmax: {origin}, {rows} rows of {len}, {} lanes, UQ0.{}{}",
            sc.lanes,
            sc.out_bits,
            if a.causal { ", causal" } else { "" }
        );
        println!("  cycles              {}", r.cycles);
        println!("  mismatches          {}", r.mismatches);
        println!(
            "  error vs float64    max {:.4} LSB, mean {:.4} LSB ({} elements)",
            err.max_err,
            err.mean(),
            err.elements
        );
        println!(
            "  elements/cycle      {:.3} overall, {:.3} sustained (lanes {})",
            r.elements_per_cycle(),
            r.input_elements_per_cycle(),
            sc.lanes
        );
        println!("  row overhead        {overhead:.2} cycles");
        println!("  latency             {} cycles (last beat in to first beat out)", r.max_latency());
        println!("  build               {:.2} s ({})", r.build_seconds, if r.cache_hit { "cached" } else { "cold" });
        println!("  simulation          {:.3} s, {:.0} cycles/s", r.sim_seconds, r.sim_cycles_per_sec());
        if let Some(o) = &a.out {
            println!("  probabilities       {}", o.display());
        }
    }
    if let Some(f) = r.failure() {
        bail!("softmax RTL disagrees with golden: {f}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::causal_mask;

    #[test]
    fn causal_mask_hides_the_future() {
        // 3 queries that are the last 3 of a 5-long sequence.
        assert_eq!(causal_mask(0, 3, 5), [false, false, false, true, true]);
        assert_eq!(causal_mask(2, 3, 5), [false; 5]);
        // More queries than keys: the first ones see nothing.
        assert_eq!(causal_mask(0, 4, 2), [true, true]);
        assert_eq!(causal_mask(2, 4, 2), [false, true]);
    }
}
