//! The core's store engine: DMA_STORE commands (`docs/isa.md`) from the
//! store queue, run by a line reader (scratchpad lines from `spad_line` →
//! stream) and a DMA write engine (stream → memory, `docs/dma.md`).
//!
//! * `q_*` (valid/ready): the store queue's head: `id`, `data` (the
//!   command), `lines` and `last_bytes` (its packet: `lines` lines, the last
//!   one holding `last_bytes` bytes). It is taken when `go` and both the
//!   reader and the write engine take it, or at once, without running, when
//!   `kill`.
//! * `go` includes the store rule of `docs/isa.md` ("Faults"): every older
//!   DMA transfer has all its responses, so no write reaches memory after a
//!   fault found late. One store therefore runs at a time.
//! * `done_*`: the write engine's completion (the B response of the last
//!   burst), tagged with the entry.

use golden::core::isa::table::OP_DMA_STORE;
use golden::core::CoreParams;

use crate::blocks::accel::cmd_fields::{cmd_field, dma_desc};
use crate::blocks::accel::core_load::{engine_inputs, EngineInputs};
use crate::blocks::accel::spad_reader::spad_reader;
use crate::blocks::accel::spad_writer::WALK_ROW_BITS;
use crate::blocks::common::lanes::{bits_for, index_bits, lit};
use crate::blocks::dma::write::dma_write;
use crate::core::{Bit, Bundle, Expr, Module, Result, Role, UInt};

pub fn core_store_name(p: &CoreParams, id_bits: u32) -> String {
    format!("serrano_core_store_l{}_n{}_d{}_a{}_i{id_bits}", p.line, p.lines, p.dma.data_bits, p.dma.addr_bits)
}

/// The store engine for core `p`, scoreboard entries of `id_bits`.
pub fn core_store(p: &CoreParams, id_bits: u32) -> Result<Module> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let kb = bits_for(lb as u64);
    let (a, d, axi_id) = (p.dma.addr_bits, p.dma.data_bits, p.dma.id_bits);
    let mut m = Module::new(&core_store_name(p, id_bits));
    m.doc("Core store engine: DMA_STORE commands through a scratchpad line reader and a DMA write engine.");
    let q = m.bundle_ports(
        "q",
        &Bundle::valid_ready(&[("id", id_bits), ("data", 256), ("lines", aw + 1), ("last_bytes", kb)]),
        Role::Slave,
    )?;
    let EngineInputs { go, kill, tbl_we, tbl_waddr, tbl_wdata, axi_cache, axi_prot } =
        engine_inputs(&mut m, p, "write", "AW")?;
    let axi = m.bundle_ports("m_axi", &Bundle::axi4_write(a, d, axi_id), Role::Master)?;
    let r = m.bundle_ports("r", &Bundle::valid_ready(&[("line", aw)]), Role::Master)?;
    let r_rvalid = m.input_doc("r_rvalid", Bit, "r_rdata is the line read one cycle ago")?;
    let r_rdata = m.input("r_rdata", UInt(8 * lb))?;

    let data = q.get("data")?;
    m.allow_unused(&data, "a DMA_STORE uses the descriptor fields and spad_line; the rest is checked by the decoder")?;
    let tag = q.get("id")?.zext(16);
    let desc = dma_desc(&mut m, "st", &data, OP_DMA_STORE, a, &tag)?;
    let spad_line = cmd_field(&mut m, "st", &data, OP_DMA_STORE, "spad_line")?;
    m.allow_unused(&spad_line, "the decoder checked the packet's lines are inside the scratchpad")?;

    let reader_idle = m.wire("reader_idle", Bit)?;
    let desc_ready = m.wire("desc_ready", Bit)?;
    let offer = m.node("offer", q.get("valid")? & &go & !&kill & &reader_idle)?;
    let issue = m.node("issue", &offer & &desc_ready)?;

    let reader = spad_reader(lb, aw)?;
    let z = lit(0, aw);
    let one = lit(1, WALK_ROW_BITS);
    let axis_ready = m.wire("axis_ready", Bit)?;
    let base = spad_line.trunc(aw);
    let rd = m.instance(
        "u_reader",
        &reader,
        &[
            ("cmd_valid", &issue),
            ("cmd_base", &base),
            ("cmd_stride", &z),
            ("cmd_inner", &q.get("lines")?),
            ("cmd_rows", &one),
            ("cmd_last_bytes", &q.get("last_bytes")?),
            ("r_ready", &r.get("ready")?),
            ("r_rvalid", &r_rvalid),
            ("r_rdata", &r_rdata),
            ("m_axis_tready", &axis_ready),
        ],
    )?;
    m.assign(&reader_idle, rd.out("cmd_ready")?)?;
    r.connect(&mut m, &rd, "r")?;
    m.allow_unused(&rd.out("m_axis_tuser")?, "a packet is one row")?;

    let engine = dma_write(&p.dma)?;
    let mut conn = axi.inputs_for("m_axi");
    conn.extend([
        ("s_axis_tvalid".to_string(), rd.out("m_axis_tvalid")?),
        ("s_axis_tdata".to_string(), rd.out("m_axis_tdata")?),
        ("s_axis_tkeep".to_string(), rd.out("m_axis_tkeep")?),
        ("s_axis_tlast".to_string(), rd.out("m_axis_tlast")?),
        ("desc_valid".to_string(), offer.clone()),
        ("desc".to_string(), desc),
        ("tbl_we".to_string(), tbl_we),
        ("tbl_waddr".to_string(), tbl_waddr),
        ("tbl_wdata".to_string(), tbl_wdata),
        ("axi_cache".to_string(), axi_cache),
        ("axi_prot".to_string(), axi_prot),
    ]);
    let refs: Vec<(&str, &Expr)> = conn.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let wr = m.instance("u_write", &engine, &refs)?;
    m.assign(&desc_ready, wr.out("desc_ready")?)?;
    m.assign(&axis_ready, wr.out("s_axis_tready")?)?;
    axi.connect(&mut m, &wr, "m_axi")?;

    q.drive(&mut m, "ready", &issue | (q.get("valid")? & &kill))?;
    m.output_doc("done_valid", wr.out("cpl_valid")?, "a DMA_STORE is done (its last response arrived)")?;
    let tag = wr.out("cpl_tag")?;
    m.allow_unused(&tag, "the tag is the entry zero-extended to 16 bits")?;
    m.output_doc("done_id", tag.trunc(id_bits), "its scoreboard entry")?;
    m.output_doc("done_code", wr.out("cpl_code")?, "0, or the DMA status of its first error")?;
    let busy = m.node("busy_w", wr.out("busy")? | rd.out("busy")?)?;
    m.output_doc("busy", &busy, "a DMA_STORE is running")?;
    m.output_doc("stall", q.get("valid")? & !&issue & !&kill, "the queue head waits (scoreboard, older transfers)")?;
    Ok(m)
}
