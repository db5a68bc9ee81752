//! The core's command decoder (`hdl::blocks::accel::core_decode`) against
//! golden: for every preset and one odd geometry, random page tables written
//! through both table ports, then thousands of commands (valid ones of every
//! opcode with fields near every limit, footprints just inside and outside
//! the scratchpad, DMA descriptors of every kind, random reserved bits,
//! unknown opcodes, random fetch responses, tile LOAD/COMPUTE sequences that
//! fault) with gaps on `cmd_valid`, back-pressure on `dec_ready`, `flush` and
//! `clear_fold` mid-stream. Every command that leaves is compared field by
//! field with `Command::decode`, `check`, the fold rule and `retire_amount`,
//! and the payload must hold while `dec_valid` waits. `cmd_last` (the
//! expander's) is bit 0 of the index and must leave as `dec_last`.
//! TILE_MATMUL reaches the decoder only when `core_expand` refused it, so
//! the macros offered here are refused ones (and random bytes): every one
//! that decodes is BAD_FIELD, as golden's `MatmulCmd::check` makes it.

use std::collections::{BTreeMap, VecDeque};

use golden::core::isa::*;
use golden::core::{check, retire_amount, CoreParams};
use golden::dma::{Descriptor, Status};
use golden::softmax::SoftmaxParams;
use golden::Config;
use hdl::blocks::accel::core_decode::core_decode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::seed_from_env;
use testbenches::sim::run_with_waveform;
use verilator_sys::Model;

fn set(sim: &mut Model, n: &str, v: u64) {
    let p = sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    sim.set(p, v);
}

fn get(sim: &Model, n: &str) -> u64 {
    sim.get(sim.port(n).unwrap_or_else(|e| panic!("{n}: {e}")))
}

fn preset(name: &str) -> Config {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../configs/{name}.toml"));
    Config::from_file(&path).unwrap()
}

/// A geometry no preset has: a 2 × 8 tile with 100 accumulator rows, int16
/// softmax rows of up to 100, 64-bit addresses, an 8-entry page table, 256
/// lines of 16 bytes.
fn odd() -> Config {
    let text = "
[systolic]
rows = 2
cols = 8
acc_depth = 100
requant = true
[softmax]
lanes = 2
max_len = 100
in_bits = 16
out_bits = 16
table_bits = 4
[dma]
data_bits = 128
addr_bits = 64
max_burst = 16
max_outstanding = 4
queue_depth = 2
id_bits = 2
table_entries = 8
[core]
spad_kib = 4
spad_banks = 2
";
    Config::from_toml_str(text, "odd").unwrap()
}

/// What the decoder must say about a command.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Out {
    opcode: u64,
    queue: u64,
    err: u64,
    dma_status: u64,
    /// rd_lo, rd_hi, wr_lo, wr_hi, amount: compared only when err = 0.
    fp: [u64; 5],
}

struct Golden<'a> {
    p: &'a CoreParams,
    rt: &'a [u64],
    wt: &'a [u64],
}

impl Golden<'_> {
    fn expect(&self, raw: &Raw, resp: u8, fold: bool) -> Out {
        let opcode = raw[0] as u64;
        let queue = op_info(raw[0]).map_or(0, |o| match o.queue {
            Queue::Control => 0,
            Queue::Load => 1,
            Queue::Compute => 2,
            Queue::Store => 3,
        });
        let fault = |e: ErrorCode, s: Status| Out {
            opcode,
            queue,
            err: e.code() as u64,
            dma_status: s.code() as u64,
            fp: [0; 5],
        };
        if resp >= 2 {
            return fault(ErrorCode::AxiFetch, Status::from_resp(resp));
        }
        let cmd = match Command::decode(raw) {
            Err(IsaError::UnknownOpcode(_)) => return fault(ErrorCode::UnknownOpcode, Status::Ok),
            Err(_) => return fault(ErrorCode::ReservedBits, Status::Ok),
            // The expander passes on only the macros it refuses.
            Ok(Command::TileMatmul(m)) => {
                assert!(m.check(self.p).is_err(), "the generator offers only refused macros");
                return fault(ErrorCode::BadField, Status::Ok);
            }
            Ok(c) => c,
        };
        let fp = match check(&cmd, self.p, self.rt, self.wt) {
            Err(f) => return fault(f.code, f.dma_status),
            Ok(fp) => fp,
        };
        let seq = match cmd {
            Command::TileLoad { .. } => fold,
            Command::TileCompute { .. } => !fold,
            _ => false,
        };
        if seq {
            return fault(ErrorCode::TileSequence, Status::Ok);
        }
        let iv = |r: &Option<std::ops::Range<u64>>| r.as_ref().map_or((0, 0), |r| (r.start, r.end));
        let (r, w) = (iv(&fp.read), iv(&fp.write));
        Out { opcode, queue, err: 0, dma_status: 0, fp: [r.0, r.1, w.0, w.1, retire_amount(&cmd, self.p)] }
    }
}

/// A value near the limits of `[lo, hi]` (and just past them), within `max`.
fn near(rng: &mut ChaCha8Rng, lo: u64, hi: u64, max: u64) -> u64 {
    let v = match rng.gen_range(0..8) {
        0 => lo,
        1 => lo.saturating_sub(1),
        2 => hi,
        3 => hi + 1,
        4 => lo + 1,
        5 => rng.gen_range(0..=max),
        _ => rng.gen_range(lo..=hi.max(lo)),
    };
    v.min(max)
}

fn stride(rng: &mut ChaCha8Rng) -> u32 {
    match rng.gen_range(0..5) {
        0 => 0,
        1 => 1,
        2 => rng.gen_range(2..8),
        3 => rng.gen_range(0..1 << 20),
        _ => rng.gen_range(0..64),
    }
}

fn descriptor(rng: &mut ChaCha8Rng, p: &CoreParams) -> Descriptor {
    let a = p.dma.addr_bits;
    let space = if a >= 64 { u64::MAX } else { (1u64 << a) - 1 };
    let kind = if rng.gen_bool(0.05) { rng.gen_range(4..8) } else { rng.gen_range(0..4) };
    let len = match rng.gen_range(0..6) {
        0 => 0,
        1 => 1,
        2 => p.line * rng.gen_range(1..5),
        3 => rng.gen_range(1..200),
        4 => rng.gen(),
        _ => rng.gen_range(1..4096),
    };
    let count = |rng: &mut ChaCha8Rng| match rng.gen_range(0..5) {
        0 => 0,
        1 => 1,
        2 => 65535,
        _ => rng.gen_range(1..6),
    };
    let addr = match rng.gen_range(0..4) {
        0 => space - rng.gen_range(0..5000),
        1 => rng.gen(),
        _ => rng.gen_range(0..1 << 20),
    };
    let big = |rng: &mut ChaCha8Rng| if rng.gen_bool(0.2) { rng.gen::<u32>() as u64 } else { rng.gen_range(0..4096) };
    let entries = p.dma.table_entries as u64;
    Descriptor {
        kind,
        page_shift: near(rng, 6, 30, 31) as u8,
        table_base: near(rng, 0, entries - 1, 0xffff) as u16,
        addr,
        len,
        count1: count(rng),
        count2: count(rng),
        stride1: big(rng),
        stride2: big(rng),
        tag: 0,
    }
}

/// A command the ISA can encode, its fields near their limits, its lines 0.
fn command(rng: &mut ChaCha8Rng, p: &CoreParams) -> Command {
    let (r, c, l) = (p.systolic.rows as u64, p.systolic.cols as u64, p.line as u64);
    let acc = p.systolic.acc_depth as u64;
    let cnt = (1u64 << COUNT_BITS) - 1;
    match rng.gen_range(0..13) {
        0 => [Command::Nop, Command::Barrier, Command::Fence][rng.gen_range(0..3)],
        1 | 2 => Command::DmaLoad { desc: descriptor(rng, p), spad_line: 0 },
        3 => Command::DmaStore { desc: descriptor(rng, p), spad_line: 0 },
        4 | 5 => Command::TileLoad {
            b_line: 0,
            b_stride: stride(rng),
            b_off: near(rng, 0, l / c - 1, 255) as u32,
            k_rows: near(rng, 1, r, 255) as u32,
        },
        6 | 7 => Command::TileCompute {
            a_line: 0,
            a_stride: stride(rng),
            a_off: near(rng, 0, l / r - 1, 255) as u32,
            rows: near(rng, 1, acc, cnt) as u32,
            accumulate: rng.gen(),
        },
        8 => {
            let requant = rng.gen();
            let row = p.read_row_bytes(requant) as u64;
            let slices = if row < l { l / row } else { 1 };
            Command::TileRead {
                c_line: 0,
                c_stride: stride(rng),
                c_off: near(rng, 0, slices - 1, 255) as u32,
                rows: near(rng, 1, acc, cnt) as u32,
                requant,
            }
        }
        12 => {
            // A macro `core_expand` refuses (MatmulCmd::check fails).
            let mut m = MatmulCmd { folds: 1, k_last: r as u32, rows: 1, ..Default::default() };
            match rng.gen_range(0..3) {
                0 => m.folds = 0,
                1 => m.k_last = [0, r as u32 + 1, 255][rng.gen_range(0..3)],
                _ => m.a_off = rng.gen_range((l / r) as u32..=255),
            }
            m.b_line = rng.gen_range(0..1 << LINE_BITS);
            m.accumulate = rng.gen();
            Command::TileMatmul(m)
        }
        9 => Command::TileQParam {
            col: if rng.gen_bool(0.3) { None } else { Some(near(rng, 0, c - 1, 255) as u32) },
            q: golden::tile::gemm::Requant {
                multiplier: rng.gen(),
                shift: near(rng, 0, 62, 63) as u32,
                zero_point: rng.gen(),
            },
        },
        _ => {
            let kb = SoftmaxParams::new(&p.softmax).k_bits;
            let kmax = (1u64 << 40) - 1;
            Command::Softmax(SoftmaxCmd {
                x_line: 0,
                x_stride: stride(rng),
                y_line: 0,
                y_stride: stride(rng),
                rows: near(rng, 1, 8, cnt) as u32,
                len: near(rng, 1, p.softmax.max_len as u64, cnt) as u32,
                valid_len: rng.gen_range(0..=cnt) as u32,
                causal: rng.gen(),
                causal_base: rng.gen_range(0..=cnt) as u32,
                k: near(rng, 1, ((1u128 << kb) - 1).min(kmax as u128) as u64, kmax),
                int8_out: rng.gen(),
            })
        }
    }
}

/// Put the command's intervals somewhere in the scratchpad, or with their
/// end a line or two inside or outside its last line.
fn place(rng: &mut ChaCha8Rng, g: &Golden, cmd: &mut Command) {
    let lines = g.p.lines as u64;
    let fp = check(cmd, g.p, g.rt, g.wt).ok();
    let mut at = |end: Option<u64>| -> u32 {
        let max = (1u64 << LINE_BITS) - 1;
        match end {
            Some(e) if rng.gen_bool(0.5) => {
                (lines as i64 - e as i64 + rng.gen_range(-2..=2)).clamp(0, max as i64) as u32
            }
            _ if rng.gen_bool(0.05) => rng.gen_range(0..=max) as u32,
            _ => rng.gen_range(0..lines) as u32,
        }
    };
    let rd = fp.as_ref().and_then(|f| f.read.as_ref().map(|r| r.end));
    let wr = fp.as_ref().and_then(|f| f.write.as_ref().map(|r| r.end));
    match cmd {
        Command::DmaLoad { spad_line, .. } => *spad_line = at(wr),
        Command::DmaStore { spad_line, .. } => *spad_line = at(rd),
        Command::TileLoad { b_line, .. } => *b_line = at(rd),
        Command::TileCompute { a_line, .. } => *a_line = at(rd),
        Command::TileRead { c_line, .. } => *c_line = at(wr),
        Command::Softmax(s) => {
            s.x_line = at(rd);
            s.y_line = at(wr);
        }
        _ => {}
    }
}

fn raw_command(rng: &mut ChaCha8Rng, g: &Golden) -> Raw {
    match rng.gen_range(0..100) {
        0..3 => {
            let mut raw = [0u8; 32];
            rng.fill(&mut raw[..]);
            raw
        }
        3..6 => {
            let mut raw = [0u8; 32];
            raw[0] = loop {
                let o: u8 = rng.gen();
                if op_info(o).is_none() {
                    break o;
                }
            };
            raw
        }
        _ => {
            let mut cmd = command(rng, g.p);
            place(rng, g, &mut cmd);
            let mut raw = cmd.encode().expect("the generator keeps every field in its width");
            let rsv = cmd.op().reserved();
            if rng.gen_bool(0.08) && !rsv.is_empty() {
                let (lsb, w) = rsv[rng.gen_range(0..rsv.len())];
                let b = lsb + rng.gen_range(0..w);
                raw[(b / 8) as usize] |= 1 << (b % 8);
            }
            raw
        }
    }
}

/// Random page tables: bases aligned to 2^6..2^16, some not aligned at all.
fn table(rng: &mut ChaCha8Rng, p: &CoreParams) -> Vec<u64> {
    let a = p.dma.addr_bits;
    let mask = if a >= 64 { u64::MAX } else { (1u64 << a) - 1 };
    (0..p.dma.table_entries)
        .map(|_| {
            let v = rng.gen::<u64>() & mask;
            if rng.gen_bool(0.1) {
                v
            } else {
                v & !((1u64 << rng.gen_range(6..=16)) - 1)
            }
        })
        .collect()
}

const PAYLOAD: [&str; 8] =
    ["dec_index", "dec_opcode", "dec_queue", "dec_err", "dec_dma_status", "dec_rd_lo", "dec_rd_hi", "dec_wr_lo"];
const PAYLOAD2: [&str; 3] = ["dec_wr_hi", "dec_amount", "dec_last"];

fn snapshot(sim: &Model) -> Vec<u64> {
    let mut v: Vec<u64> = PAYLOAD.iter().chain(PAYLOAD2.iter()).map(|n| get(sim, n)).collect();
    v.extend(sim.get_wide(sim.port("dec_data").unwrap()).iter().map(|&w| w as u64));
    v
}

fn run(sim: &mut Model, p: &CoreParams, commands: usize, seed: u64) {
    let clk = sim.port("clk").unwrap();
    let data_port = sim.port("cmd_data").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    set(sim, "rst", 1);
    sim.tick(clk);
    set(sim, "rst", 0);
    let (rt, wt) = (table(&mut rng, p), table(&mut rng, p));
    for (i, (r, w)) in rt.iter().zip(&wt).enumerate() {
        for (t, v) in [("rtbl", *r), ("wtbl", *w)] {
            set(sim, &format!("{t}_we"), 1);
            set(sim, &format!("{t}_waddr"), i as u64);
            set(sim, &format!("{t}_wdata"), v);
        }
        sim.tick(clk);
    }
    set(sim, "rtbl_we", 0);
    set(sim, "wtbl_we", 0);
    let g = Golden { p, rt: &rt, wt: &wt };
    let mut offered: Option<(Raw, u8, u64)> = None;
    let mut pending: VecDeque<(Raw, u8, u64)> = VecDeque::new();
    let mut hold: Option<Vec<u64>> = None;
    let (mut fold, mut next_index, mut done, mut idle, mut flushed) = (false, 0u64, 0usize, 0u32, 0usize);
    let mut seen: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    let mut ok_ops: BTreeMap<u64, usize> = BTreeMap::new();
    let mut cycle = 0u64;
    while done < commands {
        if offered.is_none() && rng.gen_bool(0.7) {
            let resp = if rng.gen_bool(0.04) { rng.gen_range(1..4) } else { 0 };
            offered = Some((raw_command(&mut rng, &g), resp, next_index));
            next_index = (next_index + 1) % (1 << 20);
        }
        if let Some((raw, resp, index)) = &offered {
            let words: Vec<u32> = raw.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            sim.set_wide(data_port, &words).unwrap();
            set(sim, "cmd_resp", *resp as u64);
            set(sim, "cmd_index", *index);
            set(sim, "cmd_last", *index & 1);
        }
        set(sim, "cmd_valid", offered.is_some() as u64);
        let flush = rng.gen_bool(0.004);
        let clear = (flush && rng.gen_bool(0.5)) || (pending.is_empty() && rng.gen_bool(0.01));
        set(sim, "flush", flush as u64);
        set(sim, "clear_fold", clear as u64);
        let ready = rng.gen_bool(0.7);
        set(sim, "dec_ready", ready as u64);
        sim.eval();
        let dv = get(sim, "dec_valid") == 1;
        if flush {
            assert!(!dv && get(sim, "cmd_ready") == 0, "cycle {cycle}: no handshake during flush");
        } else if let Some(h) = &hold {
            assert!(dv, "cycle {cycle}: dec_valid fell while waiting");
            assert_eq!(&snapshot(sim), h, "cycle {cycle}: payload changed while dec_valid waited");
        }
        hold = None;
        if dv {
            let snap = snapshot(sim);
            if ready {
                let (raw, resp, index) =
                    pending.pop_front().unwrap_or_else(|| panic!("cycle {cycle}: output with nothing in"));
                let want = g.expect(&raw, resp, fold);
                let got = Out {
                    opcode: snap[1],
                    queue: snap[2],
                    err: snap[3],
                    dma_status: snap[4],
                    fp: if want.err == 0 { [snap[5], snap[6], snap[7], snap[8], snap[9]] } else { [0; 5] },
                };
                let ctx = || {
                    format!(
                        "cycle {cycle}, command {done} (index {index}, resp {resp}, fold {fold}): {:?}",
                        Command::decode(&raw)
                    )
                };
                assert_eq!(snap[0], index, "{}: index", ctx());
                let words: Vec<u64> =
                    raw.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as u64).collect();
                assert_eq!(snap[10], index & 1, "{}: last", ctx());
                assert_eq!(&snap[11..], &words[..], "{}: data", ctx());
                assert_eq!(got, want, "{}", ctx());
                if want.err == 0 {
                    *ok_ops.entry(want.opcode).or_default() += 1;
                    match raw[0] {
                        OP_TILE_LOAD => fold = true,
                        OP_TILE_COMPUTE => fold = false,
                        _ => {}
                    }
                }
                *seen.entry((want.err, want.dma_status)).or_default() += 1;
                done += 1;
                idle = 0;
            } else {
                hold = Some(snap);
            }
        }
        if !flush && offered.is_some() && get(sim, "cmd_ready") == 1 {
            pending.push_back(offered.take().unwrap());
        }
        if flush {
            flushed += pending.len();
            pending.clear();
        }
        if clear {
            fold = false;
        }
        idle += 1;
        assert!(
            idle < 2_000 || pending.is_empty(),
            "cycle {cycle}: no command out for 2000 cycles ({} inside)",
            pending.len()
        );
        sim.tick(clk);
        cycle += 1;
    }
    println!("{done} commands in {cycle} cycles, {flushed} flushed; (err, dma status): {seen:?}; passed by opcode: {ok_ops:?}");
    // Every check must have been exercised.
    for e in ErrorCode::all().into_iter().filter(|e| *e != ErrorCode::AxiData) {
        if e == ErrorCode::NoRequant && p.systolic.requant {
            continue;
        }
        assert!(seen.keys().any(|k| k.0 == e.code() as u64), "no command faulted with {}", e.name());
    }
    for s in [
        Status::BadKind,
        Status::ZeroLength,
        Status::BadPageShift,
        Status::AddrRange,
        Status::TableRange,
        Status::PageMisaligned,
    ] {
        assert!(seen.contains_key(&(ErrorCode::DmaDescriptor.code() as u64, s.code() as u64)), "no {}", s.name());
    }
    for s in [Status::SlvErr, Status::DecErr] {
        assert!(seen.contains_key(&(ErrorCode::AxiFetch.code() as u64, s.code() as u64)), "no fetch {}", s.name());
    }
    for o in OPS {
        if (o.opcode != OP_TILE_QPARAM || p.systolic.requant) && o.opcode != OP_TILE_MATMUL {
            assert!(ok_ops.contains_key(&(o.opcode as u64)), "no {} passed", o.name);
        }
    }
    assert!(flushed > 0, "no flush dropped a command");
}

#[test]
fn core_decode_matches_golden() {
    let seed = seed_from_env("core_decode_matches_golden", 11);
    for (name, cfg) in
        [("default", preset("default")), ("large", preset("large")), ("tiny", preset("tiny")), ("odd", odd())]
    {
        let p = CoreParams::new(&cfg).unwrap();
        let m = core_decode(&p).unwrap();
        let s = seed ^ name.len() as u64;
        println!("{name}: seed {s}");
        run_with_waveform(&m, &format!("{}-seed{s}", m.name()), |sim| run(sim, &p, 6_000, s));
    }
}

#[test]
fn core_decode_lints_clean_and_refuses_bad_parameters() {
    let p = CoreParams::new(&preset("default")).unwrap();
    testbenches::sim::lint_module(&core_decode(&p).unwrap()).unwrap();
    let bad = CoreParams { lines: 1000, ..p };
    let e = core_decode(&bad).unwrap_err().to_string();
    assert!(e.contains("lines = 1000"), "{e}");
}

/// Valid non-DMA commands, back to back with `dec_ready` high, leave one
/// every 4 cycles (the throughput the core's dispatch needs).
#[test]
fn core_decode_passes_a_command_every_4_cycles() {
    let p = CoreParams::new(&preset("default")).unwrap();
    let m = core_decode(&p).unwrap();
    let sm = SoftmaxCmd { rows: 3, len: 64, k: 1000, x_stride: 4, y_stride: 4, y_line: 100, ..Default::default() };
    let cmds = [
        Command::Nop,
        Command::TileLoad { b_line: 10, b_stride: 1, b_off: 0, k_rows: 16 },
        Command::TileCompute { a_line: 0, a_stride: 2, a_off: 0, rows: 1000, accumulate: false },
        Command::TileRead { c_line: 9000, c_stride: 4, c_off: 0, rows: 1000, requant: false },
        Command::Softmax(sm),
    ];
    run_with_waveform(&m, "core_decode_throughput", |sim| {
        let clk = sim.port("clk").unwrap();
        let data = sim.port("cmd_data").unwrap();
        set(sim, "rst", 1);
        sim.tick(clk);
        set(sim, "rst", 0);
        set(sim, "dec_ready", 1);
        set(sim, "cmd_valid", 1);
        let (mut next, mut outs) = (0usize, Vec::new());
        for cycle in 0..500u64 {
            let raw = cmds[next % cmds.len()].encode().unwrap();
            let words: Vec<u32> = raw.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            sim.set_wide(data, &words).unwrap();
            sim.eval();
            if get(sim, "dec_valid") == 1 {
                assert_eq!(get(sim, "dec_err"), 0, "cycle {cycle}");
                outs.push(cycle);
            }
            next += get(sim, "cmd_ready") as usize;
            sim.tick(clk);
        }
        let gaps: Vec<u64> = outs.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(outs.len() > 100 && gaps.iter().all(|&g| g == 4), "cycles between commands: {gaps:?}");
        println!("{} commands out in 500 cycles, first at cycle {}, then one every 4", outs.len(), outs[0]);
    });
}
