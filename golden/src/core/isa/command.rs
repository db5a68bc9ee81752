//! Typed commands and their 32-byte encoding, packed and unpacked only
//! through the table in [`super::table`].

use std::fmt;

use crate::dma::Descriptor;
use crate::tile::gemm::Requant;

use super::table::*;

/// One encoded command.
pub type Raw = [u8; COMMAND_BYTES];

/// One command, with every field decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Nop,
    Barrier,
    Fence,
    /// The descriptor's `tag` is not encoded (it is 0 after decoding).
    DmaLoad {
        desc: Descriptor,
        spad_line: u32,
    },
    DmaStore {
        desc: Descriptor,
        spad_line: u32,
    },
    TileLoad {
        b_line: u32,
        b_stride: u32,
        b_off: u32,
        k_rows: u32,
    },
    TileCompute {
        a_line: u32,
        a_stride: u32,
        a_off: u32,
        rows: u32,
        accumulate: bool,
    },
    TileRead {
        c_line: u32,
        c_stride: u32,
        c_off: u32,
        rows: u32,
        requant: bool,
    },
    /// `col: None` sets every column.
    TileQParam {
        col: Option<u32>,
        q: Requant,
    },
    Softmax(SoftmaxCmd),
    /// Folds: `golden::core::matmul` expands it.
    TileMatmul(MatmulCmd),
}

/// The fields of a TILE_MATMUL command: `folds` TILE_LOAD + TILE_COMPUTE
/// pairs (`MatmulCmd::expand`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MatmulCmd {
    pub b_line: u32,
    pub b_stride: u32,
    pub b_off: u32,
    pub b_fold_stride: u32,
    pub k_last: u32,
    pub a_line: u32,
    pub a_stride: u32,
    pub a_off: u32,
    pub a_slice_stride: u32,
    pub rows: u32,
    pub folds: u32,
    pub accumulate: bool,
}

/// The fields of a SOFTMAX command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SoftmaxCmd {
    pub x_line: u32,
    pub x_stride: u32,
    pub y_line: u32,
    pub y_stride: u32,
    pub rows: u32,
    pub len: u32,
    pub valid_len: u32,
    pub causal: bool,
    pub causal_base: u32,
    pub k: u64,
    /// Write int8 UQ0.7 probabilities (`golden::softmax::to_int8_prob`), one
    /// byte each, ready to be the tile's activations; needs `out_bits` = 8.
    pub int8_out: bool,
}

/// A command that cannot be encoded or decoded, naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IsaError {
    /// A value wider than its field.
    TooWide { op: &'static str, field: &'static str, value: u64, width: u32 },
    /// An opcode the table does not define.
    UnknownOpcode(u8),
    /// A reserved bit is 1.
    Reserved { op: &'static str, bit: u32 },
}

impl fmt::Display for IsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IsaError::TooWide { op, field, value, width } => {
                write!(f, "{op}.{field} = {value}: must be below 2^{width} (a {width}-bit field)")
            }
            IsaError::UnknownOpcode(o) => write!(f, "opcode = {o:#04x}: not an opcode of the instruction set"),
            IsaError::Reserved { op, bit } => write!(f, "{op}: reserved bit {bit} is 1 (reserved bits must be 0)"),
        }
    }
}

impl std::error::Error for IsaError {}

/// Bits `[lsb, lsb + width)` of a command, as an integer (width <= 64).
pub fn get_bits(raw: &Raw, lsb: u32, width: u32) -> u64 {
    (0..width).fold(0u64, |v, i| {
        let b = lsb + i;
        v | ((((raw[(b / 8) as usize] >> (b % 8)) & 1) as u64) << i)
    })
}

fn set_bits(raw: &mut Raw, lsb: u32, width: u32, value: u64) {
    for i in 0..width {
        let b = lsb + i;
        let byte = &mut raw[(b / 8) as usize];
        *byte = (*byte & !(1 << (b % 8))) | ((((value >> i) & 1) as u8) << (b % 8));
    }
}

/// Pack `values` (field name, value) into a command of opcode `op`: the only
/// place a field is packed. Fields not named are 0.
pub fn pack(op: &'static OpInfo, values: &[(&'static str, u64)]) -> Result<Raw, IsaError> {
    let mut raw = [0u8; COMMAND_BYTES];
    set_bits(&mut raw, OPCODE.lsb, OPCODE.width, op.opcode as u64);
    for &(name, value) in values {
        let fl = op.field(name);
        if value > fl.max() {
            return Err(IsaError::TooWide { op: op.name, field: fl.name, value, width: fl.width });
        }
        set_bits(&mut raw, fl.lsb, fl.width, value);
    }
    Ok(raw)
}

/// The opcode's entry, and the command checked for reserved bits.
pub fn unpack(raw: &Raw) -> Result<&'static OpInfo, IsaError> {
    let opcode = get_bits(raw, OPCODE.lsb, OPCODE.width) as u8;
    let op = op_info(opcode).ok_or(IsaError::UnknownOpcode(opcode))?;
    for (lsb, width) in op.reserved() {
        if let Some(i) = (0..width).find(|&i| get_bits(raw, lsb + i, 1) == 1) {
            return Err(IsaError::Reserved { op: op.name, bit: lsb + i });
        }
    }
    Ok(op)
}

fn info(opcode: u8) -> &'static OpInfo {
    op_info(opcode).expect("the opcode constants are in the table")
}

fn dma_values(desc: &Descriptor, spad_line: u32) -> Vec<(&'static str, u64)> {
    vec![
        ("kind", desc.kind as u64),
        ("page_shift", desc.page_shift as u64),
        ("table_base", desc.table_base as u64),
        ("spad_line", spad_line as u64),
        ("addr", desc.addr),
        ("len", desc.len as u64),
        ("count1", desc.count1 as u64),
        ("count2", desc.count2 as u64),
        ("stride1", desc.stride1),
        ("stride2", desc.stride2),
    ]
}

impl Command {
    /// The opcode's table entry.
    pub fn op(&self) -> &'static OpInfo {
        info(match self {
            Command::Nop => OP_NOP,
            Command::Barrier => OP_BARRIER,
            Command::Fence => OP_FENCE,
            Command::DmaLoad { .. } => OP_DMA_LOAD,
            Command::DmaStore { .. } => OP_DMA_STORE,
            Command::TileLoad { .. } => OP_TILE_LOAD,
            Command::TileCompute { .. } => OP_TILE_COMPUTE,
            Command::TileRead { .. } => OP_TILE_READ,
            Command::TileQParam { .. } => OP_TILE_QPARAM,
            Command::TileMatmul(_) => OP_TILE_MATMUL,
            Command::Softmax(_) => OP_SOFTMAX,
        })
    }

    /// Every field's value by name (the opcode aside).
    pub fn values(&self) -> Vec<(&'static str, u64)> {
        let l = |v: u32| v as u64;
        match *self {
            Command::Nop | Command::Barrier | Command::Fence => vec![],
            Command::DmaLoad { desc, spad_line } | Command::DmaStore { desc, spad_line } => {
                dma_values(&desc, spad_line)
            }
            Command::TileLoad { b_line, b_stride, b_off, k_rows } => {
                vec![("k_rows", l(k_rows)), ("b_off", l(b_off)), ("b_line", l(b_line)), ("b_stride", l(b_stride))]
            }
            Command::TileCompute { a_line, a_stride, a_off, rows, accumulate } => vec![
                ("accumulate", accumulate as u64),
                ("a_off", l(a_off)),
                ("a_line", l(a_line)),
                ("a_stride", l(a_stride)),
                ("rows", l(rows)),
            ],
            Command::TileRead { c_line, c_stride, c_off, rows, requant } => vec![
                ("requant", requant as u64),
                ("c_off", l(c_off)),
                ("c_line", l(c_line)),
                ("c_stride", l(c_stride)),
                ("rows", l(rows)),
            ],
            Command::TileQParam { col, q } => vec![
                ("all_cols", col.is_none() as u64),
                ("col", l(col.unwrap_or(0))),
                ("shift", l(q.shift)),
                ("multiplier", q.multiplier as u32 as u64),
                ("zero_point", q.zero_point as u8 as u64),
            ],
            Command::TileMatmul(t) => vec![
                ("accumulate", t.accumulate as u64),
                ("a_off", l(t.a_off)),
                ("k_last", l(t.k_last)),
                ("b_line", l(t.b_line)),
                ("b_stride", l(t.b_stride)),
                ("rows", l(t.rows)),
                ("a_line", l(t.a_line)),
                ("a_stride", l(t.a_stride)),
                ("folds", l(t.folds)),
                ("b_fold_stride", l(t.b_fold_stride)),
                ("a_slice_stride", l(t.a_slice_stride)),
                ("b_off", l(t.b_off)),
            ],
            Command::Softmax(s) => vec![
                ("causal", s.causal as u64),
                ("int8_out", s.int8_out as u64),
                ("x_line", l(s.x_line)),
                ("x_stride", l(s.x_stride)),
                ("y_line", l(s.y_line)),
                ("y_stride", l(s.y_stride)),
                ("rows", l(s.rows)),
                ("len", l(s.len)),
                ("valid_len", l(s.valid_len)),
                ("causal_base", l(s.causal_base)),
                ("k", s.k),
            ],
        }
    }

    /// The 32 bytes of the command; a value too wide for its field is an error naming it.
    pub fn encode(&self) -> Result<Raw, IsaError> {
        pack(self.op(), &self.values())
    }

    /// The command in 32 bytes: an unknown opcode or a reserved bit set is an error.
    pub fn decode(raw: &Raw) -> Result<Command, IsaError> {
        let op = unpack(raw)?;
        let g = |name: &str| {
            let fl = op.field(name);
            get_bits(raw, fl.lsb, fl.width)
        };
        let g32 = |name: &str| g(name) as u32;
        let dma = || Descriptor {
            kind: g("kind") as u8,
            page_shift: g("page_shift") as u8,
            table_base: g("table_base") as u16,
            addr: g("addr"),
            len: g32("len"),
            count1: g("count1") as u16,
            count2: g("count2") as u16,
            stride1: g("stride1"),
            stride2: g("stride2"),
            tag: 0,
        };
        Ok(match op.opcode {
            OP_NOP => Command::Nop,
            OP_BARRIER => Command::Barrier,
            OP_FENCE => Command::Fence,
            OP_DMA_LOAD => Command::DmaLoad { desc: dma(), spad_line: g32("spad_line") },
            OP_DMA_STORE => Command::DmaStore { desc: dma(), spad_line: g32("spad_line") },
            OP_TILE_LOAD => Command::TileLoad {
                b_line: g32("b_line"),
                b_stride: g32("b_stride"),
                b_off: g32("b_off"),
                k_rows: g32("k_rows"),
            },
            OP_TILE_COMPUTE => Command::TileCompute {
                a_line: g32("a_line"),
                a_stride: g32("a_stride"),
                a_off: g32("a_off"),
                rows: g32("rows"),
                accumulate: g("accumulate") == 1,
            },
            OP_TILE_READ => Command::TileRead {
                c_line: g32("c_line"),
                c_stride: g32("c_stride"),
                c_off: g32("c_off"),
                rows: g32("rows"),
                requant: g("requant") == 1,
            },
            OP_TILE_QPARAM => Command::TileQParam {
                col: if g("all_cols") == 1 { None } else { Some(g32("col")) },
                q: Requant {
                    multiplier: g32("multiplier") as i32,
                    shift: g32("shift"),
                    zero_point: g("zero_point") as i8,
                },
            },
            OP_TILE_MATMUL => Command::TileMatmul(MatmulCmd {
                b_line: g32("b_line"),
                b_stride: g32("b_stride"),
                b_off: g32("b_off"),
                b_fold_stride: g32("b_fold_stride"),
                k_last: g32("k_last"),
                a_line: g32("a_line"),
                a_stride: g32("a_stride"),
                a_off: g32("a_off"),
                a_slice_stride: g32("a_slice_stride"),
                rows: g32("rows"),
                folds: g32("folds"),
                accumulate: g("accumulate") == 1,
            }),
            OP_SOFTMAX => Command::Softmax(SoftmaxCmd {
                x_line: g32("x_line"),
                x_stride: g32("x_stride"),
                y_line: g32("y_line"),
                y_stride: g32("y_stride"),
                rows: g32("rows"),
                len: g32("len"),
                valid_len: g32("valid_len"),
                causal: g("causal") == 1,
                causal_base: g32("causal_base"),
                k: g("k"),
                int8_out: g("int8_out") == 1,
            }),
            other => unreachable!("opcode {other:#x} is in the table but not decoded"),
        })
    }
}
