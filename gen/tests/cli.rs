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
    assert_eq!(v[0]["config"]["systolic"]["rows"], 16);
}

#[test]
fn verilog_writes_verilog_manifest_and_core_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let o = serrano(&["verilog", "--preset", "default", "--out", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["top", "tops", "modules", "instances", "lines", "flip_flops", "files"] {
        assert!(s.get(key).is_some(), "summary lacks {key}: {s}");
    }
    assert_eq!(s["top"], "serrano_tile_r16c16_d1024");
    assert_eq!(s["tops"][1], "serrano_softmax_l16_n4096_i8_o8_t5");
    assert!(s["tops"][2].as_str().unwrap().starts_with("serrano_dma_d128_a32"), "{s}");
    // The DMA register map beside the Verilog, as a C header and as JSON.
    let h = std::fs::read_to_string(out.join("serrano_dma_regs.h")).unwrap();
    assert!(h.contains("#define"), "{h}");
    let regs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("serrano_dma_regs.json")).unwrap()).unwrap();
    assert!(regs.is_object() || regs.is_array());
    assert!(s["instances"].as_u64().unwrap() > 1 + 256 + 16 + 16, "array, PEs, banks, requant lanes, softmax");
    let v = std::fs::read_to_string(out.join("serrano_tile_r16c16_d1024.v")).unwrap();
    assert!(v.contains("`default_nettype none"));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["generator"], "serrano 0.1.0");
    let tile = &m["tops"][0];
    assert_eq!(tile["top"], "serrano_tile_r16c16_d1024");
    assert_eq!(tile["clock"], "clk");
    assert_eq!(tile["reset"]["name"], "rst");
    let c = tile["ports"].as_array().unwrap().iter().find(|p| p["name"] == "m_axis_c_tdata").unwrap();
    assert_eq!(
        (c["direction"].as_str(), c["width"].as_u64(), c["signed"].as_bool()),
        (Some("output"), Some(16 * 32), Some(false))
    );
    assert_eq!(m["config"]["systolic"]["acc_depth"], 1024);
    let ff: u64 = m["tops"].as_array().unwrap().iter().map(|t| t["stats"]["flip_flops"].as_u64().unwrap()).sum();
    assert_eq!(s["flip_flops"], ff);
    let core = std::fs::read_to_string(out.join("serrano_default.core")).unwrap();
    assert!(core.starts_with("CAPI=2:\n") && core.contains("- serrano_pe_i8_acc32.v"), "{core}");
    assert!(core.contains("  default:\n    filesets: [rtl]\n    toplevel: serrano_tile_r16c16_d1024\n"), "{core}");
    // The human summary names the same figures.
    let o = serrano(&["verilog", "--preset", "tiny", "--out", out.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("tops         serrano_tile_r4c4_d256_norequant, serrano_softmax_l4_n256_i8_o8_t4"), "{text}");
    // Regenerating another preset into the same directory leaves no stale files.
    let names: Vec<_> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.iter().any(|n| n.contains("r16c16")), "{names:?}");
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
    const OK: &str = "[systolic]\nrows = 4\ncols = 4\nacc_depth = 16\n";
    bad_config(&OK.replace("rows = 4", "rows = 0"), "systolic.rows = 0: must be between 1 and 128");
    bad_config(&OK.replace("cols = 4", "cols = 200"), "systolic.cols = 200: must be between 1 and 128");
    bad_config(&OK.replace("acc_depth = 16", "acc_depth = 1"), "systolic.acc_depth = 1: must be between 2 and 65536");
    bad_config(&format!("{OK}lanes = 4\n"), "unknown field `lanes`");
    bad_config(&OK.replace("rows = 4", "rows = \"wide\""), "rows");
    bad_config(&OK.replace("[systolic]", "[systolic"), "invalid config");
    bad_config("description = \"no tile\"\n", "missing field `systolic`");
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

/// A 2-D .npy file with the given dtype and raw little-endian data.
fn write_npy(path: &Path, descr: &str, shape: (usize, usize), data: &[u8]) {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({}, {}), }}", shape.0, shape.1);
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn sim_gemm_reports_json() {
    let o = serrano(&["sim", "gemm", "--preset", "tiny", "--m", "5", "--k", "7", "--n", "3", "--seed", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["cycles", "macs", "utilization", "mismatches", "sim_cycles_per_sec"] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["macs"], 5 * 7 * 3);
}

#[test]
fn sim_gemm_reads_and_writes_npy() {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb, pc) = (dir.path().join("a.npy"), dir.path().join("b.npy"), dir.path().join("c.npy"));
    let a: Vec<i8> = (0..6 * 9).map(|i| (i * 37 % 256) as u8 as i8).collect();
    let b: Vec<i8> = (0..9 * 5).map(|i| (i * 101 % 256) as u8 as i8).collect();
    write_npy(&pa, "|i1", (6, 9), &a.iter().map(|&x| x as u8).collect::<Vec<_>>());
    write_npy(&pb, "|i1", (9, 5), &b.iter().map(|&x| x as u8).collect::<Vec<_>>());
    let args = ["sim", "gemm", "--preset", "tiny", "--a", pa.to_str().unwrap(), "--b", pb.to_str().unwrap()];
    let o = serrano(&[&args[..], &["--out", pc.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&pc).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..bytes.len() - 6 * 5 * 4]).to_string();
    assert!(header.contains("'descr': '<i4'") && header.contains("(6, 5)"), "{header}");
    let c: Vec<i32> =
        bytes[bytes.len() - 120..].chunks(4).map(|w| i32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
    let ga = golden::tile::gemm::Matrix::from_vec(6, 9, a).unwrap();
    let gb = golden::tile::gemm::Matrix::from_vec(9, 5, b).unwrap();
    assert_eq!(c, golden::tile::gemm::gemm(&ga, &gb).unwrap().data);
    // Requantized output is int8 (on a 4x4 tile with requantization: tiny has none).
    let toml = dir.path().join("rq.toml");
    std::fs::write(&toml, "[systolic]\nrows = 4\ncols = 4\nacc_depth = 16\n").unwrap();
    let mut args = args;
    args[2..4].copy_from_slice(&["--config", toml.to_str().unwrap()]);
    let o = serrano(&[&args[..], &["--out", pc.to_str().unwrap(), "--requant", "1073741824,36,-5"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&std::fs::read(&pc).unwrap()).contains("'descr': '|i1'"));
}

#[test]
fn sim_gemm_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb, p32) = (dir.path().join("a.npy"), dir.path().join("b.npy"), dir.path().join("w.npy"));
    write_npy(&pa, "|i1", (2, 3), &[0; 6]);
    write_npy(&pb, "|i1", (4, 2), &[0; 8]);
    write_npy(&p32, "<i4", (3, 2), &[0; 24]);
    let (a, b, w) = (pa.to_str().unwrap(), pb.to_str().unwrap(), p32.to_str().unwrap());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--a", a, "--b", b], "shape mismatch: A is 2x3 and B is 4x2"),
        (vec!["--a", a, "--b", w], "dtype int32, expected int8"),
        (vec!["--a", a, "--b", "/nonexistent.npy"], "cannot read /nonexistent.npy"),
        (vec!["--m", "4", "--k", "4"], "--n is required"),
        (vec!["--m", "0", "--k", "4", "--n", "4"], "--m 0: must be between 1"),
        (vec!["--m", "4", "--k", "4", "--n", "4", "--requant", "1,99,0"], "shift \"99\": must be between 0 and 62"),
        (vec!["--m", "4", "--k", "4", "--n", "4", "--requant", "1,2"], "expected MULT,SHIFT,ZP"),
        (vec!["--m", "4", "--k", "4", "--n", "4", "--requant", "1,2,0"], "systolic.requant = false"),
        (vec!["--m", "1048576", "--k", "1048576", "--n", "1"], "at most 67108864 per matrix"),
    ];
    for (extra, want) in cases {
        let o = serrano(&[&["sim", "gemm", "--preset", "tiny"][..], &extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{extra:?}: expected {want:?} in {}", stderr(&o));
    }
}
