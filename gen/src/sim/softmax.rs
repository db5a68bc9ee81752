//! `serrano sim softmax`: rows of logits through the softmax unit's RTL in
//! Verilator, compared with the golden model bit for bit and with float64
//! softmax(s·x) in output LSB; throughput and latency from the simulation.
//!
//! Rows are made (or decoded from `--input`) as the unit takes them and
//! compared as they come out; a run holds the input file's data, the
//! probabilities for `--out`, and the rows in flight ([`memory_need`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use golden::softmax::{ErrorStats, OutBeat, SoftmaxParams};
use golden::SoftmaxConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use testbenches::npy::{write_values, DType, NpyReader};
use testbenches::softmax::{
    logits, random_scale, row_error, run_softmax_stream, Row, RowSource, RowSpec, SoftmaxReport, SoftmaxRun,
    StreamOptions, DISTS,
};

use crate::error::{check_output_dir, check_output_path, print, UsageError};
use crate::sim::{peak_rss_bytes, MemoryNeed, Progress};

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
    /// Random rows to run (without --input), at most 2^32.
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

/// The most random rows `--rows` takes. Rows stream through in constant
/// memory, so this is not a memory bound but a sanity one: 2^32 rows are
/// days of simulation, and a count beyond it is a typo, not a run.
pub const MAX_ROWS: usize = 1 << 32;

fn usage(msg: String) -> anyhow::Error {
    UsageError(msg).into()
}

/// The causal mask of row `r` of `rows`, each `len` long.
pub fn causal_mask(r: usize, rows: usize, len: usize) -> Vec<bool> {
    // Position j is visible to query r when j <= r + len - rows.
    (0..len).map(|j| j + rows > r + len).collect()
}

/// Where the logits come from.
enum Logits {
    /// Random rows from a seed (the distributions in turn).
    Random { seed: u64, rng: Box<ChaCha8Rng> },
    /// The data of `--input`, little-endian int8 or int16, and `--scale` with its K.
    Input { dtype: DType, data: Vec<u8>, scale: (f64, u64) },
}

/// The rows of a run, made one at a time, each tagged with its spec (for the
/// error against float64 when its output comes back).
struct CliRows<'a> {
    p: &'a SoftmaxParams,
    logits: Logits,
    rows: usize,
    len: usize,
    causal: bool,
    /// `--scale` and its K for random rows; random per row without it.
    fixed: Option<(f64, u64)>,
    next: usize,
}

impl RowSource for CliRows<'_> {
    type Tag = RowSpec;

    fn next_row(&mut self) -> Option<(Row, RowSpec)> {
        let (r, len) = (self.next, self.len);
        if r >= self.rows {
            return None;
        }
        self.next += 1;
        let x = match &mut self.logits {
            Logits::Random { rng, .. } => logits(rng, self.p, DISTS[r % DISTS.len()], len),
            Logits::Input { dtype, data, .. } => {
                let size = dtype.size();
                let bytes = &data[r * len * size..(r + 1) * len * size];
                match dtype {
                    DType::I16 => bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as i64).collect(),
                    _ => bytes.iter().map(|&b| b as i8 as i64).collect(),
                }
            }
        };
        let (scale, k) = match (&mut self.logits, self.fixed) {
            (Logits::Input { scale, .. }, _) => *scale,
            (Logits::Random { .. }, Some(f)) => f,
            (Logits::Random { rng, .. }, None) => {
                let s = random_scale(rng, self.p);
                (s, self.p.scale_to_k(s).expect("random scales are representable"))
            }
        };
        let mask = if self.causal { causal_mask(r, self.rows, len) } else { vec![false; len] };
        let spec = RowSpec { x, mask, scale, k };
        Some((spec.row(self.p), spec))
    }

    fn restart(&mut self) {
        self.next = 0;
        if let Logits::Random { seed, rng } = &mut self.logits {
            **rng = ChaCha8Rng::seed_from_u64(*seed);
        }
    }
}

/// What a run of `rows` rows of `len` holds: the input file's data, the
/// probabilities for `--out`, and the rows in flight.
pub fn memory_need(sc: &SoftmaxConfig, rows: usize, len: usize, input: Option<DType>, out: bool) -> MemoryNeed {
    let (r, l) = (rows as u128, len as u128);
    let mut need = MemoryNeed::new();
    if let Some(t) = input {
        need.add(format!("the logits of --input: {rows}x{len} {}", t.name()), r * l * t.size() as u128);
    }
    if out {
        let t = out_dtype(sc);
        need.add(
            format!("the probabilities for --out: --rows {rows} x --len {len} x {}", t.name()),
            r * l * t.size() as u128,
        );
    }
    // A row as spec, as beats and in golden's buffer, for the few rows in the unit.
    need.add("the rows in flight", 16 * (l * 64 + 1024));
    need
}

fn out_dtype(sc: &SoftmaxConfig) -> DType {
    if sc.out_bits == 8 {
        DType::U8
    } else {
        DType::U16
    }
}

/// The shape of a run and where its logits come from (`--input` or random
/// rows), checked against the unit's limits and the memory budget before
/// anything is read or allocated.
fn logits_source(
    a: &SoftmaxArgs,
    sc: &SoftmaxConfig,
    p: &SoftmaxParams,
    fixed: Option<(f64, u64)>,
) -> Result<(usize, usize, Logits, MemoryNeed)> {
    if let Some(path) = &a.input {
        let reader = NpyReader::open(path).map_err(|e| usage(format!("--input: {e}")))?;
        let h = reader.header().clone();
        let ok = match h.dtype {
            DType::I8 => true,
            DType::I16 => sc.in_bits == 16,
            _ => false,
        };
        if !ok {
            let allowed = if sc.in_bits == 16 { "int8 or int16" } else { "int8" };
            return Err(usage(format!(
                "--input {}: dtype {} is not allowed; the logits must be {allowed} (softmax.in_bits = {})",
                path.display(),
                h.dtype.name(),
                sc.in_bits
            )));
        }
        let [rows, len] = h.shape[..] else {
            return Err(usage(format!(
                "--input {}: shape {} must be 2-D [rows, len]",
                path.display(),
                testbenches::npy::shape_str(&h.shape)
            )));
        };
        if rows == 0 || len == 0 || len > p.max_len {
            return Err(usage(format!(
                "--input {}: shape ({rows}, {len}): need at least one row and a length between 1 \
                 and softmax.max_len = {}",
                path.display(),
                p.max_len
            )));
        }
        let need = memory_need(sc, rows, len, Some(h.dtype), a.out.is_some());
        need.check("sim softmax")?;
        let scale = fixed.ok_or_else(|| usage("--input needs --scale S".into()))?;
        let data = reader.read_bytes().map_err(|e| usage(format!("--input: {e}")))?;
        Ok((rows, len, Logits::Input { dtype: h.dtype, data, scale }, need))
    } else {
        let len = a.len.unwrap_or(p.max_len);
        if len == 0 || len > p.max_len {
            return Err(usage(format!("--len {len}: must be between 1 and softmax.max_len = {}", p.max_len)));
        }
        if a.rows == 0 {
            return Err(usage("--rows 0: must be at least 1".into()));
        }
        if a.rows > MAX_ROWS {
            return Err(usage(format!("--rows {}: must be between 1 and {MAX_ROWS} (2^32)", a.rows)));
        }
        let need = memory_need(sc, a.rows, len, None, a.out.is_some());
        need.check("sim softmax")?;
        Ok((a.rows, len, Logits::Random { seed: a.seed, rng: Box::new(ChaCha8Rng::seed_from_u64(a.seed)) }, need))
    }
}

/// `--verilog DIR`: the unit's Verilog as simulated, one file per module.
/// DIR may hold the user's own files: a file of the same name is replaced
/// only when an earlier serrano wrote it (its first line says so), and each
/// file is written beside its place and renamed in, so none is left half-written.
fn write_verilog(dir: &Path, sc: &SoftmaxConfig, origin: &str) -> Result<()> {
    let top = hdl::blocks::softmax::softmax(sc).map_err(|e| anyhow::anyhow!("{e}"))?;
    let header = vec![
        format!("{} from {}. Do not edit: regenerate instead.", GENERATED_BY, crate::verilog::printable(origin)),
        "softmax unit, as `serrano sim softmax` simulated it".to_string(),
    ];
    let files = hdl::core::emit(&top, &hdl::core::EmitOptions { header }).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("--verilog {}: {e}", dir.display())))?;
    for f in &files {
        let path = dir.join(&f.file_name);
        if path.exists() && !written_by_serrano(&path) {
            return Err(usage(format!(
                "--verilog {}: {} exists and was not written by serrano; give another directory",
                dir.display(),
                f.file_name
            )));
        }
    }
    for f in files {
        let path = dir.join(&f.file_name);
        let tmp = dir.join(format!(".{}.tmp-{}", f.file_name, std::process::id()));
        std::fs::write(&tmp, f.text).and_then(|_| std::fs::rename(&tmp, &path)).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            anyhow::anyhow!("--verilog: cannot write {}: {e}", path.display())
        })?;
    }
    Ok(())
}

/// The first words of every file serrano emits.
const GENERATED_BY: &str = concat!("Generated by serrano ", env!("CARGO_PKG_VERSION"));

/// A file whose first line is serrano's header (any version).
fn written_by_serrano(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(path) else { return false };
    let mut first = String::new();
    std::io::BufReader::new(f).read_line(&mut first).is_ok() && first.starts_with("// Generated by serrano ")
}

pub fn run(a: SoftmaxArgs) -> Result<()> {
    let (cfg, origin, _) = a.source.resolve()?;
    let sc = cfg.softmax;
    let p = SoftmaxParams::new(&sc);

    let fixed = match a.scale {
        Some(s) => Some((s, p.scale_to_k(s).map_err(|e| usage(format!("--scale: {e}")))?)),
        None => None,
    };
    for (flag, path) in [("--out", &a.out), ("--trace", &a.trace)] {
        if let Some(path) = path {
            check_output_path(flag, path)?;
        }
    }
    if let Some(dir) = &a.verilog {
        check_output_dir("--verilog", dir)?;
    }
    let (rows, len, logits, need) = logits_source(&a, &sc, &p, fixed)?;

    if let Some(dir) = &a.verilog {
        write_verilog(dir, &sc, &origin)?;
    }

    let module = hdl::blocks::softmax::softmax(&sc).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut src = CliRows { p: &p, logits, rows, len, causal: a.causal, fixed, next: 0 };
    let run = SoftmaxRun { seed: a.seed, x_seed: a.x_seed, trace: a.trace.clone(), ready_prob: 1.0, valid_prob: 1.0 };
    // The RTL's probabilities (for --out, little-endian as stored) and their
    // error against float64, row by row as they come.
    let out_t = out_dtype(&sc);
    let mut probs: Vec<u8> = Vec::new();
    let mut err = ErrorStats::default();
    let mut complete_rows = 0usize;
    let keep_out = a.out.is_some();
    let mut sink = |spec: RowSpec, beats: &[OutBeat]| {
        let y: Vec<u32> = beats.iter().flat_map(|o| o.y.iter().copied()).take(len).collect();
        if y.len() != len {
            return;
        }
        err.merge(&row_error(&p, &spec, &y));
        complete_rows += 1;
        if keep_out {
            for v in y {
                match out_t {
                    DType::U8 => probs.push(v as u8),
                    _ => probs.extend_from_slice(&(v as u16).to_le_bytes()),
                }
            }
        }
    };
    let mut progress = Progress::new("sim softmax", "rows", rows as u64);
    let mut on_progress = |done| progress.update(done);
    let opts = StreamOptions { keep_history: false, progress: Some(&mut on_progress) };
    let r = run_softmax_stream(&module, &sc, &mut src, &run, &mut sink, opts)?;
    progress.finish();

    let beats_per_row = len.div_ceil(p.lanes) as f64;
    let in_cycles = r.input_span.map(|(f, l)| (l - f + 1) as f64).unwrap_or(0.0);
    let overhead = in_cycles / rows as f64 - beats_per_row;
    let wrote_out = match &a.out {
        Some(path) if complete_rows == rows => {
            let values = probs.chunks_exact(out_t.size()).map(|c| match out_t {
                DType::U8 => c[0] as i64,
                _ => u16::from_le_bytes([c[0], c[1]]) as i64,
            });
            write_values(path, out_t, &[rows, len], values).map_err(|e| anyhow::anyhow!("--out: {e}"))?;
            true
        }
        _ => false,
    };
    // The typed result `report` reads back: one definition of the keys.
    let out = super::results::SoftmaxJson {
        block: "softmax".into(),
        source: origin.to_string(),
        top: hdl::blocks::softmax::top::softmax_name(&sc),
        lanes: sc.lanes,
        max_len: sc.max_len,
        in_bits: sc.in_bits,
        out_bits: sc.out_bits,
        rows: rows as u64,
        len: len as u64,
        elements: r.elements,
        scale: a.scale,
        causal: a.causal,
        seed: a.seed,
        x_seed: a.x_seed,
        cycles: r.cycles,
        mismatches: r.mismatches,
        first_mismatch: r.first_mismatch.clone(),
        waveform: r.waveform.as_ref().map(|p| p.display().to_string()),
        max_err_lsb: err.max_err,
        mean_err_lsb: err.mean(),
        compared_elements: err.elements,
        elements_per_cycle: r.elements_per_cycle(),
        sustained_elements_per_cycle: r.input_elements_per_cycle(),
        row_overhead_cycles: overhead,
        latency_cycles: r.max_latency(),
        overflow: r.overflow.0,
        build_seconds: r.build_seconds,
        cache_hit: r.cache_hit,
        sim_seconds: r.sim_seconds,
        sim_cycles_per_sec: r.sim_cycles_per_sec(),
        out: a.out.as_ref().filter(|_| wrote_out).map(|p| p.display().to_string()),
        memory_need_bytes: need.total() as u64,
        peak_rss_bytes: peak_rss_bytes(),
    };
    if a.json {
        print(serde_json::to_string_pretty(&out)?)?;
    } else {
        print_text(&a, &sc, &origin, &r, &Figures { rows, len, err, overhead, wrote_out })?;
    }
    if let Some(f) = r.failure() {
        bail!("softmax RTL disagrees with golden: {f}");
    }
    Ok(())
}

/// What a run measured besides the testbench's report.
struct Figures {
    rows: usize,
    len: usize,
    err: ErrorStats,
    overhead: f64,
    wrote_out: bool,
}

/// The human-readable summary of a run.
fn print_text(a: &SoftmaxArgs, sc: &SoftmaxConfig, origin: &str, r: &SoftmaxReport, f: &Figures) -> Result<()> {
    let Figures { rows, len, ref err, overhead, wrote_out } = *f;
    print(format_args!(
        "serrano sim softmax: {origin}, {rows} rows of {len}, {} lanes, UQ0.{}{}",
        sc.lanes,
        sc.out_bits,
        if a.causal { ", causal" } else { "" }
    ))?;
    print(format_args!("  cycles              {}", r.cycles))?;
    print(format_args!("  mismatches          {}", r.mismatches))?;
    print(format_args!(
        "  error vs float64    max {:.4} LSB, mean {:.4} LSB ({} elements)",
        err.max_err,
        err.mean(),
        err.elements
    ))?;
    print(format_args!(
        "  elements/cycle      {:.3} overall, {:.3} sustained (lanes {})",
        r.elements_per_cycle(),
        r.input_elements_per_cycle(),
        sc.lanes
    ))?;
    print(format_args!("  row overhead        {overhead:.2} cycles"))?;
    print(format_args!("  latency             {} cycles (last beat in to first beat out)", r.max_latency()))?;
    print(format_args!(
        "  build               {:.2} s ({})",
        r.build_seconds,
        if r.cache_hit { "cached" } else { "cold" }
    ))?;
    print(format_args!("  simulation          {:.3} s, {:.0} cycles/s", r.sim_seconds, r.sim_cycles_per_sec()))?;
    if let (Some(o), true) = (&a.out, wrote_out) {
        print(format_args!("  probabilities       {}", o.display()))?;
    }
    if let Some(w) = &r.waveform {
        print(format_args!("  waveform            {}", w.display()))?;
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
