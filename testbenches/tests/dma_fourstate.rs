//! The DMA top in a four-state simulator (Icarus Verilog, `iverilog -g2005`):
//! every register and memory starts as X, as in silicon before reset, and X
//! propagates pessimistically instead of being randomized away (Verilator is
//! two-state). A generated testbench resets the DMA, idles, reads every
//! readable location of the register map over AXI4-Lite (each register,
//! `PUSH`, samples of both page-table windows) and checks each read against
//! the map's reset value (or the write-only `reads_as`) with no X or Z on
//! RDATA/RRESP while RVALID is high; then it pushes a rejected descriptor on
//! each engine and checks the completion, and that `COMPLETION` reads
//! exactly 32'h0 once its FIFO is empty again. On every cycle after reset,
//! every VALID, READY and `irq` must be 0 or 1, and every payload must be
//! free of X and Z while its VALID is high.
//!
//! Icarus is a required tool (`scripts/setup.sh` installs it): the test
//! fails if it is missing.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use golden::dma::Status;
use golden::DmaConfig;
use hdl::blocks::dma::regs::{self, register_map};
use hdl::core::{emit, Dir, EmitOptions, Module};

fn preset(name: &str) -> DmaConfig {
    let text =
        std::fs::read_to_string(format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"))).expect("preset file");
    golden::Config::from_toml_str(&text, name).expect("valid preset").dma
}

/// Every readable location and the value it must read after reset.
fn reads_after_reset(cfg: &DmaConfig) -> Vec<(u32, u32, String)> {
    let mut v = Vec::new();
    for r in register_map(cfg) {
        for (engine, addr) in r.addresses() {
            v.push((addr, r.reads_as.unwrap_or(r.reset), format!("{} ({engine})", r.name)));
        }
    }
    let n = cfg.table_entries;
    for (base, t) in [(regs::READ_TABLE_BASE, "read table"), (regs::WRITE_TABLE_BASE, "write table")] {
        for i in [0, 1, n / 2, n - 1] {
            for (off, word) in [(0, "low"), (4, "high")] {
                v.push((base + 8 * i + off, regs::WRITE_ONLY_READS_AS, format!("{t} entry {i} {word}")));
            }
        }
    }
    v
}

/// The channel whose VALID qualifies an output port, if it is a payload.
fn qualifier(port: &str) -> Option<&'static str> {
    let groups = [
        ("s_axil_r", "s_axil_rvalid"),
        ("s_axil_b", "s_axil_bvalid"),
        ("m_axi_ar", "m_axi_arvalid"),
        ("m_axi_aw", "m_axi_awvalid"),
        ("m_axi_w", "m_axi_wvalid"),
        ("m_axis_t", "m_axis_tvalid"),
    ];
    if port.ends_with("valid") || port.ends_with("ready") || port == "irq" {
        return None;
    }
    groups.iter().find(|(p, _)| port.starts_with(p)).map(|(_, v)| *v)
}

/// The testbench for `top`: ports, clock, tasks, the X monitor and the program.
fn testbench(top: &Module, cfg: &DmaConfig) -> String {
    let ports = top.ports();
    let mut t = String::new();
    t += "`timescale 1ns/1ps\n`default_nettype none\nmodule tb;\n";
    t += "    reg clk = 1'b0;\n    always #5 clk = ~clk;\n    reg rst = 1'b1;\n";
    for p in ports.iter().filter(|p| p.name != "clk" && p.name != "rst") {
        let w = p.ty.width();
        let range = if w > 1 { format!("[{}:0] ", w - 1) } else { String::new() };
        match p.dir {
            // Every input is driven (0 unless the program says otherwise): a
            // floating input would be Z and prove nothing.
            Dir::Input => writeln!(t, "    reg  {range}{} = {w}'d0;", p.name).unwrap(),
            Dir::Output => writeln!(t, "    wire {range}{};", p.name).unwrap(),
        }
    }
    let conns: Vec<String> = ports.iter().map(|p| format!("        .{0}({0})", p.name)).collect();
    writeln!(t, "    {} dut (\n{}\n    );", top.name(), conns.join(",\n")).unwrap();
    t += "    integer errors = 0;\n    integer checks = 0;\n    reg watching = 1'b0;\n";

    // The X monitor: sampled at the falling edge, when everything has settled.
    t += "    always @(negedge clk) if (watching) begin\n";
    for p in ports.iter().filter(|p| matches!(p.dir, Dir::Output)) {
        let cond = match qualifier(&p.name) {
            Some(valid) => format!("{valid} === 1'b1 && "),
            None => String::new(),
        };
        writeln!(
            t,
            "        if ({cond}(^{0}) === 1'bx) begin errors = errors + 1; \
             $display(\"FAIL %0t: {0} = %b\", $time, {0}); end",
            p.name
        )
        .unwrap();
    }
    t += "    end\n";

    t += r#"
    task wait_for(input integer limit, inout integer n);
        begin
            n = n + 1;
            if (n > limit) begin
                $display("FAIL %0t: handshake timeout", $time);
                errors = errors + 1;
                $finish;
            end
            @(negedge clk);
        end
    endtask

    task rd(input [15:0] addr, input [31:0] want);
        integer n;
        begin
            @(negedge clk);
            s_axil_araddr = addr; s_axil_arvalid = 1'b1; s_axil_rready = 1'b1;
            n = 0;
            #1 while (s_axil_arready !== 1'b1) wait_for(100, n);
            @(negedge clk);
            s_axil_arvalid = 1'b0;
            while (s_axil_rvalid !== 1'b1) wait_for(100, n);
            checks = checks + 1;
            if ((^s_axil_rdata) === 1'bx || (^s_axil_rresp) === 1'bx) begin
                errors = errors + 1;
                $display("FAIL read %h: RDATA %b RRESP %b (X or Z)", addr, s_axil_rdata, s_axil_rresp);
            end else if (s_axil_rdata !== want || s_axil_rresp !== 2'b00) begin
                errors = errors + 1;
                $display("FAIL read %h: %h resp %0d, want %h resp 0", addr, s_axil_rdata, s_axil_rresp, want);
            end
            @(negedge clk);
            s_axil_rready = 1'b0;
        end
    endtask

    task wr(input [15:0] addr, input [31:0] data);
        integer n;
        begin
            @(negedge clk);
            s_axil_awaddr = addr; s_axil_awvalid = 1'b1;
            s_axil_wdata = data; s_axil_wstrb = 4'hf; s_axil_wvalid = 1'b1; s_axil_bready = 1'b1;
            n = 0;
            #1 while (s_axil_awready !== 1'b1) begin wait_for(100, n); #1; end
            @(negedge clk);
            s_axil_awvalid = 1'b0; s_axil_wvalid = 1'b0;
            while (s_axil_bvalid !== 1'b1) wait_for(100, n);
            checks = checks + 1;
            if (s_axil_bresp !== 2'b00) begin
                errors = errors + 1;
                $display("FAIL write %h: BRESP %b", addr, s_axil_bresp);
            end
            @(negedge clk);
            s_axil_bready = 1'b0;
        end
    endtask

    initial begin
        // The engines' slaves: always ready, never respond (nothing is issued).
        m_axi_arready = 1'b1; m_axi_awready = 1'b1; m_axi_wready = 1'b1; m_axis_tready = 1'b1;
        repeat (4) @(negedge clk);
        rst = 1'b0;
        // Control outputs are defined from the first edge after reset.
        watching = 1'b1;
        repeat (20) @(negedge clk);
"#;
    for (addr, want, what) in reads_after_reset(cfg) {
        writeln!(t, "        rd(16'h{addr:04x}, 32'h{want:08x}); // {what}").unwrap();
    }
    // A rejected descriptor on each engine (LEN is 0 after reset: ZERO_LENGTH).
    let code = Status::ZeroLength.code() as u32;
    for (base, tag) in [(regs::READ_BASE, 0x1234u32), (regs::WRITE_BASE, 0x4321)] {
        writeln!(t, "        wr(16'h{:04x}, 32'h{tag:08x}); // PUSH", base + regs::PUSH).unwrap();
        t += "        repeat (40) @(negedge clk);\n";
        let c = base + regs::COMPLETION;
        writeln!(t, "        rd(16'h{:04x}, 32'h{:08x}); // STATUS: one completion", base + regs::STATUS, 1 << 16)
            .unwrap();
        writeln!(t, "        rd(16'h{:04x}, 32'h{:08x}); // LAST_ERROR", base + regs::LAST_ERROR, code << 16 | tag)
            .unwrap();
        writeln!(t, "        rd(16'h{c:04x}, 32'h{:08x}); // COMPLETION: the popped one", 1 << 31 | code << 16 | tag)
            .unwrap();
        for _ in 0..2 {
            writeln!(t, "        rd(16'h{c:04x}, 32'h00000000); // COMPLETION: empty").unwrap();
        }
        writeln!(t, "        rd(16'h{:04x}, 32'h00000001); // COMPLETED", base + regs::COMPLETED).unwrap();
    }
    t += r#"        repeat (10) @(negedge clk);
        $display("DONE checks=%0d errors=%0d", checks, errors);
        $finish;
    end
endmodule
`default_nettype wire
"#;
    t
}

fn run_icarus(name: &str, cfg: &DmaConfig) {
    let dir = tempfile::tempdir().unwrap();
    let top = hdl::blocks::dma::dma(cfg).unwrap();
    let files = emit(&top, &EmitOptions::default()).unwrap();
    let mut names: Vec<String> = Vec::new();
    for f in &files {
        std::fs::write(dir.path().join(&f.file_name), &f.text).unwrap();
        names.push(f.file_name.clone());
    }
    let tb = testbench(&top, cfg);
    std::fs::write(dir.path().join("tb.v"), &tb).unwrap();
    let expected_checks = reads_after_reset(cfg).len() + 2 * 7;

    let out = Command::new("iverilog")
        .current_dir(dir.path())
        .args(["-g2005", "-Wall", "-o", "sim.vvp", "-s", "tb", "tb.v"])
        .args(&names)
        .output()
        .expect("iverilog is installed (scripts/setup.sh)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name}: iverilog failed:\n{text}");
    let out = run(dir.path(), "vvp", &["-n", "sim.vvp"]);
    eprintln!("{name}: {}", out.lines().last().unwrap_or(""));
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).take(20).collect();
    assert!(fails.is_empty(), "{name}: four-state run:\n{}", fails.join("\n"));
    let done = format!("DONE checks={expected_checks} errors=0");
    assert!(out.lines().any(|l| l == done), "{name}: expected `{done}`, got:\n{out}");
}

fn run(dir: &Path, prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{prog} is installed (scripts/setup.sh): {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{prog} failed:\n{text}");
    text
}

#[test]
fn registers_read_defined_values_in_a_four_state_simulator() {
    for name in ["default", "tiny", "large"] {
        run_icarus(name, &preset(name));
    }
    // The smallest corner: one-entry-deep everything, 64-bit addresses.
    let corner = DmaConfig {
        data_bits: 64,
        addr_bits: 64,
        max_burst: 1,
        max_outstanding: 1,
        queue_depth: 2,
        id_bits: 1,
        table_entries: 2,
    };
    run_icarus("corner-small", &corner);
}
