//! The core's register block (`hdl::blocks::accel::core_regs`) in a
//! four-state simulator (Icarus Verilog), as `dma_fourstate.rs` runs the
//! DMA: registers start as X, and no X may reach RDATA while RVALID is high
//! nor any control output after reset.

use std::path::Path;

use golden::Config;
use hdl::blocks::accel::core_regs::*;
use testbenches::fourstate::{FourState, Val};

fn preset(name: &str) -> Config {
    Config::from_file(Path::new(&format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

/// The block in Icarus Verilog (four-state: registers start as X): after
/// reset every readable location reads its table's reset value (inputs at
/// 0: HEAD and STATUS 0, the counters 0, the write-only CONTROL and the
/// page-table windows 0) with no X on RDATA while RVALID is high; then a
/// fault is latched, read and cleared, and a FENCE sets STATUS.fence, which
/// a W1C write clears.
#[test]
fn core_regs_read_defined_values_in_a_four_state_simulator() {
    for name in ["default", "tiny", "large"] {
        let cfg = preset(name);
        let top = core_regs(&cfg).unwrap();
        let mut fs = FourState::new(&format!("{name} core_regs"), &top);
        fs.idle(10);
        for r in register_map(&cfg) {
            fs.axil_read(r.offset, r.reset.unwrap(), &r.name);
        }
        for base in [READ_TABLE_BASE, WRITE_TABLE_BASE] {
            for i in [0, cfg.dma.table_entries - 1] {
                fs.axil_read(base + 8 * i, 0, "page-table entry, low");
                fs.axil_read(base + 8 * i + 4, 0, "page-table entry, high");
            }
        }
        fs.set(&[("fault_code", Val::U(5)), ("fault_index", Val::U(77)), ("fault_dma", Val::U(0x11))]);
        fs.set(&[("fault_set", Val::U(1)), ("fence_set", Val::U(1))]).idle(1);
        fs.set(&[("fault_set", Val::U(0)), ("fence_set", Val::U(0))]).idle(1);
        let status = 1 << STATUS_FAULTED | 1 << STATUS_FENCE | 5 << STATUS_CODE_LSB | 0x11 << STATUS_DMA_LSB;
        fs.axil_read(STATUS, status, "STATUS after a fault and a fence");
        fs.axil_read(FAULT_INDEX, 77, "FAULT_INDEX");
        fs.axil_write(CONTROL, 1 << CONTROL_CLEAR);
        fs.axil_write(STATUS, 1 << STATUS_FENCE);
        fs.axil_read(STATUS, 0, "STATUS after clear and W1C");
        fs.axil_read(FAULT_INDEX, 0, "FAULT_INDEX after clear");
        fs.run();
    }
}
