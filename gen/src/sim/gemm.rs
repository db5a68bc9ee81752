//! `serrano sim gemm`: a GEMM through the systolic tile in Verilator,
//! compared with the golden model, with cycles, utilization and speed.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use golden::tile::gemm::{Matrix, Requant, Requantization};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use testbenches::tile::{random_matrix, run_gemm, TileRun, TileSim};

use crate::error::UsageError;

#[derive(Args)]
pub struct GemmArgs {
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
    /// Seed of the random operands.
    #[arg(long, default_value_t = 1)]
    seed: u64,
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
    #[arg(long)]
    requant: Option<String>,
    /// Random initial register and memory contents from this seed.
    #[arg(long)]
    x_seed: Option<u64>,
    /// Write an FST waveform of the run to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Parse `MULT,SHIFT,ZP`.
pub fn parse_requant(s: &str) -> Result<Requant> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [mult, shift, zp] = parts.as_slice() else {
        bail!(UsageError(format!("--requant {s:?}: expected MULT,SHIFT,ZP (three comma-separated integers)")));
    };
    let mult: i32 = mult.parse().map_err(|_| UsageError(format!("--requant multiplier {mult:?}: must be an int32")))?;
    let shift: u32 = shift.parse().ok().filter(|&v| v <= golden::tile::gemm::MAX_SHIFT).ok_or_else(|| {
        UsageError(format!("--requant shift {shift:?}: must be between 0 and {}", golden::tile::gemm::MAX_SHIFT))
    })?;
    let zp: i8 =
        zp.parse().map_err(|_| UsageError(format!("--requant zero point {zp:?}: must be between -128 and 127")))?;
    Ok(Requant { multiplier: mult, shift, zero_point: zp })
}

/// The largest matrix `sim gemm` makes up (64 Mi elements), so that a typo
/// cannot ask for terabytes.
const MAX_ELEMENTS: usize = 1 << 26;

fn dim(v: Option<usize>, name: &str) -> Result<usize> {
    match v {
        Some(d) if (1..=1 << 20).contains(&d) => Ok(d),
        Some(d) => bail!(UsageError(format!("--{name} {d}: must be between 1 and {}", 1 << 20))),
        None => bail!(UsageError(format!("--{name} is required without --a/--b"))),
    }
}

pub fn run(args: GemmArgs) -> Result<()> {
    let (cfg, origin, _) = args.source.resolve()?;
    let requant = args.requant.as_deref().map(parse_requant).transpose()?.map(Requantization::PerTensor);
    if requant.is_some() && !cfg.systolic.requant {
        bail!(UsageError(format!("--requant: {}", golden::tile::NO_REQUANT)));
    }
    let (a, b) = match (&args.a, &args.b) {
        (Some(pa), Some(pb)) => {
            let a = crate::npy_io::read_i8_matrix(pa)?;
            let b = crate::npy_io::read_i8_matrix(pb)?;
            if a.cols != b.rows {
                bail!(UsageError(format!(
                    "shape mismatch: A is {}x{} and B is {}x{}; A's columns must equal B's rows",
                    a.rows, a.cols, b.rows, b.cols
                )));
            }
            (a, b)
        }
        _ => {
            let (m, k, n) = (dim(args.m, "m")?, dim(args.k, "k")?, dim(args.n, "n")?);
            for (what, count) in [("--m x --k", m * k), ("--k x --n", k * n), ("--m x --n", m * n)] {
                if count > MAX_ELEMENTS {
                    bail!(UsageError(format!("{what} = {count} elements: at most {MAX_ELEMENTS} per matrix")));
                }
            }
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, false))
        }
    };
    let sim = TileSim::build(&cfg.systolic)?;
    let run = TileRun { seed: args.seed, x_seed: args.x_seed, gap: 0.0, stall: 0.0, trace: args.trace.clone() };
    let r = run_gemm(&sim, &a, &b, requant.as_ref(), &run)?;
    if let Some(out) = &args.out {
        match requant {
            Some(_) => crate::npy_io::write_i8_matrix(out, &to_i8(&r.c))?,
            None => crate::npy_io::write_i32_matrix(out, &r.c)?,
        }
    }
    let s = &cfg.systolic;
    let j = json!({
        "source": origin,
        "array": format!("{}x{}", s.rows, s.cols),
        "m": r.m, "k": r.k, "n": r.n,
        "cycles": r.cycles,
        "macs": r.macs,
        "utilization": r.utilization,
        "mismatches": r.mismatches,
        "first_mismatch": r.first_mismatch,
        "waveform": r.waveform.as_ref().map(|p| p.display().to_string()),
        "total_cycles": r.total_cycles,
        "sim_seconds": r.sim_seconds,
        "sim_cycles_per_sec": r.sim_cycles_per_sec(),
        "build_seconds": sim.build_seconds,
        "requant": args.requant,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        println!("serrano sim gemm: {origin}, {}x{} array, M={} K={} N={}", s.rows, s.cols, r.m, r.k, r.n);
        println!("  cycles              {}", r.cycles);
        println!("  MACs                {}", r.macs);
        println!("  utilization         {:.4}", r.utilization);
        println!("  mismatches          {}", r.mismatches);
        println!(
            "  simulation          {} cycles in {:.3} s, {:.0} cycles/s",
            r.total_cycles,
            r.sim_seconds,
            r.sim_cycles_per_sec()
        );
        if let Some(w) = &r.waveform {
            println!("  waveform            {}", w.display());
        }
    }
    if r.mismatches > 0 {
        bail!("{} mismatches against golden; first: {}", r.mismatches, r.first_mismatch.unwrap_or_default());
    }
    Ok(())
}

fn to_i8(c: &Matrix<i32>) -> Matrix<i8> {
    Matrix { rows: c.rows, cols: c.cols, data: c.data.iter().map(|&v| v as i8).collect() }
}
