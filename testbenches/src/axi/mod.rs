//! AXI verification components for Verilator harnesses: a snapshot of an
//! AXI4 interface's signals in one cycle, an AXI4 slave memory model
//! ([`mem`]), a protocol monitor ([`monitor`]), an AXI4-Lite master driver
//! ([`lite`]), AXI-Stream source and sink ([`stream`]) and port structs bound
//! by prefix from a block's bundles ([`ports`]).
//!
//! Every component works on values sampled once per cycle, after the model
//! has settled and before the clock edge: a handshake happened in a cycle
//! when its VALID and READY were both 1 in that snapshot.

pub mod lite;
pub mod mem;
pub mod monitor;
pub mod ports;
pub mod stream;

/// Data of one beat: up to 512 bits, as little-endian 32-bit words (the
/// layout of `verilator_sys::Model::get_wide`). Byte `i` is bits `8i+7..8i`.
pub type Words = [u32; 16];

/// Byte `i` of a beat.
pub fn byte_of(w: &Words, i: usize) -> u8 {
    (w[i / 4] >> ((i % 4) * 8)) as u8
}

/// Set byte `i` of a beat.
pub fn set_byte(w: &mut Words, i: usize, v: u8) {
    let sh = (i % 4) * 8;
    w[i / 4] = (w[i / 4] & !(0xff << sh)) | ((v as u32) << sh);
}

/// An address-channel payload (AR or AW).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Addr {
    pub id: u32,
    pub addr: u64,
    pub len: u8,
    pub size: u8,
    pub burst: u8,
    pub lock: u8,
    pub cache: u8,
    pub prot: u8,
}

/// An R beat's payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RBeat {
    pub id: u32,
    pub data: Words,
    pub resp: u8,
    pub last: bool,
}

/// A W beat's payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WBeat {
    pub data: Words,
    pub strb: u64,
    pub last: bool,
}

/// A B response's payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BResp {
    pub id: u32,
    pub resp: u8,
}

/// One channel: VALID, READY and the payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chan<T> {
    pub valid: bool,
    pub ready: bool,
    pub payload: T,
}

impl<T> Chan<T> {
    /// A handshake in this cycle.
    pub fn fire(&self) -> bool {
        self.valid && self.ready
    }
}

/// All five channels of an AXI4 interface in one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxiSnapshot {
    pub ar: Chan<Addr>,
    pub r: Chan<RBeat>,
    pub aw: Chan<Addr>,
    pub w: Chan<WBeat>,
    pub b: Chan<BResp>,
}

/// The five channel names, as the monitor reports them.
pub const CHANNELS: [&str; 5] = ["AR", "R", "AW", "W", "B"];

/// Bytes a burst beat covers: for beat `i` of an address-channel payload on
/// a bus of `data_bytes`, the lanes `[lo, hi)` the beat may strobe or
/// carry (AXI4 A3.4.1: the addressed bytes).
pub fn beat_lanes(a: &Addr, i: u32, data_bytes: u32) -> (u32, u32) {
    let nbytes = 1u64 << a.size;
    let aligned = a.addr & !(nbytes - 1);
    let beat_addr = match a.burst {
        0 => a.addr, // FIXED
        2 => {
            // WRAP: wraps within a container of (len+1) * nbytes.
            let container = nbytes * (a.len as u64 + 1);
            let base = a.addr & !(container - 1);
            base + ((a.addr - base + i as u64 * nbytes) % container)
        }
        _ => {
            if i == 0 {
                a.addr
            } else {
                aligned + i as u64 * nbytes
            }
        }
    };
    let db = data_bytes as u64;
    let lo = beat_addr % db;
    let hi = (beat_addr & !(nbytes - 1)) % db + nbytes;
    (lo as u32, hi.min(db) as u32)
}
