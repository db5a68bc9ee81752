//! Parsers for what Yosys and nextpnr (nextpnr-ice40 0.4 from Debian,
//! nextpnr-ecp5 0.11 from YoWASP) print: the cell counts of `stat`, the
//! device utilisation, the Fmax and the critical path report.
//! Pure functions on text, so they are tested on captured logs.

use serde::Serialize;

/// One resource line of nextpnr's "Device utilisation" block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub used: u64,
    pub total: u64,
}

/// nextpnr's device utilisation: resource name -> used / total, the last block in the log
/// (nextpnr prints it after packing; the figures do not change afterwards), then the
/// `Total NAME:` lines nextpnr-ecp5 prints before packing (`LUT4s`, `DFFs`).
pub fn utilisation(log: &str) -> Vec<(String, Usage)> {
    let mut v = device_utilisation(log);
    let mut totals: Vec<(String, Usage)> = Vec::new();
    for line in log.lines() {
        let body = line.strip_prefix("Info:").unwrap_or(line).trim();
        if let Some((name, u)) = body.strip_prefix("Total ").and_then(parse_usage) {
            totals.retain(|(n, _)| *n != name);
            totals.push((name, u));
        }
    }
    for (name, u) in totals {
        if !v.iter().any(|(n, _)| *n == name) {
            v.push((name, u));
        }
    }
    v
}

fn device_utilisation(log: &str) -> Vec<(String, Usage)> {
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
    /// Cells on the path after the start flip-flop: LUTs (logic levels) and carry cells.
    pub logic_levels: u32,
    pub carry_cells: u32,
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
            // A source pin `.O` (`.F` on ECP5) is a LUT output (or the start
            // flip-flop's Q), `.COUT` (`.FCO`) a carry cell.
            let carry = |s: &&&PathStep| s.name.ends_with(".COUT") || s.name.ends_with(".FCO");
            let sources: Vec<&PathStep> = steps.iter().filter(|s| s.kind == "Source").collect();
            let luts = sources.iter().skip(1).filter(|s| !carry(s)).count() as u32;
            let carries = sources.iter().filter(carry).count() as u32;
            best = Some(CriticalPath {
                clock: clock_name,
                start,
                end: sink,
                total_ns: steps.last().map(|s| s.total_ns).unwrap_or(0.0),
                logic_ns,
                routing_ns,
                logic_levels: luts,
                carry_cells: carries,
                worst_nets: nets,
                steps,
            });
        }
        i = j;
    }
    best
}

/// ` 0.5  0.5  Source core.dut.x_SB_DFFSR_Q.Q` / ` 1.2  1.7    Net name budget ...`
/// (nextpnr 0.4), or the same after a type column (nextpnr 0.11: `clk-to-q`,
/// `logic`, `routing`, `setup`; a `setup` step is the path's end, not a cell).
fn parse_step(t: &str) -> Option<PathStep> {
    let mut w = t.split_whitespace().peekable();
    let mut setup = false;
    if w.peek()?.parse::<f64>().is_err() {
        setup = w.next()? == "setup";
    }
    let delay_ns: f64 = w.next()?.parse().ok()?;
    let total_ns: f64 = w.next()?.parse().ok()?;
    let kind = w.next()?;
    if kind != "Source" && kind != "Net" && kind != "Setup" {
        return None;
    }
    let name = w.next().unwrap_or("").to_string();
    let kind = if setup { "Setup" } else { kind };
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

#[cfg(test)]
mod tests {
    use super::*;

    // Excerpts of real logs: nextpnr-ice40 0.4 on the tiny tile's board top
    // (HX8K, seed 1), the utilisation of a design too large for the HX8K, and
    // Yosys 0.23 `stat` of the same synthesis.
    const TINY: &str = include_str!("../../tests/fixtures/nextpnr-0.4-tiny-hx8k.log");
    const OVERFULL: &str = include_str!("../../tests/fixtures/nextpnr-0.4-overfull.log");
    const STAT: &str = include_str!("../../tests/fixtures/yosys-0.23-stat-tiny-hx8k.txt");
    // nextpnr-ecp5 0.11 (YoWASP) on the tiny tile's board top (LFE5U-25F, seed 1).
    const ECP5: &str = include_str!("../../tests/fixtures/nextpnr-ecp5-0.11-tiny-25k.log");

    #[test]
    fn ecp5_utilisation_fmax_and_critical_path() {
        let u = utilisation(ECP5);
        let get = |k: &str| u.iter().find(|(n, _)| n == k).map(|(_, u)| u.clone());
        assert_eq!(get("LUT4s"), Some(Usage { used: 1183, total: 24288 }));
        assert_eq!(get("DFFs"), Some(Usage { used: 2424, total: 24288 }));
        assert_eq!(get("MULT18X18D"), Some(Usage { used: 16, total: 28 }));
        assert_eq!(get("DP16KD"), Some(Usage { used: 8, total: 56 }));
        assert_eq!(get("TRELLIS_IO"), Some(Usage { used: 19, total: 197 }));
        let (clock, mhz, _) = fmax(ECP5, "clk").expect("an Fmax line");
        assert!(clock.contains("clk"), "{clock}");
        assert!(mhz > 10.0 && mhz < 500.0, "{mhz}");
        let c = critical_path(ECP5, "clk").expect("a critical path");
        assert!(c.start.ends_with("DOA1"), "starts at a block RAM output: {}", c.start);
        assert!(c.end.ends_with(".DI"), "{}", c.end);
        assert_eq!((c.logic_ns, c.routing_ns), (7.76, 3.72));
        assert!(c.carry_cells > 10, "the accumulate adder's carry chain: {}", c.carry_cells);
        assert!(!c.steps.iter().any(|s| s.kind == "Source" && s.name == c.end), "the setup step is not a cell");
    }

    #[test]
    fn utilisation_of_a_routed_design() {
        let u = utilisation(TINY);
        let get = |k: &str| u.iter().find(|(n, _)| n == k).map(|(_, u)| u.clone());
        assert_eq!(get("ICESTORM_LC"), Some(Usage { used: 6150, total: 7680 }));
        assert_eq!(get("ICESTORM_RAM"), Some(Usage { used: 16, total: 32 }));
        assert_eq!(get("SB_IO"), Some(Usage { used: 19, total: 256 }));
        assert_eq!(get("SB_GB"), Some(Usage { used: 7, total: 8 }));
        assert_eq!(get("ICESTORM_DSP"), None);
    }

    #[test]
    fn utilisation_over_capacity() {
        let u = utilisation(OVERFULL);
        let over: Vec<_> = u.iter().filter(|(_, u)| u.used > u.total).collect();
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].0, "ICESTORM_LC");
        assert_eq!(over[0].1, Usage { used: 21756, total: 7680 });
    }

    #[test]
    fn fmax_is_the_last_report() {
        // The log has the post-placement estimate (71.90) before the routed figure.
        let (clock, mhz, pass) = fmax(TINY, "clk").expect("an Fmax line");
        assert_eq!(clock, "clk$SB_IO_IN_$glb_clk");
        assert_eq!(mhz, 74.32);
        assert!(!pass);
        assert!(fmax(TINY, "no_such_clock").is_none());
        assert!(fmax("Info: Max frequency for clock 'clk': 120.50 MHz (PASS at 100.00 MHz)", "clk").unwrap().2);
    }

    #[test]
    fn critical_path_of_the_clock_domain() {
        let c = critical_path(TINY, "clk").expect("a critical path");
        assert_eq!(c.clock, "clk$SB_IO_IN_$glb_clk");
        assert_eq!(c.start, "core.dut.u_array.pe_r3_c2.w_SB_DFFESR_Q_2_DFFLC.O");
        assert!(c.end.starts_with("core.dut.u_array.pe_r3_c2.psum_"), "{}", c.end);
        assert_eq!(c.total_ns, 13.5);
        assert_eq!((c.logic_ns, c.routing_ns), (6.3, 7.1));
        assert_eq!(c.logic_levels + c.carry_cells + 1, c.steps.iter().filter(|s| s.kind == "Source").count() as u32);
        assert!(c.carry_cells > 10, "the accumulate adder's carry chain: {}", c.carry_cells);
        assert_eq!(c.worst_nets[0].1, 1.6);
        assert!(c.worst_nets.windows(2).all(|w| w[0].1 >= w[1].1));
        // The cross-domain (pin) paths are not the clock's critical path.
        assert!(!c.steps.iter().any(|s| s.name.contains("sb_io")));
    }

    #[test]
    fn yosys_stat_cells() {
        let cells = yosys_cells(STAT);
        assert_eq!(count(&cells, "SB_LUT4"), 4766);
        assert_eq!(count(&cells, "SB_CARRY"), 493);
        assert_eq!(count(&cells, "SB_RAM40_4K"), 16);
        assert_eq!(count(&cells, "SB_DFF"), 2110);
        assert_eq!(count(&cells, "SB_MAC16"), 0);
    }
}
