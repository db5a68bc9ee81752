//! A scenario end to end: what golden expects, the run, and the comparison.

use std::collections::VecDeque;
use std::time::Instant;

use anyhow::Result;
use golden::dma::{self, Descriptor, Memory, Status};
use hdl::blocks::dma::regs;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::sim::{waves_dir, Built};

use super::*;

/// What golden expects of a scenario.
pub(super) struct Expected {
    pub(super) statuses: [Vec<(u16, Status)>; 2],
    pub(super) bursts: [Vec<(u64, u8, u8)>; 2],
    /// Where each expected burst came from (job index), for messages.
    pub(super) burst_job: [Vec<usize>; 2],
    pub(super) packets: Vec<(usize, Vec<u8>)>,
    pub(super) mem: Memory,
    pub(super) write_packets: Vec<Option<Vec<u8>>>,
}

/// The bytes a read engine streams for a valid descriptor, with beats that met
/// an error response zeroed (the memory model returns zeros on them).
fn read_packet(sc: &Scenario, mem: &Memory, d: &Descriptor) -> Vec<u8> {
    let cfg = &sc.cfg;
    let nb = cfg.data_bytes() as u64;
    let mut out = Vec::new();
    for b in dma::bursts(d, cfg, &sc.rd_table) {
        for (beat, lo, hi) in b.beat_lanes(nb) {
            let n = (hi - lo) as usize;
            let start = out.len();
            out.resize(start + n, 0);
            if sc.mem.resp_at(beat) == 0 {
                mem.read(beat + lo as u64, &mut out[start..]);
            }
        }
    }
    out
}

fn expected(sc: &Scenario) -> Result<Expected> {
    let cfg = &sc.cfg;
    let nb = cfg.data_bytes() as u64;
    let init = Memory::new(sc.mem_seed);
    let mut mem = Memory::new(sc.mem_seed);
    let mut e = Expected {
        statuses: [Vec::new(), Vec::new()],
        bursts: [Vec::new(), Vec::new()],
        burst_job: [Vec::new(), Vec::new()],
        packets: Vec::new(),
        mem: Memory::new(sc.mem_seed),
        write_packets: Vec::new(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(sc.seed ^ 0xda7a);
    let mut copy_data: VecDeque<Vec<u8>> = VecDeque::new();
    for (j, job) in sc.jobs.iter().enumerate() {
        let table = match job.engine {
            Engine::Read => &sc.rd_table,
            Engine::Write => &sc.wr_table,
        };
        let d = job.desc.masked(cfg);
        let k = job.engine.idx();
        let v = dma::validate(&d, cfg, table);
        let mut write_packet = None;
        if v != Status::Ok {
            e.statuses[k].push((d.tag, v));
        } else {
            let bursts = dma::bursts(&d, cfg, table);
            for b in &bursts {
                e.bursts[k].push(b.axi());
                e.burst_job[k].push(j);
            }
            let st = match job.engine {
                Engine::Read => dma::status_of_responses(
                    bursts.iter().flat_map(|b| b.beat_lanes(nb).into_iter().map(|(beat, _, _)| sc.mem.resp_at(beat))),
                ),
                Engine::Write => dma::status_of_responses(bursts.iter().map(|b| {
                    b.beat_lanes(nb).into_iter().map(|(beat, _, _)| sc.mem.resp_at(beat)).find(|&r| r != 0).unwrap_or(0)
                })),
            };
            e.statuses[k].push((d.tag, job.expect.unwrap_or(st)));
            match job.engine {
                Engine::Read => {
                    let p = read_packet(sc, &init, &d);
                    if sc.copy {
                        copy_data.push_back(p);
                    } else {
                        e.packets.push((j, p));
                    }
                }
                Engine::Write => {
                    let data = if sc.copy {
                        // A copy's write takes the oldest read packet whole; a
                        // scenario whose lengths disagree is a generator bug,
                        // reported as such rather than as a panic in golden.
                        let p = copy_data.pop_front().unwrap_or_default();
                        if p.len() as u64 != d.total_bytes() {
                            anyhow::bail!(
                                "scenario error: copy job {j} writes {} bytes but its read packet has {}",
                                d.total_bytes(),
                                p.len()
                            );
                        }
                        p
                    } else if let Some(beats) = &job.stream {
                        // A directed packet: the engine takes the first `len` bytes.
                        let mut v = Vec::new();
                        for b in beats {
                            for l in 0..nb as usize {
                                v.push(crate::axi::byte_of(&b.data, l));
                            }
                        }
                        v.truncate(d.total_bytes() as usize);
                        v
                    } else {
                        (0..d.total_bytes()).map(|_| rng.gen()).collect()
                    };
                    dma::write_bytes(&mut mem, &d, cfg, table, &data, |beat| sc.mem.resp_at(beat) != 0);
                    write_packet = Some(data);
                }
            }
        }
        e.write_packets.push(write_packet);
    }
    e.mem = mem;
    Ok(e)
}

/// Run a scenario: program the tables, push every descriptor, wait for all
/// to complete, and compare with golden. A failing run is repeated with
/// tracing and leaves an FST under `target/waves/`.
pub fn run_scenario(sc: &Scenario) -> Result<Report> {
    let built = build_dma_with(&sc.cfg, sc.trace.is_some(), sc.x_seed.is_some())?;
    let mut r = run_on(&built, sc, sc.trace.as_deref(), None)?;
    if !r.ok() && sc.trace.is_none() && !sc.expect_violations {
        let traced = build_dma_with(&sc.cfg, true, sc.x_seed.is_some())?;
        let dir = waves_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-seed{}.fst", r.top, sc.seed));
        let _ = run_on(&traced, sc, Some(&path), Some(r.cycles + 8))?;
        r.waveform = Some(path);
    }
    Ok(r)
}

fn run_on(built: &Built, sc: &Scenario, trace: Option<&std::path::Path>, stop_at: Option<u64>) -> Result<Report> {
    let cfg = sc.cfg;
    let exp = expected(sc)?;
    let mut sim = DmaSim::new(built, sc)?;
    if let Some(t) = trace {
        sim.trace_to(t)?;
    }
    let mut report = Report {
        top: built.top.clone(),
        build_seconds: built.build_seconds,
        cache_hit: built.lib.cache_hit(),
        ..Default::default()
    };
    let t0 = Instant::now();
    sim.reset(4);
    sim.lite.write(regs::IRQ_ENABLE, 3);
    for (a, d) in table_writes(&cfg, Engine::Read, &sc.rd_table).into_iter().chain(table_writes(
        &cfg,
        Engine::Write,
        &sc.wr_table,
    )) {
        sim.lite.write(a, d);
    }
    // Stream packets for the write engine (no copy loop).
    if !sc.copy {
        for (j, job) in sc.jobs.iter().enumerate() {
            if job.engine != Engine::Write {
                continue;
            }
            if let Some(beats) = &job.stream {
                for b in beats {
                    sim.source.push_beat(*b);
                }
            } else if let Some(p) = &exp.write_packets[j] {
                sim.source.push_packet(p, cfg.data_bytes() as usize);
            }
        }
    }

    let depth = cfg.queue_depth as usize;
    let mut shadow = [[None; 16]; 2];
    let mut next_job = 0usize;
    let mut pushed = [0usize; 2];
    let mut popped = [0usize; 2];
    let totals = [
        sc.jobs.iter().filter(|j| j.engine == Engine::Read).count(),
        sc.jobs.iter().filter(|j| j.engine == Engine::Write).count(),
    ];
    let mut poll_engine = 0usize;
    let mut polling = false;
    let mut final_counts_asked = false;
    let mut counts: [Option<u32>; 2] = [None, None];
    let limit = stop_at.unwrap_or(u64::MAX);
    let stall = sc.stall_limit;
    let mut hang: Option<String> = None;

    loop {
        // Feed the driver: one descriptor at a time, keeping its queue short.
        while next_job < sc.jobs.len() && sim.lite.queued() < 4 {
            let job = &sc.jobs[next_job];
            let k = job.engine.idx();
            if sc.pop_completions && pushed[k] - popped[k] >= depth {
                break;
            }
            for (a, d) in descriptor_writes(&cfg, job.engine, &job.desc.masked(&cfg), &mut shadow[k]) {
                sim.lite.write(a, d);
            }
            pushed[k] += 1;
            next_job += 1;
        }
        // Collect read results.
        while let Some(rr) = sim.lite.reads.pop_front() {
            polling = false;
            for (k, e) in [Engine::Read, Engine::Write].into_iter().enumerate() {
                if rr.addr == e.base() + regs::COMPLETION && rr.data >> 31 == 1 {
                    report.completions.push((e, rr.data as u16, (rr.data >> 16) as u8));
                    popped[k] += 1;
                }
                if rr.addr == e.base() + regs::COMPLETED {
                    counts[k] = Some(rr.data);
                }
            }
        }
        // Poll completions when the interrupt says one waits.
        if sc.pop_completions && !polling && sim.irq && sim.lite.queued() == 0 {
            for _ in 0..2 {
                poll_engine ^= 1;
                if pushed[poll_engine] > popped[poll_engine] {
                    break;
                }
            }
            sim.lite.read([Engine::Read, Engine::Write][poll_engine].base() + regs::COMPLETION);
            polling = true;
        }
        let all_pushed = next_job == sc.jobs.len();
        let done = if sc.pop_completions {
            all_pushed && popped == totals && sim.lite.idle()
        } else {
            if all_pushed && sim.lite.idle() && sim.mem.pending() == 0 && !final_counts_asked {
                // Ask the counters; repeat until every descriptor is counted.
                sim.lite.read(regs::READ_BASE + regs::COMPLETED);
                sim.lite.read(regs::WRITE_BASE + regs::COMPLETED);
                final_counts_asked = true;
            }
            if let [Some(a), Some(b)] = counts {
                if a as usize == totals[0] && b as usize == totals[1] {
                    true
                } else {
                    counts = [None, None];
                    final_counts_asked = false;
                    false
                }
            } else {
                false
            }
        };
        if done || sim.cycle >= limit {
            break;
        }
        if sim.cycle - sim.last_progress > stall {
            hang = Some(format!(
                "hung at cycle {}: no handshake for {stall} cycles; {}; pushed {:?}, completed {:?} of {:?}",
                sim.cycle,
                sim.monitor.stuck_channels(),
                pushed,
                popped,
                totals
            ));
            break;
        }
        sim.step();
    }
    // Let trailing beats settle, then close the books.
    sim.run(4);
    if trace.is_some() {
        sim.trace_flush();
    }
    report.sim_seconds = t0.elapsed().as_secs_f64();
    sim.monitor.finish(sim.cycle);
    report.cycles = sim.cycle;
    report.r_beats = sim.r_beats;
    report.w_beats = sim.w_beats;
    report.read_window = window(sim.first_ar, sim.last_r);
    report.write_window = window(sim.first_aw, sim.last_b);
    let first = [sim.first_ar, sim.first_aw].into_iter().flatten().min();
    let last = [sim.last_r, sim.last_b].into_iter().flatten().max();
    report.window = window(first, last);
    report.bytes = sc.jobs.iter().filter(|j| j.engine == Engine::Read || !sc.copy).map(|j| j.desc.total_bytes()).sum();
    report.ar = sim.ar_log.clone();
    report.aw = sim.aw_log.clone();
    report.lite_errors = sim.lite.write_errors.clone();
    report.violations = sim.monitor.violations.iter().map(|v| v.to_string()).collect();
    report.violations.extend(sim.stream_violations());
    if let Some(h) = hang {
        report.mismatches.push(h);
    }
    compare(sc, &exp, &sim, &mut report);
    Ok(report)
}

fn window(a: Option<u64>, b: Option<u64>) -> u64 {
    match (a, b) {
        (Some(a), Some(b)) if b >= a => b - a + 1,
        _ => 0,
    }
}

fn compare(sc: &Scenario, exp: &Expected, sim: &DmaSim, r: &mut Report) {
    let mm = &mut r.mismatches;
    // Burst sequences.
    for (k, (name, log)) in [("AR", &sim.ar_log), ("AW", &sim.aw_log)].into_iter().enumerate() {
        let want = &exp.bursts[k];
        let got: Vec<(u64, u8, u8)> = log.iter().map(|a| (a.addr, a.len, a.size)).collect();
        if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            let job = exp.burst_job[k].get(i).map(|&j| format!("{:?}", sc.jobs[j].desc));
            mm.push(format!(
                "{name} burst {i}: RTL {:?}, golden {:?} (descriptor {}); {} vs {} bursts",
                got.get(i),
                want.get(i),
                job.unwrap_or_else(|| "-".into()),
                got.len(),
                want.len()
            ));
        }
    }
    // Statuses, in completion order per engine.
    if sc.pop_completions {
        for (k, e) in [Engine::Read, Engine::Write].into_iter().enumerate() {
            let got: Vec<(u16, u8)> = r.completions.iter().filter(|c| c.0 == e).map(|c| (c.1, c.2)).collect();
            let want: Vec<(u16, u8)> = exp.statuses[k].iter().map(|(t, s)| (*t, s.code())).collect();
            if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
                mm.push(format!("{e:?} completion {i}: RTL (tag, code) {:?}, golden {:?}", got.get(i), want.get(i)));
            }
        }
    }
    // Read packets.
    if !sc.copy {
        let got: Vec<&Vec<u8>> = sim.sink.packets.iter().collect();
        if got.len() != exp.packets.len() {
            mm.push(format!("read stream: {} packets, golden {}", got.len(), exp.packets.len()));
        }
        for (i, ((j, want), got)) in exp.packets.iter().zip(got).enumerate() {
            if want != got {
                let at = want.iter().zip(got.iter()).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
                mm.push(format!(
                    "read packet {i} ({:?}): {} bytes, golden {}; first difference at byte {at}",
                    sc.jobs[*j].desc,
                    got.len(),
                    want.len()
                ));
                break;
            }
        }
    }
    // Stream beats taken by the write engine: each descriptor's packet and
    // nothing more (none for a rejected one), as golden says.
    let want_beats: u64 = sc
        .jobs
        .iter()
        .filter(|j| j.engine == Engine::Write)
        .map(|j| dma::stream_beats(&j.desc.masked(&sc.cfg), &sc.cfg, &sc.wr_table))
        .sum();
    if sim.s_beats != want_beats {
        mm.push(format!("s_axis: the write engine took {} beats, golden {want_beats}", sim.s_beats));
    }
    // Memory image.
    if let Some(a) = sim.mem.mem.first_difference(&exp.mem) {
        mm.push(format!(
            "memory differs at {a:#x}: RTL {:#04x}, golden {:#04x}",
            sim.mem.mem.read_byte(a),
            exp.mem.read_byte(a)
        ));
    }
}
