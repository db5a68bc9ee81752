//! Embed the presets (`configs/*.toml`) in the binary, so `serrano` works from
//! any directory and a preset always means the file it was built from.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("configs/ exists")
        .map(|e| e.expect("readable configs/").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    let mut out = String::from(
        "/// (name, TOML text) of every preset, sorted by name.\npub const PRESETS: &[(&str, &str)] = &[\n",
    );
    for p in entries {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_stem().unwrap().to_str().expect("preset names are UTF-8");
        writeln!(out, "    ({name:?}, include_str!({:?})),", p.canonicalize().unwrap().display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("presets.rs");
    std::fs::write(dest, out).unwrap();
}
