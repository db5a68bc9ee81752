//! The scratchpad (`hdl::blocks::accel::scratchpad`) against a model of its
//! memory and of its per-bank round-robin arbiters: random writers and
//! readers that hold a request until it is taken, aimed at few banks so they
//! collide. Every cycle the model predicts exactly which requests are taken
//! (`ready`), every read's data one cycle later, and a writer or reader that
//! keeps requesting is served within (clients − 1) cycles. A failing run is
//! replayed with a waveform under `target/waves/`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use hdl::blocks::accel::scratchpad::{scratchpad, SpadParams};
use testbenches::sim::BuildOptions;
use testbenches::{build_module, seed_from_env, waves_dir};
use verilator_sys::{Model, Port};

/// A request held until taken.
#[derive(Clone, Default)]
struct Pending {
    line: u64,
    data: Vec<u8>,
    strb: u64,
    waited: u32,
}

struct Ports {
    clk: Port,
    rst: Port,
    w: Vec<[Port; 5]>,
    r: Vec<[Port; 5]>,
}

fn ports(sim: &Model, p: &SpadParams) -> Ports {
    let g = |n: String| sim.port(&n).unwrap_or_else(|e| panic!("{n}: {e}"));
    Ports {
        clk: g("clk".into()),
        rst: g("rst".into()),
        w: (0..p.writers).map(|i| ["valid", "line", "data", "strb", "ready"].map(|f| g(format!("w{i}_{f}")))).collect(),
        r: (0..p.readers)
            .map(|j| ["valid", "line", "ready", "rvalid", "rdata"].map(|f| g(format!("r{j}_{f}"))))
            .collect(),
    }
}

fn to_words(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks(4).map(|c| c.iter().enumerate().fold(0u32, |a, (i, b)| a | (*b as u32) << (8 * i))).collect()
}

fn from_words(w: &[u32], n: usize) -> Vec<u8> {
    (0..n).map(|i| (w[i / 4] >> (8 * (i % 4))) as u8).collect()
}

/// Run `cycles` cycles of random traffic; the first disagreement as (cycle, what).
fn run(sim: &mut Model, pt: &Ports, p: &SpadParams, seed: u64, cycles: u64) -> Result<(), (u64, String)> {
    let lb = p.line_bytes as usize;
    let lines = (p.banks * p.lines_per_bank) as u64;
    let (nw, nr) = (p.writers as usize, p.readers as usize);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut mem: Vec<Option<Vec<u8>>> = vec![None; lines as usize];
    let mut w_last = vec![nw - 1; p.banks as usize];
    let mut r_last = vec![nr - 1; p.banks as usize];
    let mut wp: Vec<Option<Pending>> = vec![None; nw];
    let mut rp: Vec<Option<Pending>> = vec![None; nr];
    let mut expect: Vec<Option<Option<Vec<u8>>>> = vec![None; nr];
    sim.set(pt.rst, 1);
    sim.tick(pt.clk);
    sim.set(pt.rst, 0);
    // Few hot banks, so requests collide; the first phase writes every line once.
    let hot = |rng: &mut ChaCha8Rng| {
        let b = rng.gen_range(0..p.banks.min(2)) as u64;
        b * p.lines_per_bank as u64 + rng.gen_range(0..p.lines_per_bank as u64)
    };
    let mut init = 0u64;
    for cycle in 0..cycles {
        for (i, slot) in wp.iter_mut().enumerate() {
            if slot.is_none() && rng.gen_bool(0.7) {
                let line = if init < lines && i == 0 { init } else { hot(&mut rng) };
                let full = init < lines && i == 0;
                let strb = if full { (1u64 << lb) - 1 } else { rng.gen::<u64>() & ((1u64 << lb) - 1) };
                *slot = Some(Pending { line, data: (0..lb).map(|_| rng.gen()).collect(), strb, waited: 0 });
                if full {
                    init += 1;
                }
            }
        }
        for slot in rp.iter_mut() {
            if slot.is_none() && rng.gen_bool(0.7) {
                *slot = Some(Pending { line: hot(&mut rng), ..Default::default() });
            }
        }
        for (i, s) in wp.iter().enumerate() {
            sim.set(pt.w[i][0], s.is_some() as u64);
            if let Some(s) = s {
                sim.set(pt.w[i][1], s.line);
                sim.set_wide(pt.w[i][2], &to_words(&s.data)).unwrap();
                sim.set(pt.w[i][3], s.strb);
            }
        }
        for (j, s) in rp.iter().enumerate() {
            sim.set(pt.r[j][0], s.is_some() as u64);
            if let Some(s) = s {
                sim.set(pt.r[j][1], s.line);
            }
        }
        sim.eval();
        // Last cycle's reads come back now.
        for (j, e) in expect.iter_mut().enumerate() {
            let rvalid = sim.get(pt.r[j][3]) != 0;
            if rvalid != e.is_some() {
                return Err((cycle, format!("reader {j}: rvalid {rvalid}, expected {}", e.is_some())));
            }
            if let Some(Some(want)) = e.take() {
                let got = from_words(&sim.get_wide(pt.r[j][4]), lb);
                if got != want {
                    return Err((cycle, format!("reader {j}: rdata {got:02x?}, expected {want:02x?}")));
                }
            }
        }
        // The arbiters: per bank, the first requester after the last winner.
        let bank = |line: u64| (line / p.lines_per_bank as u64) as usize;
        let grant = |reqs: &[Option<usize>], last: &mut Vec<usize>, n: usize| -> Vec<bool> {
            let mut g = vec![false; n];
            for (b, l) in last.iter_mut().enumerate() {
                if let Some(c) = (1..=n).map(|o| (*l + o) % n).find(|c| reqs[*c] == Some(b)) {
                    g[c] = true;
                    *l = c;
                }
            }
            g
        };
        let wreq: Vec<Option<usize>> = wp.iter().map(|s| s.as_ref().map(|s| bank(s.line))).collect();
        let rreq: Vec<Option<usize>> = rp.iter().map(|s| s.as_ref().map(|s| bank(s.line))).collect();
        let wg = grant(&wreq, &mut w_last, nw);
        let rg = grant(&rreq, &mut r_last, nr);
        for (i, g) in wg.iter().enumerate() {
            if (sim.get(pt.w[i][4]) != 0) != *g {
                return Err((cycle, format!("writer {i}: ready {}, the arbiter grants {g}", !g)));
            }
        }
        for (j, g) in rg.iter().enumerate() {
            if (sim.get(pt.r[j][2]) != 0) != *g {
                return Err((cycle, format!("reader {j}: ready {}, the arbiter grants {g}", !g)));
            }
        }
        // Reads see the memory before this cycle's writes.
        for (j, g) in rg.iter().enumerate() {
            match (g, rp[j].as_mut()) {
                (true, Some(s)) => {
                    expect[j] = Some(mem[s.line as usize].clone());
                    rp[j] = None;
                }
                (false, Some(s)) => s.waited += 1,
                _ => {}
            }
        }
        for (i, g) in wg.iter().enumerate() {
            match (g, wp[i].as_mut()) {
                (true, Some(s)) => {
                    let old = mem[s.line as usize].take();
                    let full = s.strb == (1u64 << lb) - 1;
                    mem[s.line as usize] = match (old, full) {
                        (_, true) => Some(s.data.clone()),
                        (Some(mut o), false) => {
                            (0..lb).filter(|k| s.strb >> k & 1 == 1).for_each(|k| o[k] = s.data[k]);
                            Some(o)
                        }
                        // A partial write of a line never written leaves unknown bytes.
                        (None, false) => None,
                    };
                    wp[i] = None;
                }
                (false, Some(s)) => s.waited += 1,
                _ => {}
            }
        }
        for (what, waited, n) in wp
            .iter()
            .flatten()
            .map(|s| ("writer", s.waited, nw))
            .chain(rp.iter().flatten().map(|s| ("reader", s.waited, nr)))
        {
            if waited >= n as u32 {
                return Err((cycle, format!("a {what} waited {waited} cycles with {n} clients")));
            }
        }
        sim.tick(pt.clk);
    }
    if init < lines {
        return Err((cycles, format!("only {init} of {lines} lines were initialized: run longer")));
    }
    Ok(())
}

fn check(p: SpadParams, seed: u64, cycles: u64) {
    let m = scratchpad(&p).unwrap();
    let built = build_module(&m, BuildOptions::default()).unwrap();
    let mut sim = built.lib.instantiate(None).unwrap();
    let pt = ports(&sim, &p);
    if let Err((cycle, what)) = run(&mut sim, &pt, &p, seed, cycles) {
        let traced = build_module(&m, BuildOptions { trace: true, ..Default::default() }).unwrap();
        let mut tm = traced.lib.instantiate(None).unwrap();
        let path = waves_dir().join(format!("{}-seed{seed}.fst", m.name()));
        std::fs::create_dir_all(waves_dir()).unwrap();
        tm.trace_to(&path).unwrap();
        let tp = ports(&tm, &p);
        let _ = run(&mut tm, &tp, &p, seed, cycle + 4);
        tm.trace_flush();
        panic!("{} seed {seed}, cycle {cycle}: {what}\nwaveform: {}", m.name(), path.display());
    }
}

#[test]
fn scratchpad_matches_its_model_under_contention() {
    let seed = seed_from_env("scratchpad_matches_its_model_under_contention", 7);
    let base = SpadParams { line_bytes: 8, banks: 4, lines_per_bank: 16, writers: 3, readers: 4 };
    check(base, seed, 20_000);
    // One client of each, one bank, odd line width: no arbitration at all.
    check(SpadParams { line_bytes: 5, banks: 1, lines_per_bank: 16, writers: 1, readers: 1 }, seed ^ 1, 5_000);
    // Wide lines (several 32-bit words) and two clients per port.
    check(SpadParams { line_bytes: 16, banks: 2, lines_per_bank: 32, writers: 2, readers: 2 }, seed ^ 2, 10_000);
}

#[test]
fn scratchpad_lints_clean_and_refuses_bad_parameters() {
    let p = SpadParams { line_bytes: 16, banks: 8, lines_per_bank: 2048, writers: 3, readers: 4 };
    let dir = tempfile::tempdir().unwrap();
    let files = hdl::core::emit(&scratchpad(&p).unwrap(), &hdl::core::EmitOptions::default()).unwrap();
    let mut names = Vec::new();
    for f in &files {
        std::fs::write(dir.path().join(&f.file_name), &f.text).unwrap();
        names.push(f.file_name.clone());
        assert!(f.text.lines().all(|l| l.len() <= 150), "{}: a line over 150 characters", f.file_name);
    }
    let out = std::process::Command::new("verilator")
        .current_dir(dir.path())
        .args(["--lint-only", "-Wall", "--top-module", &hdl::blocks::accel::scratchpad::scratchpad_name(&p)])
        .args(&names)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !text.contains("%Warning"), "{text}");
    // Yosys: no latch, and every byte lane of every bank stays a memory (block RAM on an FPGA).
    let top = hdl::blocks::accel::scratchpad::scratchpad_name(&p);
    let script = format!(
        "read_verilog {}; synth -top {top} -run :fine; \
         select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*; \
         select -assert-count {} t:$mem_v2",
        names.join(" "),
        p.line_bytes
    );
    let out = std::process::Command::new("yosys").current_dir(dir.path()).args(["-q", "-p", &script]).output().unwrap();
    assert!(out.status.success(), "yosys: {}", String::from_utf8_lossy(&out.stderr));
    for (bad, what) in [
        (SpadParams { banks: 3, ..p }, "banks = 3: must be a power of two"),
        (SpadParams { lines_per_bank: 8, ..p }, "lines_per_bank = 8"),
        (SpadParams { writers: 0, ..p }, "writers = 0"),
        (SpadParams { line_bytes: 0, ..p }, "line_bytes = 0"),
    ] {
        let e = scratchpad(&bad).unwrap_err().to_string();
        assert!(e.contains("serrano_spad") && e.contains(what), "{e}");
    }
}
