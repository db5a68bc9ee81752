//! Which Yosys, nextpnr and bitstream packer `serrano fpga` runs.
//!
//! Native tools come first: a flag (`--yosys`, `--nextpnr`), then the
//! environment (`$SERRANO_YOSYS`, `$SERRANO_NEXTPNR`, `$SERRANO_ICEPACK`,
//! `$SERRANO_ECPPACK`), then the tool's own name on PATH. Debian has no
//! nextpnr-ecp5, so for ECP5 the YoWASP build of the same tools is tried
//! next: the one `scripts/setup.sh` installs into the project's virtual
//! environment `.tools/venv`, then one on PATH.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::device::DeviceInfo;
use crate::error::UsageError;
use crate::yosys::Yosys;

/// The project's tool environment, made by `scripts/setup.sh`.
const VENV_BIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/venv/bin");

/// The tools of one run.
pub struct Tools {
    pub yosys: Yosys,
    pub nextpnr: String,
    pub packer: String,
}

pub fn find(dev: &DeviceInfo, yosys: Option<&Path>, nextpnr: Option<&Path>) -> Result<Tools> {
    let fam = dev.tools();
    // A binary the user named must work (exit 2 otherwise); the default one
    // fails at its first run with an install hint (exit 1), as before.
    let yosys = match yosys {
        Some(p) => Yosys::locate(Some(p))?,
        None => Yosys::from_env(),
    };
    let nextpnr = match nextpnr {
        Some(p) => p.display().to_string(),
        None => pick("SERRANO_NEXTPNR", fam.nextpnr, fam.nextpnr_yowasp).ok_or_else(|| missing(fam.nextpnr))?,
    };
    let packer = pick(fam.packer_env, fam.packer, fam.packer_yowasp).ok_or_else(|| missing(fam.packer))?;
    Ok(Tools { yosys, nextpnr, packer })
}

/// `$env`, else `native` on PATH, else the YoWASP build (venv, then PATH);
/// with no YoWASP alternative, `native` itself (a missing one then fails
/// when it runs, with the hint of `crate::yosys::run_logged`).
fn pick(env: &str, native: &str, yowasp: Option<&str>) -> Option<String> {
    if let Some(v) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Some(v.to_string_lossy().into_owned());
    }
    if on_path(native).is_some() {
        return Some(native.to_string());
    }
    let Some(y) = yowasp else { return Some(native.to_string()) };
    let in_venv = Path::new(VENV_BIN).join(y);
    if in_venv.is_file() {
        return Some(in_venv.display().to_string());
    }
    on_path(y).map(|p| p.display().to_string())
}

fn missing(tool: &str) -> anyhow::Error {
    UsageError(format!(
        "{tool} not found: run scripts/setup.sh (it installs the YoWASP build, yowasp-{tool}, into .tools/venv), \
         put {tool} on PATH, or name it with --nextpnr PATH / $SERRANO_NEXTPNR (ecppack: $SERRANO_ECPPACK)"
    ))
    .into()
}

/// The first `name` on PATH that is a file.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}
