//! Running Yosys for `serrano area`: a top's script, then (generic target)
//! one run per distinct module, each figure cached; then the top's figures.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};

use super::cache::{self as disk, Cache};
use super::design::{file_declaring, TopDesign};
use super::figures::{gates_with_leaves, module_fig, Block, Fig, TopReport};
use super::parse::{instance_counts, read_stat, ModuleStat};
use super::scripts::{module_script, top_script};
use super::Target;
use crate::yosys::{Yosys, YosysLog};

/// Synthesize one top for `target` in `work` (created; left there) and collect its figures.
/// Fails naming the module if any latch appears.
/// `gates`: for an FPGA target, the generic transistors of each module's own
/// cells (from the generic flow), so its blocks report transistors too.
pub fn synthesize(
    y: &Yosys,
    d: &TopDesign,
    target: Target,
    work: &Path,
    cache: &mut Cache,
    gates: Option<&BTreeMap<String, u64>>,
) -> Result<TopReport> {
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let mut names = Vec::new();
    for (name, text) in &d.files {
        let p = work.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
        names.push(name.as_str());
    }
    let script = top_script(target, &names, &d.top);
    let start = Instant::now();
    y.run(work, "script", &script, YosysLog::Full)?;
    let pre = read_stat(&work.join("pre.json"))?;
    check_latches(&pre, &d.top, work)?;
    let (post, counts) = if target == Target::Generic {
        let counts = instance_counts(&pre, &d.top)?;
        let mut post = pre.clone();
        for m in counts.keys() {
            let own = generic_module(y, d, m, &pre, &work.join("modules").join(m), cache)?;
            post.insert(m.clone(), own);
        }
        (post, counts)
    } else {
        let post = read_stat(&work.join("post.json"))?;
        let counts = instance_counts(&post, &d.top)?;
        (post, counts)
    };
    let seconds = start.elapsed().as_secs_f64();
    let mut blocks = Vec::new();
    let mut totals = Fig::default();
    for (name, &instances) in &counts {
        let mut per = module_fig(target, &post[name], &pre);
        // Memories exist only before synthesis; a flattened module's would be in its parent's count.
        per.memory_bits = pre.get(name).map_or(0, |s| s.memory_bits);
        if let Some(g) = gates {
            per.transistors = gates_with_leaves(name, &pre, g);
        }
        let mut total = Fig::default();
        total.add_scaled(&per, instances);
        totals.add_scaled(&total, 1);
        blocks.push(Block { name: name.clone(), instances, per, total });
    }
    // The top first, then the largest blocks.
    blocks.sort_by(|a, b| {
        (b.name == d.top).cmp(&(a.name == d.top)).then(b.total.main(target).cmp(&a.total.main(target)))
    });
    Ok(TopReport { kind: d.kind.clone(), top: d.top.clone(), blocks, totals, seconds })
}

/// After `proc`, a latch is a `$dlatch` (or `$adlatch`, `$dlatchsr`) cell of its module.
fn check_latches(pre: &BTreeMap<String, ModuleStat>, top: &str, work: &Path) -> Result<()> {
    for (m, st) in pre {
        let latches: Vec<String> = st
            .by_type
            .iter()
            .filter(|(ty, _)| ty.to_ascii_lowercase().contains("dlatch"))
            .map(|(ty, n)| format!("{n} {ty}"))
            .collect();
        if !latches.is_empty() {
            return Err(anyhow!(
                "module {m} (under top {top}) has a latch ({}): a combinational signal is not assigned on every \
                 path; see {}",
                latches.join(", "),
                work.join("yosys.log").display()
            ));
        }
    }
    Ok(())
}

/// The generic estimate of one module on its own (its submodules as black
/// boxes), run once per module name and kept in `cache`.
fn generic_module(
    y: &Yosys,
    d: &TopDesign,
    module: &str,
    pre: &BTreeMap<String, ModuleStat>,
    dir: &Path,
    cache: &mut Cache,
) -> Result<ModuleStat> {
    if let Some(s) = cache.get(module) {
        return Ok(s.clone());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let own = file_declaring(d, module)?;
    let mut libs: Vec<&(String, String)> = Vec::new();
    for child in pre[module].by_type.keys().filter(|t| pre.contains_key(*t)) {
        let f = file_declaring(d, child)?;
        if f.0 != own.0 && !libs.iter().any(|g| g.0 == f.0) {
            libs.push(f);
        }
    }
    for (name, text) in std::iter::once(own).chain(libs.iter().copied()) {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let lib_names: Vec<&str> = libs.iter().map(|f| f.0.as_str()).collect();
    let script = module_script(&own.0, &lib_names, module);
    let entry = disk::entry(module, &y.version, &script, own, &libs);
    if let Some(st) = entry.as_deref().and_then(disk::load) {
        cache.insert(module.to_string(), st);
        return Ok(cache[module].clone());
    }
    y.run(dir, "script", &script, YosysLog::Full)?;
    let post = read_stat(&dir.join("post.json"))?;
    let st =
        post.get(module).cloned().ok_or_else(|| anyhow!("Yosys reported no module {module} in {}", dir.display()))?;
    if let Some(p) = &entry {
        disk::store(p, &st)?;
    }
    cache.insert(module.to_string(), st.clone());
    Ok(st)
}
