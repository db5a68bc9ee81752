//! An AXI4 protocol monitor. Every cycle it checks (AMBA AXI4, IHI 0022):
//! * a VALID is not dropped before its READY ([`Rule::ValidDropped`]);
//! * the payload is stable while VALID is high and READY low ([`Rule::PayloadChanged`]);
//! * no burst crosses a 4 KiB boundary ([`Rule::Cross4k`]);
//! * burst lengths are within limits: INCR at most 256 beats and at most the
//!   configured maximum, FIXED at most 16, WRAP 2/4/8/16 beats from an
//!   aligned address, AxSIZE at most the bus width, AxBURST not reserved
//!   ([`Rule::BurstLimits`]);
//! * exactly AxLEN+1 beats with xLAST on the last only ([`Rule::BeatCount`]);
//! * WSTRB only within the addressed bytes of each beat ([`Rule::StrobeOutside`]);
//! * B only after the last W beat and the AW of its transaction ([`Rule::EarlyResponse`]);
//! * one response per request: no R beat or B without an outstanding request
//!   of its ID, and no request left unanswered at the end ([`Rule::Unrequested`],
//!   [`Rule::Unanswered`]); EXOKAY only for exclusive accesses ([`Rule::BadResponse`]);
//! * no VALID during reset ([`Rule::ValidInReset`]);
//! * a bounded wait: a VALID held without READY, or a request without any
//!   response progress, for more than `watchdog` cycles is reported once,
//!   naming the stuck channel ([`Rule::Stuck`]).
//!
//! The monitor only observes; violations are collected with the cycle and
//! channel, and [`Monitor::report`] summarizes them.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use super::{beat_lanes, Addr, AxiSnapshot, Chan, CHANNELS};

/// The rule a violation broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    ValidDropped,
    PayloadChanged,
    Cross4k,
    BurstLimits,
    BeatCount,
    StrobeOutside,
    EarlyResponse,
    Unrequested,
    Unanswered,
    BadResponse,
    ValidInReset,
    Stuck,
}

/// One violation: when, where, what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub cycle: u64,
    pub channel: &'static str,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cycle {}: {} {:?}: {}", self.cycle, self.channel, self.rule, self.message)
    }
}

/// What the monitor needs to know about the interface.
#[derive(Clone, Copy, Debug)]
pub struct MonitorConfig {
    pub data_bytes: u32,
    /// The longest INCR burst allowed (<= 256).
    pub max_burst: u32,
    /// Cycles a VALID may wait for READY, or a request for a response, before
    /// it is reported as stuck.
    pub watchdog: u64,
}

#[derive(Clone, Debug)]
struct WriteTxn {
    a: Option<Addr>,
    beats: u32,
    done: bool,
    /// W beats (beat, strobes, last) that came before the AW, checked when it arrives.
    early: Vec<(u32, u64, bool)>,
}

/// The protocol monitor of one AXI4 interface.
pub struct Monitor {
    cfg: MonitorConfig,
    prev: Option<AxiSnapshot>,
    /// Outstanding reads per ID, oldest first, with beats received of the head.
    reads: HashMap<u32, VecDeque<(Addr, u32)>>,
    /// Write transactions in AW order; W data goes to the first not done.
    writes: VecDeque<WriteTxn>,
    /// Cycles each channel has held VALID without READY.
    wait: [u64; 5],
    /// Cycles since the last response progress while requests were outstanding.
    idle_reads: u64,
    idle_writes: u64,
    stuck_reported: [bool; 7],
    pub violations: Vec<Violation>,
    /// Handshakes seen, per channel (AR, R, AW, W, B).
    pub handshakes: [u64; 5],
}

impl Monitor {
    pub fn new(cfg: MonitorConfig) -> Monitor {
        Monitor {
            cfg,
            prev: None,
            reads: HashMap::new(),
            writes: VecDeque::new(),
            wait: [0; 5],
            idle_reads: 0,
            idle_writes: 0,
            stuck_reported: [false; 7],
            violations: Vec::new(),
            handshakes: [0; 5],
        }
    }

    fn v(&mut self, cycle: u64, channel: &'static str, rule: Rule, message: String) {
        // Keep the list bounded: a broken design can break a rule every cycle.
        if self.violations.len() < 1000 {
            self.violations.push(Violation { cycle, channel, rule, message });
        }
    }

    fn outstanding_reads(&self) -> usize {
        self.reads.values().map(|q| q.len()).sum()
    }

    /// Check one cycle. `in_reset`: the interface's reset is asserted.
    pub fn check(&mut self, cycle: u64, s: &AxiSnapshot, in_reset: bool) {
        let valids = [s.ar.valid, s.r.valid, s.aw.valid, s.w.valid, s.b.valid];
        if in_reset {
            for (i, &v) in valids.iter().enumerate() {
                if v {
                    self.v(cycle, CHANNELS[i], Rule::ValidInReset, "VALID high during reset".into());
                }
            }
            self.prev = None;
            return;
        }
        if let Some(p) = self.prev {
            self.check_handshake(cycle, "AR", &p.ar, &s.ar);
            self.check_handshake(cycle, "R", &p.r, &s.r);
            self.check_handshake(cycle, "AW", &p.aw, &s.aw);
            self.check_handshake(cycle, "W", &p.w, &s.w);
            self.check_handshake(cycle, "B", &p.b, &s.b);
        }
        self.prev = Some(*s);

        // Address channels.
        if s.ar.fire() {
            self.handshakes[0] += 1;
            self.check_addr(cycle, "AR", &s.ar.payload);
            self.reads.entry(s.ar.payload.id).or_default().push_back((s.ar.payload, 0));
        }
        if s.aw.fire() {
            self.handshakes[2] += 1;
            self.check_addr(cycle, "AW", &s.aw.payload);
            // Attach to a transaction whose W data came first, else open one.
            match self.writes.iter().position(|t| t.a.is_none()) {
                Some(i) => {
                    self.writes[i].a = Some(s.aw.payload);
                    // Data that arrived before this AW is checked now.
                    let early = std::mem::take(&mut self.writes[i].early);
                    let a = s.aw.payload;
                    for (beat, strb, last) in early {
                        if (beat == a.len as u32) != last {
                            self.v(cycle, "W", Rule::BeatCount, "WLAST misplaced (W before AW)".into());
                        }
                        self.check_strobe(cycle, &a, beat, strb);
                    }
                }
                None => {
                    self.writes.push_back(WriteTxn { a: Some(s.aw.payload), beats: 0, done: false, early: Vec::new() })
                }
            }
        }

        // R: belongs to the oldest outstanding read of its ID.
        let mut read_progress = false;
        if s.r.fire() {
            self.handshakes[1] += 1;
            read_progress = true;
            let r = s.r.payload;
            let head = self.reads.get_mut(&r.id).and_then(|q| q.front_mut()).map(|h| {
                h.1 += 1;
                (h.0, h.1)
            });
            match head {
                None => self.v(
                    cycle,
                    "R",
                    Rule::Unrequested,
                    format!("R beat with RID {} and no outstanding read of that ID", r.id),
                ),
                Some((a, got)) => {
                    let last = got == a.len as u32 + 1;
                    if r.last != last {
                        self.v(
                            cycle,
                            "R",
                            Rule::BeatCount,
                            format!(
                                "RLAST={} on beat {got} of a {}-beat read at {:#x}",
                                r.last as u8,
                                a.len as u32 + 1,
                                a.addr
                            ),
                        );
                    }
                    if r.resp == 1 && a.lock == 0 {
                        self.v(cycle, "R", Rule::BadResponse, "EXOKAY for a normal access".into());
                    }
                    // A missing RLAST still ends the burst at AxLEN+1 beats.
                    if last || r.last {
                        self.reads.get_mut(&r.id).unwrap().pop_front();
                    }
                }
            }
        }

        // W: the first transaction whose data is not complete.
        if s.w.fire() {
            self.handshakes[3] += 1;
            let w = s.w.payload;
            let idx = match self.writes.iter().position(|t| !t.done) {
                Some(i) => i,
                None => {
                    self.writes.push_back(WriteTxn { a: None, beats: 0, done: false, early: Vec::new() });
                    self.writes.len() - 1
                }
            };
            let t = &mut self.writes[idx];
            let beat = t.beats;
            t.beats += 1;
            let a = t.a;
            if let Some(a) = a {
                let last = beat == a.len as u32;
                if w.last != last {
                    let msg = format!(
                        "WLAST={} on beat {} of a {}-beat write at {:#x}",
                        w.last as u8,
                        beat + 1,
                        a.len as u32 + 1,
                        a.addr
                    );
                    self.v(cycle, "W", Rule::BeatCount, msg);
                }
                self.check_strobe(cycle, &a, beat, w.strb);
                if last || w.last {
                    self.writes[idx].done = true;
                }
            } else {
                // No AW yet: strobes are checked when it arrives.
                self.writes[idx].early.push((beat, w.strb, w.last));
                if w.last {
                    self.writes[idx].done = true;
                }
            }
        }

        // B: the oldest transaction of its ID must be complete.
        let mut write_progress = s.w.fire();
        if s.b.fire() {
            self.handshakes[4] += 1;
            write_progress = true;
            let b = s.b.payload;
            match self.writes.iter().position(|t| t.a.is_some_and(|a| a.id == b.id)) {
                None => self.v(
                    cycle,
                    "B",
                    Rule::Unrequested,
                    format!("B with BID {} and no outstanding write of that ID", b.id),
                ),
                Some(i) => {
                    let t = self.writes.remove(i).unwrap();
                    if !t.done {
                        self.v(
                            cycle,
                            "B",
                            Rule::EarlyResponse,
                            format!(
                                "B for the write at {:#x} after {} of its {} beats",
                                t.a.unwrap().addr,
                                t.beats,
                                t.a.unwrap().len as u32 + 1
                            ),
                        );
                    }
                    if b.resp == 1 && t.a.unwrap().lock == 0 {
                        self.v(cycle, "B", Rule::BadResponse, "EXOKAY for a normal access".into());
                    }
                }
            }
        }

        // Watchdog.
        let chans: [(bool, bool); 5] = [
            (s.ar.valid, s.ar.ready),
            (s.r.valid, s.r.ready),
            (s.aw.valid, s.aw.ready),
            (s.w.valid, s.w.ready),
            (s.b.valid, s.b.ready),
        ];
        for (i, (v, r)) in chans.iter().enumerate() {
            self.wait[i] = if *v && !*r { self.wait[i] + 1 } else { 0 };
            if self.wait[i] > self.cfg.watchdog && !self.stuck_reported[i] {
                self.stuck_reported[i] = true;
                let msg = format!("VALID held without READY for {} cycles", self.wait[i]);
                self.v(cycle, CHANNELS[i], Rule::Stuck, msg);
            }
        }
        self.idle_reads = if self.outstanding_reads() > 0 && !read_progress { self.idle_reads + 1 } else { 0 };
        let writes_open = self.writes.iter().any(|t| t.a.is_some());
        self.idle_writes = if writes_open && !write_progress { self.idle_writes + 1 } else { 0 };
        if self.idle_reads > self.cfg.watchdog && !self.stuck_reported[5] {
            self.stuck_reported[5] = true;
            let n = self.outstanding_reads();
            self.v(
                cycle,
                "R",
                Rule::Stuck,
                format!("{n} reads outstanding and no R beat for {} cycles", self.idle_reads),
            );
        }
        if self.idle_writes > self.cfg.watchdog && !self.stuck_reported[6] {
            self.stuck_reported[6] = true;
            let t = self.writes.front().unwrap();
            let ch = if t.done { "B" } else { "W" };
            self.v(
                cycle,
                ch,
                Rule::Stuck,
                format!(
                    "a write is outstanding ({} of its data beats) and nothing moved on W or B for {} cycles",
                    t.beats, self.idle_writes
                ),
            );
        }
    }

    /// At the end of a run: every request must have been answered.
    pub fn finish(&mut self, cycle: u64) {
        let n = self.outstanding_reads();
        if n > 0 {
            self.v(cycle, "R", Rule::Unanswered, format!("{n} reads never answered"));
        }
        let n = self.writes.len();
        if n > 0 {
            self.v(cycle, "B", Rule::Unanswered, format!("{n} writes never answered"));
        }
    }

    /// The channels that look stuck now: VALID waiting for READY, or requests
    /// waiting for responses (for a watchdog's message).
    pub fn stuck_channels(&self) -> String {
        let mut v = Vec::new();
        for (i, w) in self.wait.iter().enumerate() {
            if *w > 0 {
                v.push(format!("{} VALID waiting for READY for {w} cycles", CHANNELS[i]));
            }
        }
        let n = self.outstanding_reads();
        if n > 0 {
            v.push(format!("{n} reads waiting for R"));
        }
        if let Some(t) = self.writes.front() {
            if t.done {
                v.push(format!("{} writes waiting for B", self.writes.len()));
            } else {
                v.push(format!("a write waiting for W data ({} beats sent)", t.beats));
            }
        }
        if v.is_empty() {
            "no AXI channel is waiting".into()
        } else {
            v.join("; ")
        }
    }

    /// A summary of the violations (empty when there are none).
    pub fn report(&self) -> String {
        let mut s = String::new();
        for v in self.violations.iter().take(20) {
            s += &format!("{v}\n");
        }
        if self.violations.len() > 20 {
            s += &format!("... {} violations in all\n", self.violations.len());
        }
        s
    }

    fn check_handshake<T: PartialEq + fmt::Debug>(
        &mut self,
        cycle: u64,
        ch: &'static str,
        prev: &Chan<T>,
        cur: &Chan<T>,
    ) {
        if prev.valid && !prev.ready {
            if !cur.valid {
                self.v(cycle, ch, Rule::ValidDropped, "VALID dropped before READY".into());
            } else if prev.payload != cur.payload {
                self.v(
                    cycle,
                    ch,
                    Rule::PayloadChanged,
                    format!("payload changed while waiting for READY: {:?} -> {:?}", prev.payload, cur.payload),
                );
            }
        }
    }

    fn check_addr(&mut self, cycle: u64, ch: &'static str, a: &Addr) {
        let beats = a.len as u32 + 1;
        let nbytes = 1u64 << a.size;
        if nbytes > self.cfg.data_bytes as u64 {
            self.v(
                cycle,
                ch,
                Rule::BurstLimits,
                format!("AxSIZE {} wider than the {}-byte bus", a.size, self.cfg.data_bytes),
            );
        }
        match a.burst {
            1 => {
                if beats > self.cfg.max_burst.min(256) {
                    self.v(
                        cycle,
                        ch,
                        Rule::BurstLimits,
                        format!("INCR burst of {beats} beats (limit {})", self.cfg.max_burst.min(256)),
                    );
                }
                // In 128 bits: a burst may end at the very top of a 64-bit space.
                let start = (a.addr & !(nbytes - 1)) as u128;
                let last = start + beats as u128 * nbytes as u128 - 1;
                if a.addr as u128 / 4096 != last / 4096 {
                    self.v(
                        cycle,
                        ch,
                        Rule::Cross4k,
                        format!("burst {:#x}..={last:#x} crosses a 4 KiB boundary", a.addr),
                    );
                }
            }
            0 => {
                if beats > 16 {
                    self.v(cycle, ch, Rule::BurstLimits, format!("FIXED burst of {beats} beats"));
                }
            }
            2 => {
                if ![2, 4, 8, 16].contains(&beats) || !a.addr.is_multiple_of(nbytes) {
                    self.v(cycle, ch, Rule::BurstLimits, format!("WRAP burst of {beats} beats at {:#x}", a.addr));
                }
            }
            _ => self.v(cycle, ch, Rule::BurstLimits, "reserved AxBURST 0b11".into()),
        }
    }

    fn check_strobe(&mut self, cycle: u64, a: &Addr, beat: u32, strb: u64) {
        let (lo, hi) = beat_lanes(a, beat, self.cfg.data_bytes);
        let allowed = lanes(lo, hi);
        if strb & !allowed != 0 {
            self.v(
                cycle,
                "W",
                Rule::StrobeOutside,
                format!(
                    "WSTRB {strb:#x} on beat {} of the write at {:#x}: only lanes {lo}..{hi} are addressed",
                    beat + 1,
                    a.addr
                ),
            );
        }
    }
}

fn lanes(lo: u32, hi: u32) -> u64 {
    let upto = |n: u32| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    upto(hi) & !upto(lo)
}
