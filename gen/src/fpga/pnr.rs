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

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

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

/// One seed's outcome: a placement, or the device's utilisation when the design does not fit.
enum Outcome {
    Placed(SeedRun),
    DoesNotFit(String, Vec<(String, Usage)>),
}

/// Place and route the synthesized `netlist` (in `f.out`) with the
/// `constraints` file for every seed, `f.jobs` seeds at a time (each nextpnr
/// is single-threaded). A design too large for the device is a result, not
/// an error.
pub fn place_and_route(f: &Flow, nextpnr: &str, netlist: &Path, constraints: &str) -> Result<Placement> {
    let top_name = f.b.top.name().to_string();
    let fam = f.dev.tools();
    let file = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
    // Everything a seed's run needs, so the runs can go to threads.
    let common: Vec<String> = f
        .dev
        .nextpnr_args
        .iter()
        .map(|s| s.to_string())
        .chain(["--json".into(), file(netlist), fam.constraints_flag.into(), constraints.into()])
        .chain(["--freq".into(), format!("{}", f.freq)])
        .collect();
    let (out, part) = (f.out, f.dev.part);
    let run_seed = |seed: u64| -> Result<Outcome> {
        let t = Instant::now();
        let placed = out.join(format!("{top_name}.seed{seed}.{}", fam.placed_ext));
        let log_path = out.join(format!("nextpnr.seed{seed}.log"));
        let mut cmd = Command::new(nextpnr);
        cmd.current_dir(out)
            .args(&common)
            .args([fam.placed_flag, &file(&placed)])
            .args(["--seed", &seed.to_string()])
            .arg("--timing-allow-fail");
        let log = match run_until_overfull(&mut cmd, &log_path) {
            Ok(l) => l,
            Err(e) => {
                let text = e.downcast_ref::<ToolFailed>().map(|t| t.text.clone()).unwrap_or_default();
                let u = utilisation(&text);
                if let Some((name, over)) = u.iter().find(|(_, u)| u.used > u.total) {
                    let msg = format!("does not fit: needs {} of {} {name} on the {part}", over.used, over.total);
                    return Ok(Outcome::DoesNotFit(msg, u));
                }
                return Err(e);
            }
        };
        let (_, fmax_mhz, pass) = fmax(&log, "clk")
            .ok_or_else(|| anyhow!("nextpnr reported no Fmax for the clock (log: {})", log_path.display()))?;
        Ok(Outcome::Placed(SeedRun { seed, fmax_mhz, pass, seconds: t.elapsed().as_secs_f64(), log, placed }))
    };
    let mut runs: Vec<SeedRun> = Vec::new();
    let mut util: Vec<(String, Usage)> = Vec::new();
    for batch in f.seeds.chunks(f.jobs.max(1)) {
        let outcomes: Vec<Result<Outcome>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch.iter().map(|&seed| s.spawn(move || run_seed(seed))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a nextpnr run panicked")))).collect()
        });
        for o in outcomes {
            match o? {
                Outcome::Placed(r) => {
                    util = utilisation(&r.log);
                    runs.push(r);
                }
                // Every seed places the same netlist: one that does not fit ends the runs.
                Outcome::DoesNotFit(msg, u) => {
                    return Ok(Placement { runs: Vec::new(), util: u, does_not_fit: Some(msg) })
                }
            }
        }
    }
    Ok(Placement { runs, util, does_not_fit: None })
}

/// Run nextpnr like [`run_logged`], but stop it as soon as the utilisation
/// it prints after packing shows a resource used beyond the device's total:
/// the placer would otherwise search for minutes (ECP5: 10 or more) before
/// giving up. A stopped run is a [`ToolFailed`] whose text ends with the
/// utilisation, as a run that fails by itself.
fn run_until_overfull(cmd: &mut Command, log: &Path) -> Result<String> {
    let prog = cmd.get_program().to_string_lossy().to_string();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| {
        anyhow!("cannot run {prog} ({e}): install it with scripts/setup.sh, or point SERRANO_NEXTPNR at it")
    })?;
    // nextpnr logs to stderr; stdout is drained beside it so neither pipe fills.
    let mut stdout = child.stdout.take().expect("piped");
    let drain = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let mut text = String::new();
    let mut stopped = false;
    let mut in_block = false;
    for line in BufReader::new(child.stderr.take().expect("piped")).lines() {
        let line = line.unwrap_or_default();
        text += &line;
        text.push('\n');
        let body = line.strip_prefix("Info:").unwrap_or(&line).trim();
        if body.starts_with("Device utilisation") {
            in_block = true;
        } else if in_block && body.is_empty() {
            // The block is complete.
            in_block = false;
            if utilisation(&text).iter().any(|(_, u)| u.used > u.total) {
                let _ = child.kill();
                stopped = true;
                break;
            }
        }
    }
    let status = child.wait()?;
    text = String::from_utf8_lossy(&drain.join().unwrap_or_default()).to_string() + &text;
    if stopped {
        text += "serrano fpga: stopped nextpnr after packing: the design does not fit the device\n";
    }
    std::fs::write(log, &text).map_err(|e| anyhow!("cannot write {}: {e}", log.display()))?;
    if stopped || !status.success() {
        return Err(ToolFailed { prog, log: log.to_path_buf(), text }.into());
    }
    Ok(text)
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
