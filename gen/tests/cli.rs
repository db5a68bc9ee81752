//! The `serrano` command from the outside: outputs, exit codes, JSON keys.

use std::path::Path;
use std::process::{Command, Output};

fn serrano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano")).args(args).output().expect("serrano runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn presets_lists_every_config() {
    let o = serrano(&["presets"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    for p in ["default", "tiny", "large"] {
        assert!(text.lines().any(|l| l.starts_with(p)), "{p} missing from:\n{text}");
    }
    let o = serrano(&["presets", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["name"], "default");
    assert_eq!(v[0]["config"]["pe"]["acc_bits"], 32);
}

#[test]
fn verilog_writes_verilog_manifest_and_core_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let o = serrano(&["verilog", "--preset", "default", "--out", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["top", "modules", "instances", "lines", "flip_flops", "files"] {
        assert!(s.get(key).is_some(), "summary lacks {key}: {s}");
    }
    assert_eq!(s["top"], "serrano_pe_i8_acc32");
    assert_eq!(s["flip_flops"], 57);
    let v = std::fs::read_to_string(out.join("serrano_pe_i8_acc32.v")).unwrap();
    assert!(v.contains("`default_nettype none"));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["clock"], "clk");
    assert_eq!(m["reset"]["name"], "rst");
    let psum = m["ports"].as_array().unwrap().iter().find(|p| p["name"] == "psum_out").unwrap();
    assert_eq!(
        (psum["direction"].as_str(), psum["width"].as_u64(), psum["signed"].as_bool()),
        (Some("output"), Some(32), Some(true))
    );
    assert_eq!(m["config"]["pe"]["acc_bits"], 32);
    let core = std::fs::read_to_string(out.join("serrano_pe_i8_acc32.core")).unwrap();
    assert!(core.starts_with("CAPI=2:\n") && core.contains("- serrano_pe_i8_acc32.v"));
    // The human summary names the same figures.
    let o = serrano(&["verilog", "--preset", "tiny", "--out", out.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("flip-flops   49"), "{text}");
    // Regenerating another preset into the same directory leaves no stale files.
    let names: Vec<_> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.iter().any(|n| n.contains("acc32")), "{names:?}");
}

fn bad_config(text: &str, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = dir.path().join("out");
    let o = serrano(&["verilog", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(expect), "expected {expect:?} in: {}", stderr(&o));
    assert!(!Path::new(&out).exists(), "nothing may be written for a bad config");
}

#[test]
fn bad_configs_exit_2_name_the_field_and_write_nothing() {
    bad_config("[pe]\nacc_bits = 8\n", "pe.acc_bits = 8: must be between 16 and 64");
    bad_config("[pe]\nacc_bits = 65\n", "pe.acc_bits = 65: must be between 16 and 64");
    bad_config("[pe]\nacc_bits = 32\nlanes = 4\n", "unknown field `lanes`");
    bad_config("[pe]\nacc_bits = \"wide\"\n", "acc_bits");
    bad_config("[pe\nacc_bits = 32\n", "invalid config");
    bad_config("description = \"no pe\"\n", "missing field `pe`");
}

#[test]
fn bad_arguments_exit_2() {
    let o = serrano(&["verilog", "--preset", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown preset `nope`; the presets are: default, large, tiny"), "{}", stderr(&o));
    let o = serrano(&["verilog", "--config", "/nonexistent/x.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read config /nonexistent/x.toml"));
    let o = serrano(&["verilog", "--preset", "default", "--config", "x.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let o = serrano(&["verilog"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sim_pe_reports_json() {
    let o = serrano(&["sim", "pe", "--preset", "tiny", "--cycles", "20000", "--seed", "4", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["mismatches"], 0);
    assert!(v["cycles"].as_u64().unwrap() >= 20_000);
    for key in ["sim_cycles_per_sec", "build_seconds", "cache_hit"] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
}
