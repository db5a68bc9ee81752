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
use crate::sim::results::{GemmJson, SoftmaxJson};

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

pub fn measure(a: &ReportArgs) -> Result<Value> {
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
        presets.insert(
            p.to_string(),
            json!({ "gemm_256": gemm, "gemm_decode": decode, "gemm_small": small, "softmax": softmax,
                    "area": { "generic": generic, "xilinx": xilinx, "ice40": ice40 } }),
        );
    }
    let mut fpga = Vec::new();
    for pd in &a.fpga {
        let (p, d) = pd
            .split_once(':')
            .ok_or_else(|| UsageError(format!("--fpga {pd:?}: expected PRESET:DEVICE, e.g. tiny:hx8k")))?;
        let args = ["fpga", "--preset", p, "--device", d, "--json"];
        fpga.push(typed::<FpgaJson>(serrano_json(&args)?, &args)?);
    }
    Ok(json!({
        "generator": format!("serrano {}", env!("CARGO_PKG_VERSION")),
        "command": "serrano report --measure",
        "presets": presets,
        "fpga": fpga,
    }))
}
