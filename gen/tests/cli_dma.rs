//! `serrano sim dma` from the outside: JSON keys, figures, exit codes.

use std::process::{Command, Output};

fn serrano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serrano")).args(args).output().expect("serrano runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = serrano(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn sim_dma_reports_utilization_as_json() {
    let v = json(&["sim", "dma", "--preset", "default", "--bytes", "4096", "--json"]);
    for key in ["bytes", "cycles", "bus_utilization", "violations", "mismatches"] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert_eq!(v["bytes"], 4096);
    assert_eq!(v["violations"], 0);
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["latency"], 100);
    assert_eq!((v["pattern"].as_str(), v["direction"].as_str()), (Some("linear"), Some("read")));
    // bus_utilization is data beats over cycles, as printed.
    let u = v["bus_utilization"].as_f64().unwrap();
    let ratio = v["data_beats"].as_f64().unwrap() / v["cycles"].as_f64().unwrap();
    assert!((u - ratio).abs() < 1e-12);
    assert!(u >= 0.98, "{u}");
    for (pattern, direction) in [("2d", "write"), ("paged", "copy")] {
        let v = json(&[
            "sim",
            "dma",
            "--preset",
            "tiny",
            "--bytes",
            "1000",
            "--latency",
            "10",
            "--pattern",
            pattern,
            "--direction",
            direction,
            "--seed",
            "3",
            "--json",
        ]);
        assert_eq!(v["mismatches"], 0, "{pattern} {direction}: {v}");
        assert_eq!(v["violations"], 0, "{pattern} {direction}: {v}");
        assert_eq!(v["seed"], 3);
    }
}

/// A 2-D transfer moves exactly the bytes it reports, for sizes that are not
/// a multiple of its 512-byte row too (it moved 512 of 1000 bytes and
/// reported the utilization of that), in every direction; a copy works (it
/// panicked).
#[test]
fn sim_dma_2d_moves_exactly_its_bytes_in_every_direction() {
    for (bytes, data_bytes) in [(1000u64, 8u64), (513, 8), (512, 8), (7, 8)] {
        for direction in ["read", "write", "copy"] {
            let b = bytes.to_string();
            let v = json(&[
                "sim",
                "dma",
                "--preset",
                "tiny",
                "--bytes",
                &b,
                "--latency",
                "5",
                "--pattern",
                "2d",
                "--direction",
                direction,
                "--json",
            ]);
            let what = format!("2d {direction} of {bytes}: {v}");
            assert_eq!(v["mismatches"], 0, "{what}");
            assert_eq!(v["violations"], 0, "{what}");
            let transfers = v["transfers"].as_u64().unwrap();
            assert_eq!(v["total_bytes"].as_u64(), Some(transfers * bytes), "{what}");
            // Rows of 512 at bus-aligned addresses, then the shorter last row.
            let (rows, rest) = (bytes / bytes.min(512), bytes % bytes.min(512));
            let beats = rows * bytes.min(512).div_ceil(data_bytes) + rest.div_ceil(data_bytes);
            assert_eq!(v["data_beats"].as_u64(), Some(transfers * beats), "{what}");
            let per = if rest > 0 { 2 } else { 1 } * if direction == "copy" { 2 } else { 1 };
            assert_eq!(v["descriptors"].as_u64(), Some(transfers * per), "{what}");
        }
    }
    let o = serrano(&["sim", "dma", "--preset", "tiny", "--bytes", "1000", "--pattern", "2d"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("132 x 1000 bytes") && text.contains("moved             132000 bytes"), "{text}");
}

/// `--config FILE` as in every other command; the JSON says where the
/// configuration came from.
#[test]
fn sim_dma_takes_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    // The tiny preset's DMA, from a file (so its model is the cached one).
    let cfg = dir.path().join("mine.toml");
    let tiny = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/tiny.toml");
    std::fs::copy(tiny, &cfg).unwrap();
    let v = json(&["sim", "dma", "--config", cfg.to_str().unwrap(), "--bytes", "100", "--latency", "3", "--json"]);
    assert_eq!(v["mismatches"], 0, "{v}");
    assert_eq!(v["source"], "config mine.toml");
    assert_eq!(v["preset"], serde_json::Value::Null);
    assert!(v["top"].as_str().unwrap().starts_with("serrano_dma_d64_"), "{v}");
    let v = json(&["sim", "dma", "--preset", "tiny", "--bytes", "100", "--json"]);
    assert_eq!((v["preset"].as_str(), v["source"].as_str()), (Some("tiny"), Some("preset tiny")));
    let o = serrano(&["sim", "dma", "--config", dir.path().to_str().unwrap(), "--bytes", "100"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sim_dma_prints_a_summary() {
    let o = serrano(&["sim", "dma", "--preset", "tiny", "--bytes", "64", "--latency", "5"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for line in ["bus utilization", "violations        0", "mismatches        0", "cycles"] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}

#[test]
fn sim_dma_bad_arguments_exit_2_with_a_clear_error() {
    for (args, msg) in [
        (vec!["--preset", "nope", "--bytes", "64"], "unknown preset `nope`"),
        (vec!["--preset", "default", "--bytes", "0"], "--bytes 0: must be between 1 and 16777216"),
        (vec!["--preset", "default", "--bytes", "64", "--latency", "0"], "--latency 0: must be between 1 and 10000"),
        (vec!["--preset", "default", "--bytes", "64", "--pattern", "3d"], "invalid value '3d' for '--pattern"),
        (vec!["--preset", "default", "--bytes", "64", "--direction", "up"], "invalid value 'up' for '--direction"),
        (vec!["--preset", "tiny", "--bytes", "1048576", "--pattern", "paged"], "page tables of 32 entries"),
        (vec!["--bytes", "64"], "--preset"),
    ] {
        let mut a = vec!["sim", "dma"];
        a.extend(args.iter());
        let o = serrano(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}
