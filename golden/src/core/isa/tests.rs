use super::*;
use crate::dma::Descriptor;
use crate::tile::gemm::Requant;

/// One command of every opcode, with every field non-zero and at its widest
/// where the type allows.
pub(crate) fn one_of_each() -> Vec<Command> {
    let d = Descriptor {
        kind: 2,
        page_shift: 31,
        table_base: 0xffff,
        addr: u64::MAX,
        len: u32::MAX,
        count1: 0xffff,
        count2: 0x1234,
        stride1: 0xffff_ffff,
        stride2: 0x8000_0001,
        tag: 0,
    };
    let q = Requant { multiplier: i32::MIN, shift: 63, zero_point: -128 };
    vec![
        Command::Nop,
        Command::Barrier,
        Command::Fence,
        Command::DmaLoad { desc: d, spad_line: 0xf_ffff },
        Command::DmaStore { desc: Descriptor::paged(5, 7, 3, 12), spad_line: 1 },
        Command::TileLoad { b_line: 0xf_ffff, b_stride: 0xf_fffe, b_off: 255, k_rows: 255 },
        Command::TileCompute { a_line: 1, a_stride: 2, a_off: 3, rows: 0xf_ffff, accumulate: true },
        Command::TileRead { c_line: 9, c_stride: 8, c_off: 7, rows: 6, requant: true },
        Command::TileQParam { col: Some(255), q },
        Command::TileQParam { col: None, q: Requant { multiplier: i32::MAX, shift: 0, zero_point: 127 } },
        Command::Softmax(SoftmaxCmd {
            x_line: 1,
            x_stride: 0xf_ffff,
            y_line: 3,
            y_stride: 4,
            rows: 5,
            len: 0xf_ffff,
            valid_len: 7,
            causal: true,
            causal_base: 0xf_ffff,
            k: (1 << 40) - 1,
            int8_out: true,
        }),
        Command::TileMatmul(MatmulCmd {
            b_line: 0xf_ffff,
            b_stride: 2,
            b_off: 0xff,
            b_fold_stride: 0xa_bcde,
            k_last: 0x80,
            a_line: 5,
            a_stride: 0xf_fff0,
            a_off: 3,
            a_slice_stride: 7,
            rows: 0x1_0000,
            folds: 0xf_ffff,
            accumulate: true,
        }),
    ]
}

#[test]
fn every_opcode_round_trips() {
    let cmds = one_of_each();
    for op in OPS {
        assert!(cmds.iter().any(|c| c.op().opcode == op.opcode), "{} has no test command", op.name);
    }
    for c in cmds {
        let raw = c.encode().unwrap();
        assert_eq!(raw[0], c.op().opcode);
        assert_eq!(Command::decode(&raw).unwrap(), c, "{c:?}");
    }
}

#[test]
fn fields_fit_do_not_overlap_and_have_names() {
    for op in OPS {
        assert_eq!(op.fields[0], OPCODE, "{}", op.name);
        let mut used = [false; COMMAND_BITS as usize];
        for f in op.fields {
            assert!(f.width >= 1 && f.width <= 64 && f.msb() < COMMAND_BITS, "{}.{}", op.name, f.name);
            for b in f.lsb..=f.msb() {
                assert!(!used[b as usize], "{}.{} overlaps at bit {b}", op.name, f.name);
                used[b as usize] = true;
            }
            assert!(!f.meaning.is_empty());
        }
        let reserved: u32 = op.reserved().iter().map(|r| r.1).sum();
        let fields: u32 = op.fields.iter().map(|f| f.width).sum();
        assert_eq!(reserved + fields, COMMAND_BITS, "{}", op.name);
    }
    let mut codes: Vec<u8> = OPS.iter().map(|o| o.opcode).collect();
    codes.dedup();
    assert_eq!(codes.len(), OPS.len(), "opcodes are unique and in order");
    assert!(op_info(0).is_none(), "an all-zero command (unwritten memory) is not a command");
}

#[test]
fn a_value_too_wide_names_its_field() {
    let c = Command::TileCompute { a_line: 1 << 20, a_stride: 0, a_off: 0, rows: 1, accumulate: false };
    assert_eq!(
        c.encode().unwrap_err().to_string(),
        "TILE_COMPUTE.a_line = 1048576: must be below 2^20 (a 20-bit field)"
    );
    let c = Command::DmaLoad { desc: Descriptor::strided_2d(0, 4, 2, 1 << 32), spad_line: 0 };
    assert_eq!(
        c.encode().unwrap_err().to_string(),
        "DMA_LOAD.stride1 = 4294967296: must be below 2^32 (a 32-bit field)"
    );
    let c = Command::Softmax(SoftmaxCmd { k: 1 << 40, ..Default::default() });
    assert!(c.encode().unwrap_err().to_string().starts_with("SOFTMAX.k = "));
    let c = Command::TileQParam { col: Some(256), q: Requant { multiplier: 1, shift: 0, zero_point: 0 } };
    assert!(c.encode().unwrap_err().to_string().starts_with("TILE_QPARAM.col = 256"));
}

#[test]
fn unknown_opcodes_and_reserved_bits_are_refused() {
    let mut raw = [0u8; COMMAND_BYTES];
    assert_eq!(Command::decode(&raw), Err(IsaError::UnknownOpcode(0)));
    raw[0] = 0x25;
    assert_eq!(Command::decode(&raw).unwrap_err().to_string(), "opcode = 0x25: not an opcode of the instruction set");
    // Every reserved bit of every opcode, one at a time.
    for op in OPS {
        for (lsb, width) in op.reserved() {
            for b in lsb..lsb + width {
                let mut raw = [0u8; COMMAND_BYTES];
                raw[0] = op.opcode;
                raw[(b / 8) as usize] |= 1 << (b % 8);
                assert_eq!(Command::decode(&raw), Err(IsaError::Reserved { op: op.name, bit: b }));
            }
        }
    }
    let mut raw = Command::Barrier.encode().unwrap();
    raw[31] = 0x80;
    assert_eq!(
        Command::decode(&raw).unwrap_err().to_string(),
        "BARRIER: reserved bit 255 is 1 (reserved bits must be 0)"
    );
}

#[test]
fn field_positions_are_as_documented() {
    // A few positions written out, so a change of the table is deliberate.
    let c = Command::TileCompute { a_line: 0x12345, a_stride: 0x6789a, a_off: 2, rows: 0xbcdef, accumulate: true };
    let raw = c.encode().unwrap();
    assert_eq!(raw[..12], [0x21, 0x01, 0x02, 0x00, 0x45, 0x23, 0xa1, 0x89, 0x67, 0xef, 0xcd, 0x0b]);
    assert!(raw[12..].iter().all(|&b| b == 0));
    let raw =
        Command::DmaLoad { desc: Descriptor::linear(0x1122_3344_5566_7788, 0x99), spad_line: 3 }.encode().unwrap();
    assert_eq!(raw[8..16], 0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(raw[16], 0x99);
    assert_eq!(raw[4], 3);
}

#[test]
fn renderings_list_every_opcode_field_and_error() {
    let h = render::c_header();
    let j = render::json();
    let md = render::markdown();
    for op in OPS {
        assert!(h.contains(&format!("#define SERRANO_CORE_OP_{} 0x{:02x}\n", op.name, op.opcode)));
        let jo = j["opcodes"].as_array().unwrap().iter().find(|o| o["name"] == op.name).unwrap();
        assert_eq!(jo["fields"].as_array().unwrap().len(), op.fields.len());
        for f in op.fields.iter().skip(1) {
            let p = format!("SERRANO_CORE_{}_{}", op.name, f.name.to_ascii_uppercase());
            assert!(h.contains(&format!("#define {p}_LSB {}\n#define {p}_WIDTH {}\n", f.lsb, f.width)), "{p}");
            assert!(md.contains(&format!("| `[{}:{}]` | `{}` | {} |", f.msb(), f.lsb, f.name, f.width)));
        }
    }
    for e in ErrorCode::all() {
        assert!(h.contains(&format!("#define SERRANO_CORE_ERR_{} 0x{:02x}", e.name(), e.code())));
        assert_eq!(ErrorCode::from_code(e.code()), Some(e));
    }
    assert_eq!(j["command_bytes"], 32);
    assert_eq!(j["errors"].as_array().unwrap().len(), ErrorCode::all().len());
    assert!(h.lines().all(|l| l.len() <= 150));
}

/// `docs/isa.md` holds the tables [`render::markdown`] renders, between its
/// markers. On a difference the expected text is written to
/// `target/isa_tables.md`: paste it between the markers.
#[test]
fn the_docs_tables_are_the_rendered_table() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let doc = std::fs::read_to_string(format!("{root}/docs/isa.md")).expect("docs/isa.md");
    let (begin, end) =
        ("<!-- isa-tables: generated by golden::core::isa::render::markdown -->\n", "<!-- end isa-tables -->");
    let start = doc.find(begin).expect("the begin marker") + begin.len();
    let stop = doc.find(end).expect("the end marker");
    let want = render::markdown();
    if doc[start..stop] != want {
        let out = format!("{root}/target/isa_tables.md");
        std::fs::write(&out, &want).unwrap();
        panic!("docs/isa.md's tables differ from golden::core::isa's table: paste {out} between the markers");
    }
}
