//! Generic per-module figures kept between runs, on disk.
//!
//! A module's figure depends only on its Verilog, its submodules' (read as
//! black boxes), the script and Yosys: kept on disk under that key, the FPGA
//! targets (which report transistors too) and repeated runs do not
//! re-synthesize it.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::parse::ModuleStat;

/// Modules already estimated by the generic flow in this run (each has one run of its own).
pub type Cache = BTreeMap<String, ModuleStat>;

/// Where generic per-module figures are kept between runs: `$SERRANO_AREA_CACHE`,
/// else `serrano-area-cache` in the system's temporary directory; `off` for none.
fn disk_cache_dir() -> Option<PathBuf> {
    match std::env::var_os("SERRANO_AREA_CACHE") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => Some(std::env::temp_dir().join("serrano-area-cache")),
    }
}

/// The file that holds (or will hold) `module`'s figure for this Yosys
/// `version`, `script` and Verilog (`own` file, `libs` files as (name, text));
/// `None` when the disk cache is off.
pub fn entry(
    module: &str,
    version: &str,
    script: &str,
    own: &(String, String),
    libs: &[&(String, String)],
) -> Option<PathBuf> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (version, script, own, libs).hash(&mut h);
    disk_cache_dir().map(|d| d.join(format!("{module}-{:016x}.json", h.finish())))
}

/// The figure kept in `entry`, if there is a readable one.
pub fn load(entry: &Path) -> Option<ModuleStat> {
    std::fs::read(entry).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// Keep `st` in `entry`. Best effort: a cache that cannot be written is only
/// slower. Written under another name and renamed, so that a concurrent run
/// never reads half a file.
pub fn store(entry: &Path, st: &ModuleStat) -> Result<()> {
    if let Some(d) = entry.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, serde_json::to_vec(st)?).is_ok() {
        let _ = std::fs::rename(&tmp, entry);
    }
    Ok(())
}
