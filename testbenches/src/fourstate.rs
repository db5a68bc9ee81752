//! A four-state harness: any generated top in Icarus Verilog (`iverilog
//! -g2005`), where every register and memory starts as X, as in silicon before
//! reset, and X propagates pessimistically instead of being randomized away
//! (Verilator is two-state, so only a four-state simulator shows an X that
//! reaches an output).
//!
//! [`FourState`] writes a Verilog testbench around a top from its ports:
//! every input driven (0 unless the program sets it; every input `*ready`
//! at 1, or low one cycle in N with [`FourState::stall`]), a reset, and then a program of steps ([`FourState::idle`],
//! [`FourState::send`], [`FourState::axil_read`], ...). From the first
//! falling edge after reset to the end, an X monitor checks every output on
//! every cycle:
//!
//! * a control output (a `*valid`, a `*ready`, and every output that belongs
//!   to no channel: `idle`, `irq`, `overflow`) must be 0 or 1;
//! * a payload output (an output that starts with the name of a channel, the
//!   part before `valid` of an output `*valid`: `m_axis_c_tdata` and
//!   `m_axis_c_tlast` belong to `m_axis_c_tvalid`, `s_axil_rdata` to
//!   `s_axil_rvalid`) must be free of X and Z while its VALID is high.
//!
//! Every handshake on an output channel is logged as a [`Beat`], so a test
//! can compare what came out with the golden model. A failure names the
//! cycle (rising edges since reset was released) and the signal, and the run
//! is repeated with a VCD waveform written under
//! [`waves_dir`](crate::waves_dir), whose path the failure message gives.
//!
//! Icarus is a required tool (`scripts/setup.sh` installs it): a run fails
//! if it is missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use hdl::core::{emit, Dir, EmitOptions, Module, PortDesc, ResetKind};

use crate::sim::waves_dir;

/// Cycles a handshake may wait before the watchdog fails the run.
pub const WATCHDOG: u32 = 2_000;

/// Failures printed per run (every one is counted).
const MAX_PRINTED: u32 = 20;

/// A value for an input port: sized to the port by the harness.
#[derive(Clone, Debug)]
pub enum Val {
    /// An unsigned value (it must fit the port).
    U(u64),
    /// A two's complement value (it must fit the port).
    S(i64),
    /// Lanes of `bits` bits each, lane 0 in the low bits (each value masked to
    /// `bits`); the lanes must fill the port exactly.
    Lanes(Vec<i64>, u32),
}

/// One handshake on an output channel.
#[derive(Clone, Debug)]
pub struct Beat {
    /// Rising edges since reset was released.
    pub cycle: u64,
    /// The channel's VALID port.
    pub valid: String,
    /// Each payload port of the channel and its value (hex, most significant
    /// digit first, as Icarus printed it).
    pub fields: Vec<(String, String)>,
}

impl Beat {
    /// A payload port's value as lanes of `bits` bits (lane 0 in the low
    /// bits), sign-extended if `signed`.
    pub fn lanes(&self, port: &str, bits: u32, signed: bool) -> Vec<i64> {
        let hex = &self.fields.iter().find(|(p, _)| p == port).unwrap_or_else(|| panic!("no field {port}")).1;
        let bitv = hex_to_bits(hex).unwrap_or_else(|| panic!("{port} = {hex} is not a number"));
        let n = bitv.len().div_ceil(bits as usize);
        (0..n)
            .map(|i| {
                let mut v: i64 = 0;
                for b in (0..bits as usize).rev() {
                    v = (v << 1) | *bitv.get(i * bits as usize + b).unwrap_or(&false) as i64;
                }
                if signed && bits < 64 && (v >> (bits - 1)) & 1 == 1 {
                    v - (1i64 << bits)
                } else {
                    v
                }
            })
            .collect()
    }

    /// A payload port's value as one unsigned number (at most 64 bits wide).
    pub fn uint(&self, port: &str) -> u64 {
        self.lanes(port, 64, false)[0] as u64
    }
}

/// Hex digits (most significant first) to bits (least significant first);
/// `None` if any digit is not 0-9/a-f (an X or a Z).
fn hex_to_bits(hex: &str) -> Option<Vec<bool>> {
    let mut bits = Vec::with_capacity(hex.len() * 4);
    for c in hex.chars().rev() {
        let d = c.to_digit(16)?;
        bits.extend((0..4).map(|i| (d >> i) & 1 == 1));
    }
    Some(bits)
}

/// What a run logged.
#[derive(Debug)]
pub struct Outcome {
    /// Every handshake on an output channel, in order.
    pub beats: Vec<Beat>,
    /// The run's whole output.
    pub log: String,
    /// Cycles simulated after reset.
    pub cycles: u64,
    rerun: Rerun,
}

impl Outcome {
    /// The beats of one output channel (named by its VALID port).
    pub fn channel(&self, valid: &str) -> Vec<&Beat> {
        self.beats.iter().filter(|b| b.valid == valid).collect()
    }

    /// Fail the test with `msg`, after running the simulation again with a
    /// VCD waveform whose path the message gives.
    pub fn fail(&self, msg: &str) -> ! {
        let vcd = self.rerun.with_waves();
        panic!("{}: {msg}\nwaveform: {}", self.rerun.label, vcd.display());
    }
}

/// What is needed to run a simulation again with a waveform.
#[derive(Debug)]
struct Rerun {
    label: String,
    dir: WorkDir,
}

impl Rerun {
    fn with_waves(&self) -> PathBuf {
        let waves = waves_dir();
        let _ = std::fs::create_dir_all(&waves);
        let vcd =
            waves.join(format!("fourstate-{}.vcd", self.label.replace(|c: char| !c.is_ascii_alphanumeric(), "_")));
        let arg = format!("+vcd={}", vcd.display());
        let _ = vvp(&self.dir.0, &[&arg]);
        vcd
    }
}

/// A scratch directory removed when dropped.
#[derive(Debug)]
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A four-state run of one top: its ports, the program after reset, and the
/// checks it expects to count.
pub struct FourState<'a> {
    top: &'a Module,
    label: String,
    ports: Vec<PortDesc>,
    program: String,
    checks: usize,
    stalls: Vec<(String, u32)>,
}

impl<'a> FourState<'a> {
    /// A run of `top`; `label` names it in messages and the waveform's file name.
    pub fn new(label: &str, top: &'a Module) -> FourState<'a> {
        FourState {
            top,
            label: label.to_string(),
            ports: top.ports(),
            program: String::new(),
            checks: 0,
            stalls: vec![],
        }
    }

    fn port(&self, name: &str) -> &PortDesc {
        self.ports.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{}: no port {name}", self.top.name()))
    }

    /// A Verilog literal for `v` on port `name` (its width checked).
    fn literal(&self, name: &str, v: &Val) -> String {
        let w = self.port(name).ty.width();
        let bits: Vec<bool> = match v {
            Val::U(x) => {
                assert!(w >= 64 || *x >> w == 0, "{name}: {x} does not fit {w} bits");
                (0..w).map(|i| i < 64 && (x >> i) & 1 == 1).collect()
            }
            Val::S(x) => {
                assert!(w >= 64 || (*x >> (w - 1) == 0 || *x >> (w - 1) == -1), "{name}: {x} does not fit {w} bits");
                (0..w).map(|i| (x >> i.min(63)) & 1 == 1).collect()
            }
            Val::Lanes(xs, b) => {
                assert_eq!(xs.len() as u32 * b, w, "{name}: {} lanes of {b} bits on a {w}-bit port", xs.len());
                xs.iter().flat_map(|x| (0..*b).map(move |i| (x >> i.min(63)) & 1 == 1)).collect()
            }
        };
        let digits: String = bits
            .chunks(4)
            .rev()
            .map(|c| {
                let d = c.iter().enumerate().fold(0u32, |a, (i, &b)| a | (b as u32) << i);
                char::from_digit(d, 16).unwrap()
            })
            .collect();
        format!("{w}'h{digits}")
    }

    /// Add Verilog statements to the program (run in the testbench's
    /// `initial` block, between falling edges).
    pub fn verilog(&mut self, statements: &str) -> &mut Self {
        for l in statements.lines() {
            writeln!(self.program, "        {l}").unwrap();
        }
        self
    }

    /// Wait `cycles` cycles.
    pub fn idle(&mut self, cycles: u32) -> &mut Self {
        self.verilog(&format!("repeat ({cycles}) @(negedge clk);"))
    }

    /// Set input ports (no handshake).
    pub fn set(&mut self, fields: &[(&str, Val)]) -> &mut Self {
        let s: String = fields.iter().map(|(p, v)| format!("{p} = {}; ", self.literal(p, v))).collect();
        self.verilog(s.trim_end())
    }

    /// One transfer on the input channel whose VALID is `valid`: set the
    /// payload `fields`, raise VALID, wait (at most [`WATCHDOG`] cycles) for
    /// its READY, and lower VALID after the transfer.
    pub fn send(&mut self, valid: &str, fields: &[(&str, Val)]) -> &mut Self {
        assert!(matches!(self.port(valid).dir, Dir::Input), "{valid} is not an input");
        self.set(fields);
        self.verilog(&format!("xfer_{valid};"))
    }

    /// Back-pressure: after reset, hold the input `ready` low in one cycle of
    /// every `every` (it is 1 otherwise).
    pub fn stall(&mut self, ready: &str, every: u32) -> &mut Self {
        assert!(matches!(self.port(ready).dir, Dir::Input) && ready.ends_with("ready"), "{ready} is not a READY input");
        self.stalls.push((ready.to_string(), every));
        self
    }

    /// Wait until `condition` (a Verilog expression) is true at a falling
    /// edge, failing after `limit` cycles with `what`.
    pub fn wait_until(&mut self, condition: &str, limit: u32, what: &str) -> &mut Self {
        self.verilog(&format!(
            "n_wait = 0;\nwhile (!({condition})) begin\n    \
             if (n_wait == {limit}) begin fail_count; $display(\"FAIL cycle %0d: {what}: not after {limit} cycles\", \
             cycle); $finish; end\n    n_wait = n_wait + 1; @(negedge clk);\nend"
        ))
    }

    /// Wait until the output channel `valid` has moved `beats` beats in all.
    pub fn wait_beats(&mut self, valid: &str, beats: usize, limit: u32) -> &mut Self {
        self.wait_until(&format!("beats_{valid} >= {beats}"), limit, &format!("{beats} beats on {valid}"))
    }

    /// Read `addr` over the AXI4-Lite slave `s_axil_*` and check RDATA is
    /// `want` (and free of X and Z while RVALID is high) and RRESP is OKAY.
    pub fn axil_read(&mut self, addr: u32, want: u32, what: &str) -> &mut Self {
        self.checks += 1;
        let what: String = what.chars().filter(|c| *c != '"' && *c != '\\').take(64).collect();
        self.verilog(&format!("axil_read(32'h{addr:08x}, 32'h{want:08x}, \"{what}\");"))
    }

    /// Write `data` to `addr` over `s_axil_*` (all byte lanes) and check BRESP is OKAY.
    pub fn axil_write(&mut self, addr: u32, data: u32) -> &mut Self {
        self.checks += 1;
        self.verilog(&format!("axil_write(32'h{addr:08x}, 32'h{data:08x});"))
    }

    fn has(&self, name: &str) -> bool {
        self.ports.iter().any(|p| p.name == name)
    }

    /// The VALID output that qualifies a payload output, if any: the longest
    /// channel name (a `*valid` output without its `valid`) the port starts with.
    fn qualifier(&self, port: &str) -> Option<String> {
        if port.ends_with("valid") || port.ends_with("ready") {
            return None;
        }
        self.ports
            .iter()
            .filter(|p| matches!(p.dir, Dir::Output))
            .filter_map(|p| p.name.strip_suffix("valid").map(|ch| (ch, &p.name)))
            .filter(|(ch, _)| !ch.is_empty() && port.starts_with(ch))
            .max_by_key(|(ch, _)| ch.len())
            .map(|(_, v)| v.clone())
    }

    /// The testbench: declarations, the X monitor, the beat log, the tasks
    /// and the program.
    pub fn testbench(&self) -> String {
        let mut t = String::new();
        t += "`timescale 1ns/1ps\n`default_nettype none\nmodule tb;\n";
        t += "    reg clk = 1'b0;\n    always #5 clk = ~clk;\n";
        let reset = self.top.reset_kind();
        let (rst, on, off) = match reset {
            ResetKind::SyncHigh => (reset.port_name(), "1'b1", "1'b0"),
            ResetKind::AsyncLow => (reset.port_name(), "1'b0", "1'b1"),
        };
        writeln!(t, "    reg {rst} = {on};").unwrap();
        for p in self.ports.iter().filter(|p| p.name != "clk" && p.name != rst) {
            let w = p.ty.width();
            let range = if w > 1 { format!("[{}:0] ", w - 1) } else { String::new() };
            match p.dir {
                // Every input is driven: a floating input would be Z and prove
                // nothing. A slave is always ready, so nothing waits on the bench.
                Dir::Input if p.name.ends_with("ready") => writeln!(t, "    reg  {} = 1'b1;", p.name).unwrap(),
                Dir::Input => writeln!(t, "    reg  {range}{} = {w}'d0;", p.name).unwrap(),
                Dir::Output => writeln!(t, "    wire {range}{};", p.name).unwrap(),
            }
        }
        let conns: Vec<String> = self.ports.iter().map(|p| format!("        .{0}({0})", p.name)).collect();
        writeln!(t, "    {} dut (\n{}\n    );", self.top.name(), conns.join(",\n")).unwrap();
        t += "    integer errors = 0;\n    integer checks = 0;\n    integer cycle = 0;\n    integer n_wait = 0;\n";
        t += "    reg watching = 1'b0;\n    reg [8*1024-1:0] vcd;\n";
        t += "    always @(posedge clk) if (watching) cycle <= cycle + 1;\n";
        t += "    task fail_count; begin errors = errors + 1; end endtask\n";
        t += &self.monitor();
        t += &self.beat_log();
        t += &self.xfer_tasks();
        for (ready, every) in &self.stalls {
            writeln!(t, "    always @(negedge clk) if (watching) {ready} = (cycle % {every}) != 0;").unwrap();
        }
        if self.has("s_axil_arvalid") {
            let w = |p: &str| self.port(p).ty.width();
            t += &AXIL_TASKS
                .replace("@AR@", &(w("s_axil_araddr") - 1).to_string())
                .replace("@AW@", &(w("s_axil_awaddr") - 1).to_string())
                .replace("@S@", &w("s_axil_wstrb").to_string());
        }
        t += "    initial begin\n";
        t += "        if ($value$plusargs(\"vcd=%s\", vcd)) begin $dumpfile(vcd); $dumpvars(0, tb); end\n";
        writeln!(t, "        repeat (4) @(negedge clk);\n        {rst} = {off};").unwrap();
        t += "        // Outputs must be defined from the first edge after reset.\n        watching = 1'b1;\n";
        t += &self.program;
        t += "        repeat (10) @(negedge clk);\n";
        t += "        $display(\"DONE cycles=%0d checks=%0d errors=%0d\", cycle, checks, errors);\n";
        t += "        $finish;\n    end\nendmodule\n`default_nettype wire\n";
        t
    }

    /// Sampled at the falling edge, when everything has settled.
    fn monitor(&self) -> String {
        let mut t = String::from("    always @(negedge clk) if (watching) begin\n");
        for p in self.ports.iter().filter(|p| matches!(p.dir, Dir::Output)) {
            let (cond, why) = match self.qualifier(&p.name) {
                Some(valid) => (format!("{valid} === 1'b1 && "), format!(" while {valid} is high")),
                None => (String::new(), String::new()),
            };
            writeln!(
                t,
                "        if ({cond}(^{0}) === 1'bx) begin fail_count; if (errors <= {MAX_PRINTED}) \
                 $display(\"FAIL cycle %0d: {0} = %b (X or Z{why})\", cycle, {0}); end",
                p.name
            )
            .unwrap();
        }
        t + "    end\n"
    }

    /// `BEAT` lines for every handshake on an output channel, and a beat
    /// counter per channel (`beats_<valid>`).
    fn beat_log(&self) -> String {
        let mut t = String::new();
        for v in self.ports.iter().filter(|p| matches!(p.dir, Dir::Output) && p.name.ends_with("valid")) {
            let ready = format!("{}ready", v.name.strip_suffix("valid").unwrap());
            let handshake = if self.has(&ready) { format!(" && {ready} === 1'b1") } else { String::new() };
            let fields: Vec<&str> = self
                .ports
                .iter()
                .filter(|p| matches!(p.dir, Dir::Output) && self.qualifier(&p.name).as_deref() == Some(&v.name))
                .map(|p| p.name.as_str())
                .collect();
            let fmt: String = fields.iter().map(|f| format!(" {f}=%h")).collect();
            let args: String = fields.iter().map(|f| format!(", {f}")).collect();
            writeln!(t, "    integer beats_{} = 0;", v.name).unwrap();
            writeln!(
                t,
                "    always @(posedge clk) if (watching && {0} === 1'b1{handshake}) begin beats_{0} = beats_{0} + 1; \
                 $display(\"BEAT %0d {0}{fmt}\", cycle{args}); end",
                v.name
            )
            .unwrap();
        }
        t
    }

    /// `xfer_<valid>` for every input channel with a READY output.
    fn xfer_tasks(&self) -> String {
        let mut t = String::new();
        for v in self.ports.iter().filter(|p| matches!(p.dir, Dir::Input) && p.name.ends_with("valid")) {
            let ready = format!("{}ready", v.name.strip_suffix("valid").unwrap());
            if !self.has(&ready) {
                continue;
            }
            write!(
                t,
                "    task xfer_{v};\n        integer n;\n        begin\n            {v} = 1'b1;\n            n = 0;\n\
                 \x20           #1 while ({ready} !== 1'b1) begin\n\
                 \x20               if (n == {WATCHDOG}) begin fail_count; $display(\"FAIL cycle %0d: {ready} low for \
                 {WATCHDOG} cycles with {v} high\", cycle); $finish; end\n\
                 \x20               n = n + 1; @(negedge clk); #1;\n            end\n\
                 \x20           @(negedge clk);\n            {v} = 1'b0;\n        end\n    endtask\n",
                v = v.name
            )
            .unwrap();
        }
        t
    }

    /// Emit the top, simulate it, and check the X monitor and the counts.
    /// Returns the logged beats (a test compares them with golden; on a
    /// mismatch, [`Outcome::fail`] gives a waveform).
    pub fn run(&self) -> Outcome {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = WorkDir(std::env::temp_dir().join(format!("serrano-fourstate-{}-{n}", std::process::id())));
        std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.0.display()));
        let files = emit(self.top, &EmitOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", self.label));
        let mut names: Vec<String> = Vec::new();
        for f in &files {
            std::fs::write(dir.0.join(&f.file_name), &f.text).unwrap();
            names.push(f.file_name.clone());
        }
        std::fs::write(dir.0.join("tb.v"), self.testbench()).unwrap();
        let out = Command::new("iverilog")
            .current_dir(&dir.0)
            .args(["-g2005", "-Wall", "-o", "sim.vvp", "-s", "tb", "tb.v"])
            .args(&names)
            .output()
            .unwrap_or_else(|e| panic!("iverilog is installed (scripts/setup.sh): {e}"));
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{}: iverilog failed:\n{text}", self.label);

        let log = vvp(&dir.0, &[]);
        let rerun = Rerun { label: self.label.clone(), dir };
        let fails: Vec<&str> = log.lines().filter(|l| l.starts_with("FAIL")).collect();
        let done = log.lines().find_map(|l| l.strip_prefix("DONE "));
        let outcome = Outcome { beats: parse_beats(&log), cycles: parse_done(done, "cycles"), log: log.clone(), rerun };
        if !fails.is_empty() {
            outcome.fail(&format!("four-state run:\n{}", fails.join("\n")));
        }
        let Some(done) = done else { outcome.fail(&format!("the run did not finish:\n{log}")) };
        let want = format!("checks={} errors=0", self.checks);
        if !done.ends_with(&want) {
            outcome.fail(&format!("expected `{want}`, got `{done}`"));
        }
        eprintln!("{}: {} cycles, {} beats, {} checks", self.label, outcome.cycles, outcome.beats.len(), self.checks);
        outcome
    }
}

fn parse_done(done: Option<&str>, key: &str) -> u64 {
    done.and_then(|d| d.split(' ').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())).unwrap_or(0)
}

fn parse_beats(log: &str) -> Vec<Beat> {
    log.lines()
        .filter_map(|l| {
            let mut it = l.strip_prefix("BEAT ")?.split(' ');
            let cycle = it.next()?.parse().ok()?;
            let valid = it.next()?.to_string();
            let fields = it.filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
            Some(Beat { cycle, valid, fields })
        })
        .collect()
}

/// Run the compiled simulation in `dir` with extra plusargs.
fn vvp(dir: &Path, plusargs: &[&str]) -> String {
    let out = Command::new("vvp")
        .current_dir(dir)
        .args(["-n", "sim.vvp"])
        .args(plusargs)
        .output()
        .unwrap_or_else(|e| panic!("vvp is installed (scripts/setup.sh): {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "vvp failed:\n{text}");
    text
}

/// AXI4-Lite master tasks on `s_axil_*` (RREADY and BREADY are held at 1).
/// Both start and end at a falling edge. `@AR@`, `@AW@`: the address
/// ports' top bits; `@S@`: WSTRB's width.
const AXIL_TASKS: &str = r#"
    task axil_read(input [31:0] addr, input [31:0] want, input [8*64-1:0] what);
        integer n;
        begin
            s_axil_araddr = addr[@AR@:0]; s_axil_arvalid = 1'b1;
            n = 0;
            #1 while (s_axil_arready !== 1'b1) begin
                if (n == 100) begin fail_count; $display("FAIL cycle %0d: ARREADY timeout", cycle); $finish; end
                n = n + 1; @(negedge clk); #1;
            end
            @(negedge clk);
            s_axil_arvalid = 1'b0;
            while (s_axil_rvalid !== 1'b1) begin
                if (n == 100) begin fail_count; $display("FAIL cycle %0d: RVALID timeout", cycle); $finish; end
                n = n + 1; @(negedge clk);
            end
            checks = checks + 1;
            if ((^s_axil_rdata) === 1'bx || (^s_axil_rresp) === 1'bx) begin
                fail_count;
                $display("FAIL cycle %0d: read %h (%0s): s_axil_rdata = %b, s_axil_rresp = %b (X or Z)", cycle, addr,
                         what, s_axil_rdata, s_axil_rresp);
            end else if (s_axil_rdata !== want || s_axil_rresp !== 2'b00) begin
                fail_count;
                $display("FAIL cycle %0d: read %h (%0s): s_axil_rdata = %h resp %0d, want %h resp 0", cycle, addr,
                         what, s_axil_rdata, s_axil_rresp, want);
            end
            @(negedge clk);
        end
    endtask

    task axil_write(input [31:0] addr, input [31:0] data);
        integer n;
        begin
            s_axil_awaddr = addr[@AW@:0]; s_axil_awvalid = 1'b1;
            s_axil_wdata = data; s_axil_wstrb = {@S@{1'b1}}; s_axil_wvalid = 1'b1;
            n = 0;
            #1 while (s_axil_awready !== 1'b1 || s_axil_wready !== 1'b1) begin
                if (n == 100) begin fail_count; $display("FAIL cycle %0d: AWREADY/WREADY timeout", cycle); $finish; end
                n = n + 1; @(negedge clk); #1;
            end
            @(negedge clk);
            s_axil_awvalid = 1'b0; s_axil_wvalid = 1'b0;
            while (s_axil_bvalid !== 1'b1) begin
                if (n == 100) begin fail_count; $display("FAIL cycle %0d: BVALID timeout", cycle); $finish; end
                n = n + 1; @(negedge clk);
            end
            checks = checks + 1;
            if (s_axil_bresp !== 2'b00) begin
                fail_count;
                $display("FAIL cycle %0d: write %h: s_axil_bresp = %b", cycle, addr, s_axil_bresp);
            end
            @(negedge clk);
        end
    endtask
"#;
