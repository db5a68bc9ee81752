//! Reading Yosys's `stat -json` output: each module's cell counts, and how
//! many times each module is instantiated under a top.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use serde_json::Value;

/// One module's figures from `stat -json`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModuleStat {
    pub cells: u64,
    /// Cell type -> count. Submodule instances appear under the submodule's name.
    pub by_type: BTreeMap<String, u64>,
    /// `stat -tech cmos` transistors of this module's own cells (no submodules,
    /// no flip-flops, no memories: the figure Yosys prints with a `+`).
    pub transistors: Option<u64>,
    /// Bits of RTLIL memories (before `memory_collect` turns them into cells).
    pub memory_bits: u64,
}

/// Parse the output of `stat [-tech cmos] -json`: module name -> figures.
pub fn parse_stat(text: &str) -> Result<BTreeMap<String, ModuleStat>> {
    // `tee -o` also writes the command's log line before the JSON object.
    let start = text.find('{').ok_or_else(|| anyhow!("no JSON in Yosys stat output"))?;
    let v: Value =
        serde_json::from_str(&drop_trailing_commas(&text[start..])).context("cannot parse Yosys stat -json output")?;
    let modules = v["modules"].as_object().ok_or_else(|| anyhow!("Yosys stat output has no modules"))?;
    let mut out = BTreeMap::new();
    for (name, m) in modules {
        let by_type = m["num_cells_by_type"]
            .as_object()
            .map(|o| o.iter().map(|(k, n)| (strip(k), n.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default();
        // A number, or a string like "9638+" when some cells have no estimate.
        let transistors = match &m["estimated_num_transistors"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim_end_matches('+').parse().ok(),
            _ => None,
        };
        out.insert(
            strip(name),
            ModuleStat {
                cells: m["num_cells"].as_u64().unwrap_or(0),
                by_type,
                transistors,
                memory_bits: m["num_memory_bits"].as_u64().unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// Read and parse a `stat -json` file Yosys wrote.
pub fn read_stat(p: &Path) -> Result<BTreeMap<String, ModuleStat>> {
    parse_stat(&std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?)
        .with_context(|| format!("in {}", p.display()))
}

/// Yosys 0.23 leaves a comma after the last module when no module is the top
/// (the design summary that would follow is not printed). JSON strings in
/// `stat` output are cell and module names, which hold no commas or braces.
fn drop_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == ',' && text[i + 1..].trim_start().starts_with(['}', ']']) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Yosys writes public names with a leading backslash.
fn strip(name: &str) -> String {
    name.strip_prefix('\\').unwrap_or(name).to_string()
}

/// How many times each module is instantiated under `top` (the top once),
/// from the submodule cells of each module. Modules outside the hierarchy are absent.
pub fn instance_counts(stats: &BTreeMap<String, ModuleStat>, top: &str) -> Result<BTreeMap<String, u64>> {
    fn visit(
        stats: &BTreeMap<String, ModuleStat>,
        name: &str,
        times: u64,
        depth: usize,
        counts: &mut BTreeMap<String, u64>,
    ) -> Result<()> {
        if depth > 64 {
            return Err(anyhow!("module hierarchy deeper than 64 levels at {name} (recursive?)"));
        }
        *counts.entry(name.to_string()).or_default() += times;
        for (ty, n) in &stats[name].by_type {
            if stats.contains_key(ty) {
                visit(stats, ty, times * n, depth + 1, counts)?;
            }
        }
        Ok(())
    }
    if !stats.contains_key(top) {
        return Err(anyhow!("Yosys reported no module {top}"));
    }
    let mut counts = BTreeMap::new();
    visit(stats, top, 1, 0, &mut counts)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = r#"
14. Printing statistics.
{
   "creator": "Yosys 0.23",
   "modules": {
      "\\top": { "num_cells": 3, "num_memory_bits": 0,
                 "num_cells_by_type": { "$_NAND_": 1, "mid": 2 }, "estimated_num_transistors": "4+" },
      "\\mid": { "num_cells": 4, "num_memory_bits": 64,
                 "num_cells_by_type": { "leaf": 3, "$_DFF_P_": 1 }, "estimated_num_transistors": "0+" },
      "\\leaf": { "num_cells": 2, "num_memory_bits": 0,
                  "num_cells_by_type": { "$_NOT_": 2 }, "estimated_num_transistors": 4 },
      "\\unused": { "num_cells": 0, "num_memory_bits": 0, "num_cells_by_type": { } }
   },

}
"#;

    #[test]
    fn parses_stat_json_and_counts_instances() {
        let s = parse_stat(STAT).unwrap();
        assert_eq!(s["top"].transistors, Some(4));
        assert_eq!(s["leaf"].transistors, Some(4));
        assert_eq!(s["unused"].transistors, None);
        assert_eq!(s["mid"].memory_bits, 64);
        assert_eq!(s["mid"].by_type["leaf"], 3);
        let c = instance_counts(&s, "top").unwrap();
        assert_eq!(c["top"], 1);
        assert_eq!(c["mid"], 2);
        assert_eq!(c["leaf"], 6);
        assert!(!c.contains_key("unused"));
        assert!(instance_counts(&s, "nope").is_err());
    }
}
