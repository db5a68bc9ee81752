use std::path::Path;

use super::isa::{Command, ErrorCode, SoftmaxCmd, COMMAND_BYTES};
use super::*;
use crate::config::Config;
use crate::dma::{Descriptor, Memory, Status};
use crate::softmax::SoftmaxParams;
use crate::tile::gemm::{gemm, requantize, Matrix, Requant, Requantization};

const RING: u64 = 0x10_0000;
const RING_SIZE: u32 = 256;

fn preset(name: &str) -> Config {
    Config::from_file(Path::new(&format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

/// Write `cmds` into the ring from index `head` and run them.
fn run_at(core: &mut CoreModel, mem: &mut Memory, head: u32, cmds: &[Command]) -> Result<RunStatus, ProgramError> {
    let ring = Ring { base: RING, size: RING_SIZE };
    for (i, c) in cmds.iter().enumerate() {
        let idx = (head as u64 + i as u64) % RING_SIZE as u64;
        mem.write(RING + idx * COMMAND_BYTES as u64, &c.encode().unwrap());
    }
    core.run(mem, ring, head, (head + cmds.len() as u32) % RING_SIZE)
}

fn run(core: &mut CoreModel, mem: &mut Memory, cmds: &[Command]) -> Result<RunStatus, ProgramError> {
    run_at(core, mem, 0, cmds)
}

fn setup(name: &str) -> (CoreModel, Memory) {
    (CoreModel::new(&preset(name)).unwrap(), Memory::new(7))
}

fn lin(addr: u64, len: u32) -> Descriptor {
    Descriptor::linear(addr, len)
}

fn fault_of(st: &RunStatus) -> (ErrorCode, u32, Status) {
    let f = st.fault.unwrap_or_else(|| panic!("no fault: {st:?}"));
    (f.code, f.index, f.dma_status)
}

#[test]
fn control_commands_and_counters() {
    let (mut core, mut mem) = setup("default");
    let st = run(&mut core, &mut mem, &[Command::Nop, Command::Barrier, Command::Fence, Command::Nop]).unwrap();
    assert_eq!((st.head, st.fault, st.irq, st.counters.commands_retired, st.counters.fences), (4, None, true, 4, 1));
    // An empty run (head = tail) does nothing.
    let st = core.run(&mut mem, Ring { base: RING, size: RING_SIZE }, 9, 9).unwrap();
    assert_eq!((st.head, st.counters.commands_retired, st.irq), (9, 0, false));
}

#[test]
fn the_ring_wraps() {
    let (mut core, mut mem) = setup("tiny");
    let st = run_at(&mut core, &mut mem, RING_SIZE - 2, &[Command::Nop, Command::Nop, Command::Fence]).unwrap();
    assert_eq!((st.head, st.counters.commands_retired, st.fault), (1, 3, None));
}

#[test]
fn dma_load_then_store_moves_the_packet_with_byte_enables() {
    let (mut core, mut mem) = setup("default");
    core.load_spad_image(&vec![0xaa; core.params.lines as usize * 16]);
    // Three rows of 5 bytes, 100 bytes apart: a 15-byte packet at line 4,
    // written only in its bytes (the 16th byte of line 4 keeps 0xaa).
    let src = Descriptor::strided_2d(0x2000, 5, 3, 100);
    let st = run(&mut core, &mut mem, &[Command::DmaLoad { desc: src, spad_line: 4 }]).unwrap();
    assert_eq!(st.counters.dram_bytes_read, 15);
    let want: Vec<u8> = (0..3u64)
        .flat_map(|j| (0..5u64).map(move |i| (j, i)))
        .map(|(j, i)| mem.read_byte(0x2000 + j * 100 + i))
        .collect();
    assert_eq!(&core.spad_bytes()[64..79], &want[..]);
    assert_eq!(core.spad_bytes()[79], 0xaa);
    // Store the packet to a linear destination.
    let st = run(&mut core, &mut mem, &[Command::DmaStore { desc: lin(0x9003, 15), spad_line: 4 }]).unwrap();
    assert_eq!((st.fault, st.counters.dram_bytes_written), (None, 15));
    let mut got = [0u8; 15];
    mem.read(0x9003, &mut got);
    assert_eq!(&got[..], &want[..]);
}

#[test]
fn paged_loads_use_the_read_engines_table() {
    let (mut core, mut mem) = setup("default");
    core.read_table[2] = 0x4_0000;
    core.read_table[3] = 0x8_0000;
    let d = Descriptor::paged(100, 64, 2, 6); // logical 100..164: page 1 of table_base 2, then page 2
    core.read_table[4] = 0xc_0000;
    run(&mut core, &mut mem, &[Command::DmaLoad { desc: d, spad_line: 0 }]).unwrap();
    // Logical byte l is in logical page l >> 6, at table[2 + (l >> 6)].
    let want: Vec<u8> =
        (100..164u64).map(|l| mem.read_byte(core.read_table[2 + (l >> 6) as usize] + (l & 63))).collect();
    assert_eq!(&core.spad_bytes()[..64], &want[..]);
}

/// A GEMM lowered by hand (default preset: L = 16, 16×16 tile), through the
/// core, against golden::tile::gemm, in int32 and requantized per column.
#[test]
fn a_small_gemm_through_the_core_equals_golden() {
    let (m, k, n) = (5usize, 20usize, 24usize);
    let mut seed = 3u64;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 56) as i8
    };
    let a = Matrix::from_vec(m, k, (0..m * k).map(|_| next()).collect()).unwrap();
    let b = Matrix::from_vec(k, n, (0..k * n).map(|_| next()).collect()).unwrap();
    let q = Requantization::PerColumn(
        (0..n).map(|j| Requant { multiplier: 1 << 30, shift: 33 + (j as u32 % 5), zero_point: j as i8 - 9 }).collect(),
    );
    for requant in [false, true] {
        let (mut core, mut mem) = setup("default");
        let (pa, pb) = (32usize, 32usize); // row pitches padded to multiples of L, with zeros
        let (a_dram, b_dram, c_dram) = (0x1_0000u64, 0x2_0000u64, 0x3_0000u64);
        for r in 0..m {
            let row: Vec<u8> = (0..pa).map(|c| a.at_or_zero(r, c) as u8).collect();
            mem.write(a_dram + (r * pa) as u64, &row);
        }
        for r in 0..k {
            let row: Vec<u8> = (0..pb).map(|c| b.at_or_zero(r, c) as u8).collect();
            mem.write(b_dram + (r * pb) as u64, &row);
        }
        let eb = if requant { 1 } else { 4 };
        let pc = 32 * eb; // C's pitch: N rounded up to C columns
        let mut p = vec![
            Command::DmaLoad { desc: lin(a_dram, (m * pa) as u32), spad_line: 0 },
            Command::DmaLoad { desc: lin(b_dram, (k * pb) as u32), spad_line: 64 },
        ];
        for n0 in (0..n).step_by(16) {
            for (f, k0) in (0..k).step_by(16).enumerate() {
                let b_line = 64 + (k0 * pb / 16 + n0 / 16) as u32;
                p.push(Command::TileLoad { b_line, b_stride: 2, b_off: 0, k_rows: (k - k0).min(16) as u32 });
                let a_line = (k0 / 16) as u32;
                p.push(Command::TileCompute { a_line, a_stride: 2, a_off: 0, rows: m as u32, accumulate: f > 0 });
            }
            if requant {
                for j in 0..16 {
                    let qj =
                        if n0 + j < n { q.column(n0 + j) } else { Requant { multiplier: 0, shift: 0, zero_point: 0 } };
                    p.push(Command::TileQParam { col: Some(j as u32), q: qj });
                }
            }
            let c_stride = if requant { 1 } else { 4 };
            p.push(Command::TileRead { c_line: 200, c_stride, c_off: 0, rows: m as u32, requant });
            let d = Descriptor::strided_2d(c_dram + (n0 * eb) as u64, (16 * eb) as u32, m as u16, pc as u64);
            p.push(Command::DmaStore { desc: d, spad_line: 200 });
        }
        p.push(Command::Fence);
        let st = run(&mut core, &mut mem, &p).unwrap();
        assert_eq!(st.fault, None);
        assert_eq!(st.counters.macs, (2 * 2 * m * 256) as u64, "rows·R·C per COMPUTE");
        assert_eq!(st.counters.dram_bytes_read, (m * pa + k * pb) as u64);
        assert_eq!(st.counters.dram_bytes_written, (m * pc) as u64);
        let want = gemm(&a, &b).unwrap();
        let want_q = requantize(&want, &q);
        for r in 0..m {
            for c in 0..n {
                let addr = c_dram + (r * pc + c * eb) as u64;
                if requant {
                    assert_eq!(mem.read_byte(addr) as i8, want_q.at(r, c), "({r}, {c})");
                } else {
                    let mut w = [0u8; 4];
                    mem.read(addr, &mut w);
                    assert_eq!(i32::from_le_bytes(w), want.at(r, c), "({r}, {c})");
                }
            }
        }
    }
}

#[test]
fn softmax_rows_are_golden_softmax_rows() {
    let mut int16 = preset("default");
    (int16.softmax.lanes, int16.softmax.in_bits, int16.softmax.out_bits) = (8, 16, 16);
    for (name, cfg) in [("default", preset("default")), ("large", preset("large")), ("int16 logits", int16)] {
        cfg.validate().unwrap();
        let (mut core, mut mem) = (CoreModel::new(&cfg).unwrap(), Memory::new(7));
        let sp = SoftmaxParams::new(&cfg.softmax);
        let l = core.params.line as usize;
        let len = 37usize;
        let ib = (cfg.softmax.in_bits / 8) as usize;
        let x_lines = (len * ib).div_ceil(l) as u32;
        let data: Vec<u8> = (0..len * 3 * ib).map(|i| (i as u8).wrapping_mul(37)).collect();
        mem.write(0x5000, &data);
        let k = sp.scale_to_k(0.25).unwrap();
        let s = SoftmaxCmd {
            x_line: 0,
            x_stride: x_lines,
            y_line: 100,
            y_stride: 7,
            rows: 3,
            len: len as u32,
            valid_len: 30,
            causal: true,
            causal_base: 20,
            k,
            int8_out: false,
        };
        // Each input row at its own lines: load row by row.
        let loads: Vec<Command> = (0..3)
            .map(|r| Command::DmaLoad {
                desc: lin(0x5000 + (r * len * ib) as u64, (len * ib) as u32),
                spad_line: r as u32 * x_lines,
            })
            .collect();
        let mut p = loads;
        p.push(Command::Softmax(s));
        let st = run(&mut core, &mut mem, &p).unwrap();
        assert_eq!((st.fault, st.counters.softmax_elements), (None, 3 * len as u64));
        let ob = (cfg.softmax.out_bits / 8) as usize;
        for r in 0..3usize {
            let x: Vec<i64> = data[r * len * ib..(r + 1) * len * ib]
                .chunks(ib)
                .map(|e| if ib == 1 { e[0] as i8 as i64 } else { i16::from_le_bytes([e[0], e[1]]) as i64 })
                .collect();
            let mask: Vec<bool> = (0..len).map(|j| j >= 30 || j > 20 + r).collect();
            let want = sp.softmax_row(&sp.exp2(), k, &x, &mask);
            let y0 = (100 + 7 * r) * l;
            let got: Vec<u32> = core.spad_bytes()[y0..y0 + len * ob]
                .chunks(ob)
                .map(|c| if ob == 1 { c[0] as u32 } else { u16::from_le_bytes([c[0], c[1]]) as u32 })
                .collect();
            assert_eq!(got, want, "{name} row {r}");
        }
    }
}

/// SOFTMAX with `int8_out` writes one byte per element, `to_int8_prob` of
/// the UQ0.8 row; with UQ0.16 outputs the field is a BAD_FIELD fault.
#[test]
fn softmax_int8_out_writes_uq0_7_bytes() {
    for name in ["default", "large"] {
        let cfg = preset(name);
        let (mut core, mut mem) = (CoreModel::new(&cfg).unwrap(), Memory::new(5));
        let sp = SoftmaxParams::new(&cfg.softmax);
        let len = 45usize;
        let ib = (cfg.softmax.in_bits / 8) as usize;
        let data: Vec<u8> = (0..len * ib).map(|i| (i as u8).wrapping_mul(91)).collect();
        mem.write(0x5000, &data);
        let k = sp.scale_to_k(0.05).unwrap();
        let s =
            SoftmaxCmd { rows: 1, len: len as u32, valid_len: 40, y_line: 50, k, int8_out: true, ..Default::default() };
        let p = vec![Command::DmaLoad { desc: lin(0x5000, (len * ib) as u32), spad_line: 0 }, Command::Softmax(s)];
        let st = run(&mut core, &mut mem, &p).unwrap();
        if cfg.softmax.out_bits != 8 {
            assert_eq!(st.fault.map(|f| f.code), Some(ErrorCode::BadField), "{name}");
            continue;
        }
        assert_eq!(st.fault, None, "{name}");
        let x: Vec<i64> = data.iter().map(|&b| b as i8 as i64).collect();
        let mask: Vec<bool> = (0..len).map(|j| j >= 40).collect();
        let want: Vec<u8> =
            sp.softmax_row(&sp.exp2(), k, &x, &mask).iter().map(|&y| crate::softmax::to_int8_prob(y) as u8).collect();
        let y0 = 50 * core.params.line as usize;
        assert_eq!(&core.spad_bytes()[y0..y0 + len], &want[..], "{name}");
        assert!(want.iter().any(|&b| b > 20) && want.iter().all(|&b| b <= 127), "{name}: {want:?}");
    }
}

fn qp(shift: u32) -> Command {
    Command::TileQParam { col: None, q: Requant { multiplier: 1, shift, zero_point: 0 } }
}

/// Each fault: its code, index and DMA status; commands before it retire.
#[test]
fn every_fault_stops_the_core_with_code_and_index() {
    let tl = |k_rows, b_off| Command::TileLoad { b_line: 0, b_stride: 1, b_off, k_rows };
    let tc = |rows, a_off| Command::TileCompute { a_line: 0, a_stride: 1, a_off, rows, accumulate: false };
    let sm = |len, k| Command::Softmax(SoftmaxCmd { rows: 1, len, k, valid_len: len, ..Default::default() });
    let cases: Vec<(&str, Vec<Command>, ErrorCode, Status)> = vec![
        ("rows 0", vec![tl(16, 0), tc(0, 0)], ErrorCode::BadField, Status::Ok),
        ("rows > acc_depth", vec![tl(16, 0), tc(1025, 0)], ErrorCode::BadField, Status::Ok),
        ("k_rows 0", vec![tl(0, 0)], ErrorCode::BadField, Status::Ok),
        ("k_rows > R", vec![tl(17, 0)], ErrorCode::BadField, Status::Ok),
        ("b_off past the line", vec![tl(16, 1)], ErrorCode::BadField, Status::Ok),
        ("a_off past the line", vec![tl(16, 0), tc(1, 1)], ErrorCode::BadField, Status::Ok),
        ("shift 63", vec![qp(63)], ErrorCode::BadField, Status::Ok),
        (
            "col >= C",
            vec![Command::TileQParam { col: Some(16), q: Requant { multiplier: 1, shift: 0, zero_point: 0 } }],
            ErrorCode::BadField,
            Status::Ok,
        ),
        ("softmax len 0", vec![sm(0, 1)], ErrorCode::BadField, Status::Ok),
        ("softmax len > max_len", vec![sm(4097, 1)], ErrorCode::BadField, Status::Ok),
        ("softmax k 0", vec![sm(4, 0)], ErrorCode::BadField, Status::Ok),
        ("softmax k >= 2^kb", vec![sm(4, 1 << 32)], ErrorCode::BadField, Status::Ok),
        ("compute without a fold", vec![tc(1, 0)], ErrorCode::TileSequence, Status::Ok),
        ("two loads", vec![tl(16, 0), tl(16, 0)], ErrorCode::TileSequence, Status::Ok),
        (
            "bad descriptor kind",
            vec![Command::DmaLoad { desc: Descriptor { kind: 5, ..lin(0, 4) }, spad_line: 0 }],
            ErrorCode::DmaDescriptor,
            Status::BadKind,
        ),
        (
            "zero-length store",
            vec![Command::DmaStore { desc: lin(0, 0), spad_line: 0 }],
            ErrorCode::DmaDescriptor,
            Status::ZeroLength,
        ),
        (
            "load past the scratchpad",
            vec![Command::DmaLoad { desc: lin(0, 33), spad_line: 16382 }],
            ErrorCode::SpadRange,
            Status::Ok,
        ),
        (
            "weights past the scratchpad",
            vec![Command::TileLoad { b_line: 16380, b_stride: 1, b_off: 0, k_rows: 5 }],
            ErrorCode::SpadRange,
            Status::Ok,
        ),
        (
            "result rows past the scratchpad",
            vec![
                tl(16, 0),
                tc(1, 0),
                Command::TileRead { c_line: 16381, c_stride: 4, c_off: 0, rows: 1, requant: false },
            ],
            ErrorCode::SpadRange,
            Status::Ok,
        ),
        (
            "softmax output past the scratchpad",
            vec![Command::Softmax(SoftmaxCmd {
                rows: 2,
                len: 4,
                k: 1,
                y_line: 16383,
                y_stride: 1,
                ..Default::default()
            })],
            ErrorCode::SpadRange,
            Status::Ok,
        ),
    ];
    for (what, mut cmds, code, dma_status) in cases {
        let (mut core, mut mem) = setup("default");
        core.load_spad_image(&vec![0; core.params.lines as usize * 16]);
        cmds.insert(0, Command::Nop);
        let index = cmds.len() as u32 - 1;
        cmds.push(Command::DmaStore { desc: lin(0x7000, 16), spad_line: 0 });
        let before = mem.clone();
        let st = run(&mut core, &mut mem, &cmds).unwrap();
        assert_eq!(fault_of(&st), (code, index, dma_status), "{what}");
        assert_eq!((st.head, st.counters.commands_retired), (index, index as u64), "{what}");
        let unchanged = (0x7000..0x7010u64).all(|a| mem.read_byte(a) == before.read_byte(a));
        assert!(unchanged, "{what}: the store after the fault wrote");
    }
}

#[test]
fn undecodable_commands_fault() {
    let (mut core, mut mem) = setup("default");
    let ring = Ring { base: RING, size: RING_SIZE };
    mem.write(RING, &Command::Nop.encode().unwrap());
    let mut bad = [0u8; 32];
    bad[0] = 0x7f;
    mem.write(RING + 32, &bad);
    let st = core.run(&mut mem, ring, 0, 2).unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::UnknownOpcode, 1, Status::Ok));
    let mut raw = Command::Fence.encode().unwrap();
    raw[17] = 4;
    mem.write(RING + 32, &raw);
    let st = core.run(&mut mem, ring, 0, 2).unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::ReservedBits, 1, Status::Ok));
    assert!(!st.irq, "the faulting FENCE is not reached");
}

#[test]
fn a_tile_without_requant_refuses_requantizing_commands() {
    let (mut core, mut mem) = setup("tiny");
    let st = run(&mut core, &mut mem, &[qp(0)]).unwrap();
    assert_eq!(fault_of(&st).0, ErrorCode::NoRequant);
    // A fault leaves the fold loaded before it; clear drops it.
    let tl = Command::TileLoad { b_line: 0, b_stride: 1, b_off: 0, k_rows: 4 };
    core.load_spad_image(&vec![1; core.params.lines as usize * 8]);
    let st = run(
        &mut core,
        &mut mem,
        &[tl, Command::TileCompute { a_line: 0, a_stride: 1, a_off: 2, rows: 1, accumulate: false }],
    )
    .unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::BadField, 1, Status::Ok));
    assert_eq!(fault_of(&run(&mut core, &mut mem, &[tl]).unwrap()).0, ErrorCode::TileSequence);
    core.clear();
    assert_eq!(run(&mut core, &mut mem, &[tl]).unwrap().fault, None);
    let read = Command::TileRead { c_line: 0, c_stride: 1, c_off: 0, rows: 1, requant: true };
    let st = run(&mut core, &mut mem, &[read]).unwrap();
    assert_eq!(fault_of(&st).0, ErrorCode::NoRequant);
}

#[test]
fn axi_errors_on_fetch_and_data() {
    // Fetch: the third command's beat answers DECERR.
    let (mut core, mut mem) = setup("default");
    core.axi_errors.push(AxiErrorRegion { addr: RING + 64, len: 16, resp: 3 });
    let st = run(&mut core, &mut mem, &[Command::Nop, Command::Nop, Command::Nop]).unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::AxiFetch, 2, Status::DecErr));
    // Data, load: SLVERR on one beat of the source.
    let (mut core, mut mem) = setup("default");
    core.axi_errors.push(AxiErrorRegion { addr: 0x2010, len: 16, resp: 2 });
    let st = run(&mut core, &mut mem, &[Command::DmaLoad { desc: lin(0x2000, 64), spad_line: 0 }]).unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::AxiData, 0, Status::SlvErr));
    assert_eq!(st.counters.dram_bytes_read, 0);
    // Data, store: the refused beat is not written, the others are; a later
    // store writes nothing.
    let (mut core, mut mem) = setup("default");
    core.axi_errors.push(AxiErrorRegion { addr: 0x3010, len: 16, resp: 3 });
    let before = mem.clone();
    let p = [
        Command::DmaLoad { desc: lin(0x2000, 48), spad_line: 0 },
        Command::DmaStore { desc: lin(0x3000, 48), spad_line: 0 },
        Command::DmaStore { desc: lin(0x6000, 48), spad_line: 0 },
    ];
    let st = run(&mut core, &mut mem, &p).unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::AxiData, 1, Status::DecErr));
    for i in 0..48u64 {
        let want = if (16..32).contains(&i) { before.read_byte(0x3000 + i) } else { before.read_byte(0x2000 + i) };
        assert_eq!(mem.read_byte(0x3000 + i), want, "byte {i}");
        assert_eq!(mem.read_byte(0x6000 + i), before.read_byte(0x6000 + i));
    }
}

#[test]
fn dram_races_need_a_barrier() {
    let store = Command::DmaStore { desc: lin(0x4000, 32), spad_line: 0 };
    let load_back = Command::DmaLoad { desc: Descriptor::strided_2d(0x3ff0, 4, 8, 8), spad_line: 10 };
    let (mut core, mut mem) = setup("default");
    let first = Command::DmaLoad { desc: lin(0x100, 32), spad_line: 0 };
    let e = run(&mut core, &mut mem, &[first, store, load_back]).unwrap_err();
    assert_eq!(
        e,
        ProgramError::DramRace {
            index: 2,
            what: "DMA_LOAD reads DRAM bytes an earlier DMA_STORE writes",
            addr: 0x4000
        }
    );
    assert!(e.to_string().contains("put a BARRIER between them"));
    // With a BARRIER (or a FENCE) between them it is a program.
    for sync in [Command::Barrier, Command::Fence] {
        let (mut core, mut mem) = setup("default");
        let st = run(&mut core, &mut mem, &[first, store, sync, load_back]).unwrap();
        assert_eq!(st.fault, None);
    }
    // A store over bytes an earlier load reads races too.
    let (mut core, mut mem) = setup("default");
    let e = run(&mut core, &mut mem, &[first, Command::DmaStore { desc: lin(0x11f, 4), spad_line: 0 }]).unwrap_err();
    assert_eq!(
        e,
        ProgramError::DramRace { index: 1, what: "DMA_STORE writes DRAM bytes an earlier DMA_LOAD reads", addr: 0x11f }
    );
    // And a store into the ring.
    let (mut core, mut mem) = setup("default");
    let e =
        run(&mut core, &mut mem, &[first, Command::DmaStore { desc: lin(RING + 40, 4), spad_line: 0 }]).unwrap_err();
    assert!(
        matches!(e, ProgramError::DramRace { index: 1, what: "DMA_STORE writes into the command ring", .. }),
        "{e}"
    );
}

#[test]
fn undefined_state_is_a_program_error() {
    let (mut core, mut mem) = setup("default");
    let e = run(&mut core, &mut mem, &[Command::DmaStore { desc: lin(0x4000, 20), spad_line: 3 }]).unwrap_err();
    assert_eq!(e, ProgramError::UndefinedSpad { index: 0, line: 3 });
    let (mut core, mut mem) = setup("default");
    let p = [
        Command::DmaLoad { desc: lin(0, 16 * 16), spad_line: 0 },
        Command::TileLoad { b_line: 0, b_stride: 1, b_off: 0, k_rows: 16 },
        Command::TileCompute { a_line: 0, a_stride: 1, a_off: 0, rows: 2, accumulate: false },
        Command::TileRead { c_line: 100, c_stride: 4, c_off: 0, rows: 3, requant: false },
    ];
    assert_eq!(run(&mut core, &mut mem, &p).unwrap_err(), ProgramError::UndefinedAcc { index: 3, row: 2 });
    let e = core.run(&mut mem, Ring { base: RING + 8, size: 4 }, 0, 1).unwrap_err();
    assert!(e.to_string().starts_with("bad ring: base 0x100008 must be a multiple of 32"), "{e}");
}

#[test]
fn footprints_are_the_bounding_line_intervals() {
    let p = CoreParams::new(&preset("default")).unwrap();
    let (t, w) = (&[] as &[u64], &[] as &[u64]);
    let fp = |c: Command| check(&c, &p, t, w).unwrap();
    let rd = fp(Command::TileRead { c_line: 10, c_stride: 5, c_off: 0, rows: 3, requant: false });
    assert_eq!((rd.read.clone(), rd.write.clone()), (None, Some(10..24)));
    let ld = fp(Command::DmaLoad { desc: lin(3, 33), spad_line: 20 });
    assert_eq!(ld.write, Some(20..23));
    let tl = fp(Command::TileLoad { b_line: 100, b_stride: 2, b_off: 0, k_rows: 4 });
    assert_eq!(tl.read, Some(100..107));
    assert!(rd.conflicts(&ld) && ld.conflicts(&rd), "write/write");
    assert!(
        !rd.conflicts(&tl)
            && !tl.conflicts(&fp(Command::TileCompute {
                a_line: 0,
                a_stride: 1,
                a_off: 0,
                rows: 200,
                accumulate: true
            })),
        "read/read never conflicts"
    );
    let st = fp(Command::DmaStore { desc: lin(0, 16), spad_line: 23 });
    assert!(st.conflicts(&rd) && !st.conflicts(&ld));
    // The last line is 16383: a footprint may end exactly there.
    let at = |c_line| check(&Command::TileRead { c_line, c_stride: 1, c_off: 0, rows: 1, requant: false }, &p, t, w);
    assert_eq!(at(16380).unwrap().write, Some(16380..16384));
    assert_eq!(at(16381).unwrap_err().code, ErrorCode::SpadRange);
    let sm = fp(Command::Softmax(SoftmaxCmd {
        x_line: 0,
        x_stride: 3,
        y_line: 50,
        y_stride: 2,
        rows: 2,
        len: 33,
        k: 1,
        ..Default::default()
    }));
    assert_eq!((sm.read, sm.write), (Some(0..6), Some(50..55)));
}

/// TILE_MATMUL is its pairs: the same scratchpad and counters (but one
/// retired command), and a fault in fold 2 stops at the macro's index after
/// folds 0 and 1 counted their MACs.
#[test]
fn tile_matmul_is_its_pairs() {
    use super::isa::MatmulCmd;
    let (mut core, mut mem) = setup("default");
    let data: Vec<u8> = (0..64 * 16).map(|i| (i as u8).wrapping_mul(29).wrapping_add(3)).collect();
    mem.write(0x4000, &data);
    let m = MatmulCmd {
        b_line: 8,
        b_stride: 2,
        b_off: 0,
        b_fold_stride: 16,
        k_last: 9,
        a_line: 0,
        a_stride: 3,
        a_off: 0,
        a_slice_stride: 1,
        rows: 2,
        folds: 3,
        accumulate: false,
    };
    let head = vec![Command::DmaLoad { desc: lin(0x4000, 64 * 16), spad_line: 0 }];
    let tail = Command::TileRead { c_line: 100, c_stride: 4, c_off: 0, rows: 2, requant: false };
    let mut pairs = head.clone();
    pairs.extend(m.expand(&core.params));
    pairs.push(tail);
    let st_pairs = run(&mut core, &mut mem, &pairs).unwrap();
    let want = core.spad_bytes()[100 * 16..108 * 16].to_vec();
    let (mut core2, mut mem2) = setup("default");
    mem2.write(0x4000, &data);
    let mut macro_prog = head.clone();
    macro_prog.push(Command::TileMatmul(m));
    macro_prog.push(tail);
    let st = run(&mut core2, &mut mem2, &macro_prog).unwrap();
    assert_eq!(&core2.spad_bytes()[100 * 16..108 * 16], &want[..]);
    assert_eq!(st.counters.macs, st_pairs.counters.macs);
    assert_eq!((st.counters.commands_retired, st_pairs.counters.commands_retired), (3, 8));
    // Fold 2's weight rows run past the scratchpad: SPAD_RANGE at index 1, folds 0 and 1 counted.
    let (mut core3, mut mem3) = setup("default");
    mem3.write(0x4000, &data);
    let bad = MatmulCmd { b_fold_stride: 8190, ..m };
    let far = Command::DmaLoad { desc: lin(0x4000, 64 * 16), spad_line: 8198 };
    let st = run(&mut core3, &mut mem3, &[head[0], far, Command::TileMatmul(bad)]).unwrap();
    assert_eq!(fault_of(&st), (ErrorCode::SpadRange, 2, Status::Ok));
    assert_eq!((st.counters.macs, st.counters.commands_retired), (2 * 2 * 256, 2));
    // The macro's own fields: BAD_FIELD before any fold.
    let st = run(&mut core3, &mut mem3, &[Command::TileMatmul(MatmulCmd { folds: 0, ..m })]).unwrap();
    assert_eq!((fault_of(&st), st.counters.macs), ((ErrorCode::BadField, 0, Status::Ok), 0));
}
