//! The DMA top's ports, looked up once: the buses by prefix from the same
//! bundle descriptions the DMA top declares its ports with, widths checked.

use anyhow::{anyhow, bail, Result};
use hdl::core::Bundle;
use verilator_sys::{Model, Port};

pub(super) struct Ports {
    pub(super) clk: Port,
    pub(super) rst: Port,
    pub(super) axil_awaddr: Port,
    pub(super) axil_awprot: Port,
    pub(super) axil_awvalid: Port,
    pub(super) axil_awready: Port,
    pub(super) axil_wdata: Port,
    pub(super) axil_wstrb: Port,
    pub(super) axil_wvalid: Port,
    pub(super) axil_wready: Port,
    pub(super) axil_bresp: Port,
    pub(super) axil_bvalid: Port,
    pub(super) axil_bready: Port,
    pub(super) axil_araddr: Port,
    pub(super) axil_arprot: Port,
    pub(super) axil_arvalid: Port,
    pub(super) axil_arready: Port,
    pub(super) axil_rdata: Port,
    pub(super) axil_rresp: Port,
    pub(super) axil_rvalid: Port,
    pub(super) axil_rready: Port,
    pub(super) arid: Port,
    pub(super) araddr: Port,
    pub(super) arlen: Port,
    pub(super) arsize: Port,
    pub(super) arburst: Port,
    pub(super) arlock: Port,
    pub(super) arcache: Port,
    pub(super) arprot: Port,
    pub(super) arvalid: Port,
    pub(super) arready: Port,
    pub(super) rid: Port,
    pub(super) rdata: Port,
    pub(super) rresp: Port,
    pub(super) rlast: Port,
    pub(super) rvalid: Port,
    pub(super) rready: Port,
    pub(super) awid: Port,
    pub(super) awaddr: Port,
    pub(super) awlen: Port,
    pub(super) awsize: Port,
    pub(super) awburst: Port,
    pub(super) awlock: Port,
    pub(super) awcache: Port,
    pub(super) awprot: Port,
    pub(super) awvalid: Port,
    pub(super) awready: Port,
    pub(super) wdata: Port,
    pub(super) wstrb: Port,
    pub(super) wlast: Port,
    pub(super) wvalid: Port,
    pub(super) wready: Port,
    pub(super) bid: Port,
    pub(super) bresp: Port,
    pub(super) bvalid: Port,
    pub(super) bready: Port,
    pub(super) m_tdata: Port,
    pub(super) m_tkeep: Port,
    pub(super) m_tlast: Port,
    pub(super) m_tvalid: Port,
    pub(super) m_tready: Port,
    pub(super) s_tdata: Port,
    pub(super) s_tkeep: Port,
    pub(super) s_tlast: Port,
    pub(super) s_tvalid: Port,
    pub(super) s_tready: Port,
    pub(super) irq: Port,
}

impl Ports {
    pub(super) fn of(m: &Model) -> Result<Ports> {
        let p = |n: &str| m.port(n).map_err(|e| anyhow!("{e}"));
        // The bus widths, from three ports; every other port is checked against them.
        let (a, d, id) = (p("m_axi_araddr")?.width(), p("m_axi_rdata")?.width(), p("m_axi_rid")?.width());
        let axil = Bus::bind(m, "s_axil", &Bundle::axi4_lite(p("s_axil_awaddr")?.width(), 32))?;
        let axi = Bus::bind(m, "m_axi", &Bundle::axi4(a, d, id))?;
        let m_axis = Bus::bind(m, "m_axis", &Bundle::axis(d, true, true, 0))?;
        let s_axis = Bus::bind(m, "s_axis", &Bundle::axis(d, true, true, 0))?;
        Ok(Ports {
            clk: p("clk")?,
            rst: p("rst")?,
            axil_awaddr: axil.get("awaddr")?,
            axil_awprot: axil.get("awprot")?,
            axil_awvalid: axil.get("awvalid")?,
            axil_awready: axil.get("awready")?,
            axil_wdata: axil.get("wdata")?,
            axil_wstrb: axil.get("wstrb")?,
            axil_wvalid: axil.get("wvalid")?,
            axil_wready: axil.get("wready")?,
            axil_bresp: axil.get("bresp")?,
            axil_bvalid: axil.get("bvalid")?,
            axil_bready: axil.get("bready")?,
            axil_araddr: axil.get("araddr")?,
            axil_arprot: axil.get("arprot")?,
            axil_arvalid: axil.get("arvalid")?,
            axil_arready: axil.get("arready")?,
            axil_rdata: axil.get("rdata")?,
            axil_rresp: axil.get("rresp")?,
            axil_rvalid: axil.get("rvalid")?,
            axil_rready: axil.get("rready")?,
            arid: axi.get("arid")?,
            araddr: axi.get("araddr")?,
            arlen: axi.get("arlen")?,
            arsize: axi.get("arsize")?,
            arburst: axi.get("arburst")?,
            arlock: axi.get("arlock")?,
            arcache: axi.get("arcache")?,
            arprot: axi.get("arprot")?,
            arvalid: axi.get("arvalid")?,
            arready: axi.get("arready")?,
            rid: axi.get("rid")?,
            rdata: axi.get("rdata")?,
            rresp: axi.get("rresp")?,
            rlast: axi.get("rlast")?,
            rvalid: axi.get("rvalid")?,
            rready: axi.get("rready")?,
            awid: axi.get("awid")?,
            awaddr: axi.get("awaddr")?,
            awlen: axi.get("awlen")?,
            awsize: axi.get("awsize")?,
            awburst: axi.get("awburst")?,
            awlock: axi.get("awlock")?,
            awcache: axi.get("awcache")?,
            awprot: axi.get("awprot")?,
            awvalid: axi.get("awvalid")?,
            awready: axi.get("awready")?,
            wdata: axi.get("wdata")?,
            wstrb: axi.get("wstrb")?,
            wlast: axi.get("wlast")?,
            wvalid: axi.get("wvalid")?,
            wready: axi.get("wready")?,
            bid: axi.get("bid")?,
            bresp: axi.get("bresp")?,
            bvalid: axi.get("bvalid")?,
            bready: axi.get("bready")?,
            m_tdata: m_axis.get("tdata")?,
            m_tkeep: m_axis.get("tkeep")?,
            m_tlast: m_axis.get("tlast")?,
            m_tvalid: m_axis.get("tvalid")?,
            m_tready: m_axis.get("tready")?,
            s_tdata: s_axis.get("tdata")?,
            s_tkeep: s_axis.get("tkeep")?,
            s_tlast: s_axis.get("tlast")?,
            s_tvalid: s_axis.get("tvalid")?,
            s_tready: s_axis.get("tready")?,
            irq: p("irq")?,
        })
    }
}

/// One bus of the model, bound by prefix from the bundle description the
/// DMA top declares (`hdl::core::Bundle`): every field's port must exist
/// with the field's width.
struct Bus {
    prefix: String,
    ports: Vec<(String, Port)>,
}

impl Bus {
    fn bind(m: &Model, prefix: &str, bundle: &Bundle) -> Result<Bus> {
        let mut ports = Vec::new();
        for f in &bundle.fields {
            let name = format!("{prefix}_{}", f.name);
            let port = m.port(&name).map_err(|e| anyhow!("{} bus {prefix}: {e}", bundle.kind))?;
            if port.width() != f.ty.width() {
                bail!(
                    "{} bus {prefix}: port {name} is {} bits wide, the bundle says {}",
                    bundle.kind,
                    port.width(),
                    f.ty.width()
                );
            }
            ports.push((f.name.clone(), port));
        }
        Ok(Bus { prefix: prefix.to_string(), ports })
    }

    fn get(&self, field: &str) -> Result<Port> {
        let found = self.ports.iter().find(|(n, _)| n == field).map(|(_, p)| *p);
        found.ok_or_else(|| anyhow!("bus {} has no field {field}", self.prefix))
    }
}
