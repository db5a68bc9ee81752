//! The core top (`hdl::blocks::accel::core_top`) in a four-state simulator
//! (Icarus Verilog), as `dma_fourstate.rs` runs the DMA: every register and
//! memory starts as X. After reset, every readable location of the register
//! map reads its reset value with no X on RDATA while RVALID is high; then a
//! ring and a doorbell are written, so the command fetch raises ARVALID (the
//! memory never answers): on every cycle after reset every VALID, READY and
//! `irq` is 0 or 1, and no payload carries X while its VALID is high.

use std::path::Path;

use golden::Config;
use hdl::blocks::accel::core_regmap::*;
use testbenches::fourstate::FourState;

fn preset(name: &str) -> Config {
    Config::from_file(Path::new(&format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

#[test]
fn the_core_reads_defined_values_in_a_four_state_simulator() {
    for name in ["tiny", "default", "large"] {
        let cfg = preset(name);
        let top = hdl::blocks::accel::core_top::core_top(&cfg).unwrap();
        let mut fs = FourState::new(&format!("{name} core"), &top);
        fs.idle(20);
        for r in register_map(&cfg) {
            fs.axil_read(r.offset, r.reset.unwrap(), &r.name);
        }
        for base in [READ_TABLE_BASE, WRITE_TABLE_BASE] {
            fs.axil_read(base, 0, "page-table entry 0, low");
        }
        fs.axil_write(RING_BASE_LO, 0x1000).axil_write(RING_SIZE, 8).axil_write(TAIL, 1).idle(60);
        fs.axil_read(HEAD, 0, "HEAD: the command is not back from memory");
        fs.axil_read(STATUS, 1 << STATUS_BUSY, "STATUS: busy");
        fs.run();
    }
}
