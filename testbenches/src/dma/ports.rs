//! The DMA top's ports, looked up once: each bus bound by prefix from the
//! same bundle descriptions the DMA top declares its ports with, widths
//! checked.

use anyhow::{anyhow, Result};
use hdl::core::Bundle;
use verilator_sys::{Model, Port};

use crate::axi::ports::{Axi4Ports, AxiLitePorts, AxisPorts};

pub(super) struct Ports {
    pub(super) clk: Port,
    pub(super) rst: Port,
    /// `s_axil_*`: the register interface.
    pub(super) axil: AxiLitePorts,
    /// `m_axi_*`: memory.
    pub(super) axi: Axi4Ports,
    /// `m_axis_*`: the read engine's stream out.
    pub(super) m_axis: AxisPorts,
    /// `s_axis_*`: the write engine's stream in.
    pub(super) s_axis: AxisPorts,
    pub(super) irq: Port,
}

impl Ports {
    pub(super) fn of(m: &Model) -> Result<Ports> {
        let p = |n: &str| m.port(n).map_err(|e| anyhow!("{e}"));
        // The bus widths, from three ports; every other port is checked against them.
        let (a, d, id) = (p("m_axi_araddr")?.width(), p("m_axi_rdata")?.width(), p("m_axi_rid")?.width());
        let axis = Bundle::axis(d, true, true, 0);
        let both = ["tkeep", "tlast"];
        Ok(Ports {
            clk: p("clk")?,
            rst: p("rst")?,
            axil: AxiLitePorts::bind(m, "s_axil", &Bundle::axi4_lite(p("s_axil_awaddr")?.width(), 32))?,
            axi: Axi4Ports::bind(m, "m_axi", &Bundle::axi4(a, d, id))?,
            m_axis: AxisPorts::bind_with(m, "m_axis", &axis, &both)?,
            s_axis: AxisPorts::bind_with(m, "s_axis", &axis, &both)?,
            irq: p("irq")?,
        })
    }
}
