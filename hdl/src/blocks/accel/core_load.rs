//! The core's load engine: DMA_LOAD commands (`docs/isa.md`) from the load
//! queue, run by a DMA read engine (memory → stream, `docs/dma.md`) and a
//! line writer (stream → scratchpad lines from `spad_line`).
//!
//! * `q_*` (valid/ready): the load queue's head: `id` (its scoreboard
//!   entry), `data` (the command), `lines` (its packet's lines). It is taken
//!   when `go` (the scoreboard lets it start) and the read engine takes the
//!   descriptor, or at once, without running, when `kill` (younger than a
//!   fault).
//! * The descriptor's tag is the entry, so the read engine's completion
//!   names the command: `done_valid`, `done_id`, `done_code` (0, or the
//!   DMA status of an error response). The read engine completes a
//!   descriptor when its last beat is taken, which is the cycle the line
//!   writer writes the last line, so a command is done when its lines are in
//!   the scratchpad.
//! * Up to [`IN_FLIGHT`] commands run at once: the read engine works ahead
//!   on the next descriptors' bursts while the writer takes the stream in
//!   order, one writer command per descriptor.

use golden::core::isa::table::OP_DMA_LOAD;
use golden::core::CoreParams;

use crate::blocks::accel::cmd_fields::dma_desc;
use crate::blocks::accel::spad_writer::{spad_writer, WALK_ROW_BITS};
use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{index_bits, lit};
use crate::blocks::dma::read::dma_read;
use crate::core::{cat, Bit, Bundle, Expr, Module, Result, Role, UInt};

/// DMA_LOADs running at once (the line writer's command FIFO).
pub const IN_FLIGHT: u32 = 8;

pub fn core_load_name(p: &CoreParams, id_bits: u32) -> String {
    format!("serrano_core_load_l{}_n{}_d{}_a{}_i{id_bits}", p.line, p.lines, p.dma.data_bits, p.dma.addr_bits)
}

/// The inputs the load and store engines share: the scoreboard's answers
/// for the queue head, and what the register block gives the DMA engine.
pub(crate) struct EngineInputs {
    pub go: Expr,
    pub kill: Expr,
    pub tbl_we: Expr,
    pub tbl_waddr: Expr,
    pub tbl_wdata: Expr,
    pub axi_cache: Expr,
    pub axi_prot: Expr,
}

/// Declare [`EngineInputs`] on `m`: `table` names the page table (`read`,
/// `write`), `ax` the address channel (`AR`, `AW`).
pub(crate) fn engine_inputs(m: &mut Module, p: &CoreParams, table: &str, ax: &str) -> Result<EngineInputs> {
    Ok(EngineInputs {
        go: m.input_doc("go", Bit, "the scoreboard lets the queue head start")?,
        kill: m.input_doc("kill", Bit, "the queue head is younger than a fault: drop it")?,
        tbl_we: m.input_doc("tbl_we", Bit, &format!("write a {table} page-table entry"))?,
        tbl_waddr: m.input("tbl_waddr", UInt(index_bits(p.dma.table_entries as u64)))?,
        tbl_wdata: m.input("tbl_wdata", UInt(p.dma.addr_bits))?,
        axi_cache: m.input_doc("axi_cache", UInt(4), &format!("{ax}CACHE"))?,
        axi_prot: m.input_doc("axi_prot", UInt(3), &format!("{ax}PROT"))?,
    })
}

/// The load engine for core `p`, scoreboard entries of `id_bits`.
pub fn core_load(p: &CoreParams, id_bits: u32) -> Result<Module> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let (a, d, axi_id) = (p.dma.addr_bits, p.dma.data_bits, p.dma.id_bits);
    let mut m = Module::new(&core_load_name(p, id_bits));
    m.doc("Core load engine: DMA_LOAD commands through a DMA read engine and a scratchpad line writer.");
    let q =
        m.bundle_ports("q", &Bundle::valid_ready(&[("id", id_bits), ("data", 256), ("lines", aw + 1)]), Role::Slave)?;
    let EngineInputs { go, kill, tbl_we, tbl_waddr, tbl_wdata, axi_cache, axi_prot } =
        engine_inputs(&mut m, p, "read", "AR")?;
    let axi = m.bundle_ports("m_axi", &Bundle::axi4_read(a, d, axi_id), Role::Master)?;
    let w = m.bundle_ports("w", &Bundle::valid_ready(&[("line", aw), ("data", 8 * lb), ("strb", lb)]), Role::Master)?;

    let data = q.get("data")?;
    m.allow_unused(&data, "a DMA_LOAD uses the descriptor fields and spad_line; the rest is checked by the decoder")?;
    let tag = q.get("id")?.zext(16);
    let desc = dma_desc(&mut m, "ld", &data, OP_DMA_LOAD, a, &tag)?;
    let spad_line = crate::blocks::accel::cmd_fields::cmd_field(&mut m, "ld", &data, OP_DMA_LOAD, "spad_line")?;
    m.allow_unused(&spad_line, "the decoder checked the packet's lines are inside the scratchpad")?;

    // The writer's commands wait in order for their streams.
    let wq_w = aw + aw + 1;
    let wq = fifo(wq_w, IN_FLIGHT)?;
    let wq_room = m.wire("wq_room", Bit)?;
    let offer = m.node("offer", q.get("valid")? & &go & !&kill & &wq_room)?;
    let desc_ready = m.wire("desc_ready", Bit)?;
    let issue = m.node("issue", &offer & &desc_ready)?;
    let wq_in = cat(&[&q.get("lines")?, &spad_line.trunc(aw)]);
    let wq_pop = m.wire("wq_pop", Bit)?;
    let wq_u = m.instance("u_cmdq", &wq, &[("in_valid", &issue), ("in_data", &wq_in), ("out_ready", &wq_pop)])?;
    m.assign(&wq_room, wq_u.out("in_ready")?)?;
    m.allow_unused(&wq_u.out("count")?, "in_ready is the room")?;
    let wq_head = wq_u.out("out_data")?;

    // The read engine; its stream goes straight to the writer.
    let engine = dma_read(&p.dma)?;
    let axis_ready = m.wire("axis_ready", Bit)?;
    let mut conn = axi.inputs_for("m_axi");
    conn.extend([
        ("m_axis_tready".to_string(), axis_ready.clone()),
        ("desc_valid".to_string(), offer.clone()),
        ("desc".to_string(), desc),
        ("tbl_we".to_string(), tbl_we),
        ("tbl_waddr".to_string(), tbl_waddr),
        ("tbl_wdata".to_string(), tbl_wdata),
        ("axi_cache".to_string(), axi_cache),
        ("axi_prot".to_string(), axi_prot),
    ]);
    let refs: Vec<(&str, &crate::core::Expr)> = conn.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let rd = m.instance("u_read", &engine, &refs)?;
    m.assign(&desc_ready, rd.out("desc_ready")?)?;
    axi.connect(&mut m, &rd, "m_axi")?;
    m.allow_unused(&rd.out("m_axis_tlast")?, "the writer counts the command's lines")?;

    let writer = spad_writer(lb, aw)?;
    let wv = wq_u.out("out_valid")?;
    let z = lit(0, aw);
    let one = lit(1, WALK_ROW_BITS);
    let wr = m.instance(
        "u_writer",
        &writer,
        &[
            ("cmd_valid", &wv),
            ("cmd_base", &wq_head.slice(aw - 1, 0)),
            ("cmd_stride", &z),
            ("cmd_inner", &wq_head.slice(2 * aw, aw)),
            ("cmd_rows", &one),
            ("s_axis_tvalid", &rd.out("m_axis_tvalid")?),
            ("s_axis_tdata", &rd.out("m_axis_tdata")?),
            ("s_axis_tkeep", &rd.out("m_axis_tkeep")?),
            ("w_ready", &w.get("ready")?),
        ],
    )?;
    m.assign(&wq_pop, &wv & wr.out("cmd_ready")?)?;
    m.assign(&axis_ready, wr.out("s_axis_tready")?)?;
    w.connect(&mut m, &wr, "w")?;
    m.allow_unused(&wr.out("done")?, "the read engine's completion is the command's")?;

    q.drive(&mut m, "ready", &issue | (q.get("valid")? & &kill))?;
    m.output_doc("done_valid", rd.out("cpl_valid")?, "a DMA_LOAD is done (its lines are written)")?;
    let tag = rd.out("cpl_tag")?;
    m.allow_unused(&tag, "the tag is the entry zero-extended to 16 bits")?;
    m.output_doc("done_id", tag.trunc(id_bits), "its scoreboard entry")?;
    m.output_doc("done_code", rd.out("cpl_code")?, "0, or the DMA status of its first error")?;
    let busy = m.node("busy_w", rd.out("busy")? | wr.out("busy")? | &wv)?;
    m.output_doc("busy", &busy, "a DMA_LOAD is running")?;
    m.output_doc("stall", q.get("valid")? & !&issue & !&kill, "the queue head waits (scoreboard, engine or writer)")?;
    Ok(m)
}
