//! The PE against `golden::pe`, bit for bit, every output every cycle.

use golden::PeConfig;
use hdl::core::{mux, Bit, Module, SInt};
use testbenches::seed_from_env;
use testbenches::tile::pe::{run_pe, run_pe_module, PeReport, PeRun};

const CYCLES: u64 = 100_000;

fn check(r: &PeReport, what: &str) {
    assert_eq!(
        r.mismatches,
        0,
        "{what}: {} mismatches; first: {}; waveform: {}",
        r.mismatches,
        r.first_mismatch.as_deref().unwrap_or("-"),
        r.waveform.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into())
    );
    assert!(r.cycles >= CYCLES);
}

#[test]
fn pe_matches_golden_with_ordinary_initialization() {
    let seed = seed_from_env("pe_ordinary", 1);
    for acc_bits in [32, 24] {
        let cfg = PeConfig { acc_bits };
        let r = run_pe(&cfg, &PeRun { cycles: CYCLES, seed, x_seed: None, trace: None }).unwrap();
        check(&r, &format!("acc_bits={acc_bits}"));
    }
}

#[test]
fn pe_matches_golden_with_x_randomization() {
    let seed = seed_from_env("pe_xrand", 2);
    let cfg = PeConfig { acc_bits: 32 };
    for x_seed in [1, 2] {
        let r = run_pe(&cfg, &PeRun { cycles: CYCLES, seed, x_seed: Some(x_seed), trace: None }).unwrap();
        check(&r, &format!("x_seed={x_seed}"));
    }
}

/// A PE with one deliberate bug, to prove the testbench can fail.
fn mutant(cfg: &PeConfig, bug: &str) -> Module {
    let acc = SInt(cfg.acc_bits);
    let mut m = Module::new(&format!("serrano_pe_mutant_{bug}"));
    let a_in = m.input("a_in", SInt(8)).unwrap();
    let psum_in = m.input("psum_in", acc).unwrap();
    let w_in = m.input("w_in", SInt(8)).unwrap();
    let w_load = m.input("w_load", Bit).unwrap();
    let w_swap = m.input("w_swap", Bit).unwrap();
    // Bug "noreset": the shadow weight is not reset.
    let w_next = if bug == "noreset" {
        m.reg("w_next", SInt(8)).no_reset().enable(&w_load).d(&w_in).unwrap()
    } else {
        m.reg("w_next", SInt(8)).reset(0).enable(&w_load).d(&w_in).unwrap()
    };
    let w = m.reg("w", SInt(8)).reset(0).enable(&w_swap).d(&w_next).unwrap();
    // Bug "early_swap": the activation that comes with the swap already meets the new weight.
    let w_eff = if bug == "early_swap" { mux(&w_swap, &w_next, &w) } else { w.clone() };
    let product = m.reg("product", SInt(16)).reset(0).d(a_in.mul_wide(&w_eff)).unwrap();
    let a = m.reg("a", SInt(8)).reset(0).d(&a_in).unwrap();
    let psum = m.reg("psum", acc).reset(0).d(&psum_in + product.sext(cfg.acc_bits)).unwrap();
    let swap = m.reg("swap", Bit).reset(0).d(&w_swap).unwrap();
    m.output("a_out", &a).unwrap();
    m.output("psum_out", &psum).unwrap();
    m.output("swap_out", &swap).unwrap();
    m
}

#[test]
fn testbench_catches_a_wrong_weight_and_writes_a_waveform() {
    let cfg = PeConfig { acc_bits: 32 };
    let r =
        run_pe_module(&mutant(&cfg, "early_swap"), &cfg, &PeRun { cycles: 2_000, seed: 7, x_seed: None, trace: None })
            .unwrap();
    assert!(r.mismatches > 0, "the testbench missed a PE that swaps weights a cycle early");
    let wave = r.waveform.expect("a failing run leaves a waveform");
    assert!(std::fs::metadata(&wave).map(|m| m.len() > 0).unwrap_or(false), "{} is empty", wave.display());
}

#[test]
fn x_randomization_catches_a_missing_reset() {
    let cfg = PeConfig { acc_bits: 32 };
    let m = mutant(&cfg, "noreset");
    // Ordinary initialization (zeros) hides the bug...
    let plain = run_pe_module(&m, &cfg, &PeRun { cycles: 10, seed: 3, x_seed: None, trace: None }).unwrap();
    assert_eq!(plain.mismatches, 0);
    // ...X randomization exposes it right after reset.
    let x = run_pe_module(&m, &cfg, &PeRun { cycles: 10, seed: 3, x_seed: Some(5), trace: None }).unwrap();
    assert!(x.mismatches > 0, "X randomization did not expose a register without reset");
}
