//! The core's compute engine: the compute queue's commands (TILE_LOAD,
//! TILE_COMPUTE, TILE_READ, TILE_QPARAM, SOFTMAX; `docs/isa.md`) on the
//! systolic tile and the softmax unit, with their operands read from and
//! their results written to the scratchpad.
//!
//! Data paths (each a chain of small blocks with valid/ready between them):
//! * weights: reader `rb` → `tile_operand` (the `b_off` slice, zero rows past
//!   `k_rows`) → the tile's `s_axis_b`;
//! * activations: reader `ra` → `tile_operand` (the `a_off` slice) → `s_axis_a`;
//! * results: the tile's `m_axis_c` → `tile_result` (int32 lines, or int8
//!   slices with strobes) → writer `wc`;
//! * softmax: reader `rx` → `softmax_feed` (framing, masks, K) → the softmax
//!   unit → `softmax_drain` → writer `wy`.
//!
//! Commands leave the queue in order. A command is issued, all its parts in
//! one cycle, when the tile takes its command (tile commands) and each block
//! it uses is idle; the tile's own interlocks then overlap a fold's weight
//! load with the previous fold's activations as in `docs/tile.md`, and a
//! SOFTMAX runs beside the tile. `q_*` is taken at issue, or at once without
//! running when `kill`.
//!
//! After a fault, the host's clear forgets a weight fold that was loaded
//! but not computed (`docs/isa.md`, "Faults"). The tile would otherwise wait
//! for that COMPUTE before taking the next LOAD, so on `clear_fold` with a
//! fold pending the engine gives the tile a COMPUTE of one zero activation
//! row that accumulates into row 0 (adding zero), which consumes the fold
//! and changes no accumulator value.
//!
//! A command is done (for the scoreboard) when it no longer touches the
//! scratchpad: TILE_LOAD and TILE_COMPUTE when their reader has read the
//! last line (`done_b`, `done_a`), TILE_READ and SOFTMAX when their writer
//! has written the last line (`done_c`, `done_y`), TILE_QPARAM when the tile
//! takes it (`done_q`).

use golden::core::isa::table::{OP_SOFTMAX, OP_TILE_COMPUTE, OP_TILE_LOAD, OP_TILE_QPARAM, OP_TILE_READ};
use golden::core::CoreParams;
use golden::softmax::SoftmaxParams;

use crate::blocks::accel::cmd_fields::{cmd_field, cmd_field_low};
use crate::blocks::accel::softmax_drain::softmax_drain;
use crate::blocks::accel::softmax_feed::softmax_feed;
use crate::blocks::accel::spad_reader::spad_reader;
use crate::blocks::accel::spad_writer::{spad_writer, WALK_ROW_BITS};
use crate::blocks::accel::tile_operand::{off_bits, tile_operand, ROW_BITS};
use crate::blocks::accel::tile_result::{result_off_bits, tile_result};
use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{bits_for, index_bits, lit};
use crate::blocks::softmax::top::softmax;
use crate::blocks::tile::top::{col_bits, rows_bits, tile};
use crate::core::{cat, mux, Bit, Bundle, BundleSig, Expr, Instance, Module, Reg, Result, Role, UInt};

mod fields;
mod softmax_path;
mod tile_path;

use fields::{fields, Fields};
use softmax_path::{softmax_path, SoftmaxPath};
use tile_path::{operands, tile_path, Operands, TilePath};

pub fn core_compute_name(p: &CoreParams, id_bits: u32) -> String {
    let (s, x) = (&p.systolic, &p.softmax);
    format!(
        "serrano_core_compute_l{}_n{}_r{}c{}d{}_s{}x{}_i{id_bits}",
        p.line, p.lines, s.rows, s.cols, s.acc_depth, x.lanes, x.max_len
    )
}

/// What the engine knows of one sub-engine's command in progress: its entry.
pub(super) struct Pending {
    id: Expr,
    done: Expr,
}

/// A reader's or writer's command in progress: set at `issue`, done when
/// `finished` (the reader idle again, or the writer's last line).
pub(super) fn pending(
    m: &mut Module,
    name: &str,
    id_bits: u32,
    issue: &Expr,
    q_id: &Expr,
    finished: &Expr,
) -> Result<Pending> {
    let pend = m.reg(&format!("{name}_pend"), Bit).reset(0).doc("a command of this path is in progress").build()?;
    let id = m.reg(&format!("{name}_id"), UInt(id_bits)).reset(0).enable(issue).d(q_id)?;
    let done = m.node(&format!("{name}_done"), &pend.q & finished)?;
    m.set_next(&pend, issue | (&pend.q & !&done))?;
    Ok(Pending { id, done })
}

/// A scratchpad reader client `p` of the module, and the reader instance behind it.
pub(super) fn reader(
    m: &mut Module,
    p: &str,
    lb: u32,
    aw: u32,
    cmd: &[(&str, &Expr)],
    tready: &Expr,
) -> Result<Instance> {
    let r = m.bundle_ports(p, &Bundle::valid_ready(&[("line", aw)]), Role::Master)?;
    let rvalid = m.input_doc(&format!("{p}_rvalid"), Bit, "the line read one cycle ago is on rdata")?;
    let rdata = m.input(&format!("{p}_rdata"), UInt(8 * lb))?;
    let mut conn: Vec<(&str, &Expr)> = cmd.to_vec();
    let ready = r.get("ready")?;
    conn.extend([("r_ready", &ready), ("r_rvalid", &rvalid), ("r_rdata", &rdata), ("m_axis_tready", tready)]);
    let u = m.instance(&format!("u_{p}"), &spad_reader(lb, aw)?, &conn)?;
    r.connect(m, &u, "r")?;
    m.allow_unused(&u.out("m_axis_tuser")?, "the operand and feed blocks count rows themselves")?;
    m.allow_unused(&u.out("m_axis_tlast")?, "the operand and feed blocks count rows themselves")?;
    m.allow_unused(&u.out("m_axis_tkeep")?, "whole lines: the next block picks its bytes")?;
    Ok(u)
}

/// A scratchpad writer client `p` of the module fed by a stream, and the writer instance.
pub(super) fn writer(
    m: &mut Module,
    p: &str,
    lb: u32,
    aw: u32,
    cmd: &[(&str, &Expr)],
    s: &[(&str, &Expr)],
) -> Result<(BundleSig, Instance)> {
    let w = m.bundle_ports(p, &Bundle::valid_ready(&[("line", aw), ("data", 8 * lb), ("strb", lb)]), Role::Master)?;
    let ready = w.get("ready")?;
    let mut conn: Vec<(&str, &Expr)> = cmd.to_vec();
    conn.extend_from_slice(s);
    conn.push(("w_ready", &ready));
    let u = m.instance(&format!("u_{p}"), &spad_writer(lb, aw)?, &conn)?;
    Ok((w, u))
}

/// Result rows the FIFO between the tile and its result path holds (at most acc_depth).
pub const RESULT_ROWS: u32 = 256;

/// A command FIFO in front of an operand block.
pub(super) struct OpQueue {
    pub(super) valid: Expr,
    pub(super) word: Expr,
    pub(super) room: Expr,
    /// The consumer's `cmd_ready` (a wire to assign).
    pub(super) pop: Expr,
}

pub(super) fn op_queue(m: &mut Module, name: &str, push: &Expr, fields: &[&Expr]) -> Result<OpQueue> {
    let word = cat(fields);
    let pop = m.wire(&format!("{name}_q_pop"), Bit)?;
    let u = m.instance(
        &format!("u_{name}_q"),
        &fifo(word.width(), 2)?,
        &[("in_valid", push), ("in_data", &word), ("out_ready", &pop)],
    )?;
    m.allow_unused(&u.out("count")?, "in_ready is the room")?;
    Ok(OpQueue { valid: u.out("out_valid")?, word: u.out("out_data")?, room: u.out("in_ready")?, pop })
}

/// The readiness of every path (wires the paths drive), the zero-row
/// COMPUTE's state, and the issue of the queue head.
pub(super) struct Issue {
    pub(super) tile_rdy: Expr,
    pub(super) ra_idle: Expr,
    pub(super) rb_idle: Expr,
    pub(super) rx_idle: Expr,
    pub(super) oa_idle: Expr,
    pub(super) ob_idle: Expr,
    pub(super) res_idle: Expr,
    pub(super) feed_idle: Expr,
    pub(super) wc_idle: Expr,
    pub(super) wy_idle: Expr,
    pub(super) dummy: Expr,
    pub(super) tile_valid: Expr,
    pub(super) issue: Expr,
    pub(super) i_load: Expr,
    pub(super) i_comp: Expr,
    pub(super) i_read: Expr,
    pub(super) i_qp: Expr,
    pub(super) i_sm: Expr,
    pub(super) fold: Reg,
    pub(super) flush: Reg,
}

fn issue_stage(m: &mut Module, f: &Fields, q_valid: &Expr, go: &Expr, kill: &Expr) -> Result<Issue> {
    let is_load = f.is_load.clone();
    let is_comp = f.is_comp.clone();
    let is_read = f.is_read.clone();
    let is_qp = f.is_qp.clone();
    let is_sm = f.is_sm.clone();
    let is_tile = f.is_tile.clone();
    // ---- readiness of every path, then one issue ----
    let w = |m: &mut Module, n: &str| m.wire(n, Bit);
    let (tile_rdy, ra_idle, rb_idle, rx_idle) =
        (w(m, "tile_cmd_ready")?, w(m, "ra_idle")?, w(m, "rb_idle")?, w(m, "rx_idle")?);
    let (oa_idle, ob_idle, res_idle, feed_idle) =
        (w(m, "oa_idle")?, w(m, "ob_idle")?, w(m, "res_idle")?, w(m, "feed_idle")?);
    let (wc_idle, wy_idle) = (w(m, "wc_idle")?, w(m, "wy_idle")?);
    // The paths a command needs besides the tile's command port, which is
    // offered the command without looking at its ready (valid never waits
    // for ready).
    let paths = m.node(
        "paths_idle",
        (&is_load & &rb_idle & &ob_idle)
            | (&is_comp & &ra_idle & &oa_idle)
            | (&is_read & &res_idle & &wc_idle)
            | &is_qp
            | (&is_sm & &rx_idle & &feed_idle & &wy_idle),
    )?;
    // The zero-row COMPUTE that consumes a fold the clear forgot (module doc).
    let fold = m.reg("fold_pending", Bit).reset(0).doc("the tile holds a fold no COMPUTE has used").build()?;
    let flush = m.reg("fold_flush", Bit).reset(0).doc("a zero-row COMPUTE is to be given").build()?;
    let dummy_valid = m.node("flush_valid", &flush.q & &oa_idle)?;
    let dummy = m.node("flush_issue", &dummy_valid & &tile_rdy)?;
    let offer = m.node("offer", q_valid & go & !kill & &paths & !&flush.q)?;
    let tile_valid = m.node("tile_cmd_valid", (&offer & &is_tile) | &dummy_valid)?;
    let issue = m.node("issue", &offer & (!&is_tile | &tile_rdy))?;
    let at = |m: &mut Module, n: &str, c: &Expr| m.node(n, &issue & c);
    let (i_load, i_comp, i_read, i_qp, i_sm) = (
        at(m, "issue_load", &is_load)?,
        at(m, "issue_compute", &is_comp)?,
        at(m, "issue_read", &is_read)?,
        at(m, "issue_qparam", &is_qp)?,
        at(m, "issue_softmax", &is_sm)?,
    );

    Ok(Issue {
        tile_rdy,
        ra_idle,
        rb_idle,
        rx_idle,
        oa_idle,
        ob_idle,
        res_idle,
        feed_idle,
        wc_idle,
        wy_idle,
        dummy,
        tile_valid,
        issue,
        i_load,
        i_comp,
        i_read,
        i_qp,
        i_sm,
        fold,
        flush,
    })
}

/// The compute engine for core `p`, scoreboard entries of `id_bits`.
pub fn core_compute(p: &CoreParams, id_bits: u32) -> Result<Module> {
    let mut m = Module::new(&core_compute_name(p, id_bits));
    m.doc("Core compute engine: tile and softmax commands, operands from and results to the scratchpad.");
    let q = m.bundle_ports("q", &Bundle::valid_ready(&[("id", id_bits), ("data", 256)]), Role::Slave)?;
    let go = m.input_doc("go", Bit, "the scoreboard lets the queue head start")?;
    let kill = m.input_doc("kill", Bit, "the queue head is younger than a fault: drop it")?;
    let clear_fold = m.input_doc("clear_fold", Bit, "the host's clear: forget a pending weight fold")?;
    let (q_valid, q_id, data) = (q.get("valid")?, q.get("id")?, q.get("data")?);
    m.allow_unused(&data, "each command uses its own fields; the rest is checked by the decoder")?;

    let f = fields(&mut m, p, &data)?;
    let is = issue_stage(&mut m, &f, &q_valid, &go, &kill)?;
    let ops = operands(&mut m, p, &f, &is, &clear_fold)?;
    let tp = tile_path(&mut m, p, &f, &is, &ops)?;
    let sx = softmax_path(&mut m, p, &f, &is)?;
    let (Operands { ra, rb, oa, ob, oa_q, ob_q, .. }, TilePath { t, tq, cf, res, wcu }) = (ops, tp);
    let SoftmaxPath { rx, feed, wyu } = sx;
    let (i_load, i_comp, i_read, i_qp, i_sm, issue) = (is.i_load, is.i_comp, is.i_read, is.i_qp, is.i_sm, is.issue);
    let (is_tile, is_sm) = (f.is_tile, f.is_sm);

    // ---- completions ----
    let pa = pending(&mut m, "pa", id_bits, &i_comp, &q_id, &ra.out("cmd_ready")?)?;
    let pb = pending(&mut m, "pb", id_bits, &i_load, &q_id, &rb.out("cmd_ready")?)?;
    let pc = pending(&mut m, "pc", id_bits, &i_read, &q_id, &wcu.out("done")?)?;
    let py = pending(&mut m, "py", id_bits, &i_sm, &q_id, &wyu.out("done")?)?;
    for (n, pd) in [("a", &pa), ("b", &pb), ("c", &pc), ("y", &py)] {
        m.output_doc(&format!("done_{n}_valid"), &pd.done, "a command of this path is done")?;
        m.output_doc(&format!("done_{n}_id"), &pd.id, "its scoreboard entry")?;
    }
    m.output_doc("done_q_valid", &i_qp, "a TILE_QPARAM is done (the tile took it)")?;
    m.output_doc("done_q_id", &q_id, "its scoreboard entry")?;

    q.drive(&mut m, "ready", &issue | (&q_valid & &kill))?;
    let busy_tile = !t.out("idle")?
        | ra.out("busy")?
        | rb.out("busy")?
        | oa.out("busy")?
        | ob.out("busy")?
        | &oa_q.valid
        | &ob_q.valid
        | &tq.valid
        | res.out("busy")?
        | cf.out("out_valid")?
        | wcu.out("busy")?;
    m.output_doc("busy_tile", busy_tile, "a tile command is in progress")?;
    let busy_sm = rx.out("busy")? | feed.out("busy")? | wyu.out("busy")?;
    m.output_doc("busy_softmax", busy_sm, "a SOFTMAX is in progress")?;
    m.output_doc("stall_tile", &q_valid & &is_tile & !&issue & !&kill, "a tile command waits at the queue head")?;
    m.output_doc("stall_softmax", &q_valid & &is_sm & !&issue & !&kill, "a SOFTMAX waits at the queue head")?;
    Ok(m)
}
