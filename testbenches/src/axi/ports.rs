//! A model's buses bound by prefix: the ports `prefix_field` of every field
//! of the same `hdl::core::Bundle` the block declares its ports with, each
//! checked to exist with the field's width. A harness names a bus once
//! (`AxisPorts::bind(&model, "m_axis", &bundle)`) rather than each signal.

use anyhow::{anyhow, bail, Result};
use hdl::core::Bundle;
use verilator_sys::{Model, Port};

/// Every field of a bundle, bound: the generic form the typed structs below
/// are built from (and what a bus with its own payload, such as a
/// valid/ready command port, is read through).
pub struct BusPorts {
    kind: String,
    prefix: String,
    ports: Vec<(String, Port)>,
}

impl BusPorts {
    /// Bind every field of `bundle` to the model's port `prefix_field`.
    pub fn bind(m: &Model, prefix: &str, bundle: &Bundle) -> Result<BusPorts> {
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
        Ok(BusPorts { kind: bundle.kind.clone(), prefix: prefix.to_string(), ports })
    }

    /// The port of `field`.
    pub fn get(&self, field: &str) -> Result<Port> {
        self.opt(field).ok_or_else(|| anyhow!("{} bus {} has no field {field}", self.kind, self.prefix))
    }

    /// The port of `field`, if the bundle has it (an optional AXI-Stream signal).
    pub fn opt(&self, field: &str) -> Option<Port> {
        self.ports.iter().find(|(n, _)| n == field).map(|(_, p)| *p)
    }
}

/// Fill a struct of ports from a bound bus, one field per signal name.
macro_rules! bound {
    ($ty:ident, $bus:expr, $($f:ident),* $(,)?) => {
        $ty { $($f: $bus.get(stringify!($f))?),* }
    };
}

/// An AXI4-Lite interface ([`Bundle::axi4_lite`]).
pub struct AxiLitePorts {
    pub awaddr: Port,
    pub awprot: Port,
    pub awvalid: Port,
    pub awready: Port,
    pub wdata: Port,
    pub wstrb: Port,
    pub wvalid: Port,
    pub wready: Port,
    pub bresp: Port,
    pub bvalid: Port,
    pub bready: Port,
    pub araddr: Port,
    pub arprot: Port,
    pub arvalid: Port,
    pub arready: Port,
    pub rdata: Port,
    pub rresp: Port,
    pub rvalid: Port,
    pub rready: Port,
}

impl AxiLitePorts {
    pub fn bind(m: &Model, prefix: &str, bundle: &Bundle) -> Result<AxiLitePorts> {
        let b = BusPorts::bind(m, prefix, bundle)?;
        Ok(bound!(
            AxiLitePorts,
            b,
            awaddr,
            awprot,
            awvalid,
            awready,
            wdata,
            wstrb,
            wvalid,
            wready,
            bresp,
            bvalid,
            bready,
            araddr,
            arprot,
            arvalid,
            arready,
            rdata,
            rresp,
            rvalid,
            rready
        ))
    }
}

/// An AXI4 interface, both halves ([`Bundle::axi4`]).
pub struct Axi4Ports {
    pub arid: Port,
    pub araddr: Port,
    pub arlen: Port,
    pub arsize: Port,
    pub arburst: Port,
    pub arlock: Port,
    pub arcache: Port,
    pub arprot: Port,
    pub arvalid: Port,
    pub arready: Port,
    pub rid: Port,
    pub rdata: Port,
    pub rresp: Port,
    pub rlast: Port,
    pub rvalid: Port,
    pub rready: Port,
    pub awid: Port,
    pub awaddr: Port,
    pub awlen: Port,
    pub awsize: Port,
    pub awburst: Port,
    pub awlock: Port,
    pub awcache: Port,
    pub awprot: Port,
    pub awvalid: Port,
    pub awready: Port,
    pub wdata: Port,
    pub wstrb: Port,
    pub wlast: Port,
    pub wvalid: Port,
    pub wready: Port,
    pub bid: Port,
    pub bresp: Port,
    pub bvalid: Port,
    pub bready: Port,
}

impl Axi4Ports {
    pub fn bind(m: &Model, prefix: &str, bundle: &Bundle) -> Result<Axi4Ports> {
        let b = BusPorts::bind(m, prefix, bundle)?;
        Ok(bound!(
            Axi4Ports, b, arid, araddr, arlen, arsize, arburst, arlock, arcache, arprot, arvalid, arready, rid, rdata,
            rresp, rlast, rvalid, rready, awid, awaddr, awlen, awsize, awburst, awlock, awcache, awprot, awvalid,
            awready, wdata, wstrb, wlast, wvalid, wready, bid, bresp, bvalid, bready
        ))
    }
}

/// An AXI-Stream interface ([`Bundle::axis`], [`Bundle::axis_lanes`]);
/// `tkeep`, `tlast` and `tuser` are there when the bundle has them.
pub struct AxisPorts {
    pub tdata: Port,
    pub tkeep: Option<Port>,
    pub tlast: Option<Port>,
    pub tuser: Option<Port>,
    pub tvalid: Port,
    pub tready: Port,
}

impl AxisPorts {
    pub fn bind(m: &Model, prefix: &str, bundle: &Bundle) -> Result<AxisPorts> {
        let b = BusPorts::bind(m, prefix, bundle)?;
        Ok(AxisPorts {
            tdata: b.get("tdata")?,
            tkeep: b.opt("tkeep"),
            tlast: b.opt("tlast"),
            tuser: b.opt("tuser"),
            tvalid: b.get("tvalid")?,
            tready: b.get("tready")?,
        })
    }

    /// Bind a stream that must have the optional signals `needed`
    /// (`"tkeep"`, `"tlast"`, `"tuser"`), so that [`AxisPorts::keep`] and the
    /// like cannot fail later.
    pub fn bind_with(m: &Model, prefix: &str, bundle: &Bundle, needed: &[&str]) -> Result<AxisPorts> {
        let p = AxisPorts::bind(m, prefix, bundle)?;
        for &n in needed {
            let have = match n {
                "tkeep" => p.tkeep.is_some(),
                "tlast" => p.tlast.is_some(),
                "tuser" => p.tuser.is_some(),
                _ => bail!("AXI-Stream bus {prefix}: {n} is not an optional AXI-Stream signal"),
            };
            if !have {
                bail!("AXI-Stream bus {prefix}: the bundle has no {n}, which this harness needs");
            }
        }
        Ok(p)
    }

    /// `tkeep`, for a stream bound with it ([`AxisPorts::bind_with`]).
    pub fn keep(&self) -> Port {
        self.tkeep.expect("an AXI-Stream bound without tkeep (bind_with checks this)")
    }

    /// `tlast`, for a stream bound with it.
    pub fn last(&self) -> Port {
        self.tlast.expect("an AXI-Stream bound without tlast (bind_with checks this)")
    }

    /// `tuser`, for a stream bound with it.
    pub fn user(&self) -> Port {
        self.tuser.expect("an AXI-Stream bound without tuser (bind_with checks this)")
    }
}

impl BusPorts {
    /// The payload of address channel `ch` (`"ar"` or `"aw"`) in this cycle
    /// (after `eval`): for a bus that is only a read or only a write half.
    pub fn addr(&self, m: &Model, ch: &str) -> Result<super::Addr> {
        let f = |n: &str| self.get(&format!("{ch}{n}"));
        let ports = [f("id")?, f("addr")?, f("len")?, f("size")?, f("burst")?, f("lock")?, f("cache")?, f("prot")?];
        Ok(addr_of(m, ports))
    }
}

/// The fields of an AXI4 address channel, as one payload.
fn addr_of(m: &Model, ports: [Port; 8]) -> super::Addr {
    let [id, addr, len, size, burst, lock, cache, prot] = ports;
    super::Addr {
        id: m.get(id) as u32,
        addr: m.get(addr),
        len: m.get(len) as u8,
        size: m.get(size) as u8,
        burst: m.get(burst) as u8,
        lock: m.get(lock) as u8,
        cache: m.get(cache) as u8,
        prot: m.get(prot) as u8,
    }
}

/// A bus's data as the beat words of `super::Words`.
pub fn words_of(m: &Model, p: Port) -> super::Words {
    let mut w = [0u32; 16];
    m.get_wide_into(p, &mut w);
    w
}

impl Axi4Ports {
    /// Drive the slave's side of this master port with the memory model's outputs for the cycle.
    pub fn drive_slave(&self, m: &mut Model, mo: &super::mem::MemOutputs) {
        m.set(self.arready, mo.arready as u64);
        m.set(self.awready, mo.awready as u64);
        m.set(self.wready, mo.wready as u64);
        let r = mo.r.unwrap_or_default();
        m.set(self.rvalid, mo.r.is_some() as u64);
        m.set(self.rid, r.id as u64);
        m.set_wide(self.rdata, &r.data[..self.rdata.words()]).expect("rdata fits a beat");
        m.set(self.rresp, r.resp as u64);
        m.set(self.rlast, r.last as u64);
        let b = mo.b.unwrap_or_default();
        m.set(self.bvalid, mo.b.is_some() as u64);
        m.set(self.bid, b.id as u64);
        m.set(self.bresp, b.resp as u64);
    }

    /// Every channel in this cycle (after `eval`), with the slave's side from `mo`.
    pub fn snapshot(&self, m: &Model, mo: &super::mem::MemOutputs) -> super::AxiSnapshot {
        use super::{Chan, WBeat};
        let ar =
            [self.arid, self.araddr, self.arlen, self.arsize, self.arburst, self.arlock, self.arcache, self.arprot];
        let aw =
            [self.awid, self.awaddr, self.awlen, self.awsize, self.awburst, self.awlock, self.awcache, self.awprot];
        let w = WBeat { data: words_of(m, self.wdata), strb: m.get(self.wstrb), last: m.get(self.wlast) != 0 };
        super::AxiSnapshot {
            ar: Chan { valid: m.get(self.arvalid) != 0, ready: mo.arready, payload: addr_of(m, ar) },
            r: Chan { valid: mo.r.is_some(), ready: m.get(self.rready) != 0, payload: mo.r.unwrap_or_default() },
            aw: Chan { valid: m.get(self.awvalid) != 0, ready: mo.awready, payload: addr_of(m, aw) },
            w: Chan { valid: m.get(self.wvalid) != 0, ready: mo.wready, payload: w },
            b: Chan { valid: mo.b.is_some(), ready: m.get(self.bready) != 0, payload: mo.b.unwrap_or_default() },
        }
    }
}

impl AxiLitePorts {
    /// Drive the master's side of this slave port with the driver's outputs for the cycle.
    pub fn drive_master(&self, m: &mut Model, lo: &super::lite::LiteOut) {
        m.set(self.awvalid, lo.awvalid as u64);
        m.set(self.awaddr, lo.awaddr as u64);
        m.set(self.awprot, 0);
        m.set(self.wvalid, lo.wvalid as u64);
        m.set(self.wdata, lo.wdata as u64);
        m.set(self.wstrb, lo.wstrb as u64);
        m.set(self.bready, lo.bready as u64);
        m.set(self.arvalid, lo.arvalid as u64);
        m.set(self.araddr, lo.araddr as u64);
        m.set(self.arprot, 0);
        m.set(self.rready, lo.rready as u64);
    }

    /// The slave's side in this cycle (after `eval`).
    pub fn sample(&self, m: &Model) -> super::lite::LiteIn {
        super::lite::LiteIn {
            awready: m.get(self.awready) != 0,
            wready: m.get(self.wready) != 0,
            bvalid: m.get(self.bvalid) != 0,
            bresp: m.get(self.bresp) as u8,
            arready: m.get(self.arready) != 0,
            rvalid: m.get(self.rvalid) != 0,
            rdata: m.get(self.rdata) as u32,
            rresp: m.get(self.rresp) as u8,
        }
    }
}
