//! The DMA engines' specification: descriptors and their validation, the burst
//! legalizer, and what the engines do to memory and to their streams.
//!
//! The RTL (`hdl::blocks::dma_*`) must match this model exactly: the same
//! error code for every descriptor, the same sequence of AXI4 bursts
//! (address, length, size) on each engine's address channel, the same bytes
//! on the stream, and the same final memory image. `docs/dma.md` describes it
//! for humans; this file is normative.
//!
//! # Descriptors
//! A descriptor names a sequence of *segments* (contiguous byte ranges in
//! memory); the engine moves the segments' bytes, in order, between memory and
//! one AXI-Stream packet:
//! * linear: one segment `[addr, addr + len)`;
//! * 2-D strided: `count1` rows of `len` bytes, row `j` at `addr + j·stride1`;
//! * 3-D strided: `count2` planes of `count1` rows, row `(k, j)` at
//!   `addr + k·stride2 + j·stride1`, planes outer;
//! * paged gather/scatter: `len` bytes of a *logical* space that starts at
//!   logical offset `addr` and is made of pages of `2^page_shift` bytes; logical
//!   page `p` lives at the physical page base `table[table_base + p]` (the
//!   engine's page table, a block table as in vLLM's PagedAttention). Each
//!   piece of a page is a segment.
//!
//! # Bursts
//! Each segment is split, from its first byte, into INCR bursts of full-width
//! beats (`size = log2(data bytes)`), each as long as possible but at most
//! `max_burst` beats, never crossing a 4 KiB boundary and never past the
//! segment's end. A burst's address is the exact byte address of its first
//! byte (unaligned when the segment starts mid-beat); on writes, only the
//! segment's bytes are strobed.

use std::collections::BTreeMap;

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
        .into_iter()
        .find(|s| s.code() == c)
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

/// A contiguous byte range in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub addr: u64,
    pub len: u64,
}

/// The segments of a valid descriptor, in the order the engine moves them.
pub fn segments(d: &Descriptor, cfg: &DmaConfig, table: &[u64]) -> Vec<Segment> {
    let d = d.masked(cfg);
    let len = d.len as u64;
    match d.kind {
        KIND_LINEAR => vec![Segment { addr: d.addr, len }],
        KIND_2D | KIND_3D => {
            let planes = if d.kind == KIND_3D { d.count2 } else { 1 };
            let mut v = Vec::with_capacity(planes as usize * d.count1 as usize);
            for k in 0..planes as u64 {
                for j in 0..d.count1 as u64 {
                    let addr = d.addr + k * d.stride2 + j * d.stride1;
                    v.push(Segment { addr, len });
                }
            }
            v
        }
        _ => {
            let psize = 1u64 << d.page_shift;
            let mut v = Vec::new();
            let (mut pos, mut rem) = (d.addr, len);
            while rem > 0 {
                let p = pos >> d.page_shift;
                let off = pos & (psize - 1);
                let n = rem.min(psize - off);
                let base = table[(d.table_base as u64 + p) as usize];
                v.push(Segment { addr: base + off, len: n });
                pos = pos.wrapping_add(n);
                rem -= n;
            }
            v
        }
    }
}

/// One AXI4 INCR burst of an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    /// AxADDR: the byte address of the first byte moved.
    pub addr: u64,
    /// AxLEN: beats − 1.
    pub len: u8,
    /// AxSIZE: log2 of the bytes per beat (always the full data width).
    pub size: u8,
    /// Bytes of the segment this burst moves.
    pub bytes: u64,
    /// True for the last burst of its descriptor.
    pub last: bool,
}

impl Burst {
    pub fn beats(&self) -> u32 {
        self.len as u32 + 1
    }

    /// (AxADDR, AxLEN, AxSIZE), what the address channel carries.
    pub fn axi(&self) -> (u64, u8, u8) {
        (self.addr, self.len, self.size)
    }

    /// Each beat's bus-aligned address and the lanes `[lo, hi)` it moves.
    pub fn beat_lanes(&self, data_bytes: u64) -> Vec<(u64, u32, u32)> {
        let lo = self.addr % data_bytes;
        let base = self.addr - lo;
        let end = lo + self.bytes; // one past the last byte, from `base`
        (0..self.beats() as u64)
            .map(|i| {
                let b_lo = if i == 0 { lo } else { 0 };
                let b_hi = (end - i * data_bytes).min(data_bytes);
                (base + i * data_bytes, b_lo as u32, b_hi as u32)
            })
            .collect()
    }
}

/// The legalizer: split segment `[addr, addr + len)` into bursts.
pub fn legalize(addr: u64, len: u64, cfg: &DmaConfig) -> Vec<Burst> {
    let b = cfg.data_bytes() as u64;
    let size = b.trailing_zeros() as u8;
    let mut v = Vec::new();
    let (mut a, mut n) = (addr, len);
    while n > 0 {
        let lo = a % b;
        let needed = (lo + n).div_ceil(b);
        let to_4k = (BOUNDARY_4K - ((a % BOUNDARY_4K) - lo)) / b;
        let beats = needed.min(to_4k).min(cfg.max_burst as u64);
        let bytes = n.min(beats * b - lo);
        v.push(Burst { addr: a, len: (beats - 1) as u8, size, bytes, last: false });
        // Wraps only past the last burst of a segment ending at 2^64.
        a = a.wrapping_add(bytes);
        n -= bytes;
    }
    v
}

/// Every burst of a valid descriptor, in issue order (the last one marked).
pub fn bursts(d: &Descriptor, cfg: &DmaConfig, table: &[u64]) -> Vec<Burst> {
    let mut v: Vec<Burst> = segments(d, cfg, table).iter().flat_map(|s| legalize(s.addr, s.len, cfg)).collect();
    if let Some(l) = v.last_mut() {
        l.last = true;
    }
    v
}

/// Byte-addressed memory whose untouched bytes read as a pure function of
/// their address and a seed, so any address can be read without storing it.
#[derive(Clone, Debug)]
pub struct Memory {
    seed: u64,
    pages: BTreeMap<u64, Box<[u8; 4096]>>,
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn initial_byte(seed: u64, addr: u64) -> u8 {
    (splitmix64(seed ^ (addr >> 3).wrapping_mul(0x2545_f491_4f6c_dd1d)) >> ((addr & 7) * 8)) as u8
}

impl Memory {
    pub fn new(seed: u64) -> Memory {
        Memory { seed, pages: BTreeMap::new() }
    }

    /// The byte an untouched address holds.
    pub fn initial(&self, addr: u64) -> u8 {
        initial_byte(self.seed, addr)
    }

    fn page(&mut self, n: u64) -> &mut [u8; 4096] {
        let seed = self.seed;
        self.pages.entry(n).or_insert_with(|| {
            let mut p = Box::new([0u8; 4096]);
            for (i, b) in p.iter_mut().enumerate() {
                *b = initial_byte(seed, n * 4096 + i as u64);
            }
            p
        })
    }

    pub fn read_byte(&self, addr: u64) -> u8 {
        match self.pages.get(&(addr / 4096)) {
            Some(p) => p[(addr % 4096) as usize],
            None => self.initial(addr),
        }
    }

    pub fn write_byte(&mut self, addr: u64, v: u8) {
        self.page(addr / 4096)[(addr % 4096) as usize] = v;
    }

    /// Read `out.len()` bytes from `addr` (page by page).
    pub fn read(&self, addr: u64, out: &mut [u8]) {
        let mut done = 0;
        while done < out.len() {
            let a = addr.wrapping_add(done as u64);
            let off = (a % 4096) as usize;
            let n = (4096 - off).min(out.len() - done);
            match self.pages.get(&(a / 4096)) {
                Some(p) => out[done..done + n].copy_from_slice(&p[off..off + n]),
                None => {
                    for (i, o) in out[done..done + n].iter_mut().enumerate() {
                        *o = self.initial(a + i as u64);
                    }
                }
            }
            done += n;
        }
    }

    /// Write `data` at `addr` (page by page).
    pub fn write(&mut self, addr: u64, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let a = addr.wrapping_add(done as u64);
            let off = (a % 4096) as usize;
            let n = (4096 - off).min(data.len() - done);
            self.page(a / 4096)[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
    }

    /// The numbers of the 4 KiB pages ever written.
    pub fn touched_pages(&self) -> Vec<u64> {
        self.pages.keys().copied().collect()
    }

    /// The first address where `self` and `other` differ, over both memories'
    /// touched pages.
    pub fn first_difference(&self, other: &Memory) -> Option<u64> {
        let mut pages: Vec<u64> = self.touched_pages();
        pages.extend(other.touched_pages());
        pages.sort_unstable();
        pages.dedup();
        for p in pages {
            for i in 0..4096 {
                let a = p * 4096 + i;
                if self.read_byte(a) != other.read_byte(a) {
                    return Some(a);
                }
            }
        }
        None
    }
}

/// What the read engine streams for a valid descriptor: its segments' bytes, in order.
pub fn read_bytes(mem: &Memory, d: &Descriptor, cfg: &DmaConfig, table: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(d.total_bytes() as usize);
    for s in segments(d, cfg, table) {
        let start = out.len();
        out.resize(start + s.len as usize, 0);
        mem.read(s.addr, &mut out[start..]);
    }
    out
}

/// What the write engine does for a valid descriptor given its stream packet's
/// bytes: each burst's beats write their lanes, in burst order. A beat for
/// which `dropped(beat_address)` is true is not written (the slave refused it
/// with an error response).
pub fn write_bytes(
    mem: &mut Memory,
    d: &Descriptor,
    cfg: &DmaConfig,
    table: &[u64],
    data: &[u8],
    dropped: impl Fn(u64) -> bool,
) {
    let b = cfg.data_bytes() as u64;
    let mut pos = 0usize;
    for burst in bursts(d, cfg, table) {
        for (beat, lo, hi) in burst.beat_lanes(b) {
            let n = (hi - lo) as usize;
            if !dropped(beat) {
                mem.write(beat + lo as u64, &data[pos..pos + n]);
            }
            pos += n;
        }
    }
}

/// A descriptor's execution status given the responses its bursts met, in
/// the order they arrived (per beat for reads, per burst for writes): the
/// first error, or OK.
pub fn status_of_responses(resps: impl IntoIterator<Item = u8>) -> Status {
    resps.into_iter().map(Status::from_resp).find(|s| *s != Status::Ok).unwrap_or(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(data_bits: u32, max_burst: u32) -> DmaConfig {
        DmaConfig { data_bits, max_burst, ..DmaConfig::default() }
    }

    /// Every legal burst: within 4 KiB, within max_burst, and the bursts
    /// cover the segment exactly, in order.
    fn check_bursts(addr: u64, len: u64, c: &DmaConfig) {
        let b = c.data_bytes() as u64;
        let v = legalize(addr, len, c);
        let mut a = addr;
        for x in &v {
            assert_eq!(x.addr, a);
            assert!(x.beats() <= c.max_burst);
            let first_page = (x.addr - x.addr % b) / 4096;
            let last_byte = x.addr - x.addr % b + x.beats() as u64 * b - 1;
            assert_eq!(first_page, last_byte / 4096, "{x:?} crosses 4 KiB");
            assert_eq!(x.beats() as u64, (x.addr % b + x.bytes).div_ceil(b));
            assert_eq!(x.size as u64, b.trailing_zeros() as u64);
            a += x.bytes;
        }
        assert_eq!(a, addr + len);
    }

    #[test]
    fn legalizer_examples() {
        let c = cfg(128, 256);
        // 4 KiB aligned: one 256-beat burst.
        let v = legalize(0x1000, 4096, &c);
        assert_eq!(v.iter().map(|b| b.axi()).collect::<Vec<_>>(), [(0x1000, 255, 4)]);
        // Unaligned start and end, crossing a 4 KiB boundary.
        let v = legalize(0x0ff3, 40, &c);
        assert_eq!(
            v.iter().map(|b| (b.axi(), b.bytes)).collect::<Vec<_>>(),
            [((0x0ff3, 0, 4), 13), ((0x1000, 1, 4), 27)]
        );
        // max_burst splits.
        let c = cfg(64, 16);
        let v = legalize(0, 300, &c);
        assert_eq!(v.iter().map(|b| b.axi()).collect::<Vec<_>>(), [(0, 15, 3), (128, 15, 3), (256, 5, 3)]);
        // One byte.
        let v = legalize(0x7, 1, &c);
        assert_eq!(v[0].beat_lanes(8), [(0, 7, 8)]);
    }

    #[test]
    fn legalizer_sweeps() {
        for (bits, mb) in [(64, 256), (128, 256), (128, 7), (512, 256), (256, 1)] {
            let c = cfg(bits, mb);
            for addr in (0..200).chain(4000..4200).chain([0xffff_ff00u64]) {
                for len in [1, 2, 7, 15, 16, 17, 63, 64, 65, 100, 4095, 4096, 4097, 9000] {
                    if addr + len <= 1 << 32 {
                        check_bursts(addr, len, &c);
                    }
                }
            }
        }
    }

    #[test]
    fn beat_lanes_cover_the_bytes() {
        let c = cfg(128, 256);
        let v = legalize(0x13, 50, &c);
        let lanes = v[0].beat_lanes(16);
        assert_eq!(lanes, [(0x10, 3, 16), (0x20, 0, 16), (0x30, 0, 16), (0x40, 0, 5)]);
    }

    #[test]
    fn validation_codes_in_order() {
        let c = DmaConfig::default();
        let table = vec![0u64; 256];
        let v = |d: Descriptor| validate(&d, &c, &table);
        assert_eq!(v(Descriptor { kind: 4, len: 0, ..Default::default() }), Status::BadKind);
        assert_eq!(v(Descriptor::linear(0, 0)), Status::ZeroLength);
        assert_eq!(v(Descriptor::strided_2d(0, 4, 0, 8)), Status::ZeroLength);
        assert_eq!(v(Descriptor::strided_3d(0, 4, 1, 8, 0, 8)), Status::ZeroLength);
        assert_eq!(v(Descriptor::paged(0, 1, 0, 5)), Status::BadPageShift);
        assert_eq!(v(Descriptor::paged(0, 1, 0, 31)), Status::BadPageShift);
        assert_eq!(v(Descriptor::linear(0xffff_ffff, 1)), Status::Ok);
        assert_eq!(v(Descriptor::linear(0xffff_ffff, 2)), Status::AddrRange);
        assert_eq!(v(Descriptor::strided_2d(0, 16, 3, 0x8000_0000)), Status::AddrRange);
        assert_eq!(v(Descriptor::strided_2d(0, 16, 2, 0x8000_0000)), Status::Ok);
        assert_eq!(v(Descriptor::strided_3d(0, 16, 2, 0x10, 2, 0xffff_fff0)), Status::AddrRange);
        assert_eq!(v(Descriptor::paged(0, 4096, 255, 12)), Status::Ok);
        assert_eq!(v(Descriptor::paged(0, 4097, 255, 12)), Status::TableRange);
        assert_eq!(v(Descriptor::paged(0xffff_f000, 4096, 0, 12)), Status::TableRange);
        let mut t = table.clone();
        t[4] = 0x1800;
        assert_eq!(validate(&Descriptor::paged(0, 4096 * 3, 1, 12), &c, &t), Status::Ok);
        assert_eq!(validate(&Descriptor::paged(0, 4096 * 3 + 1, 1, 12), &c, &t), Status::PageMisaligned);
        assert_eq!(validate(&Descriptor::paged(0, 4096 * 3 + 1, 1, 11), &c, &t), Status::Ok);
    }

    #[test]
    fn paged_segments_follow_the_table() {
        let c = DmaConfig::default();
        let mut t = vec![0u64; 256];
        t[5] = 0x30000;
        t[6] = 0x10000;
        t[7] = 0x20000;
        let d = Descriptor::paged(0x1ff0, 0x1020, 4, 12);
        assert_eq!(validate(&d, &c, &t), Status::Ok);
        assert_eq!(
            segments(&d, &c, &t),
            [
                Segment { addr: 0x30ff0, len: 0x10 },
                Segment { addr: 0x10000, len: 0x1000 },
                Segment { addr: 0x20000, len: 0x10 },
            ]
        );
    }

    #[test]
    fn strided_segments() {
        let c = DmaConfig::default();
        let d = Descriptor::strided_3d(100, 3, 2, 10, 2, 1000);
        let s: Vec<u64> = segments(&d, &c, &[]).iter().map(|s| s.addr).collect();
        assert_eq!(s, [100, 110, 1100, 1110]);
        assert_eq!(d.total_bytes(), 12);
    }

    #[test]
    fn memory_reads_writes_and_copies() {
        let c = DmaConfig::default();
        let mut m = Memory::new(7);
        let fresh = Memory::new(7);
        assert_eq!(m.read_byte(12345), fresh.read_byte(12345));
        let d = Descriptor::strided_2d(0x100, 5, 3, 0x20);
        let data: Vec<u8> = (0..15).collect();
        write_bytes(&mut m, &d, &c, &[], &data, |_| false);
        assert_eq!(read_bytes(&m, &d, &c, &[]), data);
        assert_eq!(m.first_difference(&fresh), Some(0x100));
        // A dropped beat is not written.
        let mut m2 = Memory::new(7);
        write_bytes(&mut m2, &d, &c, &[], &data, |beat| beat == 0x120);
        assert_eq!(m2.read_byte(0x120), fresh.read_byte(0x120));
        assert_eq!(m2.read_byte(0x100), 0);
    }

    #[test]
    fn status_takes_the_first_error() {
        assert_eq!(status_of_responses([0, 1, 0]), Status::Ok);
        assert_eq!(status_of_responses([0, 3, 2]), Status::DecErr);
        assert_eq!(status_of_responses([2, 3]), Status::SlvErr);
        for s in Status::all() {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
    }
}
