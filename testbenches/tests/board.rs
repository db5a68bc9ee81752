//! The FPGA board top (`hdl::board`, used by `serrano fpga`) driven
//! through its pins in Verilator, as a microcontroller would: shift DUT inputs
//! in on sck/sdi, update, capture, read the outputs back byte by byte on
//! sel/dout. The DUT is a small adder with a handshake counter, so the test
//! checks the chain's bit order, that every field lands on its port, that
//! `*valid` inputs are one-cycle strobes while other inputs hold, and the
//! byte multiplexer. A failing run is repeated with tracing and names its FST.

use std::path::PathBuf;

use hdl::board::{board, Board, Field};
use hdl::core::{mux, Bit, Module, UInt};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::sim::BuildOptions;
use testbenches::{build_module, seed_from_env, waves_dir};
use verilator_sys::{Model, Port};

/// `sum <= a + b` and `count <= count + 1` on each cycle `in_valid` is high;
/// `a_echo <= a` every cycle (a held input).
fn dut() -> Module {
    let mut m = Module::new("serrano_test_board_dut");
    let a = m.input("a", UInt(12)).unwrap();
    let b = m.input("b", UInt(9)).unwrap();
    let v = m.input("in_valid", Bit).unwrap();
    let sum = m.reg("sum_q", UInt(13)).reset(0).enable(&v).d(a.zext(13) + b.zext(13)).unwrap();
    let count = m.reg("count_q", UInt(8)).reset(0).build().unwrap();
    m.set_next(&count, mux(&v, &(&count.q + 1), &count.q)).unwrap();
    let echo = m.reg("a_echo_q", UInt(12)).reset(0).d(&a).unwrap();
    m.output("sum", &sum).unwrap();
    m.output("count", &count.q).unwrap();
    m.output("a_echo", &echo).unwrap();
    m
}

struct Pins {
    clk: Port,
    reset: Port,
    sck: Port,
    sdi: Port,
    update: Port,
    capture: Port,
    sel: Port,
    dout: Port,
}

/// Drive the board top by its pins; every pin change is held long enough
/// for the two-flip-flop synchronizers.
struct Driver<'a> {
    m: &'a mut Model,
    p: Pins,
    b: &'a Board,
}

const HOLD: usize = 4;

impl Driver<'_> {
    fn cycles(&mut self, n: usize) {
        for _ in 0..n {
            self.m.tick(self.p.clk);
        }
    }

    fn pin(&mut self, p: Port, v: u64) {
        self.m.set(p, v);
        self.cycles(HOLD);
    }

    fn reset(&mut self) {
        for p in [self.p.sck, self.p.sdi, self.p.update, self.p.capture, self.p.sel] {
            self.m.set(p, 0);
        }
        self.pin(self.p.reset, 1);
        self.cycles(HOLD);
        self.pin(self.p.reset, 0);
    }

    /// Shift `bits` (bit i of the chain vector at index i) in, first bit
    /// shifted in ending at the chain's MSB, then update.
    fn load(&mut self, bits: &[bool]) {
        for &bit in bits.iter().rev() {
            self.m.set(self.p.sdi, bit as u64);
            self.pin(self.p.sck, 0);
            self.pin(self.p.sck, 1);
        }
        self.pin(self.p.sck, 0);
        self.pin(self.p.update, 1);
        self.pin(self.p.update, 0);
    }

    /// Capture the outputs and read every byte back: the capture vector.
    fn read(&mut self) -> Vec<bool> {
        self.pin(self.p.capture, 1);
        self.pin(self.p.capture, 0);
        let mut bits = Vec::new();
        for byte in 0..self.b.out_bytes {
            self.m.set(self.p.sel, byte as u64);
            self.cycles(self.b.read_latency as usize + 1);
            let v = self.m.get(self.p.dout);
            bits.extend((0..8).map(|i| (v >> i) & 1 == 1));
        }
        bits
    }
}

fn field<'a>(fields: &'a [Field], port: &str) -> &'a Field {
    fields.iter().find(|f| f.port == port).unwrap_or_else(|| panic!("no field for {port}"))
}

fn put(bits: &mut [bool], f: &Field, v: u64) {
    for i in 0..f.width {
        bits[(f.lsb + i) as usize] = (v >> i) & 1 == 1;
    }
}

fn take(bits: &[bool], f: &Field) -> u64 {
    (0..f.width).map(|i| (bits[(f.lsb + i) as usize] as u64) << i).sum()
}

/// Run `rounds` random loads and check every read-back; returns the first mismatch.
fn run(b: &Board, m: &mut Model, seed: u64, rounds: usize) -> Option<String> {
    let port = |n: &str| m.port(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    let p = Pins {
        clk: port("clk"),
        reset: port("reset"),
        sck: port("sck"),
        sdi: port("sdi"),
        update: port("update"),
        capture: port("capture"),
        sel: port("sel"),
        dout: port("dout"),
    };
    let mut d = Driver { m, p, b };
    d.reset();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut sum, mut count) = (0u64, 0u64);
    for round in 0..rounds {
        let (a, bb, valid) = (rng.gen_range(0..1u64 << 12), rng.gen_range(0..1u64 << 9), rng.gen_bool(0.7));
        let mut chain = vec![false; b.scan_bits as usize];
        put(&mut chain, field(&b.inputs, "a"), a);
        put(&mut chain, field(&b.inputs, "b"), bb);
        put(&mut chain, field(&b.inputs, "in_valid"), valid as u64);
        d.load(&chain);
        if valid {
            // One update is one beat: in_valid is high for exactly one cycle.
            sum = a + bb;
            count = (count + 1) % 256;
        }
        let got = d.read();
        let want = [("sum", sum), ("count", count), ("a_echo", a)];
        for (name, w) in want {
            let g = take(&got, field(&b.outputs, name));
            if g != w {
                return Some(format!("round {round} (a={a}, b={bb}, valid={valid}): {name} = {g}, expected {w}"));
            }
        }
    }
    None
}

#[test]
fn scan_in_update_capture_and_read_back_through_the_pins() {
    let seed = seed_from_env("board_protocol", 31);
    let b = board(&dut()).unwrap();
    assert!(field(&b.inputs, "in_valid").strobe && !field(&b.inputs, "a").strobe);
    let built = build_module(&b.top, BuildOptions::default()).unwrap();
    let mut m = built.lib.instantiate(None).unwrap();
    if let Some(err) = run(&b, &mut m, seed, 40) {
        let traced = build_module(&b.top, BuildOptions { trace: true, ..Default::default() }).unwrap();
        let mut m = traced.lib.instantiate(None).unwrap();
        let wave: PathBuf = waves_dir().join(format!("board-seed{seed}.fst"));
        std::fs::create_dir_all(waves_dir()).unwrap();
        m.trace_to(&wave).unwrap();
        run(&b, &mut m, seed, 40);
        m.trace_flush();
        panic!("{err} (seed {seed}); waveform: {}", wave.display());
    }
}
