//! The program builder, the ring writer and the golden backend.

use std::path::Path;

use golden::config::Config;
use golden::core::isa::{get_bits, op_info, Command, ErrorCode, COMMAND_BYTES};
use golden::core::Ring;
use golden::dma::{Descriptor, Status};
use runtime::program::write_ring;
use runtime::{Backend, GoldenBackend, ProgramBuilder, RuntimeError};

fn preset(name: &str) -> Config {
    Config::from_file(Path::new(&format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

#[test]
fn the_builder_encodes_through_the_isa_table() {
    let mut p = ProgramBuilder::new();
    p.dma_load(Descriptor::linear(0x1000, 64), 3).tile_load(3, 1, 0, 16).tile_compute(7, 2, 0, 9, true).fence();
    let bytes = p.encode().unwrap();
    assert_eq!(bytes.len(), 4 * COMMAND_BYTES);
    for (i, c) in p.commands().iter().enumerate() {
        let raw: [u8; 32] = bytes[i * 32..(i + 1) * 32].try_into().unwrap();
        assert_eq!(&Command::decode(&raw).unwrap(), c);
    }
    // The rows field of the TILE_COMPUTE, read with the table's position.
    let raw: [u8; 32] = bytes[64..96].try_into().unwrap();
    let f = op_info(raw[0]).unwrap().field("rows");
    assert_eq!(get_bits(&raw, f.lsb, f.width), 9);
    // A value too wide names the command and the field.
    let mut p = ProgramBuilder::new();
    p.nop().tile_read(1 << 20, 1, 0, 1, false);
    let e = p.encode().unwrap_err();
    assert_eq!(e.to_string(), "command 1: TILE_READ.c_line = 1048576: must be below 2^20 (a 20-bit field)");
}

#[test]
fn the_ring_wraps_and_keeps_a_slot_free() {
    let mut be = GoldenBackend::new(&preset("default"), 3).unwrap();
    let ring = Ring { base: 0x8000, size: 4 };
    let mut p = ProgramBuilder::new();
    p.nop().barrier().fence();
    let bytes = p.encode().unwrap();
    let tail = write_ring(be.memory(), ring, 2, &bytes).unwrap();
    assert_eq!(tail, 1);
    let st = be.run(ring, 2, tail).unwrap();
    assert_eq!((st.head, st.counters.commands_retired, st.irq, st.fault), (1, 3, true, None));
    let mut p = ProgramBuilder::new();
    p.nop().nop().nop().nop();
    let e = write_ring(be.memory(), ring, 0, &p.encode().unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "4 commands do not fit a ring of 4 (at most 3 at once)");
}

#[test]
fn faults_and_page_tables_through_the_backend() {
    let cfg = preset("default");
    let mut be = GoldenBackend::new(&cfg, 3).unwrap();
    let ring = Ring { base: 0x8000, size: 16 };
    // A paged load through the read engine's table.
    be.set_page_table(true, &[0x4_0000, 0x9_0000]).unwrap();
    let mut p = ProgramBuilder::new();
    p.dma_load(Descriptor::paged(60, 8, 0, 6), 0).dma_store(Descriptor::linear(0x2_0000, 8), 0).fence();
    let tail = write_ring(be.memory(), ring, 0, &p.encode().unwrap()).unwrap();
    assert_eq!(be.run(ring, 0, tail).unwrap().fault, None);
    let mut got = [0u8; 8];
    be.memory().read(0x2_0000, &mut got);
    let want: Vec<u8> =
        (60..68u64).map(|l| be.memory().read_byte([0x4_0000u64, 0x9_0000][(l >> 6) as usize] + (l & 63))).collect();
    assert_eq!(&got[..], &want[..]);
    // A descriptor the DMA rejects stops the core with its status.
    let mut p = ProgramBuilder::new();
    p.nop().dma_load(Descriptor::paged(0, 8, 0, 3), 0);
    let tail = write_ring(be.memory(), ring, 0, &p.encode().unwrap()).unwrap();
    let f = be.run(ring, 0, tail).unwrap().fault.unwrap();
    assert_eq!((f.code, f.index, f.dma_status), (ErrorCode::DmaDescriptor, 1, Status::BadPageShift));
    let msg = RuntimeError::Fault(f).to_string();
    assert!(msg.starts_with("the core stopped at command 1: error 0x06 DMA_DESCRIPTOR"), "{msg}");
    let e = be.set_page_table(false, &vec![0; 257]).unwrap_err();
    assert_eq!(e.to_string(), "257 page-table entries: the engine has 256 (dma.table_entries)");
}

/// `fuse_folds` turns runs of pairs into TILE_MATMULs that expand back to
/// exactly the same pairs, breaks runs at other commands and at any break in
/// the progression, and leaves single pairs alone.
#[test]
fn fused_folds_expand_back_to_the_pairs() {
    let p = golden::core::CoreParams::new(&preset("tiny")).unwrap(); // L = 8, R = C = 4: two slices a line
    let mut b = ProgramBuilder::new();
    // Four folds walking A's slices (line step 3 every two folds) and B by 10 lines; the last has 2 rows.
    for f in 0..4u32 {
        b.tile_load(20 + 10 * f, 2, 1, if f == 3 { 2 } else { 4 });
        b.tile_compute(5 + (f / 2) * 3, 7, f % 2, 6, f > 0);
    }
    b.dma_load(Descriptor::linear(0x1000, 8), 900);
    b.tile_load(1, 1, 0, 4).tile_compute(2, 1, 0, 3, false); // alone: stays a pair
    b.tile_load(1, 1, 0, 4).tile_compute(2, 1, 1, 3, false);
    b.tile_load(9, 1, 0, 4).tile_compute(2, 1, 0, 3, true); // slice 0 again: breaks the run
    let before = b.commands().to_vec();
    b.fuse_folds(&p);
    let kinds: Vec<u8> = b.commands().iter().map(|c| c.op().opcode).collect();
    assert_eq!(kinds, vec![0x24, 0x10, 0x20, 0x21, 0x24]);
    let mut back = b.clone();
    back.expand_folds(&p);
    assert_eq!(back.commands(), &before[..]);
}

/// `hoist_loads` moves a DMA_LOAD up past the folds it does not conflict
/// with, at most the given number of folds, never past a command whose
/// lines it writes, a store to the DRAM bytes it reads, a BARRIER or
/// another load; the moved program computes the same memory image.
#[test]
fn loads_are_hoisted_only_past_what_they_do_not_touch() {
    let p = golden::core::CoreParams::new(&preset("default")).unwrap();
    let fold = |pb: &mut ProgramBuilder, b_line: u32| {
        pb.tile_load(b_line, 1, 0, 16).tile_compute(0, 1, 0, 1, true);
    };
    let load = Command::DmaLoad { desc: Descriptor::linear(0x4000, 256), spad_line: 200 };
    // Three folds on lines 100.. then the load of lines 200..216: it moves up by two folds.
    let mut pb = ProgramBuilder::new();
    pb.dma_load(Descriptor::linear(0x1000, 16), 0);
    for b in [100, 120, 140] {
        fold(&mut pb, b);
    }
    pb.push(load);
    pb.hoist_loads(&p, 2);
    assert_eq!(pb.commands()[3], load, "two folds (four commands) above its place: {:?}", pb.commands());
    // A fold that reads the load's lines stops it.
    let mut pb = ProgramBuilder::new();
    fold(&mut pb, 100);
    fold(&mut pb, 200);
    fold(&mut pb, 120);
    pb.push(load);
    pb.hoist_loads(&p, 8);
    assert_eq!(pb.commands()[3], load, "just below the TILE_LOAD of line 200: {:?}", pb.commands());
    // A store to other DRAM bytes is passed; one to the bytes it reads, a BARRIER or a load is not.
    for (stop, passes) in [
        (Command::DmaStore { desc: Descriptor::linear(0x8000, 16), spad_line: 300 }, true),
        (Command::DmaStore { desc: Descriptor::linear(0x40f0, 16), spad_line: 300 }, false),
        (Command::DmaStore { desc: Descriptor::strided_2d(0x3f00, 16, 4, 0x100), spad_line: 300 }, false),
        (Command::Barrier, false),
        (Command::DmaLoad { desc: Descriptor::linear(0x9000, 16), spad_line: 400 }, false),
    ] {
        let mut pb = ProgramBuilder::new();
        fold(&mut pb, 100);
        pb.push(stop);
        fold(&mut pb, 120);
        pb.push(load);
        pb.hoist_loads(&p, 8);
        let at = |x: Command| pb.commands().iter().position(|c| *c == x).unwrap();
        let want = if passes { 0 } else { at(stop) + 1 };
        assert_eq!(at(load), want, "{stop:?}: {:?}", pb.commands());
    }
}
