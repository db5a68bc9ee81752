//! Evidence that the emitter's rewrite (shared nodes as wires, replication,
//! wrapped lines) kept the meaning of the Verilog: every top of the tiny
//! preset, as emitted now, is simulated in lock step with the same top as the
//! previous emitter wrote it (`fixtures/emit_old_tiny/`, the committed
//! `verilog_out/tiny/` of commit 877f95e), with identical random inputs, and
//! every output is compared on every cycle.
//!
//! The fixture is frozen: a change of the emitter that changes what the
//! Verilog means fails here, with the cycle and the port. So does a change of
//! a tiny block's behaviour, rightly; then refresh the fixture with the
//! `verilog_out/tiny/*.v` of the commit before the block change, not after.
//!
//! `SERRANO_EQUIV_CYCLES` runs more cycles than the default 100,000 per top,
//! `SERRANO_SEED` another stimulus.

use std::path::PathBuf;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::seed_from_env;
use testbenches::sim::{build_module, BuildOptions};
use verilator_sys::{Builder, Direction, Model, Port};

/// Cycles per top: `SERRANO_EQUIV_CYCLES` if set, else 100,000.
fn cycles() -> u64 {
    std::env::var("SERRANO_EQUIV_CYCLES").map(|s| s.trim().parse().expect("a cycle count")).unwrap_or(100_000)
}

fn tiny_config() -> golden::Config {
    let text = std::fs::read_to_string(format!("{}/../configs/tiny.toml", env!("CARGO_MANIFEST_DIR"))).expect("preset");
    golden::Config::from_toml_str(&text, "tiny").expect("valid preset")
}

fn old_sources() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/emit_old_tiny");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    files.sort();
    files
}

/// A value for input `name` of `width` bits. Mostly uniform; addresses of the
/// register interface mostly land on the DMA's register map and table, and
/// write strobes are mostly full, so that random traffic reaches the logic
/// behind them rather than only the decode of unmapped addresses.
fn stimulus(rng: &mut ChaCha8Rng, name: &str, width: u32) -> Vec<u32> {
    let words = width.div_ceil(32) as usize;
    let mut v: Vec<u32> = (0..words).map(|_| rng.gen()).collect();
    if name.starts_with("s_axil_") && name.ends_with("addr") && rng.gen_bool(0.9) {
        let word = match rng.gen_range(0..4) {
            0 => rng.gen_range(0..8),
            1 => rng.gen_range(64..80),
            2 => rng.gen_range(128..144),
            _ => (1 + rng.gen_range(0..2)) << 12 | rng.gen_range(0..256),
        };
        v[0] = word << 2;
    }
    if name == "s_axil_wstrb" && rng.gen_bool(0.8) {
        v[0] = 0xf;
    }
    if !width.is_multiple_of(32) {
        v[words - 1] &= (1u32 << (width % 32)) - 1;
    }
    v
}

fn check_outputs(old: &Model, new: &Model, outs: &[(String, Port, Port)], cycle: u64, phase: &str) {
    for (name, po, pn) in outs {
        let (a, b) = (old.get_wide(*po), new.get_wide(*pn));
        assert_eq!(
            a, b,
            "cycle {cycle} ({phase}): output {name} differs: old emitter {a:x?}, new emitter {b:x?} \
             (a block's behaviour changed on purpose? see the top of emit_equivalence.rs)"
        );
    }
}

fn lock_step(top: &hdl::core::Module, seed: u64) {
    let t0 = Instant::now();
    let new = build_module(top, BuildOptions::default()).expect("build the new Verilog");
    let old = Builder::new(top.name()).sources(old_sources()).build().expect("build the old Verilog");
    let ports_new = new.lib.ports().to_vec();
    let ports_old = old.ports().to_vec();
    let sig = |ps: &[verilator_sys::PortInfo]| ps.iter().map(|p| (p.name.clone(), p.width, p.dir)).collect::<Vec<_>>();
    assert_eq!(sig(&ports_old), sig(&ports_new), "{}: the two emitters give different ports", top.name());
    let built = t0.elapsed();

    let mut mo = old.instantiate(None).unwrap();
    let mut mn = new.lib.instantiate(None).unwrap();
    let both = |name: &str, mo: &Model, mn: &Model| (mo.port(name).unwrap(), mn.port(name).unwrap());
    let (clk_o, clk_n) = both("clk", &mo, &mn);
    let rst = top.reset_kind().port_name();
    let rst_active = u32::from(rst == "rst");
    let ins: Vec<(String, u32, Port, Port)> = ports_new
        .iter()
        .filter(|p| p.dir == Direction::Input && p.name != "clk" && p.name != rst)
        .map(|p| {
            let (a, b) = both(&p.name, &mo, &mn);
            (p.name.clone(), p.width, a, b)
        })
        .collect();
    let (rst_o, rst_n) = both(rst, &mo, &mn);
    let outs: Vec<(String, Port, Port)> = ports_new
        .iter()
        .filter(|p| p.dir == Direction::Output)
        .map(|p| {
            let (a, b) = both(&p.name, &mo, &mn);
            (p.name.clone(), a, b)
        })
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut changes = vec![0u64; outs.len()];
    let mut last: Vec<Vec<u32>> = outs.iter().map(|(_, _, pn)| mn.get_wide(*pn)).collect();
    let mut resets = 0;
    let t1 = Instant::now();
    let n = cycles();
    for cycle in 0..n {
        // Reset for the first cycles, then now and then, so that reset out of
        // any state is compared too.
        let in_reset = cycle < 4 || rng.gen_ratio(1, 20_000);
        resets += u64::from(in_reset && cycle >= 4);
        let r = if in_reset { rst_active } else { 1 - rst_active };
        mo.set_wide(rst_o, &[r]).unwrap();
        mn.set_wide(rst_n, &[r]).unwrap();
        for (name, width, po, pn) in &ins {
            let v = stimulus(&mut rng, name, *width);
            mo.set_wide(*po, &v).unwrap();
            mn.set_wide(*pn, &v).unwrap();
        }
        mo.eval();
        mn.eval();
        check_outputs(&mo, &mn, &outs, cycle, "inputs applied");
        mo.tick(clk_o);
        mn.tick(clk_n);
        check_outputs(&mo, &mn, &outs, cycle, "after the clock edge");
        for (i, (_, _, pn)) in outs.iter().enumerate() {
            let v = mn.get_wide(*pn);
            if v != last[i] {
                changes[i] += 1;
                last[i] = v;
            }
        }
    }
    let toggled: Vec<&str> =
        outs.iter().zip(&changes).filter(|(_, &c)| c > 0).map(|((n, _, _), _)| n.as_str()).collect();
    eprintln!(
        "{}: {n} cycles in lock step ({resets} resets after the first), every output equal; \
         build {:.1} s, simulation {:.1} s; {} of {} outputs changed: {}",
        top.name(),
        built.as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        toggled.len(),
        outs.len(),
        toggled.join(" ")
    );
    // Equal outputs mean little if the design sat still: its handshakes must move.
    for (name, _, _) in &outs {
        if name.ends_with("ready") || name.ends_with("valid") {
            assert!(toggled.contains(&name.as_str()), "{}: {name} never changed in {n} cycles", top.name());
        }
    }
}

#[test]
fn tiny_tops_match_the_previous_emitter() {
    let seed = seed_from_env("tiny_tops_match_the_previous_emitter", 5);
    // The tops that existed when the old emitter's Verilog was frozen (the
    // core is newer and has no old copy).
    let tops: Vec<_> = hdl::blocks::tops_by_kind(&tiny_config())
        .expect("tiny tops")
        .into_iter()
        .filter(|(k, _)| *k != hdl::blocks::TopKind::Core)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(tops.len(), 3, "tile, softmax and dma");
    for (i, top) in tops.iter().enumerate() {
        lock_step(top, seed + i as u64);
    }
}
