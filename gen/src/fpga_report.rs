//! Parsers for what Yosys and nextpnr-ice40 (0.4) print: the cell counts of
//! `stat`, the device utilisation, the Fmax and the critical path report.
//! Pure functions on text, so they are tested on captured logs.

use serde::Serialize;

/// One resource line of nextpnr's "Device utilisation" block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub used: u64,
    pub total: u64,
}

/// nextpnr's device utilisation: resource name -> used / total, the last block in the log
/// (nextpnr prints it after packing; the figures do not change afterwards).
pub fn utilisation(log: &str) -> Vec<(String, Usage)> {
    let mut blocks: Vec<Vec<(String, Usage)>> = Vec::new();
    let mut current: Option<Vec<(String, Usage)>> = None;
    for line in log.lines() {
        let body = line.strip_prefix("Info:").unwrap_or(line).trim();
        if body.starts_with("Device utilisation") {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
            current = Some(Vec::new());
            continue;
        }
        if let Some(b) = current.as_mut() {
            match parse_usage(body) {
                Some(u) => b.push(u),
                None if body.is_empty() && b.is_empty() => {}
                None => blocks.push(current.take().unwrap_or_default()),
            }
        }
    }
    if let Some(b) = current {
        blocks.push(b);
    }
    blocks.into_iter().rev().find(|b| !b.is_empty()).unwrap_or_default()
}

/// `ICESTORM_LC:  1234/ 7680    16%`
fn parse_usage(s: &str) -> Option<(String, Usage)> {
    let (name, rest) = s.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    let (used, rest) = rest.split_once('/')?;
    let total = rest.split_whitespace().next()?;
    Some((name.to_string(), Usage { used: used.trim().parse().ok()?, total: total.parse().ok()? }))
}

/// The last "Max frequency for clock" line whose clock name contains `clock`:
/// (clock name as nextpnr gives it, MHz, passed the target?).
pub fn fmax(log: &str, clock: &str) -> Option<(String, f64, bool)> {
    let mut found = None;
    for line in log.lines() {
        let Some(i) = line.find("Max frequency for clock") else { continue };
        let rest = &line[i + "Max frequency for clock".len()..];
        let name = rest.split('\'').nth(1).unwrap_or("").to_string();
        if !name.contains(clock) {
            continue;
        }
        let after = rest.rsplit_once("':").map(|(_, a)| a).unwrap_or(rest);
        let mhz = after.split_whitespace().next().and_then(|v| v.parse::<f64>().ok());
        if let Some(mhz) = mhz {
            found = Some((name, mhz, after.contains("PASS")));
        }
    }
    found
}

/// One step of a critical path: delay of this step and the cumulative delay (ns).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathStep {
    pub kind: String,
    pub delay_ns: f64,
    pub total_ns: f64,
    pub name: String,
}

/// The critical path of one clock domain as nextpnr reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriticalPath {
    pub clock: String,
    pub start: String,
    pub end: String,
    pub total_ns: f64,
    pub logic_ns: f64,
    pub routing_ns: f64,
    /// Cells the path goes through (its logic levels), the start flip-flop not counted.
    pub logic_levels: u32,
    /// The slowest nets: (net, delay in ns), worst first.
    pub worst_nets: Vec<(String, f64)>,
    pub steps: Vec<PathStep>,
}

/// The last "Critical path report for clock" block whose clock name contains
/// `clock` (nextpnr 0.4 prints one after placement and one after routing).
pub fn critical_path(log: &str, clock: &str) -> Option<CriticalPath> {
    let lines: Vec<&str> = log.lines().map(|l| l.strip_prefix("Info:").unwrap_or(l)).collect();
    let mut best = None;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        let header = l.starts_with("Critical path report for clock")
            && l.split('\'').nth(1).is_some_and(|c| c.contains(clock))
            && !l.contains("cross-domain");
        if !header {
            i += 1;
            continue;
        }
        let clock_name = l.split('\'').nth(1).unwrap_or("").to_string();
        let mut steps = Vec::new();
        let (mut logic_ns, mut routing_ns) = (0.0, 0.0);
        let mut sink = String::new();
        let mut j = i + 1;
        while j < lines.len() {
            let t = lines[j].trim();
            if let Some(s) = t.strip_prefix("Sink ") {
                sink = s.trim().to_string();
            } else if t.ends_with("routing") && t.contains("ns logic") {
                // "1.23 ns logic, 4.56 ns routing"
                let nums: Vec<f64> =
                    t.split(|c: char| c == ',' || c.is_whitespace()).filter_map(|w| w.parse::<f64>().ok()).collect();
                if nums.len() >= 2 {
                    logic_ns = nums[0];
                    routing_ns = nums[1];
                }
                j += 1;
                break;
            } else if let Some(step) = parse_step(t) {
                steps.push(step);
            } else if t.starts_with("Critical path report") || t.starts_with("Max frequency") {
                break;
            }
            j += 1;
        }
        if !steps.is_empty() {
            let start = steps.iter().find(|s| s.kind == "Source").map(|s| s.name.clone()).unwrap_or_default();
            let mut nets: Vec<(String, f64)> =
                steps.iter().filter(|s| s.kind == "Net").map(|s| (s.name.clone(), s.delay_ns)).collect();
            nets.sort_by(|a, b| b.1.total_cmp(&a.1));
            nets.truncate(5);
            let sources = steps.iter().filter(|s| s.kind == "Source").count() as u32;
            best = Some(CriticalPath {
                clock: clock_name,
                start,
                end: sink,
                total_ns: steps.last().map(|s| s.total_ns).unwrap_or(0.0),
                logic_ns,
                routing_ns,
                logic_levels: sources.saturating_sub(1),
                worst_nets: nets,
                steps,
            });
        }
        i = j;
    }
    best
}

/// ` 0.5  0.5  Source core.dut.x_SB_DFFSR_Q.Q` / ` 1.2  1.7    Net name budget ...`
fn parse_step(t: &str) -> Option<PathStep> {
    let mut w = t.split_whitespace();
    let delay_ns: f64 = w.next()?.parse().ok()?;
    let total_ns: f64 = w.next()?.parse().ok()?;
    let kind = w.next()?;
    if kind != "Source" && kind != "Net" && kind != "Setup" {
        return None;
    }
    let name = w.next().unwrap_or("").to_string();
    Some(PathStep { kind: kind.to_string(), delay_ns, total_ns, name })
}

/// Cell counts from Yosys `stat` output (the last "Number of cells" block of
/// the top): cell type -> count.
pub fn yosys_cells(log: &str) -> Vec<(String, u64)> {
    let mut last = Vec::new();
    let mut cur: Option<Vec<(String, u64)>> = None;
    for line in log.lines() {
        let t = line.trim();
        if t.starts_with("Number of cells:") {
            cur = Some(Vec::new());
            continue;
        }
        if let Some(c) = cur.as_mut() {
            let mut w = t.split_whitespace();
            match (w.next(), w.next().and_then(|n| n.parse::<u64>().ok()), w.next()) {
                (Some(name), Some(n), None) => c.push((name.to_string(), n)),
                _ => {
                    if !c.is_empty() || !t.is_empty() {
                        last = cur.take().unwrap_or_default();
                    }
                }
            }
        }
    }
    if let Some(c) = cur {
        if !c.is_empty() {
            last = c;
        }
    }
    last
}

/// Sum of the counts of the cell types that start with `prefix`.
pub fn count(cells: &[(String, u64)], prefix: &str) -> u64 {
    cells.iter().filter(|(n, _)| n.starts_with(prefix)).map(|(_, c)| c).sum()
}
