//! `serrano run gemm`: `C = A·B` from DRAM through the Serrano core.
//!
//! The runtime lowers the GEMM to the core's instruction set
//! (`runtime::gemm`) and runs it twice: on the golden core model and on the
//! Verilator model of the generated core behind the AXI memory model (its
//! latency from `--latency`) with the protocol monitor. C is compared with
//! golden's `A·B` (`golden::tile::gemm`, then `requantize`: what numpy
//! computes), element by element; the architectural counters must equal the
//! golden core's.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use clap::Args;
use golden::tile::gemm::{Matrix, Requantization};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use runtime::backend::GoldenBackend;
use runtime::gemm::{gemm, GemmOutput, OutputKind};
use testbenches::axi::mem::MemConfig;
use testbenches::core::RtlBackend;
use testbenches::sim::BuildOptions;
use testbenches::tile::random_matrix;

use crate::error::{check_output_path, print, UsageError};
use crate::sim::results::CoreGemmJson;

#[derive(Args)]
pub struct RunGemmArgs {
    #[command(flatten)]
    pub source: crate::presets::ConfigArgs,
    /// Rows of A and C (random operands).
    #[arg(long, conflicts_with = "a")]
    m: Option<usize>,
    /// Columns of A, rows of B (random operands).
    #[arg(long, conflicts_with = "a")]
    k: Option<usize>,
    /// Columns of B and C (random operands).
    #[arg(long, conflicts_with = "a")]
    n: Option<usize>,
    /// A as an int8 NumPy .npy file (M x K, C order).
    #[arg(long, requires = "b")]
    a: Option<PathBuf>,
    /// B as an int8 NumPy .npy file (K x N, C order).
    #[arg(long, requires = "a")]
    b: Option<PathBuf>,
    /// Write C as .npy (int32, or int8 when requantized).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Requantize per tensor: MULT,SHIFT,ZP (int32, 0..=62, int8).
    #[arg(long, allow_hyphen_values = true)]
    requant: Option<String>,
    /// Memory latency in cycles (AR to first R beat, last W to B).
    #[arg(long, default_value_t = 100)]
    latency: u32,
    /// Seed of the random operands (and of the memory's unwritten bytes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write an FST waveform of the run to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(args: RunGemmArgs) -> Result<()> {
    let (cfg, origin, _) = args.source.resolve()?;
    if cfg.core.is_none() {
        bail!(UsageError(format!("{origin}: the configuration has no [core] section, so there is no core to run on")));
    }
    if let Some(p) = &args.out {
        check_output_path("--out", p)?;
    }
    if let Some(p) = &args.trace {
        check_output_path("--trace", p)?;
    }
    let (a, b) = operands(&args)?;
    let kind = match &args.requant {
        Some(s) => {
            if !cfg.systolic.requant {
                bail!(UsageError(format!("--requant: {}", golden::tile::NO_REQUANT)));
            }
            OutputKind::Requant(Requantization::PerTensor(crate::sim::gemm::parse_requant(s)?))
        }
        None => OutputKind::Int32,
    };
    let (m, k, n) = (a.rows, a.cols, b.cols);

    // The reference: numpy's A @ B (then the requantization).
    let reference = golden::tile::gemm::gemm(&a, &b).map_err(|e| UsageError(e.to_string()))?;
    // The golden core: same program, architectural counters to compare.
    let mut gold = GoldenBackend::new(&cfg, args.seed).map_err(|e| anyhow!("{e}"))?;
    let g = gemm(&mut gold, &a, &b, &kind).map_err(|e| anyhow!("golden core: {e}"))?;

    let mem = MemConfig::ideal(cfg.dma.data_bytes(), args.latency);
    let opts = BuildOptions { trace: args.trace.is_some(), ..Default::default() };
    let t0 = std::time::Instant::now();
    let mut rtl = RtlBackend::new(&cfg, mem, args.seed, opts, None)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    if let Some(t) = &args.trace {
        rtl.sim.trace_to(t)?;
    }
    let t1 = std::time::Instant::now();
    let r = gemm(&mut rtl, &a, &b, &kind).map_err(|e| anyhow!("RTL core: {e}"));
    rtl.sim.trace_flush();
    let r = r?;
    let sim_seconds = t1.elapsed().as_secs_f64();

    let mismatches = match (&r.c, &kind) {
        (GemmOutput::Int32(c), _) => count_mismatches(c, &reference),
        (GemmOutput::Int8(c), OutputKind::Requant(q)) => {
            let want = golden::tile::gemm::requantize(&reference, q);
            count_mismatches(c, &want)
        }
        _ => unreachable!("the output kind follows the request"),
    };
    if let Some(out) = &args.out {
        match &r.c {
            GemmOutput::Int32(c) => crate::npy_io::write_i32_matrix(out, c)?,
            GemmOutput::Int8(c) => {
                let wide = Matrix::from_vec(
                    c.rows,
                    c.cols,
                    (0..c.rows * c.cols).map(|i| c.at(i / c.cols, i % c.cols) as i32).collect(),
                )
                .ok_or_else(|| anyhow!("C is {}x{}", c.rows, c.cols))?;
                crate::npy_io::write_i8_matrix(out, &wide)?
            }
        }
    }
    let st = &rtl.last;
    let frac = |name: &str| {
        let v = st.counters.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v);
        v as f64 / st.cycles.max(1) as f64
    };
    let (rows, cols) = (cfg.systolic.rows as f64, cfg.systolic.cols as f64);
    let j = CoreGemmJson {
        config: origin.clone(),
        m,
        k,
        n,
        latency: args.latency,
        cycles: st.cycles,
        macs: r.counters.macs,
        useful_macs: r.useful_macs,
        utilization: r.useful_macs as f64 / (rows * cols * st.cycles.max(1) as f64),
        dram_bytes_read: r.counters.dram_bytes_read,
        dram_bytes_written: r.counters.dram_bytes_written,
        min_dram_bytes: r.min_dram_bytes,
        bus_utilization: (st.r_beats + st.w_beats) as f64 / (2.0 * st.cycles.max(1) as f64),
        mismatches,
        violations: st.violations as u64,
        busy_fetch: frac("busy_fetch"),
        busy_load: frac("busy_load"),
        busy_tile: frac("busy_tile"),
        busy_softmax: frac("busy_softmax"),
        busy_store: frac("busy_store"),
        stall_load: frac("stall_load"),
        stall_tile: frac("stall_tile"),
        stall_softmax: frac("stall_softmax"),
        stall_store: frac("stall_store"),
        commands: r.commands,
        counters_match_golden: r.counters == g.counters,
        sim_seconds,
        build_seconds,
    };
    if args.json {
        print(serde_json::to_string_pretty(&j)?)?;
    } else {
        print(format_args!("serrano run gemm: {origin}, M={m} K={k} N={n}, memory latency {}", args.latency))?;
        print(format_args!("  cycles              {} (doorbell to FENCE interrupt)", j.cycles))?;
        print(format_args!("  utilization         {:.4} (M·K·N / (rows·cols·cycles))", j.utilization))?;
        print(format_args!(
            "  DRAM read/written   {} / {} bytes (minimum {} in all)",
            j.dram_bytes_read, j.dram_bytes_written, j.min_dram_bytes
        ))?;
        print(format_args!("  bus utilization     {:.4}", j.bus_utilization))?;
        print(format_args!(
            "  busy                fetch {:.3}  load {:.3}  tile {:.3}  softmax {:.3}  store {:.3}",
            j.busy_fetch, j.busy_load, j.busy_tile, j.busy_softmax, j.busy_store
        ))?;
        print(format_args!("  mismatches          {}", j.mismatches))?;
        print(format_args!("  protocol violations {}", j.violations))?;
        print(format_args!("  counters = golden   {}", j.counters_match_golden))?;
    }
    if mismatches != 0 || j.violations != 0 || !j.counters_match_golden {
        bail!(
            "the RTL core's GEMM differs from golden: {mismatches} mismatches, {} violations, counters equal: {}",
            j.violations,
            j.counters_match_golden
        );
    }
    Ok(())
}

fn count_mismatches<T: PartialEq + Copy + Default>(got: &Matrix<T>, want: &Matrix<T>) -> u64 {
    let mut n = 0;
    for i in 0..want.rows {
        for j in 0..want.cols {
            if got.at(i, j) != want.at(i, j) {
                n += 1;
            }
        }
    }
    n
}

/// A and B: from `--a`/`--b`, or random int8 of `--m`, `--k`, `--n` from `--seed`.
fn operands(args: &RunGemmArgs) -> Result<(Matrix<i8>, Matrix<i8>)> {
    Ok(match (&args.a, &args.b) {
        (Some(pa), Some(pb)) => {
            let a = crate::npy_io::open_i8_matrix("--a", pa)?.read()?;
            let b = crate::npy_io::open_i8_matrix("--b", pb)?.read()?;
            if a.cols != b.rows {
                bail!(UsageError(format!(
                    "--a is {}x{} and --b is {}x{}: A's columns must equal B's rows",
                    a.rows, a.cols, b.rows, b.cols
                )));
            }
            (a, b)
        }
        _ => {
            let dims = [("--m", args.m), ("--k", args.k), ("--n", args.n)];
            let mut v = [0usize; 3];
            for (i, (flag, d)) in dims.iter().enumerate() {
                v[i] = d.ok_or_else(|| UsageError(format!("{flag} is required without --a/--b")))?;
                if !(1..=1 << 16).contains(&v[i]) {
                    bail!(UsageError(format!("{flag} {}: must be between 1 and 65536", v[i])));
                }
            }
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            (random_matrix(&mut rng, v[0], v[1], false), random_matrix(&mut rng, v[1], v[2], false))
        }
    })
}
