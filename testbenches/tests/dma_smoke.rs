use golden::dma::Descriptor;
use golden::DmaConfig;
use testbenches::dma::{run_scenario, Job, Scenario};
use testbenches::dma_gen::{random_scenario, Mix, RandomOpts};

#[test]
fn smoke() {
    let cfg = DmaConfig::default();
    let mut sc = Scenario::new(&cfg, 1);
    sc.jobs
        .push(Job::read(Descriptor::linear(0x1000, 64).with_tag(1)));
    sc.jobs
        .push(Job::read(Descriptor::linear(0x2003, 100).with_tag(2)));
    sc.jobs
        .push(Job::write(Descriptor::linear(0x9005, 77).with_tag(3)));
    sc.jobs
        .push(Job::read(Descriptor::linear(0x2003, 0).with_tag(4)));
    let r = run_scenario(&sc).unwrap();
    eprintln!(
        "cycles {} completions {:?} ar {:?} aw {:?}",
        r.cycles, r.completions, r.ar, r.aw
    );
    assert!(r.ok(), "{}", r.failure());
}

#[test]
fn random_small() {
    let seed: u64 = std::env::var("S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let mix = match std::env::var("MIX").as_deref() {
        Ok("r") => Mix::Read,
        Ok("w") => Mix::Write,
        Ok("c") => Mix::Copy,
        _ => Mix::Both,
    };
    let d: u32 = std::env::var("D")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(128);
    let a: u32 = std::env::var("A")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let cfg = DmaConfig {
        data_bits: d,
        addr_bits: a,
        ..DmaConfig::default()
    };
    let sc = random_scenario(
        &cfg,
        seed,
        RandomOpts {
            descriptors: n,
            mix,
            large: 0,
            errors: std::env::var("E").is_ok(),
            invalid_share: 0.05,
        },
    );
    let t = std::time::Instant::now();
    let r = run_scenario(&sc).unwrap();
    eprintln!(
        "cycles {} r_beats {} w_beats {} completions {} in {:?}",
        r.cycles,
        r.r_beats,
        r.w_beats,
        r.completions.len(),
        t.elapsed()
    );
    assert!(r.ok(), "{}", r.failure());
}

#[test]
fn show_jobs() {
    let seed: u64 = std::env::var("S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let cfg = DmaConfig::default();
    let sc = random_scenario(
        &cfg,
        seed,
        RandomOpts {
            descriptors: n,
            mix: Mix::Both,
            large: 0,
            errors: false,
            invalid_share: 0.05,
        },
    );
    for j in &sc.jobs {
        eprintln!(
            "{:?} {:?} {:?}",
            j.engine,
            j.desc,
            golden::dma::validate(
                &j.desc,
                &cfg,
                if j.engine == testbenches::dma::Engine::Read {
                    &sc.rd_table
                } else {
                    &sc.wr_table
                }
            )
        );
    }
}
