//! The DMA top: the register block, the read engine and the write engine
//! behind one AXI4-Lite slave and one AXI4 master (reads on AR/R from the
//! read engine, writes on AW/W/B from the write engine), with the read
//! engine's AXI-Stream output (`m_axis_*`) and the write engine's input
//! (`s_axis_*`). Connect `m_axis` to `s_axis` (through a FIFO or directly)
//! for memory-to-memory copies.

use golden::DmaConfig;

use crate::blocks::dma::read::dma_read;
use crate::blocks::dma::regs::{dma_regs, AXIL_ADDR_BITS};
use crate::blocks::dma::write::dma_write;
use crate::core::{Expr, Module, Result, UInt};

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

/// The DMA for `cfg` (validated).
pub fn dma(cfg: &DmaConfig) -> Result<Module> {
    let d = cfg.data_bits;
    let nb = cfg.data_bytes();
    let id = cfg.id_bits;
    let mut m = Module::new(&dma_name(cfg));
    m.doc("Serrano DMA: AXI4-Lite registers, a read engine (AXI4 -> AXI-Stream) and a write engine");
    m.doc("(AXI-Stream -> AXI4) on one AXI4 master port. See docs/dma.md.");

    let inp = |m: &mut Module, name: &str, w: u32| m.input(name, UInt(w));
    let mut lite_in: Vec<(&str, Expr)> = Vec::new();
    for (name, w) in [
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
    ] {
        lite_in.push((name, inp(&mut m, name, w)?));
    }
    let mut rd_in: Vec<(&str, Expr)> = Vec::new();
    for (name, w) in [
        ("m_axi_arready", 1),
        ("m_axi_rid", id),
        ("m_axi_rdata", d),
        ("m_axi_rresp", 2),
        ("m_axi_rlast", 1),
        ("m_axi_rvalid", 1),
        ("m_axis_tready", 1),
    ] {
        rd_in.push((name, inp(&mut m, name, w)?));
    }
    let mut wr_in: Vec<(&str, Expr)> = Vec::new();
    for (name, w) in [
        ("m_axi_awready", 1),
        ("m_axi_wready", 1),
        ("m_axi_bid", id),
        ("m_axi_bresp", 2),
        ("m_axi_bvalid", 1),
        ("s_axis_tdata", d),
        ("s_axis_tkeep", nb),
        ("s_axis_tlast", 1),
        ("s_axis_tvalid", 1),
    ] {
        wr_in.push((name, inp(&mut m, name, w)?));
    }

    // Engine → register-block signals, as wires (the instances feed each other).
    let w = |m: &mut Module, name: &str, w: u32| m.wire(name, UInt(w));
    let rd_desc_ready = w(&mut m, "rd_desc_ready", 1)?;
    let rd_cpl = (
        w(&mut m, "rd_cpl_valid", 1)?,
        w(&mut m, "rd_cpl_tag", 16)?,
        w(&mut m, "rd_cpl_code", 8)?,
        w(&mut m, "rd_busy", 1)?,
    );
    let wr_desc_ready = w(&mut m, "wr_desc_ready", 1)?;
    let wr_cpl = (
        w(&mut m, "wr_cpl_valid", 1)?,
        w(&mut m, "wr_cpl_tag", 16)?,
        w(&mut m, "wr_cpl_code", 8)?,
        w(&mut m, "wr_busy", 1)?,
    );

    let mut regs_conn: Vec<(&str, &Expr)> = lite_in.iter().map(|(n, e)| (*n, e)).collect();
    regs_conn.extend([
        ("rd_desc_ready", &rd_desc_ready),
        ("rd_cpl_valid", &rd_cpl.0),
        ("rd_cpl_tag", &rd_cpl.1),
        ("rd_cpl_code", &rd_cpl.2),
        ("rd_busy", &rd_cpl.3),
        ("wr_desc_ready", &wr_desc_ready),
        ("wr_cpl_valid", &wr_cpl.0),
        ("wr_cpl_tag", &wr_cpl.1),
        ("wr_cpl_code", &wr_cpl.2),
        ("wr_busy", &wr_cpl.3),
    ]);
    let regs = m.instance("regs", &dma_regs(cfg)?, &regs_conn)?;

    let (rdv, rdd) = (regs.out("rd_desc_valid")?, regs.out("rd_desc")?);
    let (rwe, rwa, rwd) = (regs.out("rd_tbl_we")?, regs.out("rd_tbl_waddr")?, regs.out("rd_tbl_wdata")?);
    let (cache, prot) = (regs.out("axi_cache")?, regs.out("axi_prot")?);
    let mut rd_conn: Vec<(&str, &Expr)> = rd_in.iter().map(|(n, e)| (*n, e)).collect();
    rd_conn.extend([
        ("desc_valid", &rdv),
        ("desc", &rdd),
        ("tbl_we", &rwe),
        ("tbl_waddr", &rwa),
        ("tbl_wdata", &rwd),
        ("axi_cache", &cache),
        ("axi_prot", &prot),
    ]);
    let rd = m.instance("read_engine", &dma_read(cfg)?, &rd_conn)?;

    let (wdv, wdd) = (regs.out("wr_desc_valid")?, regs.out("wr_desc")?);
    let (wwe, wwa, wwd) = (regs.out("wr_tbl_we")?, regs.out("wr_tbl_waddr")?, regs.out("wr_tbl_wdata")?);
    let mut wr_conn: Vec<(&str, &Expr)> = wr_in.iter().map(|(n, e)| (*n, e)).collect();
    wr_conn.extend([
        ("desc_valid", &wdv),
        ("desc", &wdd),
        ("tbl_we", &wwe),
        ("tbl_waddr", &wwa),
        ("tbl_wdata", &wwd),
        ("axi_cache", &cache),
        ("axi_prot", &prot),
    ]);
    let wr = m.instance("write_engine", &dma_write(cfg)?, &wr_conn)?;

    m.assign(&rd_desc_ready, rd.out("desc_ready")?)?;
    m.assign(&rd_cpl.0, rd.out("cpl_valid")?)?;
    m.assign(&rd_cpl.1, rd.out("cpl_tag")?)?;
    m.assign(&rd_cpl.2, rd.out("cpl_code")?)?;
    m.assign(&rd_cpl.3, rd.out("busy")?)?;
    m.assign(&wr_desc_ready, wr.out("desc_ready")?)?;
    m.assign(&wr_cpl.0, wr.out("cpl_valid")?)?;
    m.assign(&wr_cpl.1, wr.out("cpl_tag")?)?;
    m.assign(&wr_cpl.2, wr.out("cpl_code")?)?;
    m.assign(&wr_cpl.3, wr.out("busy")?)?;

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
    Ok(m)
}
