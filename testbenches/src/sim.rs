//! Building `hdl` modules into Verilator models, and the seed convention.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use hdl::core::{emit, EmitOptions, Module};
use verilator_sys::{Builder, Library};

/// A module built into a loadable Verilator model.
pub struct Built {
    pub lib: Library,
    pub top: String,
    /// Where the emitted Verilog was written.
    pub source_dir: PathBuf,
    /// Wall time of the build (verilate + compile, or the cache lookup).
    pub build_seconds: f64,
}

/// Options of a model build.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildOptions {
    /// Build with `--trace-fst` (needed to write a waveform).
    pub trace: bool,
    /// Build with `--x-assign unique --x-initial unique`; the seed is given
    /// when a model is instantiated.
    pub x_randomize: bool,
}

/// The seed for random stimulus: `SERRANO_SEED` if set, else `default`.
/// Printed either way, so any run can be reproduced.
pub fn seed_from_env(test: &str, default: u64) -> u64 {
    let seed = match std::env::var("SERRANO_SEED") {
        Ok(s) => s.trim().parse().unwrap_or_else(|_| panic!("SERRANO_SEED={s:?} is not an unsigned integer")),
        Err(_) => default,
    };
    eprintln!("{test}: seed = {seed} (reproduce with SERRANO_SEED={seed})");
    seed
}

/// The directory for waveforms of failing runs: `<target>/waves`.
pub fn waves_dir() -> PathBuf {
    let root = verilator_sys::default_cache_root();
    let target = root.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"));
    target.join("waves")
}

/// Emit `top` and build it with Verilator (cached by the content of the Verilog).
pub fn build_module(top: &Module, opts: BuildOptions) -> Result<Built> {
    let files = emit(top, &EmitOptions { header: vec!["Generated for a Serrano testbench".into()] })
        .map_err(|e| anyhow!("elaboration of {} failed: {e}", top.name()))?;
    // A content-addressed source directory, so the same Verilog has the same
    // paths and verilator-sys's cache hits across runs.
    let mut h = DefaultHasher::new();
    for f in &files {
        f.file_name.hash(&mut h);
        f.text.hash(&mut h);
    }
    let dir = verilator_sys::default_cache_root().join("sources").join(format!("{}-{:016x}", top.name(), h.finish()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for f in &files {
        let p = dir.join(&f.file_name);
        // Write only if absent or different, so parallel tests never see a half-written file
        // that differs from what they expect: write to a temporary name, then rename.
        if std::fs::read_to_string(&p).ok().as_deref() != Some(f.text.as_str()) {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let unique = format!("{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            let tmp = dir.join(format!(".{}.{unique}.tmp", f.file_name));
            std::fs::write(&tmp, &f.text).with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &p).with_context(|| format!("cannot rename {} to {}", tmp.display(), p.display()))?;
        }
    }
    let t0 = Instant::now();
    let lib = Builder::new(top.name())
        .sources(files.iter().map(|f| dir.join(&f.file_name)))
        .trace(opts.trace)
        .x_randomize(opts.x_randomize)
        .build()
        .with_context(|| format!("building {} with Verilator", top.name()))?;
    Ok(Built { lib, top: top.name().to_string(), source_dir: dir, build_seconds: t0.elapsed().as_secs_f64() })
}

/// Run `body` on a fresh model of `top`; if it panics, build the model
/// again with tracing, replay `body` (deterministic: same seed, same
/// stimulus) into `target/waves/<name>.fst`, and fail with the first
/// failure's message and the waveform's path.
pub fn run_with_waveform(top: &Module, name: &str, body: impl Fn(&mut verilator_sys::Model)) {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let built = build_module(top, BuildOptions::default()).expect("the model builds");
    let mut sim = built.lib.instantiate(None).expect("the model instantiates");
    let Err(e) = catch_unwind(AssertUnwindSafe(|| body(&mut sim))) else { return };
    let what = e.downcast_ref::<String>().cloned().or(e.downcast_ref::<&str>().map(|s| s.to_string()));
    let traced =
        build_module(top, BuildOptions { trace: true, ..Default::default() }).expect("the traced model builds");
    let mut tm = traced.lib.instantiate(None).expect("the traced model instantiates");
    let dir = waves_dir();
    let path = dir.join(format!("{name}.fst"));
    let traced_ok = std::fs::create_dir_all(&dir).is_ok() && tm.trace_to(&path).is_ok();
    if traced_ok {
        let _ = catch_unwind(AssertUnwindSafe(|| body(&mut tm)));
        tm.trace_flush();
    }
    let wave = if traced_ok { path.display().to_string() } else { "(could not be written)".into() };
    panic!("{}\nwaveform: {wave}", what.unwrap_or_default());
}

/// `top`'s Verilog as the emitter writes it: no line longer than 150
/// characters, and `verilator --lint-only -Wall` with no warning. The
/// files go to a content-addressed folder beside the Verilator cache. An
/// error quotes the first long line or Verilator's report.
pub fn lint_module(top: &Module) -> Result<(), String> {
    let files = emit(top, &EmitOptions::default()).map_err(|e| format!("{}: emission failed: {e}", top.name()))?;
    if let Some((f, n)) = files.iter().find_map(|f| f.text.lines().position(|l| l.len() > 150).map(|n| (f, n))) {
        return Err(format!("{} line {}: longer than 150 characters", f.file_name, n + 1));
    }
    let mut h = DefaultHasher::new();
    for f in &files {
        f.text.hash(&mut h);
    }
    let dir = verilator_sys::default_cache_root().join("lint").join(format!("{}-{:016x}", top.name(), h.finish()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for f in &files {
        std::fs::write(dir.join(&f.file_name), &f.text).map_err(|e| format!("cannot write {}: {e}", f.file_name))?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    let out = std::process::Command::new("verilator")
        .current_dir(&dir)
        .args(["--lint-only", "-Wall", "--top-module", top.name()])
        .args(&names)
        .output()
        .map_err(|e| format!("cannot run verilator (scripts/setup.sh installs it): {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    if out.status.success() && !text.contains("%Warning") {
        Ok(())
    } else {
        Err(format!("{}: verilator -Wall:\n{text}", top.name()))
    }
}
