//! What `serrano area` synthesizes: the tops of a configuration (or the
//! Verilog files given), each with the Verilog files under it.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use hdl::blocks::TopKind;

use super::AreaArgs;
use crate::error::UsageError;

/// One top to synthesize: its kind (`tile`, ...), module name and Verilog files.
pub struct TopDesign {
    /// The kind's name in the results (`tile`, ...).
    pub kind: String,
    /// The kind `hdl` gave the top (none for `--verilog-file`).
    pub top_kind: Option<TopKind>,
    pub top: String,
    pub files: Vec<(String, String)>,
}

/// The tops to estimate and, when the tile is among them, its PE's name.
pub fn designs(args: &AreaArgs) -> Result<(Vec<TopDesign>, String, Option<String>)> {
    if !args.verilog_files.is_empty() {
        let top = args.top.clone().ok_or_else(|| UsageError("--verilog-file needs --top MODULE".into()))?;
        let mut files = Vec::new();
        for p in &args.verilog_files {
            let text =
                std::fs::read_to_string(p).map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))?;
            let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("design.v").to_string();
            files.push((name, text));
        }
        let origin = format!("verilog {}", files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(" "));
        return Ok((vec![TopDesign { kind: kind_of(&top), top_kind: None, top, files }], origin, None));
    }
    let (cfg, origin, stem) = args.source.resolve()?;
    let g = crate::verilog::generate(&cfg, &origin, &stem)?;
    // What each top is, as hdl says: module name to kind.
    let kinds: BTreeMap<String, TopKind> = hdl::blocks::tops_by_kind(&cfg)
        .map_err(|e| anyhow!("elaboration failed: {e}"))?
        .into_iter()
        .map(|(k, m)| (m.name().to_string(), k))
        .collect();
    let text_of: BTreeMap<&str, &str> = g.files.iter().map(|f| (f.file_name.as_str(), f.text.as_str())).collect();
    let mut all = Vec::new();
    for t in g.manifest["tops"].as_array().ok_or_else(|| anyhow!("manifest has no tops"))? {
        let top = t["top"].as_str().ok_or_else(|| anyhow!("manifest top without a name"))?.to_string();
        let mut files = Vec::new();
        for f in t["files"].as_array().ok_or_else(|| anyhow!("manifest top {top} without files"))? {
            let f = f.as_str().unwrap_or_default();
            let text = text_of.get(f).ok_or_else(|| anyhow!("manifest names {f}, which was not generated"))?;
            files.push((f.to_string(), text.to_string()));
        }
        let kind = *kinds.get(&top).ok_or_else(|| anyhow!("manifest top {top} is none of hdl's tops"))?;
        all.push(TopDesign { kind: kind.name().to_string(), top_kind: Some(kind), top, files });
    }
    let chosen: Vec<TopDesign> = match &args.top {
        None => all,
        Some(want) => {
            let kinds: Vec<String> = all.iter().map(|d| format!("{} ({})", d.kind, d.top)).collect();
            let picked: Vec<TopDesign> = all.into_iter().filter(|d| &d.kind == want || &d.top == want).collect();
            if picked.is_empty() {
                return Err(UsageError(format!(
                    "--top {want}: no such top in {origin}; give one of: {}",
                    kinds.join(", ")
                ))
                .into());
            }
            picked
        }
    };
    let pe = hdl::blocks::tile::pe::pe_name(&cfg.systolic.pe());
    let has_pe = chosen.iter().any(|d| d.top_kind == Some(TopKind::Tile));
    Ok((chosen, origin, has_pe.then_some(pe)))
}

/// `tile` from `serrano_tile_r4c4_d256`: the word after the `serrano_` prefix
/// (only for `--verilog-file`, whose tops hdl did not make).
fn kind_of(top: &str) -> String {
    let rest = top.strip_prefix("serrano_").unwrap_or(top);
    rest.split('_').next().unwrap_or(rest).to_string()
}

/// The name of the file of `d` that declares `module`.
pub fn file_declaring<'a>(d: &'a TopDesign, module: &str) -> Result<&'a (String, String)> {
    d.files
        .iter()
        .find(|(_, text)| {
            text.lines().any(|l| {
                l.trim_start().strip_prefix("module ").is_some_and(|rest| {
                    rest.trim_start()
                        .strip_prefix(module)
                        .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
                })
            })
        })
        .ok_or_else(|| anyhow!("no Verilog file of {} declares module {module}", d.top))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_the_word_after_the_prefix() {
        assert_eq!(kind_of("serrano_tile_r4c4_d256"), "tile");
        assert_eq!(kind_of("serrano_dma_d64_a32"), "dma");
    }

    #[test]
    fn finds_the_file_declaring_a_module() {
        let d = TopDesign {
            kind: "t".into(),
            top_kind: None,
            top: "top".into(),
            files: vec![
                ("a.v".into(), "// module b_x is not here\nmodule b_x2 (\n);\nendmodule\n".into()),
                ("b.v".into(), "`default_nettype none\n\nmodule b_x (\n    input wire a\n);\nendmodule\n".into()),
            ],
        };
        assert_eq!(file_declaring(&d, "b_x").unwrap().0, "b.v");
        assert_eq!(file_declaring(&d, "b_x2").unwrap().0, "a.v");
        assert!(file_declaring(&d, "b").is_err());
    }
}
