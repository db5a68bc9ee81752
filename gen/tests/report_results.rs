//! `serrano report` reads the `area` and `fpga` sections of the results file
//! as typed results: a missing or misspelt field is an error (exit 2) that
//! names the section and the field, never a "—" in the README.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn committed() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/results.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `serrano report --results` on `r`: exit code and standard error.
fn report(r: &Value) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(r).unwrap()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_serrano"))
        .args(["report", "--results", path.to_str().unwrap()])
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn the_committed_results_render() {
    let (code, err) = report(&committed());
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_misspelt_area_field_exits_2_naming_it() {
    let mut r = committed();
    let totals = r["presets"]["tiny"]["area"]["ice40"]["tops"][0]["totals"].as_object_mut().unwrap();
    let v = totals.remove("bram").unwrap();
    totals.insert("bram_blocks".into(), v);
    let (code, err) = report(&r);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("presets.tiny.area.ice40") && err.contains("missing field `bram`"), "{err}");
}

#[test]
fn a_missing_fpga_field_exits_2_naming_it() {
    let mut r = committed();
    r["fpga"][0].as_object_mut().unwrap().remove("lc");
    let (code, err) = report(&r);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("fpga") && err.contains("missing field `lc`"), "{err}");
}
