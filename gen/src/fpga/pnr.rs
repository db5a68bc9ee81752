//! Place, route and pack for `serrano fpga`: nextpnr once per placement
//! seed, then the packer (icepack, ecppack) on the fastest seed's placement.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{anyhow, Result};

use super::device::Family;
use super::parse::{fmax, utilisation, Usage};
use super::Flow;
use crate::yosys::{run_logged, ToolFailed};

/// One placement seed's result.
pub struct SeedRun {
    pub seed: u64,
    pub fmax_mhz: f64,
    pub pass: bool,
    pub seconds: f64,
    /// nextpnr's log, for the critical path.
    pub log: String,
    /// The placed and routed design (iCE40 `.asc`, ECP5 textual `.config`).
    pub placed: PathBuf,
}

/// What placement gave: each seed's run and the utilisation nextpnr reported last.
pub struct Placement {
    pub runs: Vec<SeedRun>,
    pub util: Vec<(String, Usage)>,
    /// Why the design does not fit the device, when it does not (no seed then runs further).
    pub does_not_fit: Option<String>,
}

/// Place and route the synthesized `netlist` (in `f.out`) with the
/// `constraints` file for every seed. A design too large for the device is a
/// result, not an error.
pub fn place_and_route(f: &Flow, nextpnr: &str, netlist: &Path, constraints: &str) -> Result<Placement> {
    let top_name = f.b.top.name();
    let fam = f.dev.tools();
    let mut runs: Vec<SeedRun> = Vec::new();
    let mut util: Vec<(String, Usage)> = Vec::new();
    let mut does_not_fit: Option<String> = None;
    for &seed in f.seeds {
        let t = Instant::now();
        let placed = f.out.join(format!("{top_name}.seed{seed}.{}", fam.placed_ext));
        let log_path = f.out.join(format!("nextpnr.seed{seed}.log"));
        let mut cmd = Command::new(nextpnr);
        cmd.current_dir(f.out)
            .args(f.dev.nextpnr_args)
            .args(["--json", &netlist.file_name().unwrap_or_default().to_string_lossy()])
            .args([fam.constraints_flag, constraints])
            .args([fam.placed_flag, &placed.file_name().unwrap_or_default().to_string_lossy()])
            .args(["--freq", &format!("{}", f.freq)])
            .args(["--seed", &seed.to_string()])
            .arg("--timing-allow-fail");
        let log = match run_logged(&mut cmd, "SERRANO_NEXTPNR", &log_path) {
            Ok(l) => l,
            Err(e) => {
                let text = e.downcast_ref::<ToolFailed>().map(|t| t.text.clone()).unwrap_or_default();
                let u = utilisation(&text);
                if let Some((name, over)) = u.iter().find(|(_, u)| u.used > u.total) {
                    does_not_fit = Some(format!(
                        "does not fit: needs {} of {} {name} on the {}",
                        over.used, over.total, f.dev.part
                    ));
                    util = u;
                    break;
                }
                return Err(e);
            }
        };
        util = utilisation(&log);
        let (_, fmax_mhz, pass) = fmax(&log, "clk")
            .ok_or_else(|| anyhow!("nextpnr reported no Fmax for the clock (log: {})", log_path.display()))?;
        runs.push(SeedRun { seed, fmax_mhz, pass, seconds: t.elapsed().as_secs_f64(), log, placed });
    }
    Ok(Placement { runs, util, does_not_fit })
}

/// The fastest seed's run (of equals, the last).
pub fn best(runs: &[SeedRun]) -> Result<&SeedRun> {
    runs.iter().max_by(|x, y| x.fmax_mhz.total_cmp(&y.fmax_mhz)).ok_or_else(|| anyhow!("no placement seed ran"))
}

/// Pack `run`'s placement into `<top>.bin` (iCE40) or `<top>.bit` (ECP5) in
/// `f.out`; the bitstream's path.
pub fn pack(f: &Flow, packer: &str, run: &SeedRun) -> Result<PathBuf> {
    let fam = f.dev.tools();
    let bin = f.out.join(format!("{}.{}", f.b.top.name(), fam.bitstream_ext));
    let name = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
    // Relative names in `f.out`, as for nextpnr: the YoWASP builds see only the working directory's tree.
    let mut cmd = Command::new(packer);
    cmd.current_dir(f.out);
    if f.dev.family == Family::Ecp5 {
        cmd.arg("--compress");
    }
    cmd.arg(name(&run.placed)).arg(name(&bin));
    run_logged(&mut cmd, fam.packer_env, &f.out.join(format!("{}.log", fam.packer)))?;
    Ok(bin)
}
