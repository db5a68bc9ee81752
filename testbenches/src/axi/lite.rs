//! An AXI4-Lite master driver: a queue of register writes and reads,
//! performed in order. Consecutive writes are pipelined (a new AW/W pair is
//! offered in the cycle after the previous one's handshake, without waiting
//! for its B); a read waits until every earlier write has its B, and a write
//! waits for an earlier read's R, so the program order is kept.

use std::collections::VecDeque;

/// One register access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteOp {
    Write { addr: u32, data: u32 },
    Read { addr: u32 },
}

/// The driver's outputs for one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiteOut {
    pub awvalid: bool,
    pub awaddr: u32,
    pub wvalid: bool,
    pub wdata: u32,
    pub wstrb: u8,
    pub bready: bool,
    pub arvalid: bool,
    pub araddr: u32,
    pub rready: bool,
}

/// The slave's signals in one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiteIn {
    pub awready: bool,
    pub wready: bool,
    pub bvalid: bool,
    pub bresp: u8,
    pub arready: bool,
    pub rvalid: bool,
    pub rdata: u32,
    pub rresp: u8,
}

/// A completed read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadResult {
    pub addr: u32,
    pub data: u32,
    pub resp: u8,
}

/// The AXI4-Lite master.
#[derive(Default)]
pub struct LiteDriver {
    queue: VecDeque<LiteOp>,
    /// Writes whose AW/W handshake happened and whose B has not arrived.
    writes_waiting_b: VecDeque<u32>,
    read_waiting: Option<u32>,
    cur_write: Option<(u32, u32)>,
    cur_read: Option<u32>,
    out: LiteOut,
    aw_done: bool,
    w_done: bool,
    /// Completed reads, oldest first.
    pub reads: VecDeque<ReadResult>,
    /// Write responses that were not OKAY: (address, BRESP).
    pub write_errors: Vec<(u32, u8)>,
    /// Every write response: (address, BRESP), oldest first.
    pub write_resps: VecDeque<(u32, u8)>,
    pub keep_write_resps: bool,
}

impl LiteDriver {
    pub fn new() -> LiteDriver {
        LiteDriver::default()
    }

    pub fn write(&mut self, addr: u32, data: u32) {
        self.queue.push_back(LiteOp::Write { addr, data });
    }

    pub fn read(&mut self, addr: u32) {
        self.queue.push_back(LiteOp::Read { addr });
    }

    /// Nothing queued and nothing in flight.
    pub fn idle(&self) -> bool {
        self.queue.is_empty()
            && self.writes_waiting_b.is_empty()
            && self.read_waiting.is_none()
            && self.cur_write.is_none()
            && self.cur_read.is_none()
    }

    /// Operations queued and not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn outputs(&self) -> LiteOut {
        self.out
    }

    /// Take this cycle's handshakes (with [`Self::outputs`] driven), then
    /// choose the next cycle's outputs.
    pub fn update(&mut self, s: &LiteIn) {
        let o = self.out;
        if o.awvalid && s.awready {
            self.aw_done = true;
        }
        if o.wvalid && s.wready {
            self.w_done = true;
        }
        if let Some((addr, _)) = self.cur_write {
            if self.aw_done && self.w_done {
                self.writes_waiting_b.push_back(addr);
                self.cur_write = None;
            }
        }
        if o.bready && s.bvalid {
            let addr = self.writes_waiting_b.pop_front().expect("B for a write we made");
            if s.bresp != 0 {
                self.write_errors.push((addr, s.bresp));
            }
            if self.keep_write_resps {
                self.write_resps.push_back((addr, s.bresp));
            }
        }
        if o.arvalid && s.arready {
            self.read_waiting = self.cur_read.take();
        }
        if o.rready && s.rvalid {
            let addr = self.read_waiting.take().expect("R for a read we made");
            self.reads.push_back(ReadResult { addr, data: s.rdata, resp: s.rresp });
        }

        // Start the next operation when the bus is free for it.
        if self.cur_write.is_none() && self.cur_read.is_none() {
            match self.queue.front().copied() {
                Some(LiteOp::Write { addr, data }) if self.read_waiting.is_none() => {
                    self.queue.pop_front();
                    self.cur_write = Some((addr, data));
                    self.aw_done = false;
                    self.w_done = false;
                }
                Some(LiteOp::Read { addr }) if self.writes_waiting_b.is_empty() && self.read_waiting.is_none() => {
                    self.queue.pop_front();
                    self.cur_read = Some(addr);
                }
                _ => {}
            }
        }
        let (waddr, wdata) = self.cur_write.unwrap_or((0, 0));
        self.out = LiteOut {
            awvalid: self.cur_write.is_some() && !self.aw_done,
            awaddr: waddr,
            wvalid: self.cur_write.is_some() && !self.w_done,
            wdata,
            wstrb: 0xf,
            bready: true,
            arvalid: self.cur_read.is_some(),
            araddr: self.cur_read.unwrap_or(0),
            rready: true,
        };
    }
}
