//! The DMA's Verilog for every preset: `verilator --lint-only -Wall` with zero
//! warnings, no `$` in any name, and no latch after Yosys `proc`; the
//! register map's C header compiles and agrees with the JSON and docs/dma.md.

use std::path::Path;
use std::process::Command;

use hdl::blocks::dma::regs as dma_regs;
use hdl::core::{emit, EmitOptions};

fn preset(name: &str) -> golden::DmaConfig {
    let text =
        std::fs::read_to_string(format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"))).expect("preset file");
    golden::Config::from_toml_str(&text, name).expect("valid preset").dma
}

fn write_dma(cfg: &golden::DmaConfig, dir: &Path) -> (String, Vec<String>) {
    let top = hdl::blocks::dma::dma(cfg).unwrap();
    let files = emit(&top, &EmitOptions { header: vec!["lint test".into()] }).unwrap();
    let mut names = Vec::new();
    for f in &files {
        std::fs::write(dir.join(&f.file_name), &f.text).unwrap();
        assert!(!f.text.replace("$signed(", "").replace("$unsigned(", "").contains('$'), "a `$` in {}", f.file_name);
        names.push(f.file_name.clone());
    }
    (top.name().to_string(), names)
}

/// The presets and the corners of the parameter ranges.
fn configs() -> Vec<(String, golden::DmaConfig)> {
    let mut v: Vec<(String, golden::DmaConfig)> =
        ["default", "tiny", "large"].iter().map(|n| (n.to_string(), preset(n))).collect();
    v.push((
        "corner-small".into(),
        golden::DmaConfig {
            data_bits: 64,
            addr_bits: 64,
            max_burst: 1,
            max_outstanding: 1,
            queue_depth: 2,
            id_bits: 1,
            table_entries: 2,
        },
    ));
    v.push((
        "corner-large".into(),
        golden::DmaConfig {
            data_bits: 256,
            addr_bits: 32,
            max_burst: 7,
            max_outstanding: 64,
            queue_depth: 256,
            id_bits: 16,
            table_entries: 2048,
        },
    ));
    v
}

#[test]
fn dma_verilog_lints_clean_and_has_no_latch() {
    for (name, cfg) in configs() {
        let dir = tempfile::tempdir().unwrap();
        let (top, files) = write_dma(&cfg, dir.path());
        let out = Command::new("verilator")
            .current_dir(dir.path())
            .args(["--lint-only", "-Wall", "--top-module", &top])
            .args(&files)
            .output()
            .expect("verilator is installed (scripts/setup.sh)");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.trim().is_empty(), "{name}: verilator -Wall:\n{text}");
        let script = format!(
            "read_verilog {}; hierarchy -check -top {top}; proc; \
             select -assert-none t:$dlatch t:$adlatch t:$dlatchsr",
            files.join(" ")
        );
        let out = Command::new("yosys")
            .current_dir(dir.path())
            .args(["-q", "-p", &script])
            .output()
            .expect("yosys is installed (scripts/setup.sh)");
        assert!(
            out.status.success(),
            "{name}: yosys found a latch or an error:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn register_map_header_json_and_docs_agree() {
    let cfg = preset("default");
    let h = dma_regs::c_header(&cfg);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("serrano_dma_regs.h"), &h).unwrap();
    std::fs::write(
        dir.path().join("t.c"),
        "#include \"serrano_dma_regs.h\"\n\
         _Static_assert(SERRANO_DMA_RD_PUSH == 0x128u, \"push\");\n\
         _Static_assert(SERRANO_DMA_WR_COMPLETION == 0x23cu, \"completion\");\n\
         _Static_assert(SERRANO_DMA_STATUS_SLVERR == 0x12u, \"slverr\");\n\
         _Static_assert(SERRANO_DMA_DESC_CTRL_PAGE_SHIFT_MASK == 0x1f00u, \"mask\");\n\
         int main(void) { return 0; }\n",
    )
    .unwrap();
    let out = Command::new("cc")
        .current_dir(dir.path())
        .args(["-std=c11", "-Wall", "-Werror", "-fsyntax-only", "t.c"])
        .output()
        .expect("a C compiler (cc) is installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let docs = std::fs::read_to_string(format!("{}/../docs/dma.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // The default preset has 32-bit addresses, large 64: the docs' access
    // column must hold for both (reserved high words with 32).
    for cfg in [cfg, preset("large")] {
        let h = dma_regs::c_header(&cfg);
        let j = dma_regs::register_map_json(&cfg);
        let regs = j["registers"].as_array().unwrap();
        for r in regs {
            let (name, off) = (r["name"].as_str().unwrap(), r["offset"].as_u64().unwrap());
            let prefix = match r["engine"].as_str().unwrap() {
                "read" => "RD_",
                "write" => "WR_",
                _ => "",
            };
            assert!(
                h.contains(&format!("SERRANO_DMA_{prefix}{name} ")) && h.contains(&format!("0x{off:03x}u")),
                "{name} at {off:#x} missing from the header"
            );
            if r["engine"] != "write" {
                let doc_off = if prefix.is_empty() { off } else { off - dma_regs::READ_BASE as u64 };
                let row = format!("| `{name}` | `0x{doc_off:03x}` | ");
                let line = docs.lines().find(|l| l.starts_with(&row));
                let line = line.unwrap_or_else(|| panic!("docs/dma.md lacks the row `{row}`"));
                let access = if r["reserved"] == true {
                    "reserved (A = 32)".to_string()
                } else {
                    format!("| {} ", r["access"].as_str().unwrap())
                };
                assert!(line.contains(&access), "docs/dma.md: {name} must say `{access}`: {line}");
                if name == "ID" || name == "VERSION" {
                    let reset = format!("`0x{:08x}`", r["reset"].as_u64().unwrap());
                    assert!(line.contains(&reset), "docs/dma.md: {name} resets to {reset}: {line}");
                }
            }
        }
    }
    for s in golden::dma::Status::all() {
        let row = format!("| `0x{:02x}` | `{}`", s.code(), s.name());
        assert!(docs.contains(&row), "docs/dma.md lacks the status row `{row}`");
    }
}
