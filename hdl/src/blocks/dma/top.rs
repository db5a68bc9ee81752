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
use crate::core::{Expr, Instance, Module, Result, UInt};

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
/// back to the register block.
pub fn dma(cfg: &DmaConfig) -> Result<Module> {
    config("serrano_dma", cfg.validate())?;
    let mut m = Module::new(&dma_name(cfg));
    m.doc("Serrano DMA: AXI4-Lite registers, a read engine (AXI4 -> AXI-Stream) and a write engine");
    m.doc("(AXI-Stream -> AXI4) on one AXI4 master port. See docs/dma.md.");
    let (lite_in, rd_in, wr_in) = inputs(&mut m, cfg)?;

    // Engine → register-block signals, as wires (the instances feed each other).
    let rd_back = feedback_wires(&mut m, "rd")?;
    let wr_back = feedback_wires(&mut m, "wr")?;
    let mut regs_conn: Vec<(&str, &Expr)> = lite_in.iter().map(|(n, e)| (*n, e)).collect();
    regs_conn.extend(rd_back.conns());
    regs_conn.extend(wr_back.conns());
    let regs = m.instance("regs", &dma_regs(cfg)?, &regs_conn)?;

    let rd = engine_instance(&mut m, "read_engine", &dma_read(cfg)?, &rd_in, &regs, "rd")?;
    let wr = engine_instance(&mut m, "write_engine", &dma_write(cfg)?, &wr_in, &regs, "wr")?;
    rd_back.close(&mut m, &rd)?;
    wr_back.close(&mut m, &wr)?;
    outputs(&mut m, &regs, &rd, &wr)?;
    Ok(m)
}

/// Input ports by name, in declaration order.
type PortList = Vec<(&'static str, Expr)>;

/// The top's input ports. In: nothing. Out: (name, port) lists for the
/// register block (AXI4-Lite), the read engine (AR/R, `m_axis_tready`) and
/// the write engine (AW/W/B, `s_axis`), in port order.
fn inputs(m: &mut Module, cfg: &DmaConfig) -> Result<(PortList, PortList, PortList)> {
    let d = cfg.data_bits;
    let nb = cfg.data_bytes();
    let id = cfg.id_bits;
    let mut declare = |list: &[(&'static str, u32)]| -> Result<PortList> {
        list.iter().map(|&(name, w)| Ok((name, m.input(name, UInt(w))?))).collect()
    };
    let lite_in = declare(&[
        ("s_axil_awaddr", AXIL_ADDR_BITS),
        ("s_axil_awprot", 3),
        ("s_axil_awvalid", 1),
        ("s_axil_wdata", 32),
        ("s_axil_wstrb", 4),
        ("s_axil_wvalid", 1),
        ("s_axil_bready", 1),
        ("s_axil_araddr", AXIL_ADDR_BITS),
        ("s_axil_arprot", 3),
        ("s_axil_arvalid", 1),
        ("s_axil_rready", 1),
    ])?;
    let rd_in = declare(&[
        ("m_axi_arready", 1),
        ("m_axi_rid", id),
        ("m_axi_rdata", d),
        ("m_axi_rresp", 2),
        ("m_axi_rlast", 1),
        ("m_axi_rvalid", 1),
        ("m_axis_tready", 1),
    ])?;
    let wr_in = declare(&[
        ("m_axi_awready", 1),
        ("m_axi_wready", 1),
        ("m_axi_bid", id),
        ("m_axi_bresp", 2),
        ("m_axi_bvalid", 1),
        ("s_axis_tdata", d),
        ("s_axis_tkeep", nb),
        ("s_axis_tlast", 1),
        ("s_axis_tvalid", 1),
    ])?;
    Ok((lite_in, rd_in, wr_in))
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
    /// The register block's connections for these wires.
    fn conns(&self) -> Vec<(&str, &Expr)> {
        self.wires.iter().map(|(n, e)| (n.as_str(), e)).collect()
    }

    /// Drive the wires from the engine instance's outputs.
    fn close(&self, m: &mut Module, engine: &Instance) -> Result<()> {
        for ((port, _), (_, wire)) in FEEDBACK.iter().zip(&self.wires) {
            m.assign(wire, engine.out(port)?)?;
        }
        Ok(())
    }
}

/// One engine. In: its own input ports, and from the register block the
/// head of its descriptor queue, its page-table write port and the AXI
/// attributes. Out: the instance.
fn engine_instance(
    m: &mut Module,
    name: &str,
    module: &Module,
    ports: &[(&'static str, Expr)],
    regs: &Instance,
    p: &str,
) -> Result<Instance> {
    let from_regs = [
        ("desc_valid", regs.out(&format!("{p}_desc_valid"))?),
        ("desc", regs.out(&format!("{p}_desc"))?),
        ("tbl_we", regs.out(&format!("{p}_tbl_we"))?),
        ("tbl_waddr", regs.out(&format!("{p}_tbl_waddr"))?),
        ("tbl_wdata", regs.out(&format!("{p}_tbl_wdata"))?),
        ("axi_cache", regs.out("axi_cache")?),
        ("axi_prot", regs.out("axi_prot")?),
    ];
    let mut conn: Vec<(&str, &Expr)> = ports.iter().map(|(n, e)| (*n, e)).collect();
    conn.extend(from_regs.iter().map(|(n, e)| (*n, e)));
    m.instance(name, module, &conn)
}

/// The top's output ports, forwarded by name. In: the three instances.
/// Out: AXI4-Lite responses, the AXI4 master's AR, AW and W/B, the
/// AXI-Stream ports and `irq`.
fn outputs(m: &mut Module, regs: &Instance, rd: &Instance, wr: &Instance) -> Result<()> {
    for p in [
        "s_axil_awready",
        "s_axil_wready",
        "s_axil_bresp",
        "s_axil_bvalid",
        "s_axil_arready",
        "s_axil_rdata",
        "s_axil_rresp",
        "s_axil_rvalid",
    ] {
        m.output(p, regs.out(p)?)?;
    }
    for p in [
        "m_axi_arid",
        "m_axi_araddr",
        "m_axi_arlen",
        "m_axi_arsize",
        "m_axi_arburst",
        "m_axi_arlock",
        "m_axi_arcache",
        "m_axi_arprot",
        "m_axi_arvalid",
        "m_axi_rready",
    ] {
        m.output(p, rd.out(p)?)?;
    }
    for p in [
        "m_axi_awid",
        "m_axi_awaddr",
        "m_axi_awlen",
        "m_axi_awsize",
        "m_axi_awburst",
        "m_axi_awlock",
        "m_axi_awcache",
        "m_axi_awprot",
        "m_axi_awvalid",
        "m_axi_wdata",
        "m_axi_wstrb",
        "m_axi_wlast",
        "m_axi_wvalid",
        "m_axi_bready",
    ] {
        m.output(p, wr.out(p)?)?;
    }
    for p in ["m_axis_tdata", "m_axis_tkeep", "m_axis_tlast", "m_axis_tvalid"] {
        m.output(p, rd.out(p)?)?;
    }
    m.output("s_axis_tready", wr.out("s_axis_tready")?)?;
    m.output_doc("irq", regs.out("irq")?, "a completion waits (IRQ_ENABLE)")?;
    Ok(())
}
