//! Descriptors and their validation: the kinds, the status codes and the
//! rule that turns a descriptor into a status before anything moves.

use crate::config::DmaConfig;

/// AXI's 4 KiB boundary, which no burst may cross.
pub const BOUNDARY_4K: u64 = 4096;
/// The allowed `page_shift` of a paged descriptor: pages of 64 B to 1 GiB.
pub const PAGE_SHIFT_MIN: u8 = 6;
pub const PAGE_SHIFT_MAX: u8 = 30;

/// Descriptor kinds (the `kind` field, 3 bits; 4..=7 are reserved).
pub const KIND_LINEAR: u8 = 0;
pub const KIND_2D: u8 = 1;
pub const KIND_3D: u8 = 2;
pub const KIND_PAGED: u8 = 3;

/// One descriptor kind, for the register map's enumerations and the docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindInfo {
    pub value: u8,
    /// The name software uses (`SERRANO_DMA_KIND_<name>` in the C header).
    pub name: &'static str,
    pub meaning: &'static str,
}

/// Every defined kind, in value order. The values above [`KIND_PAGED`]
/// (4..=7, [`KINDS_RESERVED`]) are reserved: such a descriptor is rejected
/// with [`Status::BadKind`].
pub const KINDS: [KindInfo; 4] = [
    KindInfo { value: KIND_LINEAR, name: "LINEAR", meaning: "one segment [addr, addr + len)" },
    KindInfo { value: KIND_2D, name: "2D", meaning: "count1 rows of len bytes, row j at addr + j*stride1" },
    KindInfo {
        value: KIND_3D,
        name: "3D",
        meaning: "count2 planes of count1 rows of len bytes, row (k, j) at addr + k*stride2 + j*stride1",
    },
    KindInfo {
        value: KIND_PAGED,
        name: "PAGED",
        meaning:
            "len bytes from logical offset addr; logical page p at table[table_base + p], pages of 2^page_shift bytes",
    },
];

/// The reserved kind values (rejected with [`Status::BadKind`]).
pub const KINDS_RESERVED: std::ops::RangeInclusive<u8> = 4..=7;

/// Status codes, reported per descriptor (8 bits). 0 is success; 0x01..=0x0f
/// are validation errors (the descriptor is rejected and nothing of it is
/// executed); 0x10 and up are errors met while executing (the descriptor
/// runs to its end and the first such error is reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    Ok = 0x00,
    /// `kind` is reserved (4..=7).
    BadKind = 0x01,
    /// `len` is 0, or a used count (`count1` for 2-D/3-D, `count2` for 3-D) is 0.
    ZeroLength = 0x02,
    /// A paged descriptor's `page_shift` is outside 6..=30.
    BadPageShift = 0x03,
    /// The bytes run past the end of the address space (`2^addr_bits`); for a
    /// paged descriptor, the logical range `addr + len` does.
    AddrRange = 0x04,
    /// A paged descriptor needs page-table entries at or beyond `table_entries`.
    TableRange = 0x05,
    /// A page base the descriptor uses is not a multiple of the page size.
    PageMisaligned = 0x06,
    /// A slave answered SLVERR (RRESP/BRESP = 2).
    SlvErr = 0x12,
    /// A slave answered DECERR (RRESP/BRESP = 3).
    DecErr = 0x13,
    /// Write engine: the stream's TLAST or TKEEP did not frame the packet as
    /// the descriptor's length says (the data is written anyway).
    StreamFraming = 0x20,
    /// The slave broke the protocol towards this engine: an RID/BID other than
    /// the engine's ID 0, or RLAST not on the burst's last beat.
    Protocol = 0x21,
}

impl Status {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Option<Status> {
        Status::all().into_iter().find(|s| s.code() == c)
    }

    /// The status for an AXI response code (0 OKAY and 1 EXOKAY are success).
    pub fn from_resp(resp: u8) -> Status {
        match resp & 3 {
            2 => Status::SlvErr,
            3 => Status::DecErr,
            _ => Status::Ok,
        }
    }

    /// A name for reports and docs.
    pub fn name(self) -> &'static str {
        use Status::*;
        match self {
            Ok => "OK",
            BadKind => "BAD_KIND",
            ZeroLength => "ZERO_LENGTH",
            BadPageShift => "BAD_PAGE_SHIFT",
            AddrRange => "ADDR_RANGE",
            TableRange => "TABLE_RANGE",
            PageMisaligned => "PAGE_MISALIGNED",
            SlvErr => "SLVERR",
            DecErr => "DECERR",
            StreamFraming => "STREAM_FRAMING",
            Protocol => "PROTOCOL",
        }
    }

    /// What the status means (the register map's enumeration and the docs).
    pub fn meaning(self) -> &'static str {
        use Status::*;
        match self {
            Ok => "success",
            BadKind => "kind 4..7 (reserved)",
            ZeroLength => "len = 0, or count1 = 0 (2-D, 3-D), or count2 = 0 (3-D)",
            BadPageShift => "paged: page_shift outside 6..30",
            AddrRange => "the bytes run past the end of the address space (2^addr_bits)",
            TableRange => "paged: a page-table entry at or beyond table_entries is needed",
            PageMisaligned => "paged: a page base the descriptor uses is not a multiple of the page size",
            SlvErr => "a beat (read) or burst (write) got RRESP/BRESP = SLVERR",
            DecErr => "a beat (read) or burst (write) got RRESP/BRESP = DECERR",
            StreamFraming => "write engine: s_axis TLAST or TKEEP did not frame the packet as len says",
            Protocol => "the slave broke the protocol: RID/BID not 0, or RLAST not on the counted last beat",
        }
    }

    /// `"success"`, `"validation"` (0x01..=0x0f: the descriptor was rejected
    /// and nothing of it executed) or `"execution"` (0x10 and up: it ran to
    /// its end and this was its first error).
    pub fn class(self) -> &'static str {
        match self.code() {
            0 => "success",
            1..=0x0f => "validation",
            _ => "execution",
        }
    }

    /// Every status, in code order (for the register map and docs).
    pub fn all() -> [Status; 11] {
        use Status::*;
        [
            Ok,
            BadKind,
            ZeroLength,
            BadPageShift,
            AddrRange,
            TableRange,
            PageMisaligned,
            SlvErr,
            DecErr,
            StreamFraming,
            Protocol,
        ]
    }
}

/// A descriptor as the registers hold it. Fields are masked to their register
/// widths by [`Descriptor::masked`]: `kind` 3 bits, `page_shift` 5 bits,
/// `addr`/`stride1`/`stride2` `addr_bits`, `len` 32, counts, `table_base`
/// and `tag` 16.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Descriptor {
    pub kind: u8,
    pub page_shift: u8,
    /// Linear/strided: the first byte's address. Paged: the logical offset.
    pub addr: u64,
    /// Linear and paged: bytes in all. Strided: bytes per row.
    pub len: u32,
    /// Strided: rows (per plane).
    pub count1: u16,
    /// 3-D: planes.
    pub count2: u16,
    /// Strided: bytes from one row's start to the next's.
    pub stride1: u64,
    /// 3-D: bytes from one plane's start to the next's.
    pub stride2: u64,
    /// Paged: the page-table entry of logical page 0.
    pub table_base: u16,
    /// The software's name for the descriptor, echoed in its completion.
    pub tag: u16,
}

impl Descriptor {
    pub fn linear(addr: u64, len: u32) -> Descriptor {
        Descriptor { kind: KIND_LINEAR, addr, len, ..Default::default() }
    }

    pub fn strided_2d(addr: u64, row_bytes: u32, rows: u16, stride: u64) -> Descriptor {
        Descriptor { kind: KIND_2D, addr, len: row_bytes, count1: rows, stride1: stride, ..Default::default() }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn strided_3d(
        addr: u64,
        row_bytes: u32,
        rows: u16,
        row_stride: u64,
        planes: u16,
        plane_stride: u64,
    ) -> Descriptor {
        Descriptor {
            kind: KIND_3D,
            addr,
            len: row_bytes,
            count1: rows,
            stride1: row_stride,
            count2: planes,
            stride2: plane_stride,
            ..Default::default()
        }
    }

    pub fn paged(offset: u64, len: u32, table_base: u16, page_shift: u8) -> Descriptor {
        Descriptor { kind: KIND_PAGED, addr: offset, len, table_base, page_shift, ..Default::default() }
    }

    pub fn with_tag(mut self, tag: u16) -> Descriptor {
        self.tag = tag;
        self
    }

    /// The descriptor as the registers of a `cfg` engine hold it.
    pub fn masked(mut self, cfg: &DmaConfig) -> Descriptor {
        let am = addr_mask(cfg);
        self.kind &= 7;
        self.page_shift &= 31;
        self.addr &= am;
        self.stride1 &= am;
        self.stride2 &= am;
        self
    }

    /// Total bytes moved (if the descriptor is valid).
    pub fn total_bytes(&self) -> u64 {
        match self.kind {
            KIND_2D => self.len as u64 * self.count1 as u64,
            KIND_3D => self.len as u64 * self.count1 as u64 * self.count2 as u64,
            _ => self.len as u64,
        }
    }
}

fn addr_mask(cfg: &DmaConfig) -> u64 {
    if cfg.addr_bits >= 64 {
        u64::MAX
    } else {
        (1u64 << cfg.addr_bits) - 1
    }
}

/// Check a descriptor; the first failing check, in this order, gives the code:
/// kind, lengths, page shift, address range, table range, page alignment.
/// `table` is the engine's page table (`table_entries` entries).
pub fn validate(d: &Descriptor, cfg: &DmaConfig, table: &[u64]) -> Status {
    let d = d.masked(cfg);
    let space: u128 = 1u128 << cfg.addr_bits;
    if d.kind > KIND_PAGED {
        return Status::BadKind;
    }
    let zero =
        d.len == 0 || (matches!(d.kind, KIND_2D | KIND_3D) && d.count1 == 0) || (d.kind == KIND_3D && d.count2 == 0);
    if zero {
        return Status::ZeroLength;
    }
    if d.kind == KIND_PAGED && !(PAGE_SHIFT_MIN..=PAGE_SHIFT_MAX).contains(&d.page_shift) {
        return Status::BadPageShift;
    }
    // One past the last byte, in exact arithmetic.
    let mut end = d.addr as u128 + d.len as u128;
    if matches!(d.kind, KIND_2D | KIND_3D) {
        end += (d.count1 as u128 - 1) * d.stride1 as u128;
    }
    if d.kind == KIND_3D {
        end += (d.count2 as u128 - 1) * d.stride2 as u128;
    }
    if end > space {
        return Status::AddrRange;
    }
    if d.kind == KIND_PAGED {
        let first = d.addr >> d.page_shift;
        let last = (d.addr + d.len as u64 - 1) >> d.page_shift;
        if d.table_base as u64 + last >= cfg.table_entries as u64 {
            return Status::TableRange;
        }
        let mask = (1u64 << d.page_shift) - 1;
        for p in first..=last {
            let base = table.get((d.table_base as u64 + p) as usize).copied().unwrap_or(0);
            if base & mask != 0 {
                return Status::PageMisaligned;
            }
        }
    }
    Status::Ok
}

/// How many `s_axis` beats the write engine takes for descriptor `d`: its
/// packet's beats, `ceil(total bytes / data bytes)`, if `d` is valid, and none
/// if it is rejected. The engine takes a stream beat only for a descriptor it
/// holds (queued descriptors included) and only as many as this says, so a
/// beat offered while no descriptor needs it waits on `s_axis` (TREADY low)
/// and belongs to the next descriptor pushed.
pub fn stream_beats(d: &Descriptor, cfg: &DmaConfig, table: &[u64]) -> u64 {
    if validate(d, cfg, table) != Status::Ok {
        return 0;
    }
    d.masked(cfg).total_bytes().div_ceil(cfg.data_bytes() as u64)
}
