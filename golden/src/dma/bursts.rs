//! From a valid descriptor to segments (contiguous byte ranges) and from
//! segments to legal AXI4 INCR bursts.

use crate::config::DmaConfig;

use super::desc::{Descriptor, BOUNDARY_4K, KIND_2D, KIND_3D, KIND_LINEAR};

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
