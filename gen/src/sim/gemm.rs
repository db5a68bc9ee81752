//! `serrano sim gemm`: a GEMM through the systolic tile in Verilator,
//! compared with the golden model, with cycles, utilization and speed.
//!
//! The GEMM is streamed (`testbenches::tile::run_gemm_with`): what the run
//! holds is A, B, C when `--out` asks for it, and a few blocks of program,
//! which [`memory_need`] estimates before anything is allocated.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use golden::tile::gemm::{Requant, Requantization};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use testbenches::tile::{
    gemm_result_rows, gemm_stream_bytes, random_matrix, run_gemm_with, GemmOptions, TileRun, TileSim,
};

use crate::error::{check_output_path, print, UsageError};
use crate::sim::{peak_rss_bytes, MemoryNeed, Progress};

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
    /// Requantize per tensor: MULT,SHIFT,ZP (int32, 0..=62, int8); negative
    /// values need no `=` (`--requant -5,3,0`).
    #[arg(long, allow_hyphen_values = true)]
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

/// The two rooflines of an M×K by K×N GEMM on `cfg`'s tile, in cycles: the
/// MACs at `rows × cols` per cycle, and the weight stream, each fold's `rows`
/// weight rows at one row per cycle (folds: `ceil(K/rows) × ceil(N/cols)`
/// for every pass of up to `acc_depth` rows of A).
pub fn rooflines(cfg: &golden::SystolicConfig, m: usize, k: usize, n: usize) -> (f64, u64) {
    let (r, c, d) = (cfg.rows as u64, cfg.cols as u64, cfg.acc_depth as u64);
    let (m, k, n) = (m as u64, k as u64, n as u64);
    let mac = (m * k * n) as f64 / (r * c) as f64;
    let folds = m.div_ceil(d) * k.div_ceil(r) * n.div_ceil(c);
    (mac, folds * r)
}

/// max(MAC roofline, weight roofline) / cycles: 1 at whichever limit binds.
pub fn roofline_fraction(cfg: &golden::SystolicConfig, m: usize, k: usize, n: usize, cycles: u64) -> f64 {
    let (mac, weight) = rooflines(cfg, m, k, n);
    if cycles == 0 {
        return 0.0;
    }
    mac.max(weight as f64) / cycles as f64
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

/// What a run of M×K by K×N holds: the operands, C for `--out` (int32), and
/// the blocks of program in flight.
pub fn memory_need(cfg: &golden::SystolicConfig, m: usize, k: usize, n: usize, out: bool, from: &str) -> MemoryNeed {
    let (m, k, n) = (m as u128, k as u128, n as u128);
    let mut need = MemoryNeed::new();
    need.add(format!("A ({from}): {m}x{k} int8"), m * k).add(format!("B ({from}): {k}x{n} int8"), k * n);
    if out {
        need.add(format!("C for --out: {m}x{n} int32"), m * n * 4);
    }
    need.add("the program's blocks in flight", gemm_stream_bytes(cfg, k as usize));
    need
}

pub fn run(args: GemmArgs) -> Result<()> {
    let (cfg, origin, _) = args.source.resolve()?;
    let requant = args.requant.as_deref().map(parse_requant).transpose()?.map(Requantization::PerTensor);
    if requant.is_some() && !cfg.systolic.requant {
        bail!(UsageError(format!("--requant: {}", golden::tile::NO_REQUANT)));
    }
    if let Some(p) = &args.out {
        check_output_path("--out", p)?;
    }
    if let Some(p) = &args.trace {
        check_output_path("--trace", p)?;
    }
    let (a, b, need) = match (&args.a, &args.b) {
        (Some(pa), Some(pb)) => {
            let fa = crate::npy_io::open_i8_matrix("--a", pa)?;
            let fb = crate::npy_io::open_i8_matrix("--b", pb)?;
            if fa.cols != fb.rows {
                bail!(UsageError(format!(
                    "shape mismatch: A is {}x{} and B is {}x{}; A's columns must equal B's rows",
                    fa.rows, fa.cols, fb.rows, fb.cols
                )));
            }
            let need = memory_need(&cfg.systolic, fa.rows, fa.cols, fb.cols, args.out.is_some(), "--a/--b");
            need.check("sim gemm")?;
            (fa.read()?, fb.read()?, need)
        }
        _ => {
            let (m, k, n) = (dim(args.m, "m")?, dim(args.k, "k")?, dim(args.n, "n")?);
            for (what, count) in [("--m x --k", m * k), ("--k x --n", k * n), ("--m x --n", m * n)] {
                if count > MAX_ELEMENTS {
                    bail!(UsageError(format!("{what} = {count} elements: at most {MAX_ELEMENTS} per matrix")));
                }
            }
            let need = memory_need(&cfg.systolic, m, k, n, args.out.is_some(), "--m/--k/--n");
            need.check("sim gemm")?;
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, false), need)
        }
    };
    let sim = TileSim::build(&cfg.systolic)?;
    let run = TileRun { seed: args.seed, x_seed: args.x_seed, gap: 0.0, stall: 0.0, trace: args.trace.clone() };
    let total_rows = gemm_result_rows(&cfg.systolic, a.rows, b.cols);
    let mut progress = Progress::new("sim gemm", "result rows", total_rows);
    let mut on_progress = |done| progress.update(done);
    let opts = GemmOptions { keep_c: args.out.is_some(), progress: Some(&mut on_progress) };
    let r = run_gemm_with(&sim, &a, &b, requant.as_ref(), &run, opts)?;
    progress.finish();
    if let Some(out) = &args.out {
        match requant {
            Some(_) => crate::npy_io::write_i8_matrix(out, &r.c)?,
            None => crate::npy_io::write_i32_matrix(out, &r.c)?,
        }
    }
    let s = &cfg.systolic;
    let (_, weight_roofline) = rooflines(s, r.m, r.k, r.n);
    let fraction = roofline_fraction(s, r.m, r.k, r.n, r.cycles);
    // The typed result `report` reads back: one definition of the keys.
    let j = super::results::GemmJson {
        source: origin.to_string(),
        array: format!("{}x{}", s.rows, s.cols),
        m: r.m as u64,
        k: r.k as u64,
        n: r.n as u64,
        cycles: r.cycles,
        macs: r.macs,
        utilization: r.utilization,
        weight_roofline_cycles: weight_roofline,
        roofline_fraction: fraction,
        mismatches: r.mismatches as u64,
        first_mismatch: r.first_mismatch.clone(),
        waveform: r.waveform.as_ref().map(|p| p.display().to_string()),
        total_cycles: r.total_cycles,
        sim_seconds: r.sim_seconds,
        sim_cycles_per_sec: r.sim_cycles_per_sec(),
        build_seconds: sim.build_seconds,
        requant: args.requant.clone(),
        out: args.out.as_ref().map(|p| p.display().to_string()),
        memory_need_bytes: need.total() as u64,
        peak_rss_bytes: peak_rss_bytes(),
    };
    if args.json {
        print(serde_json::to_string_pretty(&j)?)?;
    } else {
        print(format_args!("serrano sim gemm: {origin}, {}x{} array, M={} K={} N={}", s.rows, s.cols, r.m, r.k, r.n))?;
        print(format_args!("  cycles              {}", r.cycles))?;
        print(format_args!("  MACs                {}", r.macs))?;
        print(format_args!("  utilization         {:.4}", r.utilization))?;
        print(format_args!("  weight roofline     {weight_roofline} cycles (folds x rows)"))?;
        print(format_args!("  roofline fraction   {fraction:.4} (max(MAC, weight roofline) / cycles)"))?;
        print(format_args!("  mismatches          {}", r.mismatches))?;
        print(format_args!(
            "  simulation          {} cycles in {:.3} s, {:.0} cycles/s",
            r.total_cycles,
            r.sim_seconds,
            r.sim_cycles_per_sec()
        ))?;
        if let Some(w) = &r.waveform {
            print(format_args!("  waveform            {}", w.display()))?;
        }
        if let Some(o) = &args.out {
            print(format_args!("  C                   {}", o.display()))?;
        }
    }
    if r.mismatches > 0 {
        bail!("{} mismatches against golden; first: {}", r.mismatches, r.first_mismatch.unwrap_or_default());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures: on the 16x16 tile, K = N = 256 streams 256 folds
    /// of 16 weight rows; M = 1 is bound by the weights, M = 256 by the MACs.
    #[test]
    fn the_rooflines_of_the_decode_and_the_cube() {
        let d = golden::SystolicConfig { rows: 16, cols: 16, acc_depth: 1024, requant: true };
        assert_eq!(rooflines(&d, 1, 256, 256), (256.0, 4096));
        assert_eq!(rooflines(&d, 256, 256, 256), (65536.0, 4096));
        assert!((roofline_fraction(&d, 1, 256, 256, 4096 * 2) - 0.5).abs() < 1e-12);
        // Partial folds count whole; a second pass loads every fold again.
        let r = golden::SystolicConfig { rows: 3, cols: 4, acc_depth: 8, requant: true };
        assert_eq!(rooflines(&r, 9, 7, 5).1, 2 * 3 * 2 * 3);
        assert_eq!(roofline_fraction(&r, 9, 7, 5, 0), 0.0);
    }

    /// The case: the tiny preset at 1024^3 held 3.8 GB of program; the
    /// streamed run holds its operands and a few blocks.
    #[test]
    fn a_large_gemm_needs_its_operands_not_its_program() {
        let tiny = golden::SystolicConfig { rows: 4, cols: 4, acc_depth: 256, requant: false };
        let need = memory_need(&tiny, 1024, 1024, 1024, false, "--m/--k/--n").total();
        assert!(need < 64 << 20, "{need}");
        assert!(need > 2 << 20, "{need}: at least A and B");
        // --out adds C; the largest random GEMM with --out fits the default budget.
        let with_c = memory_need(&tiny, 8192, 8192, 8192, true, "--m/--k/--n").total();
        assert!(with_c > 384 << 20 && with_c < crate::sim::DEFAULT_MEMORY_LIMIT as u128, "{with_c}");
    }
}
