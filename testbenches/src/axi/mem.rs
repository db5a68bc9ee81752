//! An AXI4 slave memory model: configurable read and write latency, random
//! READY back-pressure on AR, AW and W, random VALID gaps on R and B,
//! responses reordered across IDs (never within one ID), and error
//! injection on address ranges.
//!
//! Behaviour, per cycle (see [`AxiMem::outputs`] and [`AxiMem::update`]):
//! * AR: accepted when ARREADY (random, probability `ready_prob`) is high and
//!   fewer than `max_pending` reads wait. The first beat of a read may be
//!   returned `read_latency` cycles after the AR handshake.
//! * R: one burst at a time, beat by beat (no interleaving inside a burst).
//!   The next burst is the oldest ready one, or, with `reorder`, the head of a
//!   randomly chosen ID. A beat whose bus-aligned range overlaps an error
//!   region returns that region's response and zero data.
//! * AW/W: W beats are taken (WREADY random) only for an AW already
//!   accepted; each beat writes its strobed bytes, unless it overlaps an
//!   error region (then nothing is written and the burst's B carries the
//!   region's response). B may come `write_latency` cycles after WLAST.
//! * B: like R, the oldest ready response, or a random ID's with `reorder`.
//!
//! Once VALID is raised on R or B the payload is held until READY, as AXI
//! requires.

use std::collections::VecDeque;

use golden::dma::Memory;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{set_byte, Addr, AxiSnapshot, BResp, RBeat, Words};

/// An address range that answers with an error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorRegion {
    pub start: u64,
    pub end: u64,
    /// 2 = SLVERR, 3 = DECERR.
    pub resp: u8,
}

/// Deliberate protocol violations by the slave (to test a master's checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehave {
    /// R beats of the burst at this address carry the wrong RID (ARID ^ 1).
    WrongRid(u64),
    /// The last R beat of the burst at this address has RLAST = 0.
    NoRlast(u64),
    /// The B of the burst at this address carries the wrong BID (AWID ^ 1).
    WrongBid(u64),
}

/// How the slave behaves.
#[derive(Clone, Debug)]
pub struct MemConfig {
    pub data_bytes: u32,
    /// Cycles from the AR handshake to the earliest first R beat (>= 1).
    pub read_latency: u32,
    /// Cycles from the WLAST handshake to the earliest B (>= 1).
    pub write_latency: u32,
    /// Probability that ARREADY, AWREADY and WREADY are high in a cycle.
    pub ready_prob: f64,
    /// Probability that a ready R beat or B response is offered in a cycle.
    pub valid_prob: f64,
    /// Reorder responses across IDs.
    pub reorder: bool,
    pub errors: Vec<ErrorRegion>,
    /// Reads accepted but not answered, at most; likewise writes (separately,
    /// as a memory controller's read and write queues are).
    pub max_pending: usize,
    pub seed: u64,
    pub misbehave: Option<Misbehave>,
}

impl MemConfig {
    /// A fast, well-behaved slave: always ready, no gaps, in order.
    pub fn ideal(data_bytes: u32, latency: u32) -> MemConfig {
        MemConfig {
            data_bytes,
            read_latency: latency.max(1),
            write_latency: latency.max(1),
            ready_prob: 1.0,
            valid_prob: 1.0,
            reorder: false,
            errors: Vec::new(),
            max_pending: 1024,
            seed: 0,
            misbehave: None,
        }
    }

    /// The response for a beat at bus-aligned address `beat`.
    pub fn resp_at(&self, beat: u64) -> u8 {
        let end = beat as u128 + self.data_bytes as u128;
        self.errors.iter().find(|e| (e.start as u128) < end && beat < e.end).map(|e| e.resp).unwrap_or(0)
    }
}

#[derive(Clone, Debug)]
struct ReadJob {
    a: Addr,
    ready_at: u64,
    beat: u32,
    seq: u64,
}

#[derive(Clone, Debug)]
struct WriteJob {
    a: Addr,
    beat: u32,
    resp: u8,
}

#[derive(Clone, Debug)]
struct BJob {
    b: BResp,
    ready_at: u64,
    seq: u64,
}

/// The slave's outputs for one cycle.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemOutputs {
    pub arready: bool,
    pub awready: bool,
    pub wready: bool,
    pub r: Option<RBeat>,
    pub b: Option<BResp>,
}

/// The AXI4 slave memory model.
pub struct AxiMem {
    pub cfg: MemConfig,
    pub mem: Memory,
    rng: ChaCha8Rng,
    reads: Vec<ReadJob>,
    /// Index into `reads` of the burst being returned.
    r_cur: Option<usize>,
    r_out: Option<RBeat>,
    writes: VecDeque<WriteJob>,
    bs: Vec<BJob>,
    b_out: Option<BResp>,
    out: MemOutputs,
    seq: u64,
    /// Handshakes seen, per channel (AR, R, AW, W, B).
    pub handshakes: [u64; 5],
}

impl AxiMem {
    pub fn new(cfg: MemConfig, mem: Memory) -> AxiMem {
        let rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        AxiMem {
            cfg,
            mem,
            rng,
            reads: Vec::new(),
            r_cur: None,
            r_out: None,
            writes: VecDeque::new(),
            bs: Vec::new(),
            b_out: None,
            out: MemOutputs::default(),
            seq: 0,
            handshakes: [0; 5],
        }
    }

    /// What the slave drives this cycle (decided at the end of the previous one).
    pub fn outputs(&self) -> MemOutputs {
        self.out
    }

    /// Reads or writes accepted and not yet fully answered.
    pub fn pending(&self) -> usize {
        self.reads.len() + self.writes.len() + self.bs.len() + self.b_out.is_some() as usize
    }

    fn beat_data(&self, a: &Addr, i: u32) -> (Words, u8) {
        let db = self.cfg.data_bytes as u64;
        let (lo, hi) = super::beat_lanes(a, i, self.cfg.data_bytes);
        let nbytes = 1u64 << a.size;
        let beat_addr = if i == 0 { a.addr } else { (a.addr & !(nbytes - 1)) + i as u64 * nbytes };
        let base = beat_addr - beat_addr % db;
        let resp = self.cfg.resp_at(base);
        let mut w = [0u32; 16];
        if resp == 0 {
            let mut buf = [0u8; 64];
            self.mem.read(base, &mut buf[..db as usize]);
            for l in lo..hi {
                set_byte(&mut w, l as usize, buf[l as usize]);
            }
            // Lanes outside the addressed bytes carry memory too (a real
            // memory returns the whole word); the master must ignore them.
            for l in (0..lo).chain(hi..db as u32) {
                set_byte(&mut w, l as usize, buf[l as usize]);
            }
        }
        (w, resp)
    }

    /// Take this cycle's handshakes from `s` (sampled with [`Self::outputs`]
    /// driven) at cycle `now`, then decide the next cycle's outputs.
    pub fn update(&mut self, s: &AxiSnapshot, now: u64) {
        // Address channels.
        if s.ar.fire() {
            self.handshakes[0] += 1;
            self.reads.push(ReadJob {
                a: s.ar.payload,
                ready_at: now + self.cfg.read_latency as u64,
                beat: 0,
                seq: self.seq,
            });
            self.seq += 1;
        }
        if s.aw.fire() {
            self.handshakes[2] += 1;
            self.writes.push_back(WriteJob { a: s.aw.payload, beat: 0, resp: 0 });
        }
        // W: belongs to the oldest write whose data is incomplete.
        if s.w.fire() {
            self.handshakes[3] += 1;
            let db = self.cfg.data_bytes as u64;
            let job = self.writes.front_mut().expect("WREADY is only raised when an AW is pending");
            let a = job.a;
            let nbytes = 1u64 << a.size;
            let i = job.beat;
            let beat_addr = if i == 0 { a.addr } else { (a.addr & !(nbytes - 1)) + i as u64 * nbytes };
            let base = beat_addr - beat_addr % db;
            let resp = self.cfg.resp_at(base);
            if resp == 0 {
                for l in 0..db as usize {
                    if s.w.payload.strb >> l & 1 == 1 {
                        let v = super::byte_of(&s.w.payload.data, l);
                        self.mem.write(base + l as u64, &[v]);
                    }
                }
            } else if job.resp == 0 {
                job.resp = resp;
            }
            job.beat += 1;
            if job.beat == a.len as u32 + 1 {
                let job = self.writes.pop_front().unwrap();
                let wrong = self.cfg.misbehave == Some(Misbehave::WrongBid(job.a.addr));
                self.bs.push(BJob {
                    b: BResp { id: job.a.id ^ wrong as u32, resp: job.resp },
                    ready_at: now + self.cfg.write_latency as u64,
                    seq: self.seq,
                });
                self.seq += 1;
            }
        }
        // R.
        if s.r.fire() {
            self.handshakes[1] += 1;
            self.r_out = None;
            let i = self.r_cur.expect("an R beat was offered");
            self.reads[i].beat += 1;
            if self.reads[i].beat == self.reads[i].a.len as u32 + 1 {
                self.reads.remove(i);
                self.r_cur = None;
            }
        }
        if s.b.fire() {
            self.handshakes[4] += 1;
            self.b_out = None;
        }

        // Next outputs.
        let next = now + 1;
        if self.r_out.is_none() {
            if self.r_cur.is_none() {
                self.r_cur = self.pick_read(next);
            }
            if let Some(i) = self.r_cur {
                if self.rng.gen_bool(self.cfg.valid_prob) {
                    let j = &self.reads[i];
                    let (data, resp) = self.beat_data(&j.a, j.beat);
                    let mb = self.cfg.misbehave;
                    let last = j.beat == j.a.len as u32;
                    self.r_out = Some(RBeat {
                        id: j.a.id ^ (mb == Some(Misbehave::WrongRid(j.a.addr))) as u32,
                        data,
                        resp,
                        last: last && mb != Some(Misbehave::NoRlast(j.a.addr)),
                    });
                }
            }
        }
        if self.b_out.is_none() {
            if let Some(k) = self.pick_b(next) {
                if self.rng.gen_bool(self.cfg.valid_prob) {
                    self.b_out = Some(self.bs.remove(k).b);
                }
            }
        }
        let read_room = self.reads.len() < self.cfg.max_pending;
        let writes = self.writes.len() + self.bs.len() + usize::from(self.b_out.is_some());
        let write_room = writes < self.cfg.max_pending;
        let p = self.cfg.ready_prob;
        self.out = MemOutputs {
            arready: read_room && self.rng.gen_bool(p),
            awready: write_room && self.rng.gen_bool(p),
            wready: !self.writes.is_empty() && self.rng.gen_bool(p),
            r: self.r_out,
            b: self.b_out,
        };
    }

    /// The next read burst to return: per ID only the oldest may go; among
    /// IDs the oldest, or a random one with `reorder`.
    fn pick_read(&mut self, now: u64) -> Option<usize> {
        let mut heads: Vec<usize> = Vec::new();
        for (i, j) in self.reads.iter().enumerate() {
            let older_same_id = self.reads[..i].iter().any(|k| k.a.id == j.a.id);
            if !older_same_id && j.ready_at <= now {
                heads.push(i);
            }
        }
        if heads.is_empty() {
            return None;
        }
        if self.cfg.reorder {
            Some(heads[self.rng.gen_range(0..heads.len())])
        } else {
            heads.into_iter().min_by_key(|&i| self.reads[i].seq)
        }
    }

    fn pick_b(&mut self, now: u64) -> Option<usize> {
        let mut heads: Vec<usize> = Vec::new();
        for (i, j) in self.bs.iter().enumerate() {
            let older_same_id = self.bs[..i].iter().any(|k| k.b.id == j.b.id);
            if !older_same_id && j.ready_at <= now {
                heads.push(i);
            }
        }
        if heads.is_empty() {
            return None;
        }
        if self.cfg.reorder {
            Some(heads[self.rng.gen_range(0..heads.len())])
        } else {
            heads.into_iter().min_by_key(|&i| self.bs[i].seq)
        }
    }
}
