//! The one table of the instruction set: every opcode, every field (name,
//! least significant bit, width, meaning) and every error code. The encoder,
//! the decoder, the C header, the JSON, the tables of `docs/isa.md` and the
//! RTL decoder all come from here.

/// Bytes per command: 32 (256 bits), little-endian (bit `i` is bit `i % 8` of byte `i / 8`).
pub const COMMAND_BYTES: usize = 32;
/// Bits per command.
pub const COMMAND_BITS: u32 = 256;
/// Width of every scratchpad line number and line stride: 2^20 lines is more
/// than the largest scratchpad (4 MiB of 8-byte lines is 2^19).
pub const LINE_BITS: u32 = 20;
/// Width of row counts and element counts (acc_depth and max_len are at most 65536).
pub const COUNT_BITS: u32 = 20;

/// One field of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
    pub meaning: &'static str,
}

impl Field {
    /// The most significant bit.
    pub fn msb(&self) -> u32 {
        self.lsb + self.width - 1
    }

    /// The largest value the field holds.
    pub fn max(&self) -> u64 {
        if self.width >= 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        }
    }
}

/// The queue a command is dispatched to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    /// Handled by the command processor itself (NOP, BARRIER, FENCE).
    Control,
    /// DRAM → scratchpad.
    Load,
    /// Tile and softmax.
    Compute,
    /// Scratchpad → DRAM.
    Store,
}

impl Queue {
    pub fn name(self) -> &'static str {
        match self {
            Queue::Control => "control",
            Queue::Load => "load",
            Queue::Compute => "compute",
            Queue::Store => "store",
        }
    }
}

/// One opcode: its value, name, queue, meaning and fields (the opcode field first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    pub opcode: u8,
    pub name: &'static str,
    pub queue: Queue,
    pub meaning: &'static str,
    pub fields: &'static [Field],
}

const fn f(name: &'static str, lsb: u32, width: u32, meaning: &'static str) -> Field {
    Field { name, lsb, width, meaning }
}

/// Bits [7:0] of every command.
pub const OPCODE: Field = f("opcode", 0, 8, "the operation (SERRANO_CORE_OP_*)");

pub const OP_NOP: u8 = 0x01;
pub const OP_BARRIER: u8 = 0x02;
pub const OP_FENCE: u8 = 0x03;
pub const OP_DMA_LOAD: u8 = 0x10;
pub const OP_DMA_STORE: u8 = 0x11;
pub const OP_TILE_LOAD: u8 = 0x20;
pub const OP_TILE_COMPUTE: u8 = 0x21;
pub const OP_TILE_READ: u8 = 0x22;
pub const OP_TILE_QPARAM: u8 = 0x23;
pub const OP_TILE_MATMUL: u8 = 0x24;
pub const OP_SOFTMAX: u8 = 0x30;

/// The fields of DMA_LOAD and DMA_STORE: a golden::dma descriptor (without
/// its tag) and the first scratchpad line of the packet.
const DMA_FIELDS: &[Field] = &[
    OPCODE,
    f("kind", 8, 3, "descriptor kind: 0 linear, 1 2-D, 2 3-D, 3 paged (SERRANO_DMA_KIND_*)"),
    f("page_shift", 11, 5, "paged: log2 of the page size, 6..=30"),
    f("table_base", 16, 16, "paged: the page-table entry of logical page 0"),
    f("spad_line", 32, LINE_BITS, "first scratchpad line of the packet"),
    f("addr", 64, 64, "first byte (paged: logical offset); bits at and above dma.addr_bits are ignored"),
    f("len", 128, 32, "bytes (linear, paged) or bytes per row (2-D, 3-D)"),
    f("count1", 160, 16, "2-D, 3-D: rows (per plane)"),
    f("count2", 176, 16, "3-D: planes"),
    f("stride1", 192, 32, "2-D, 3-D: bytes from a row's start to the next's"),
    f("stride2", 224, 32, "3-D: bytes from a plane's start to the next's"),
];

const TILE_LOAD_FIELDS: &[Field] = &[
    OPCODE,
    f("k_rows", 8, 8, "weight rows read, 1..=R; rows k_rows..R of the fold are zero"),
    f("b_off", 16, 8, "which C-byte slice of each line: bytes [b_off*C, b_off*C + C), b_off < L/C"),
    f("b_line", 32, LINE_BITS, "line of weight row 0"),
    f("b_stride", 52, LINE_BITS, "lines from one weight row to the next"),
];

const TILE_COMPUTE_FIELDS: &[Field] = &[
    OPCODE,
    f("accumulate", 8, 1, "1: add to the accumulator rows; 0: overwrite them"),
    f("a_off", 16, 8, "which R-byte slice of each line: bytes [a_off*R, a_off*R + R), a_off < L/R"),
    f("a_line", 32, LINE_BITS, "line of activation row 0"),
    f("a_stride", 52, LINE_BITS, "lines from one activation row to the next"),
    f("rows", 72, COUNT_BITS, "activation rows (accumulator rows 0..rows), 1..=acc_depth"),
];

const TILE_READ_FIELDS: &[Field] = &[
    OPCODE,
    f("requant", 8, 1, "1: requantized int8 (C bytes per row); 0: int32 (4C bytes per row)"),
    f("c_off", 16, 8, "which row-sized slice of the line (when a row is shorter than a line), else 0"),
    f("c_line", 32, LINE_BITS, "line of result row 0"),
    f("c_stride", 52, LINE_BITS, "lines from one result row to the next"),
    f("rows", 72, COUNT_BITS, "accumulator rows 0..rows, 1..=acc_depth"),
];

const TILE_QPARAM_FIELDS: &[Field] = &[
    OPCODE,
    f("all_cols", 8, 1, "1: set every column's parameters (col is ignored)"),
    f("col", 16, 8, "the column, < C"),
    f("shift", 24, 6, "right shift, 0..=62"),
    f("multiplier", 32, 32, "int32 multiplier (two's complement)"),
    f("zero_point", 64, 8, "int8 zero point (two's complement)"),
];

const TILE_MATMUL_FIELDS: &[Field] = &[
    OPCODE,
    f("accumulate", 8, 1, "1: fold 0 adds to the accumulator rows; 0: it overwrites them (later folds add)"),
    f("a_off", 16, 8, "fold 0's R-byte slice of the activation line, a_off < L/R; fold f takes slice a_off + f"),
    f("k_last", 24, 8, "weight rows of the last fold, 1..=R (the others have R)"),
    f("b_line", 32, LINE_BITS, "line of fold 0's weight row 0"),
    f("b_stride", 52, LINE_BITS, "lines from one weight row to the next"),
    f("rows", 72, COUNT_BITS, "activation rows (accumulator rows 0..rows), 1..=acc_depth"),
    f("a_line", 92, LINE_BITS, "line of activation row 0 for slices 0..L/R"),
    f("a_stride", 112, LINE_BITS, "lines from one activation row to the next"),
    f("folds", 132, COUNT_BITS, "folds, at least 1"),
    f("b_fold_stride", 152, LINE_BITS, "lines from one fold's weight row 0 to the next fold's"),
    f("a_slice_stride", 172, LINE_BITS, "lines added to a_line each time the slice passes the line's end"),
    f("b_off", 192, 8, "which C-byte slice of each weight line, b_off < L/C"),
];

const SOFTMAX_FIELDS: &[Field] = &[
    OPCODE,
    f("causal", 8, 1, "1: element j of row r is masked when j > causal_base + r"),
    f("int8_out", 9, 1, "1: probabilities as int8 UQ0.7, min(127, (y + 1) >> 1), for the tile (needs out_bits = 8)"),
    f("x_line", 32, LINE_BITS, "line of input row 0 (int8 or int16 logits, dense from byte 0)"),
    f("x_stride", 52, LINE_BITS, "lines from one input row to the next"),
    f("y_line", 72, LINE_BITS, "line of output row 0 (UQ0.8 or UQ0.16 probabilities, dense from byte 0)"),
    f("y_stride", 92, LINE_BITS, "lines from one output row to the next"),
    f("rows", 112, COUNT_BITS, "rows, at least 1"),
    f("len", 132, COUNT_BITS, "elements per row, 1..=max_len"),
    f("valid_len", 152, COUNT_BITS, "elements j >= valid_len are masked (any value; >= len masks none)"),
    f("causal_base", 172, COUNT_BITS, "the causal limit of row 0"),
    f("k", 192, 40, "K = s*log2(e) in UQ8.kf (kf = in_bits + 16), 1..2^(in_bits + 24)"),
];

/// Every opcode, in value order.
pub const OPS: &[OpInfo] = &[
    OpInfo { opcode: OP_NOP, name: "NOP", queue: Queue::Control, meaning: "does nothing", fields: &[OPCODE] },
    OpInfo {
        opcode: OP_BARRIER,
        name: "BARRIER",
        queue: Queue::Control,
        meaning: "waits until every earlier command has completed",
        fields: &[OPCODE],
    },
    OpInfo {
        opcode: OP_FENCE,
        name: "FENCE",
        queue: Queue::Control,
        meaning: "a BARRIER that then raises irq and sets the fence status bit (the host clears it)",
        fields: &[OPCODE],
    },
    OpInfo {
        opcode: OP_DMA_LOAD,
        name: "DMA_LOAD",
        queue: Queue::Load,
        meaning: "DRAM -> scratchpad: the descriptor's packet to consecutive lines from spad_line",
        fields: DMA_FIELDS,
    },
    OpInfo {
        opcode: OP_DMA_STORE,
        name: "DMA_STORE",
        queue: Queue::Store,
        meaning: "scratchpad -> DRAM: consecutive lines from spad_line as the descriptor's packet",
        fields: DMA_FIELDS,
    },
    OpInfo {
        opcode: OP_TILE_LOAD,
        name: "TILE_LOAD",
        queue: Queue::Compute,
        meaning: "loads one weight fold (R rows of C int8) from the scratchpad into the tile",
        fields: TILE_LOAD_FIELDS,
    },
    OpInfo {
        opcode: OP_TILE_COMPUTE,
        name: "TILE_COMPUTE",
        queue: Queue::Compute,
        meaning: "streams activation rows (R int8 each) through the loaded fold into the accumulator",
        fields: TILE_COMPUTE_FIELDS,
    },
    OpInfo {
        opcode: OP_TILE_READ,
        name: "TILE_READ",
        queue: Queue::Compute,
        meaning: "writes accumulator rows (int32, or requantized int8) to the scratchpad",
        fields: TILE_READ_FIELDS,
    },
    OpInfo {
        opcode: OP_TILE_MATMUL,
        name: "TILE_MATMUL",
        queue: Queue::Compute,
        meaning: "folds TILE_LOAD + TILE_COMPUTE pairs in one command (expanded before dispatch)",
        fields: TILE_MATMUL_FIELDS,
    },
    OpInfo {
        opcode: OP_TILE_QPARAM,
        name: "TILE_QPARAM",
        queue: Queue::Compute,
        meaning: "sets the requantization parameters of one column or of all",
        fields: TILE_QPARAM_FIELDS,
    },
    OpInfo {
        opcode: OP_SOFTMAX,
        name: "SOFTMAX",
        queue: Queue::Compute,
        meaning: "softmax of scratchpad rows into scratchpad rows",
        fields: SOFTMAX_FIELDS,
    },
];

/// The opcode's entry, if defined.
pub fn op_info(opcode: u8) -> Option<&'static OpInfo> {
    OPS.iter().find(|o| o.opcode == opcode)
}

impl OpInfo {
    /// The field named `name`. Panics on a name the table does not have (a
    /// bug of the caller, which names fields by constant strings).
    pub fn field(&self, name: &str) -> &'static Field {
        self.fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{} has no field {name}", self.name))
    }

    /// The reserved bit ranges (lsb, width): every bit no field covers. They
    /// must be zero.
    pub fn reserved(&self) -> Vec<(u32, u32)> {
        let mut used = [false; COMMAND_BITS as usize];
        for fl in self.fields {
            for b in fl.lsb..=fl.msb() {
                used[b as usize] = true;
            }
        }
        let mut v = Vec::new();
        let mut b = 0;
        while b < COMMAND_BITS {
            if used[b as usize] {
                b += 1;
                continue;
            }
            let lsb = b;
            while b < COMMAND_BITS && !used[b as usize] {
                b += 1;
            }
            v.push((lsb, b - lsb));
        }
        v
    }
}

/// Why the core stopped (the status register's error code, 8 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ErrorCode {
    /// An opcode the table does not define.
    UnknownOpcode = 0x01,
    /// A bit that no field of the opcode covers is 1.
    ReservedBits = 0x02,
    /// A field outside its allowed values (rows, len, k_rows, an offset, shift, col, k).
    BadField = 0x03,
    /// A requantizing TILE_READ or a TILE_QPARAM on a tile built without requantization.
    NoRequant = 0x04,
    /// TILE_COMPUTE with no loaded fold, or TILE_LOAD while a loaded fold waits for its COMPUTE.
    TileSequence = 0x05,
    /// A DMA descriptor that golden::dma::validate rejects (the DMA status says why).
    DmaDescriptor = 0x06,
    /// A scratchpad access past the last line.
    SpadRange = 0x07,
    /// SLVERR or DECERR on a command fetch.
    AxiFetch = 0x08,
    /// SLVERR or DECERR on a data transfer of DMA_LOAD or DMA_STORE.
    AxiData = 0x09,
}

impl ErrorCode {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Every code, in value order.
    pub fn all() -> [ErrorCode; 9] {
        use ErrorCode::*;
        [UnknownOpcode, ReservedBits, BadField, NoRequant, TileSequence, DmaDescriptor, SpadRange, AxiFetch, AxiData]
    }

    pub fn from_code(c: u8) -> Option<ErrorCode> {
        ErrorCode::all().into_iter().find(|e| e.code() == c)
    }

    pub fn name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            UnknownOpcode => "UNKNOWN_OPCODE",
            ReservedBits => "RESERVED_BITS",
            BadField => "BAD_FIELD",
            NoRequant => "NO_REQUANT",
            TileSequence => "TILE_SEQUENCE",
            DmaDescriptor => "DMA_DESCRIPTOR",
            SpadRange => "SPAD_RANGE",
            AxiFetch => "AXI_FETCH",
            AxiData => "AXI_DATA",
        }
    }

    pub fn meaning(self) -> &'static str {
        use ErrorCode::*;
        match self {
            UnknownOpcode => "the opcode is not defined",
            ReservedBits => "a reserved bit of the command is 1",
            BadField => "a field is outside its allowed values (rows, len, k_rows, an offset, shift, col, k)",
            NoRequant => "a requantizing TILE_READ or a TILE_QPARAM on a tile without requantization",
            TileSequence => "TILE_COMPUTE without a loaded fold, or TILE_LOAD while a loaded fold is unused",
            DmaDescriptor => "the descriptor fails golden::dma::validate; the DMA status code says why",
            SpadRange => "the command's scratchpad lines run past the last line",
            AxiFetch => "SLVERR or DECERR on the command's fetch; the DMA status code says which",
            AxiData => "SLVERR or DECERR on a data transfer; the DMA status code says which",
        }
    }
}
