//! `serrano area` on the tiny preset's tile: JSON keys, instance counts,
//! totals, the PE against the hand-written reference cell, DSP mapping, a
//! latch, and bad input. Needs Yosys (`scripts/setup.sh` installs it); without
//! it the Yosys-running tests say so and pass.

use std::process::{Command, Output};

use serde_json::Value;

/// Runs with no disk cache of generic figures: every test synthesizes.
fn serrano(args: &[&str]) -> Output {
    serrano_cached(args, "off")
}

fn serrano_cached(args: &[&str], cache: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(args)
        .env("SERRANO_AREA_CACHE", cache)
        .output()
        .expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn have_yosys() -> bool {
    let bin = std::env::var("SERRANO_YOSYS").unwrap_or_else(|_| "yosys".into());
    let ok = Command::new(&bin).arg("-V").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: no Yosys ({bin}); run scripts/setup.sh");
    }
    ok
}

/// `serrano area --preset tiny --top tile --json` for `target`.
fn area_json(target: &str) -> Value {
    let o = serrano(&["area", "--preset", "tiny", "--top", "tile", "--target", target, "--json"]);
    assert!(o.status.success(), "serrano area --target {target} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

fn tiny_rows_cols() -> (u64, u64) {
    let o = serrano(&["presets", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let tiny = v.as_array().unwrap().iter().find(|p| p["name"] == "tiny").expect("tiny preset");
    let s = &tiny["config"]["systolic"];
    (s["rows"].as_u64().unwrap(), s["cols"].as_u64().unwrap())
}

/// The block of the reference's PE module in the merged list.
fn pe_block(v: &Value) -> &Value {
    let pe = v["pe_reference"]["module"].as_str().expect("pe_reference.module");
    v["blocks"].as_array().unwrap().iter().find(|b| b["name"] == pe).expect("PE block")
}

/// Every key's total equals the sum over `blocks` (the merged list and each top's).
fn assert_totals_are_sums(v: &Value, keys: &[&str]) {
    let sum = |blocks: &Value, k: &str| blocks.as_array().unwrap().iter().map(|b| b[k].as_f64().unwrap()).sum::<f64>();
    for k in keys {
        assert_eq!(v["totals"][k].as_f64().unwrap(), sum(&v["blocks"], k), "totals.{k}");
        for t in v["tops"].as_array().unwrap() {
            assert_eq!(t["totals"][k].as_f64().unwrap(), sum(&t["blocks"], k), "{}: totals.{k}", t["top"]);
        }
    }
}

#[test]
fn generic_estimate_of_the_tiny_tile() {
    if !have_yosys() {
        return;
    }
    let v = area_json("generic");
    for k in ["preset", "target", "yosys", "tops", "blocks", "totals", "pe_reference"] {
        assert!(v.get(k).is_some(), "key {k} missing");
    }
    assert_eq!(v["preset"], "tiny");
    assert_eq!(v["target"], "generic");
    assert!(v["yosys"].as_str().unwrap().starts_with("Yosys"));
    for b in v["blocks"].as_array().unwrap() {
        for k in ["name", "instances", "transistors", "nand2_eq", "ff", "memory_bits", "cells", "top"] {
            assert!(b.get(k).is_some(), "block key {k} missing in {b}");
        }
    }
    for k in ["transistors", "ff"] {
        assert!(v["totals"][k].as_u64().unwrap() > 0, "totals.{k}");
    }
    for k in ["lut", "dsp", "bram"] {
        assert!(v["totals"][k].is_null(), "generic totals.{k} must be null");
    }
    assert_totals_are_sums(&v, &["transistors", "ff", "cells", "memory_bits"]);
    let (rows, cols) = tiny_rows_cols();
    let pe = pe_block(&v);
    assert_eq!(pe["instances"].as_u64().unwrap(), rows * cols);
    assert_eq!(pe["transistors"].as_u64().unwrap(), pe["per_instance"]["transistors"].as_u64().unwrap() * rows * cols);
    // The accumulator memory stays a memory: counted in memory_bits, not as flip-flops.
    assert!(v["totals"]["memory_bits"].as_u64().unwrap() > 0);
    let r = &v["pe_reference"];
    assert_eq!(r["pe_ff"], r["reference_ff"], "the reference cell has the PE's registers");
    let ratio = r["ratio"].as_f64().unwrap();
    assert!(ratio > 0.0 && ratio <= 1.1, "PE / reference = {ratio} ({r})");
    let expect = r["pe_transistors"].as_f64().unwrap() / r["reference_transistors"].as_f64().unwrap();
    assert!((ratio - expect).abs() < 1e-9);
}

#[test]
fn xilinx_maps_each_pe_to_one_dsp_and_no_lut() {
    if !have_yosys() {
        return;
    }
    let v = area_json("xilinx");
    assert_eq!(v["target"], "xilinx");
    assert_totals_are_sums(&v, &["lut", "ff", "carry", "dsp", "bram", "cells"]);
    let pe = pe_block(&v);
    let n = pe["instances"].as_u64().unwrap();
    assert_eq!(pe["per_instance"]["dsp"], 1, "{pe}");
    assert_eq!(pe["dsp"].as_u64().unwrap(), n);
    assert_eq!(pe["lut"], 0, "{pe}");
    assert!(v["totals"]["bram"].as_f64().unwrap() > 0.0, "the accumulator bank maps to block RAM");
    // Transistors come from the generic flow, the multiplier counted in its PE.
    assert_totals_are_sums(&v, &["transistors"]);
    assert!(pe["per_instance"]["transistors"].as_u64().unwrap() > 0, "{pe}");
    assert_eq!(v["totals"]["transistors"], area_json("generic")["totals"]["transistors"]);
}

#[test]
fn generic_figures_are_cached_on_disk_and_give_the_same_result() {
    if !have_yosys() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let args = ["area", "--preset", "tiny", "--top", "tile", "--json"];
    let first = serrano_cached(&args, cache);
    assert!(first.status.success(), "{}", stderr(&first));
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(entries >= 5, "one cache entry per distinct module, found {entries}");
    let second = serrano_cached(&args, cache);
    let (a, b): (Value, Value) =
        (serde_json::from_slice(&first.stdout).unwrap(), serde_json::from_slice(&second.stdout).unwrap());
    assert_eq!(a["blocks"], b["blocks"]);
    assert_eq!(a["totals"], b["totals"]);
}

#[test]
fn ice40_maps_each_pe_multiply_to_one_mac16() {
    if !have_yosys() {
        return;
    }
    let v = area_json("ice40");
    assert_totals_are_sums(&v, &["lut", "ff", "carry", "dsp", "bram"]);
    let pe = pe_block(&v);
    assert_eq!(pe["per_instance"]["dsp"], 1, "{pe}");
    assert!(v["totals"]["bram"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_latch_fails_naming_its_module() {
    if !have_yosys() {
        return;
    }
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/latch.v");
    for target in ["generic", "xilinx"] {
        // A failed run keeps its Yosys files for inspection: keep them in a directory of the test's own.
        let work = tempfile::tempdir().unwrap();
        let o = serrano(&[
            "area",
            "--preset",
            "tiny",
            "--verilog-file",
            fixture,
            "--top",
            "area_latch_top",
            "--target",
            target,
            "--work-dir",
            work.path().to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{target}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("module area_latch_leaf") && e.contains("latch"), "{target}: {e}");
    }
}

#[test]
fn bad_input_exits_2() {
    let o = serrano(&["area", "--preset", "tiny", "--target", "asic"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--target") && e.contains("generic") && e.contains("xilinx"), "{e}");

    let o = serrano(&["area", "--preset", "tiny", "--yosys", "/nonexistent/yosys"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("/nonexistent/yosys") && e.contains("scripts/setup.sh"), "{e}");

    let o = serrano(&["area", "--preset", "tiny", "--top", "gpu", "--yosys", "/nonexistent/yosys"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--top gpu") && e.contains("tile") && e.contains("softmax"), "{e}");

    let o = serrano(&["area", "--preset", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}
