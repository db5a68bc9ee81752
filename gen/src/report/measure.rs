//! `serrano report --measure`: run the measurements (other subcommands of this
//! same binary, with `--json`) and gather their results in one object.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::ReportArgs;
use crate::area::table::AreaJson;
use crate::error::UsageError;
use crate::fpga::table::FpgaJson;
use crate::sim::results::{CoreGemmJson, GemmJson, SoftmaxJson};

/// Check that `v`, the output of `serrano ARGS`, reads as the typed result
/// `T`, so a results file is never written with a field missing.
fn typed<T: serde::de::DeserializeOwned>(v: Value, args: &[&str]) -> Result<Value> {
    T::deserialize(&v).with_context(|| format!("`serrano {}` printed an unexpected result", args.join(" ")))?;
    Ok(v)
}

/// `serrano area ARGS --json`, checked.
fn area(args: &[&str]) -> Result<Value> {
    typed::<AreaJson>(serrano_json(args)?, args)
}

/// `serrano sim ARGS --json`, checked as the typed result `T`.
fn sim<T: serde::de::DeserializeOwned>(args: &[&str]) -> Result<Value> {
    typed::<T>(serrano_json(args)?, args)
}

/// Run `serrano ARGS` (this binary) and parse its JSON output.
fn serrano_json(args: &[&str]) -> Result<Value> {
    let mut exe = std::env::current_exe().context("cannot find the serrano binary")?;
    // Rebuilt while the report runs: Linux names the old file "... (deleted)";
    // the new binary is at the original path.
    if let Some(p) = exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        exe = PathBuf::from(p);
    }
    eprintln!("report: serrano {}", args.join(" "));
    let out = Command::new(&exe).args(args).output().with_context(|| format!("cannot run {}", exe.display()))?;
    let v: Option<Value> = serde_json::from_slice(&out.stdout).ok();
    match v {
        Some(v) if out.status.success() => Ok(v),
        // `serrano fpga` on a device too small for the design: a result worth a row.
        Some(v) if v["fits"] == json!(false) => Ok(v),
        _ => bail!("`serrano {}` failed:\n{}", args.join(" "), String::from_utf8_lossy(&out.stderr)),
    }
}

/// The serving benchmarks of issue 14 (`docs/attention.md`): attention
/// prefill and decode, and a SmolLM2-135M layer step, on the default core.
pub const SERVING_PRESET: &str = "default";

/// `serrano run attention|layer` runs: (what, arguments after the preset).
pub fn serving_runs() -> Vec<(&'static str, Vec<&'static str>)> {
    let att = |a: &[&'static str]| [&["run", "attention", "--preset", SERVING_PRESET][..], a, &["--json"]].concat();
    let layer = |a: &[&'static str]| [&["run", "layer", "--preset", SERVING_PRESET][..], a, &["--json"]].concat();
    vec![
        ("attention", att(&["--seq", "512", "--d-head", "64", "--heads", "1", "--causal", "--latency", "100"])),
        ("attention", att(&["--decode", "--context", "1024", "--page-size", "64", "--batch", "1", "--latency", "100"])),
        (
            "attention",
            att(&["--decode", "--context", "1024", "--page-size", "64", "--batch", "16", "--latency", "100"]),
        ),
        ("layer", layer(&["--decode", "--context", "1024", "--batch", "1", "--latency", "100"])),
        ("layer", layer(&["--decode", "--context", "1024", "--batch", "16", "--latency", "100"])),
    ]
}

/// Every serving run, checked as its typed result.
pub fn serving() -> Result<Value> {
    let (mut attention, mut layer) = (Vec::new(), Vec::new());
    for (what, args) in serving_runs() {
        let v = serrano_json(&args)?;
        if what == "attention" {
            attention.push(typed::<crate::run::attention::AttentionJson>(v, &args)?);
        } else {
            layer.push(typed::<crate::run::layer::LayerJson>(v, &args)?);
        }
    }
    Ok(json!({ "attention": attention, "layer": layer }))
}

/// Measure the sections `which` (`presets`, `fpga`, `serving`); the others
/// are taken from `old` (a results file), so one section can be re-measured.
pub fn measure(a: &ReportArgs, which: &[&str], old: Value) -> Result<Value> {
    let presets = if which.contains(&"presets") { presets(a)? } else { old["presets"].clone() };
    let fpga = if which.contains(&"fpga") { fpga(a)? } else { old["fpga"].clone() };
    let serving = if which.contains(&"serving") { serving()? } else { old["serving"].clone() };
    Ok(json!({
        "generator": format!("serrano {}", env!("CARGO_PKG_VERSION")),
        "command": "serrano report --measure",
        "presets": presets,
        "fpga": fpga,
        "serving": serving,
    }))
}

fn presets(a: &ReportArgs) -> Result<Value> {
    let mut presets = serde_json::Map::new();
    for p in &a.presets {
        let p = p.as_str();
        let gemm =
            sim::<GemmJson>(&["sim", "gemm", "--preset", p, "--m", "256", "--k", "256", "--n", "256", "--json"])?;
        let decode =
            sim::<GemmJson>(&["sim", "gemm", "--preset", p, "--m", "1", "--k", "256", "--n", "256", "--json"])?;
        // Small-batch decode: M = the array's rows, where weight and MAC rooflines meet.
        let rows = decode["array"].as_str().and_then(|a| a.split('x').next()).unwrap_or("16").to_string();
        let small =
            sim::<GemmJson>(&["sim", "gemm", "--preset", p, "--m", &rows, "--k", "256", "--n", "256", "--json"])?;
        let softmax = sim::<SoftmaxJson>(&["sim", "softmax", "--preset", p, "--rows", "16", "--json"])?;
        let generic = area(&["area", "--preset", p, "--target", "generic", "--json"])?;
        let xilinx = area(&["area", "--preset", p, "--target", "xilinx", "--json"])?;
        let ice40 = area(&["area", "--preset", p, "--target", "ice40", "--json"])?;
        let mut core = Vec::new();
        for (size, latency) in core_runs(p) {
            let (n, l) = (size.to_string(), latency.to_string());
            let args = ["run", "gemm", "--preset", p, "--m", &n, "--k", &n, "--n", &n, "--latency", &l, "--json"];
            core.push(typed::<CoreGemmJson>(serrano_json(&args)?, &args)?);
        }
        let core_blocks = core_blocks(p, &generic)?;
        presets.insert(
            p.to_string(),
            json!({ "gemm_256": gemm, "gemm_decode": decode, "gemm_small": small, "softmax": softmax,
                    "area": { "generic": generic, "xilinx": xilinx, "ice40": ice40 },
                    "core_gemm": core, "core_blocks": core_blocks }),
        );
    }
    Ok(Value::Object(presets))
}

fn fpga(a: &ReportArgs) -> Result<Value> {
    let mut fpga = Vec::new();
    for run in &a.fpga {
        let args = fpga_args(run)?;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fpga.push(typed::<FpgaJson>(serrano_json(&args)?, &args)?);
    }
    Ok(Value::Array(fpga))
}

/// The `serrano fpga` arguments of one `--fpga` entry, `PRESET:DEVICE[:TOP]`
/// (without TOP, `serrano fpga`'s default top for the device).
fn fpga_args(run: &str) -> Result<Vec<String>> {
    let parts: Vec<&str> = run.split(':').collect();
    let bad = || {
        UsageError(format!(
            "--fpga {run:?}: expected PRESET:DEVICE or PRESET:DEVICE:TOP, e.g. tiny:hx8k or tiny:ecp5-25k:core"
        ))
    };
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return Err(bad().into());
    }
    let mut args: Vec<String> = ["fpga", "--preset", parts[0], "--device", parts[1]].map(String::from).into();
    if let Some(top) = parts.get(2) {
        args.extend(["--top".to_string(), top.to_string()]);
    }
    args.push("--json".into());
    Ok(args)
}

/// The GEMMs from DRAM through the core (`serrano run gemm`): (M = K = N, memory latency).
fn core_runs(preset: &str) -> Vec<(u32, u32)> {
    match preset {
        "default" => vec![(256, 100), (512, 100), (256, 300), (512, 300)],
        "large" => vec![(512, 100), (512, 300)],
        _ => vec![(64, 100)],
    }
}

/// The core's area by block: for each instance of the core top, its
/// subtree's share of the generic area (each module's per-instance figures
/// from `serrano area`, times its count in the subtree).
fn core_blocks(preset: &str, generic: &Value) -> Result<Value> {
    let cfg = crate::presets::load(preset)?;
    let top = hdl::blocks::accel::core_top::core_top(&cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
    let area: AreaJson = serde_json::from_value(generic.clone())?;
    let Some(core) = area.tops.iter().find(|t| t.top == top.name()) else {
        bail!("`serrano area --preset {preset}` has no {}", top.name());
    };
    let per = |name: &str, f: &dyn Fn(&crate::area::table::FigJson) -> u64| -> u64 {
        core.blocks.iter().find(|b| b.name == name).map_or(0, |b| f(&b.per_instance))
    };
    fn count(m: &hdl::core::Module, into: &mut std::collections::BTreeMap<String, u64>) {
        *into.entry(m.name().to_string()).or_default() += 1;
        for (_, c) in m.instances() {
            count(c, into);
        }
    }
    let mut rows = Vec::new();
    for (inst, child) in top.instances() {
        let mut mods = std::collections::BTreeMap::new();
        count(child, &mut mods);
        let sum =
            |f: &dyn Fn(&crate::area::table::FigJson) -> u64| -> u64 { mods.iter().map(|(n, k)| k * per(n, f)).sum() };
        rows.push(json!({
            "instance": inst,
            "module": child.name(),
            "transistors": sum(&|t| t.transistors),
            "ff": sum(&|t| t.ff),
            "memory_bits": sum(&|t| t.memory_bits),
        }));
    }
    Ok(json!({ "top": top.name(), "total_transistors": core.totals.transistors,
               "total_memory_bits": core.totals.memory_bits, "blocks": rows }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fpga_entries_are_preset_device_and_an_optional_top() {
        assert_eq!(fpga_args("tiny:hx8k").unwrap(), ["fpga", "--preset", "tiny", "--device", "hx8k", "--json"]);
        assert_eq!(
            fpga_args("default:ecp5-85k:core").unwrap(),
            ["fpga", "--preset", "default", "--device", "ecp5-85k", "--top", "core", "--json"]
        );
        for bad in ["tiny", "tiny:", ":hx8k", "tiny:hx8k:", "tiny:hx8k:core:x"] {
            let e = fpga_args(bad).unwrap_err();
            assert!(e.downcast_ref::<UsageError>().is_some(), "{bad}");
            assert!(e.to_string().contains("PRESET:DEVICE:TOP"), "{bad}: {e}");
        }
    }
}
