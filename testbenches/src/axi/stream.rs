//! AXI-Stream source and sink with random VALID gaps and READY back-pressure,
//! and a stream checker (VALID held until READY, payload stable, packets
//! dense: TKEEP all ones except on the TLAST beat, whose kept lanes are
//! `0..n`).

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{byte_of, set_byte, Words};

/// One stream beat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamBeat {
    pub data: Words,
    pub keep: u64,
    pub last: bool,
}

/// The beats of a dense packet of `bytes` on a bus of `data_bytes`.
pub fn packet_beats(bytes: &[u8], data_bytes: usize) -> Vec<StreamBeat> {
    let n = bytes.len().div_ceil(data_bytes).max(1);
    (0..n)
        .map(|i| {
            let chunk = &bytes[i * data_bytes..((i + 1) * data_bytes).min(bytes.len())];
            let mut data = [0u32; 16];
            for (l, &b) in chunk.iter().enumerate() {
                set_byte(&mut data, l, b);
            }
            StreamBeat { data, keep: lanes(chunk.len() as u32), last: i + 1 == n }
        })
        .collect()
}

/// Lanes `0..n` set.
pub fn lanes(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// A stream source: sends queued beats, with VALID gaps of probability
/// `1 - valid_prob`; a beat once offered is held until taken.
pub struct StreamSource {
    queue: VecDeque<StreamBeat>,
    out: Option<StreamBeat>,
    rng: ChaCha8Rng,
    pub valid_prob: f64,
    pub beats_sent: u64,
}

impl StreamSource {
    pub fn new(seed: u64, valid_prob: f64) -> StreamSource {
        StreamSource {
            queue: VecDeque::new(),
            out: None,
            rng: ChaCha8Rng::seed_from_u64(seed),
            valid_prob,
            beats_sent: 0,
        }
    }

    pub fn push_packet(&mut self, bytes: &[u8], data_bytes: usize) {
        self.queue.extend(packet_beats(bytes, data_bytes));
    }

    pub fn push_beat(&mut self, b: StreamBeat) {
        self.queue.push_back(b);
    }

    /// Beats queued or offered.
    pub fn pending(&self) -> usize {
        self.queue.len() + self.out.is_some() as usize
    }

    /// The beat offered this cycle (VALID = `is_some`).
    pub fn output(&self) -> Option<StreamBeat> {
        self.out
    }

    /// `ready`: TREADY in this cycle. Then choose the next cycle's output.
    pub fn update(&mut self, ready: bool) {
        if self.out.is_some() && ready {
            self.out = None;
            self.beats_sent += 1;
        }
        if self.out.is_none() && !self.queue.is_empty() && self.rng.gen_bool(self.valid_prob) {
            self.out = self.queue.pop_front();
        }
    }
}

/// A stream sink: TREADY high with probability `ready_prob`; collects packets.
pub struct StreamSink {
    rng: ChaCha8Rng,
    pub ready_prob: f64,
    ready: bool,
    current: Vec<u8>,
    /// Complete packets (bytes, TKEEP-selected), oldest first.
    pub packets: VecDeque<Vec<u8>>,
    /// Framing errors seen (TKEEP not dense).
    pub errors: Vec<String>,
    pub beats: u64,
}

impl StreamSink {
    pub fn new(seed: u64, ready_prob: f64) -> StreamSink {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let ready = rng.gen_bool(ready_prob);
        StreamSink {
            rng,
            ready_prob,
            ready,
            current: Vec::new(),
            packets: VecDeque::new(),
            errors: Vec::new(),
            beats: 0,
        }
    }

    /// TREADY this cycle.
    pub fn ready(&self) -> bool {
        self.ready
    }

    /// Take the beat offered this cycle (if any), then choose the next TREADY.
    pub fn update(&mut self, cycle: u64, valid: bool, beat: &StreamBeat, data_bytes: usize) {
        if valid && self.ready {
            self.beats += 1;
            let full = lanes(data_bytes as u32);
            let n = beat.keep.count_ones();
            if !beat.last && beat.keep != full {
                self.errors.push(format!("cycle {cycle}: TKEEP {:#x} on a beat without TLAST", beat.keep));
            }
            if beat.last && (beat.keep != lanes(n) || n == 0) {
                self.errors.push(format!("cycle {cycle}: TKEEP {:#x} on the TLAST beat is not 0..n", beat.keep));
            }
            for l in 0..data_bytes {
                if beat.keep >> l & 1 == 1 {
                    self.current.push(byte_of(&beat.data, l));
                }
            }
            if beat.last {
                self.packets.push_back(std::mem::take(&mut self.current));
            }
        }
        self.ready = self.rng.gen_bool(self.ready_prob);
    }
}

/// Checks an AXI-Stream interface: VALID held until READY, payload stable.
#[derive(Default)]
pub struct StreamChecker {
    prev: Option<(bool, bool, StreamBeat)>,
    pub violations: Vec<String>,
}

impl StreamChecker {
    pub fn check(&mut self, cycle: u64, name: &str, valid: bool, ready: bool, beat: &StreamBeat) {
        if let Some((pv, pr, pb)) = self.prev {
            if pv && !pr {
                if !valid {
                    self.violations.push(format!("cycle {cycle}: {name} TVALID dropped before TREADY"));
                } else if pb != *beat {
                    self.violations.push(format!("cycle {cycle}: {name} payload changed while waiting for TREADY"));
                }
            }
        }
        self.prev = Some((valid, ready, *beat));
    }
}
