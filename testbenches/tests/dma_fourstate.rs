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
//! The harness (`testbenches::fourstate`) writes the testbench around the
//! top's ports and runs it; Icarus is a required tool (`scripts/setup.sh`
//! installs it): the test fails if it is missing.

use golden::dma::Status;
use golden::DmaConfig;
use hdl::blocks::dma::regs::{self, register_map};
use testbenches::fourstate::FourState;

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

/// Reset, idle, read every readable location, then push a rejected
/// descriptor on each engine and read its completion back.
fn run_icarus(name: &str, cfg: &DmaConfig) {
    let top = hdl::blocks::dma::dma(cfg).unwrap();
    let mut fs = FourState::new(&format!("{name} dma"), &top);
    fs.idle(20);
    for (addr, want, what) in reads_after_reset(cfg) {
        fs.axil_read(addr, want, &what);
    }
    // A rejected descriptor on each engine (LEN is 0 after reset: ZERO_LENGTH).
    let code = Status::ZeroLength.code() as u32;
    for (base, tag) in [(regs::READ_BASE, 0x1234u32), (regs::WRITE_BASE, 0x4321)] {
        fs.axil_write(base + regs::PUSH, tag).idle(40);
        fs.axil_read(base + regs::STATUS, 1 << 16, "STATUS: one completion");
        fs.axil_read(base + regs::LAST_ERROR, code << 16 | tag, "LAST_ERROR");
        let c = base + regs::COMPLETION;
        fs.axil_read(c, 1 << 31 | code << 16 | tag, "COMPLETION: the popped one");
        for _ in 0..2 {
            fs.axil_read(c, 0, "COMPLETION: empty");
        }
        fs.axil_read(base + regs::COMPLETED, 1, "COMPLETED");
    }
    fs.run();
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
