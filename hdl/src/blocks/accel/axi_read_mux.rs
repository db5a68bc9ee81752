//! Two AXI4 read masters on one AXI4 read port: the core's DMA read engine
//! (`s0`) and its command fetch (`s1`) share the core's memory port.
//!
//! * AR: round-robin between the two when both are valid. A granted AR that
//!   the slave has not yet taken keeps its grant, so `m_axi_arvalid` and its
//!   payload stay stable until `m_axi_arready` (AXI A3.2.1).
//! * IDs: `s0`'s AR passes with its own ID; `s1`'s goes out with the all-ones
//!   ID, which `s0` must not use (the DMA engines issue ID 0). R beats are
//!   routed back by RID: the all-ones ID to `s1`, any other to `s0` with its
//!   RID, so a slave's wrong RID still reaches the DMA engine's protocol
//!   check. Bursts of the two IDs may interleave beat by beat, as AXI
//!   allows across IDs; each side sees its own beats in order.
//! * `m_axi_rready` is the addressed side's `rready`.

use crate::blocks::common::params::check_range;
use crate::core::{mux, Bit, Bundle, Module, Result, Role};

/// The block's name in parameter errors.
pub const AXI_READ_MUX_BLOCK: &str = "serrano_axi_rd_mux";

/// `serrano_axi_rd_mux_a32_d128_i4`.
pub fn axi_read_mux_name(addr_bits: u32, data_bits: u32, id_bits: u32) -> String {
    format!("serrano_axi_rd_mux_a{addr_bits}_d{data_bits}_i{id_bits}")
}

pub fn axi_read_mux(addr_bits: u32, data_bits: u32, id_bits: u32) -> Result<Module> {
    check_range(AXI_READ_MUX_BLOCK, "addr_bits", addr_bits, 12..=64)?;
    check_range(AXI_READ_MUX_BLOCK, "data_bits", data_bits, 8..=1024)?;
    check_range(AXI_READ_MUX_BLOCK, "id_bits", id_bits, 1..=16)?;
    let mut m = Module::new(&axi_read_mux_name(addr_bits, data_bits, id_bits));
    m.doc("Two AXI4 read masters (s0, s1) on one AXI4 read port; s1 uses the all-ones ID.");
    let bus = Bundle::axi4_read(addr_bits, data_bits, id_bits);
    let s0 = m.bundle_ports("s0", &bus, Role::Slave)?;
    let s1 = m.bundle_ports("s1", &bus, Role::Slave)?;
    let mx = m.bundle_ports("m_axi", &bus, Role::Master)?;
    let fetch_id = crate::blocks::common::lanes::ones(id_bits);

    // ---- AR: arbitration with a grant held until the handshake -------------
    let (v0, v1) = (s0.get("arvalid")?, s1.get("arvalid")?);
    let last1 = m.reg("last_s1", Bit).reset(0).doc("s1 had the last AR").build()?;
    let held = m.reg("held", Bit).reset(0).doc("an AR is waiting for arready").build()?;
    let held1 = m.reg("held_s1", Bit).reset(0).doc("the waiting AR is s1's").build()?;
    // Free choice: s1 if only s1 asks, or both ask and s0 had the last turn.
    let pick1 = &v1 & (!&v0 | !&last1.q);
    let sel1 = m.node("sel_s1", mux(&held.q, &held1.q, &pick1))?;
    let arvalid = m.node("arvalid_w", mux(&sel1, &v1, &v0))?;
    let arready = mx.get("arready")?;
    let took = m.node("ar_taken", &arvalid & &arready)?;
    m.set_next(&held, &arvalid & !&arready)?;
    m.set_next(&held1, &sel1)?;
    m.set_next(&last1, mux(&took, &sel1, &last1.q))?;
    for f in ["addr", "len", "size", "burst", "lock", "cache", "prot"] {
        let field = format!("ar{f}");
        mx.drive(&mut m, &field, mux(&sel1, &s1.get(&field)?, &s0.get(&field)?))?;
    }
    mx.drive(&mut m, "arid", mux(&sel1, &fetch_id, &s0.get("arid")?))?;
    mx.drive(&mut m, "arvalid", &arvalid)?;
    s0.drive(&mut m, "arready", &arready & !&sel1)?;
    s1.drive(&mut m, "arready", &arready & &sel1)?;
    // s1's own ARID is replaced: it has no say in routing.
    m.allow_unused(&s1.get("arid")?, "s1's reads go out with the all-ones ID")?;

    // ---- R: routed by RID ----------------------------------------------------
    let rid = mx.get("rid")?;
    let to1 = m.node("r_to_s1", rid.cmp_eq(&fetch_id))?;
    let rvalid = mx.get("rvalid")?;
    for s in [&s0, &s1] {
        for f in ["rdata", "rresp", "rlast"] {
            s.drive(&mut m, f, mx.get(f)?)?;
        }
    }
    s0.drive(&mut m, "rid", &rid)?;
    s1.drive(&mut m, "rid", &rid)?;
    s0.drive(&mut m, "rvalid", &rvalid & !&to1)?;
    s1.drive(&mut m, "rvalid", &rvalid & &to1)?;
    mx.drive(&mut m, "rready", mux(&to1, &s1.get("rready")?, &s0.get("rready")?))?;
    Ok(m)
}
