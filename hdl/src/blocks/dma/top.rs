//! The DMA top: the register block, the read engine and the write engine
//! behind one AXI4-Lite slave and one AXI4 master (reads on AR/R from the
//! read engine, writes on AW/W/B from the write engine), with the read
//! engine's AXI-Stream output (`m_axis_*`) and the write engine's input
//! (`s_axis_*`). Connect `m_axis` to `s_axis` (through a FIFO or directly)
//! for memory-to-memory copies.

use golden::DmaConfig;

use crate::blocks::common::params::config;
use crate::blocks::dma::read::dma_read;
use crate::blocks::dma::regs::{dma_regs, AXIL_ADDR_BITS};
use crate::blocks::dma::write::dma_write;
use crate::core::{Bundle, Expr, Instance, Module, Result, Role, UInt};

pub fn dma_name(cfg: &DmaConfig) -> String {
    format!(
        "serrano_dma_d{}_a{}_b{}_o{}_q{}_i{}_t{}",
        cfg.data_bits,
        cfg.addr_bits,
        cfg.max_burst,
        cfg.max_outstanding,
        cfg.queue_depth,
        cfg.id_bits,
        cfg.table_entries
    )
}

/// The DMA for `cfg` (validated): the register block, the read engine and
/// the write engine, each engine's descriptor and completion signals looped
/// back to the register block. The bus ports are bundles, forwarded to and
/// from the instances in one call each; the AXI4 master is declared in two
/// halves (reads, writes) so that every input port comes before the outputs.
pub fn dma(cfg: &DmaConfig) -> Result<Module> {
    config("serrano_dma", cfg.validate())?;
    let mut m = Module::new(&dma_name(cfg));
    m.doc("Serrano DMA: AXI4-Lite registers, a read engine (AXI4 -> AXI-Stream) and a write engine");
    m.doc("(AXI-Stream -> AXI4) on one AXI4 master port. See docs/dma.md.");
    let (a, d, id) = (cfg.addr_bits, cfg.data_bits, cfg.id_bits);
    let lite = m.bundle_ports("s_axil", &Bundle::axi4_lite(AXIL_ADDR_BITS, 32), Role::Slave)?;
    let axi_rd = m.bundle_ports("m_axi", &Bundle::axi4_read(a, d, id), Role::Master)?;
    let axis_out = m.bundle_ports("m_axis", &Bundle::axis(d, true, true, 0), Role::Master)?;
    let axi_wr = m.bundle_ports("m_axi", &Bundle::axi4_write(a, d, id), Role::Master)?;
    let axis_in = m.bundle_ports("s_axis", &Bundle::axis(d, true, true, 0), Role::Slave)?;

    // Engine → register-block signals, as wires (the instances feed each other).
    let rd_back = feedback_wires(&mut m, "rd")?;
    let wr_back = feedback_wires(&mut m, "wr")?;
    let regs_conn = [lite.inputs_for("s_axil"), rd_back.wires.clone(), wr_back.wires.clone()].concat();
    let regs = m.instance("regs", &dma_regs(cfg)?, &by_ref(&regs_conn))?;

    let rd_in = [axi_rd.inputs_for("m_axi"), axis_out.inputs_for("m_axis")].concat();
    let wr_in = [axi_wr.inputs_for("m_axi"), axis_in.inputs_for("s_axis")].concat();
    let rd = engine_instance(&mut m, "read_engine", &dma_read(cfg)?, rd_in, &regs, "rd")?;
    let wr = engine_instance(&mut m, "write_engine", &dma_write(cfg)?, wr_in, &regs, "wr")?;
    rd_back.close(&mut m, &rd)?;
    wr_back.close(&mut m, &wr)?;
    lite.connect(&mut m, &regs, "s_axil")?;
    axi_rd.connect(&mut m, &rd, "m_axi")?;
    axi_wr.connect(&mut m, &wr, "m_axi")?;
    axis_out.connect(&mut m, &rd, "m_axis")?;
    axis_in.connect(&mut m, &wr, "s_axis")?;
    m.output_doc("irq", regs.out("irq")?, "a completion waits (IRQ_ENABLE)")?;
    Ok(m)
}

/// Named connections as [`Module::instance`] takes them.
fn by_ref(conns: &[(String, Expr)]) -> Vec<(&str, &Expr)> {
    conns.iter().map(|(n, e)| (n.as_str(), e)).collect()
}

/// What one engine tells the register block, as wires of the top named
/// `<p>_desc_ready`, `<p>_cpl_valid`, `<p>_cpl_tag`, `<p>_cpl_code`, `<p>_busy`
/// (the register block's port names).
struct Feedback {
    /// (port name, wire), in the register block's port order.
    wires: Vec<(String, Expr)>,
}

/// The engine's ports that drive the register block, in order, with widths.
const FEEDBACK: [(&str, u32); 5] = [("desc_ready", 1), ("cpl_valid", 1), ("cpl_tag", 16), ("cpl_code", 8), ("busy", 1)];

/// Feedback wires. In: the engine's prefix. Out: the wires, undriven until
/// [`Feedback::close`].
fn feedback_wires(m: &mut Module, p: &str) -> Result<Feedback> {
    let mut wires = Vec::new();
    for (port, w) in FEEDBACK {
        let name = format!("{p}_{port}");
        let e = m.wire(&name, UInt(w))?;
        wires.push((name, e));
    }
    Ok(Feedback { wires })
}

impl Feedback {
    /// Drive the wires from the engine instance's outputs.
    fn close(&self, m: &mut Module, engine: &Instance) -> Result<()> {
        for ((port, _), (_, wire)) in FEEDBACK.iter().zip(&self.wires) {
            m.assign(wire, engine.out(port)?)?;
        }
        Ok(())
    }
}

/// One engine. In: its own bus inputs, and from the register block the
/// head of its descriptor queue, its page-table write port and the AXI
/// attributes. Out: the instance.
fn engine_instance(
    m: &mut Module,
    name: &str,
    module: &Module,
    mut conn: Vec<(String, Expr)>,
    regs: &Instance,
    p: &str,
) -> Result<Instance> {
    for port in ["desc_valid", "desc", "tbl_we", "tbl_waddr", "tbl_wdata"] {
        conn.push((port.to_string(), regs.out(&format!("{p}_{port}"))?));
    }
    for port in ["axi_cache", "axi_prot"] {
        conn.push((port.to_string(), regs.out(port)?));
    }
    m.instance(name, module, &by_ref(&conn))
}
