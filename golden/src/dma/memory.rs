//! The memory the engines act on, and what a read or a write descriptor
//! does to it and to its stream.

use std::collections::BTreeMap;

use crate::config::DmaConfig;

use super::bursts::{bursts, segments};
use super::desc::{Descriptor, Status};

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
