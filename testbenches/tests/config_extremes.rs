//! Every configuration inside the documented ranges generates Verilog that
//! Verilator accepts: each field of the default preset is set, one at a
//! time, to the smallest and the largest value `golden::Config::validate`
//! allows; every top of that configuration is generated and passes
//! `verilator --lint-only -Wall` with zero warnings. The softmax unit at 64
//! lanes (whose max and sum trees once made lines Verilator rejects) also
//! runs rows against golden.
//!
//! Cost: one configuration per extreme, not the cross product, and each
//! distinct top is linted once (a top identical to one already linted, e.g.
//! the default DMA under every softmax extreme, is not linted again).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;

use golden::softmax::SoftmaxParams;
use golden::{config, Config};
use hdl::core::{emit, EmitOptions, VerilogFile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::softmax::{logits, punch_keep, random_row, run_softmax, Dist, Row, SoftmaxRun};

/// The default preset: the configuration every extreme starts from.
fn default_preset() -> Config {
    let path = format!("{}/../configs/default.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("configs/default.toml");
    Config::from_toml_str(&text, &path).expect("the default preset is valid")
}

/// A change of the default preset: the field it sets (and the value), and
/// the change itself.
struct Edit {
    name: String,
    apply: Box<dyn Fn(&mut Config)>,
}

fn edit(field: &str, value: impl std::fmt::Display, apply: impl Fn(&mut Config) + 'static) -> Edit {
    Edit { name: format!("{field} = {value}"), apply: Box::new(apply) }
}

/// Each field at the two ends of its range (`golden/src/config.rs`), with
/// the other fields of the default preset; a rule between fields is kept by
/// moving the other field as little as possible (`max_len = 1` needs
/// `lanes = 1`).
fn extremes() -> Vec<Edit> {
    let (dim, depth) = (config::ARRAY_DIM, config::ACC_DEPTH);
    let (lanes, max_len, table) = (config::SOFTMAX_LANES, config::SOFTMAX_MAX_LEN, config::SOFTMAX_TABLE_BITS);
    let mut v = Vec::new();
    for r in [*dim.start(), *dim.end()] {
        v.push(edit("systolic.rows", r, move |c| c.systolic.rows = r));
        v.push(edit("systolic.cols", r, move |c| c.systolic.cols = r));
    }
    for d in [*depth.start(), *depth.end()] {
        v.push(edit("systolic.acc_depth", d, move |c| c.systolic.acc_depth = d));
    }
    for q in [false, true] {
        v.push(edit("systolic.requant", q, move |c| c.systolic.requant = q));
    }
    for l in [*lanes.start(), *lanes.end()] {
        v.push(edit("softmax.lanes", l, move |c| c.softmax.lanes = l));
    }
    let (n_lo, n_hi) = (*max_len.start(), *max_len.end());
    v.push(edit("softmax.max_len", format!("{n_lo} (lanes = 1)"), move |c| {
        c.softmax.max_len = n_lo;
        c.softmax.lanes = 1;
    }));
    v.push(edit("softmax.max_len", n_hi, move |c| c.softmax.max_len = n_hi));
    for b in [8, 16] {
        v.push(edit("softmax.in_bits", b, move |c| c.softmax.in_bits = b));
        v.push(edit("softmax.out_bits", b, move |c| c.softmax.out_bits = b));
    }
    for t in [*table.start(), *table.end()] {
        v.push(edit("softmax.table_bits", t, move |c| c.softmax.table_bits = t));
    }
    for d in [64, 512] {
        v.push(edit("dma.data_bits", d, move |c| c.dma.data_bits = d));
    }
    for a in [32, 64] {
        v.push(edit("dma.addr_bits", a, move |c| c.dma.addr_bits = a));
    }
    for b in [1, 256] {
        v.push(edit("dma.max_burst", b, move |c| c.dma.max_burst = b));
    }
    for o in [1, 64] {
        v.push(edit("dma.max_outstanding", o, move |c| c.dma.max_outstanding = o));
    }
    for q in [2, 256] {
        v.push(edit("dma.queue_depth", q, move |c| c.dma.queue_depth = q));
    }
    for i in [1, 16] {
        v.push(edit("dma.id_bits", i, move |c| c.dma.id_bits = i));
    }
    for t in [2, 2048] {
        v.push(edit("dma.table_entries", t, move |c| c.dma.table_entries = t));
    }
    for k in [*config::CORE_SPAD_KIB.start(), *config::CORE_SPAD_KIB.end()] {
        v.push(edit("core.spad_kib", k, move |c| c.core.as_mut().unwrap().spad_kib = k));
    }
    for b in [*config::CORE_SPAD_BANKS.start(), *config::CORE_SPAD_BANKS.end()] {
        v.push(edit("core.spad_banks", b, move |c| c.core.as_mut().unwrap().spad_banks = b));
    }
    v
}

/// One step past each end of each range: every one must be refused, so that
/// a range widened in `golden/src/config.rs` without this test is caught
/// (its new end would go untested).
fn beyond() -> Vec<Edit> {
    let (dim, depth) = (config::ARRAY_DIM, config::ACC_DEPTH);
    let (lanes, max_len, table) = (config::SOFTMAX_LANES, config::SOFTMAX_MAX_LEN, config::SOFTMAX_TABLE_BITS);
    let mut v = Vec::new();
    for r in [dim.start() - 1, dim.end() + 1] {
        v.push(edit("systolic.rows", r, move |c| c.systolic.rows = r));
        v.push(edit("systolic.cols", r, move |c| c.systolic.cols = r));
    }
    for d in [depth.start() - 1, depth.end() + 1] {
        v.push(edit("systolic.acc_depth", d, move |c| c.systolic.acc_depth = d));
    }
    for l in [lanes.start() - 1, lanes.end() + 1] {
        v.push(edit("softmax.lanes", l, move |c| c.softmax.lanes = l));
    }
    for n in [max_len.start() - 1, max_len.end() + 1] {
        v.push(edit("softmax.max_len", format!("{n} (lanes = 1)"), move |c| {
            c.softmax.max_len = n;
            c.softmax.lanes = 1;
        }));
    }
    for b in [7, 9, 15, 17] {
        v.push(edit("softmax.in_bits", b, move |c| c.softmax.in_bits = b));
        v.push(edit("softmax.out_bits", b, move |c| c.softmax.out_bits = b));
    }
    for t in [table.start() - 1, table.end() + 1] {
        v.push(edit("softmax.table_bits", t, move |c| c.softmax.table_bits = t));
    }
    for d in [32, 1024] {
        v.push(edit("dma.data_bits", d, move |c| c.dma.data_bits = d));
    }
    for a in [31, 33, 63, 65] {
        v.push(edit("dma.addr_bits", a, move |c| c.dma.addr_bits = a));
    }
    for b in [0, 257] {
        v.push(edit("dma.max_burst", b, move |c| c.dma.max_burst = b));
    }
    for o in [0, 65] {
        v.push(edit("dma.max_outstanding", o, move |c| c.dma.max_outstanding = o));
    }
    for q in [1, 257] {
        v.push(edit("dma.queue_depth", q, move |c| c.dma.queue_depth = q));
    }
    for i in [0, 17] {
        v.push(edit("dma.id_bits", i, move |c| c.dma.id_bits = i));
    }
    for t in [1, 4096] {
        v.push(edit("dma.table_entries", t, move |c| c.dma.table_entries = t));
    }
    for k in [config::CORE_SPAD_KIB.start() / 2, config::CORE_SPAD_KIB.end() * 2] {
        v.push(edit("core.spad_kib", k, move |c| c.core.as_mut().unwrap().spad_kib = k));
    }
    for b in [config::CORE_SPAD_BANKS.start() / 2, config::CORE_SPAD_BANKS.end() * 2] {
        v.push(edit("core.spad_banks", b, move |c| c.core.as_mut().unwrap().spad_banks = b));
    }
    v
}

/// The default preset with the edit. A block's field is taken to its
/// extremes on the standalone block (no `[core]`): the core ties the tile's
/// and the softmax unit's widths to its line, which most extremes break on
/// purpose; `golden/src/config.rs` tests those rules.
fn configured(e: &Edit) -> Config {
    let mut c = default_preset();
    if !e.name.starts_with("core.") {
        c.core = None;
    }
    (e.apply)(&mut c);
    c
}

#[test]
fn the_extremes_are_the_ends_of_the_validated_ranges() {
    for e in extremes() {
        let c = configured(&e);
        assert!(c.validate().is_ok(), "{}: refused by validate(): {:?}", e.name, c.validate());
    }
    for e in beyond() {
        assert!(configured(&e).validate().is_err(), "{}: accepted by validate(), so the range grew", e.name);
    }
}

/// `verilator --lint-only -Wall` of one top in `dir`: its warnings, or
/// nothing when clean.
fn lint(dir: &Path, top: &str, files: &[VerilogFile]) -> Option<String> {
    for f in files {
        std::fs::write(dir.join(&f.file_name), &f.text).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    let out = Command::new("verilator")
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "--top-module", top])
        .args(&names)
        .output()
        .expect("verilator is installed (scripts/setup.sh)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() && text.trim().is_empty() {
        None
    } else {
        // Verilator quotes the offending line: keep the report readable.
        Some(text.lines().take(20).map(|l| l.chars().take(300).collect::<String>() + "\n").collect())
    }
}

/// The softmax unit's Verilog keeps every line short at any configuration:
/// lanes travel as one signal per lane and its trees are named level by
/// level (lines grown with the lanes are what Verilator once rejected).
const SOFTMAX_LONGEST_LINE: usize = 150;

/// The first line longer than [`SOFTMAX_LONGEST_LINE`] of each file.
fn long_lines(files: &[VerilogFile]) -> impl Iterator<Item = String> + '_ {
    files.iter().filter_map(|f| {
        let (n, line) = f.text.lines().enumerate().find(|(_, l)| l.len() > SOFTMAX_LONGEST_LINE)?;
        let head: String = line.chars().take(100).collect();
        Some(format!("{} line {}: {} characters: {head}...", f.file_name, n + 1, line.len()))
    })
}

/// Every top of every extreme configuration: generated, and lint-clean (and
/// the softmax unit's lines short). All failures are reported together,
/// each with its configuration.
#[test]
fn every_extreme_configuration_generates_lint_clean_verilog() {
    let mut linted: HashSet<u64> = HashSet::new();
    let mut failures = Vec::new();
    let mut cases = vec![Edit { name: "the default preset".into(), apply: Box::new(|_| {}) }];
    cases.extend(extremes());
    for e in cases {
        let cfg = configured(&e);
        let tops = match hdl::blocks::tops(&cfg) {
            Ok(t) => t,
            Err(err) => {
                failures.push(format!("{}: generation failed: {err}", e.name));
                continue;
            }
        };
        for top in &tops {
            let files = match emit(top, &EmitOptions { header: vec!["config_extremes test".into()] }) {
                Ok(f) => f,
                Err(err) => {
                    failures.push(format!("{}: emitting {} failed: {err}", e.name, top.name()));
                    continue;
                }
            };
            let mut h = DefaultHasher::new();
            files.iter().for_each(|f| f.text.hash(&mut h));
            if !linted.insert(h.finish()) {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            if let Some(report) = lint(dir.path(), top.name(), &files) {
                failures.push(format!("{}: {} is not lint-clean:\n{report}", e.name, top.name()));
            }
            if top.name().starts_with("serrano_softmax") {
                failures.extend(long_lines(&files).map(|l| format!("{}: {l}", e.name)));
            }
        }
    }
    assert!(failures.is_empty(), "{} failing:\n{}", failures.len(), failures.join("\n"));
}

/// The softmax unit at the most lanes (the default preset with
/// `softmax.lanes = 64`) against golden, bit for bit: rows of one element,
/// one beat ± 1, several beats, max_len, masked rows and 200 random rows
/// (some sparsely kept), back to back and with back-pressure and input gaps.
#[test]
fn softmax_at_64_lanes_matches_golden() {
    let mut cfg = default_preset().softmax;
    cfg.lanes = *config::SOFTMAX_LANES.end();
    let p = SoftmaxParams::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    let mut rows: Vec<Row> = Vec::new();
    for (len, dist) in [
        (1, Dist::Uniform),
        (63, Dist::Normal),
        (64, Dist::Rising),
        (65, Dist::Dominant),
        (200, Dist::Extremes),
        (p.max_len, Dist::Uniform),
        (p.max_len, Dist::Falling),
    ] {
        let x = logits(&mut rng, &p, dist, len);
        let k = p.scale_to_k(0.05).unwrap();
        rows.push(Row { k, beats: p.pack_row(&x, &vec![false; len]) });
    }
    // Masked: every other element, and all but the last.
    let x = logits(&mut rng, &p, Dist::Narrow, 130);
    let alternate: Vec<bool> = (0..130).map(|j| j % 2 == 1).collect();
    rows.push(Row { k: p.scale_to_k(0.3).unwrap(), beats: p.pack_row(&x, &alternate) });
    let all_but_last: Vec<bool> = (0..130).map(|j| j != 129).collect();
    rows.push(Row { k: p.scale_to_k(0.3).unwrap(), beats: p.pack_row(&x, &all_but_last) });
    for i in 0..200 {
        let mut row = random_row(&mut rng, &p).row(&p);
        if i % 3 == 0 {
            punch_keep(&mut rng, &mut row);
        }
        rows.push(row);
    }
    for (ready_prob, valid_prob) in [(1.0, 1.0), (0.8, 0.9)] {
        let run = SoftmaxRun { seed: rng.gen(), x_seed: None, trace: None, ready_prob, valid_prob };
        let r = run_softmax(&cfg, &rows, &run).unwrap();
        if let Some(f) = r.failure() {
            panic!("softmax at 64 lanes, ready {ready_prob} valid {valid_prob}: {f}");
        }
        assert_eq!(r.rows as usize, rows.len());
    }
}
