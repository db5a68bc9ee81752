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
use crate::core::{cat, mux, Bit, Bundle, BundleSig, Expr, Instance, Module, Result, Role, UInt};

pub fn core_compute_name(p: &CoreParams, id_bits: u32) -> String {
    let (s, x) = (&p.systolic, &p.softmax);
    format!(
        "serrano_core_compute_l{}_n{}_r{}c{}d{}_s{}x{}_i{id_bits}",
        p.line, p.lines, s.rows, s.cols, s.acc_depth, x.lanes, x.max_len
    )
}

/// What the engine knows of one sub-engine's command in progress: its entry.
struct Pending {
    id: Expr,
    done: Expr,
}

/// A reader's or writer's command in progress: set at `issue`, done when
/// `finished` (the reader idle again, or the writer's last line).
fn pending(m: &mut Module, name: &str, id_bits: u32, issue: &Expr, q_id: &Expr, finished: &Expr) -> Result<Pending> {
    let pend = m.reg(&format!("{name}_pend"), Bit).reset(0).doc("a command of this path is in progress").build()?;
    let id = m.reg(&format!("{name}_id"), UInt(id_bits)).reset(0).enable(issue).d(q_id)?;
    let done = m.node(&format!("{name}_done"), &pend.q & finished)?;
    m.set_next(&pend, issue | (&pend.q & !&done))?;
    Ok(Pending { id, done })
}

/// A scratchpad reader client `p` of the module, and the reader instance behind it.
fn reader(m: &mut Module, p: &str, lb: u32, aw: u32, cmd: &[(&str, &Expr)], tready: &Expr) -> Result<Instance> {
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
fn writer(
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
struct OpQueue {
    valid: Expr,
    word: Expr,
    room: Expr,
    /// The consumer's `cmd_ready` (a wire to assign).
    pop: Expr,
}

fn op_queue(m: &mut Module, name: &str, push: &Expr, fields: &[&Expr]) -> Result<OpQueue> {
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

/// The compute engine for core `p`, scoreboard entries of `id_bits`.
pub fn core_compute(p: &CoreParams, id_bits: u32) -> Result<Module> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let (rr, cc) = (p.systolic.rows, p.systolic.cols);
    let sp = SoftmaxParams::new(&p.softmax);
    let mut m = Module::new(&core_compute_name(p, id_bits));
    m.doc("Core compute engine: tile and softmax commands, operands from and results to the scratchpad.");
    let q = m.bundle_ports("q", &Bundle::valid_ready(&[("id", id_bits), ("data", 256)]), Role::Slave)?;
    let go = m.input_doc("go", Bit, "the scoreboard lets the queue head start")?;
    let kill = m.input_doc("kill", Bit, "the queue head is younger than a fault: drop it")?;
    let clear_fold = m.input_doc("clear_fold", Bit, "the host's clear: forget a pending weight fold")?;
    let (q_valid, q_id, data) = (q.get("valid")?, q.get("id")?, q.get("data")?);
    m.allow_unused(&data, "each command uses its own fields; the rest is checked by the decoder")?;

    let op = m.node("op", data.slice(7, 0))?;
    let is = |m: &mut Module, n: &str, code: u8| m.node(n, op.cmp_eq(lit(code as u128, 8)));
    let (is_load, is_comp, is_read) = (
        is(&mut m, "is_load", OP_TILE_LOAD)?,
        is(&mut m, "is_compute", OP_TILE_COMPUTE)?,
        is(&mut m, "is_read", OP_TILE_READ)?,
    );
    let (is_qp, is_sm) = (is(&mut m, "is_qparam", OP_TILE_QPARAM)?, is(&mut m, "is_softmax", OP_SOFTMAX)?);
    let is_tile = m.node("is_tile", &is_load | &is_comp | &is_read | &is_qp)?;

    // ---- fields ----
    let ld = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "ld", &data, OP_TILE_LOAD, n, w);
    let (b_line, b_stride, b_off, k_rows) = (
        ld(&mut m, "b_line", aw)?,
        ld(&mut m, "b_stride", aw)?,
        ld(&mut m, "b_off", off_bits(lb, cc))?,
        ld(&mut m, "k_rows", 8)?,
    );
    let cp = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "cp", &data, OP_TILE_COMPUTE, n, w);
    let (a_line, a_stride, a_off) =
        (cp(&mut m, "a_line", aw)?, cp(&mut m, "a_stride", aw)?, cp(&mut m, "a_off", off_bits(lb, rr))?);
    let accumulate = cmd_field(&mut m, "cp", &data, OP_TILE_COMPUTE, "accumulate")?;
    // COMPUTE and READ share `rows` (checked 1..=acc_depth by the decoder).
    let rows = cmd_field(&mut m, "cp", &data, OP_TILE_COMPUTE, "rows")?;
    let rd = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "rd", &data, OP_TILE_READ, n, w);
    let (c_line, c_stride, c_off) =
        (rd(&mut m, "c_line", aw)?, rd(&mut m, "c_stride", aw)?, rd(&mut m, "c_off", result_off_bits(lb, cc))?);
    let requant = cmd_field(&mut m, "rd", &data, OP_TILE_READ, "requant")?;
    let qf = |m: &mut Module, n: &str| cmd_field(m, "qp", &data, OP_TILE_QPARAM, n);
    let (all_cols, shift, multiplier, zero_point) =
        (qf(&mut m, "all_cols")?, qf(&mut m, "shift")?, qf(&mut m, "multiplier")?, qf(&mut m, "zero_point")?);
    let col = cmd_field_low(&mut m, "qp", &data, OP_TILE_QPARAM, "col", col_bits(&p.systolic))?;
    let sm = |m: &mut Module, n: &str| cmd_field(m, "sm", &data, OP_SOFTMAX, n);
    let (sm_rows, len, valid_len, causal, causal_base) = (
        sm(&mut m, "rows")?,
        sm(&mut m, "len")?,
        sm(&mut m, "valid_len")?,
        sm(&mut m, "causal")?,
        sm(&mut m, "causal_base")?,
    );
    let smw = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "sm", &data, OP_SOFTMAX, n, w);
    let (x_line, x_stride, y_line, y_stride) = (
        smw(&mut m, "x_line", aw)?,
        smw(&mut m, "x_stride", aw)?,
        smw(&mut m, "y_line", aw)?,
        smw(&mut m, "y_stride", aw)?,
    );
    let k = smw(&mut m, "k", sp.k_bits)?;

    // Lines per softmax row: ceil(len * bytes / L), L a power of two.
    let row_lines = |m: &mut Module, n: &str, bits: u32| -> Result<Expr> {
        let lw = bits_for(lb as u64) - 1;
        let w = 20 + 2;
        let bytes = if bits == 16 { len.zext(w).shl_const(1) } else { len.zext(w) };
        let lines = (bytes + lit(lb as u128 - 1, w)).shr_const(lw);
        m.node(n, lines.trunc(aw + 1))
    };
    let x_each = row_lines(&mut m, "x_row_lines", p.softmax.in_bits)?;
    let y_each = row_lines(&mut m, "y_row_lines", p.softmax.out_bits)?;
    // A TILE_READ row: 4C bytes (int32) in 4C / L lines when that is at least one line, else one line.
    let int32_lines = (4 * cc / lb).max(1);
    let c_each = m.node("c_row_lines", mux(&requant, &lit(1, aw + 1), &lit(int32_lines as u128, aw + 1)))?;

    // ---- readiness of every path, then one issue ----
    let w = |m: &mut Module, n: &str| m.wire(n, Bit);
    let (tile_rdy, ra_idle, rb_idle, rx_idle) =
        (w(&mut m, "tile_cmd_ready")?, w(&mut m, "ra_idle")?, w(&mut m, "rb_idle")?, w(&mut m, "rx_idle")?);
    let (oa_idle, ob_idle, res_idle, feed_idle) =
        (w(&mut m, "oa_idle")?, w(&mut m, "ob_idle")?, w(&mut m, "res_idle")?, w(&mut m, "feed_idle")?);
    let (wc_idle, wy_idle) = (w(&mut m, "wc_idle")?, w(&mut m, "wy_idle")?);
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
    let offer = m.node("offer", &q_valid & &go & !&kill & &paths & !&flush.q)?;
    let tile_valid = m.node("tile_cmd_valid", (&offer & &is_tile) | &dummy_valid)?;
    let issue = m.node("issue", &offer & (!&is_tile | &tile_rdy))?;
    let at = |m: &mut Module, n: &str, c: &Expr| m.node(n, &issue & c);
    let (i_load, i_comp, i_read, i_qp, i_sm) = (
        at(&mut m, "issue_load", &is_load)?,
        at(&mut m, "issue_compute", &is_comp)?,
        at(&mut m, "issue_read", &is_read)?,
        at(&mut m, "issue_qparam", &is_qp)?,
        at(&mut m, "issue_softmax", &is_sm)?,
    );

    // ---- the tile and its operand and result paths ----
    let full = lit(lb as u128, bits_for(lb as u64));
    let one_line = lit(1, aw + 1);
    let a_ready = w(&mut m, "oa_tready")?;
    let b_ready = w(&mut m, "ob_tready")?;
    let k_rows_w = k_rows.zext(WALK_ROW_BITS);
    let ra = reader(
        &mut m,
        "ra",
        lb,
        aw,
        &[
            ("cmd_valid", &i_comp),
            ("cmd_base", &a_line),
            ("cmd_stride", &a_stride),
            ("cmd_inner", &one_line),
            ("cmd_rows", &rows),
            ("cmd_last_bytes", &full),
        ],
        &a_ready,
    )?;
    let rb = reader(
        &mut m,
        "rb",
        lb,
        aw,
        &[
            ("cmd_valid", &i_load),
            ("cmd_base", &b_line),
            ("cmd_stride", &b_stride),
            ("cmd_inner", &one_line),
            ("cmd_rows", &k_rows_w),
            ("cmd_last_bytes", &full),
        ],
        &b_ready,
    )?;
    m.assign(&ra_idle, ra.out("cmd_ready")?)?;
    m.assign(&rb_idle, rb.out("cmd_ready")?)?;

    let tile_a_ready = w(&mut m, "tile_a_tready")?;
    let tile_b_ready = w(&mut m, "tile_b_tready")?;
    m.set_next(&fold, (&fold.q | &i_load) & !&i_comp & !&dummy)?;
    m.set_next(&flush, (&flush.q | (&clear_fold & &fold.q)) & !&dummy)?;
    let rows17 = rows.trunc(ROW_BITS);
    let oa_valid = m.node("opa_cmd_valid", &i_comp | &dummy)?;
    let oa_rows = mux(&dummy, &lit(1, ROW_BITS), &rows17);
    let oa_valid_rows = mux(&dummy, &lit(0, ROW_BITS), &rows17);
    // The operand blocks take their commands through two-entry FIFOs, so a
    // fold's COMPUTE (or LOAD) issues as soon as its reader is free, while
    // the previous fold's last rows still leave: the rows stream on without
    // a gap between folds.
    let ob_w = off_bits(lb, rr);
    let oa_q = op_queue(&mut m, "opa", &oa_valid, &[&oa_valid_rows, &oa_rows, &a_off])?;
    let oa = m.instance(
        "u_opa",
        &tile_operand(lb, rr)?,
        &[
            ("cmd_valid", &oa_q.valid),
            ("cmd_off", &oa_q.word.slice(ob_w - 1, 0)),
            ("cmd_rows", &oa_q.word.slice(ob_w + ROW_BITS - 1, ob_w)),
            ("cmd_valid_rows", &oa_q.word.slice(ob_w + 2 * ROW_BITS - 1, ob_w + ROW_BITS)),
            ("s_axis_tvalid", &ra.out("m_axis_tvalid")?),
            ("s_axis_tdata", &ra.out("m_axis_tdata")?),
            ("m_axis_tready", &tile_a_ready),
        ],
    )?;
    m.assign(&oa_q.pop, oa.out("cmd_ready")?)?;
    let fold = lit(rr as u128, ROW_BITS);
    let kr = k_rows.zext(ROW_BITS);
    let obw = off_bits(lb, cc);
    let ob_q = op_queue(&mut m, "opb", &i_load, &[&kr, &fold, &b_off])?;
    let ob = m.instance(
        "u_opb",
        &tile_operand(lb, cc)?,
        &[
            ("cmd_valid", &ob_q.valid),
            ("cmd_off", &ob_q.word.slice(obw - 1, 0)),
            ("cmd_rows", &ob_q.word.slice(obw + ROW_BITS - 1, obw)),
            ("cmd_valid_rows", &ob_q.word.slice(obw + 2 * ROW_BITS - 1, obw + ROW_BITS)),
            ("s_axis_tvalid", &rb.out("m_axis_tvalid")?),
            ("s_axis_tdata", &rb.out("m_axis_tdata")?),
            ("m_axis_tready", &tile_b_ready),
        ],
    )?;
    m.assign(&ob_q.pop, ob.out("cmd_ready")?)?;
    m.assign(&a_ready, oa.out("s_axis_tready")?)?;
    m.assign(&b_ready, ob.out("s_axis_tready")?)?;
    m.assign(&oa_idle, &oa_q.room)?;
    m.assign(&ob_idle, &ob_q.room)?;
    m.allow_unused(&oa.out("m_axis_tlast")?, "the tile counts a COMPUTE's rows")?;
    m.allow_unused(&ob.out("m_axis_tlast")?, "the tile counts a fold's rows")?;

    let c_ready = w(&mut m, "res_tready")?;
    let tile_op = m.node("tile_op", mux(&flush.q, &lit(1, 2), &op.slice(1, 0)))?;
    let rb_w = rows_bits(&p.systolic);
    let tile_rows = m.node("tile_rows", mux(&flush.q, &lit(1, rb_w), &rows.trunc(rb_w)))?;
    let tile_acc = m.node("tile_accumulate", &flush.q | &accumulate)?;
    // The tile's commands wait in a FIFO too: the next COMPUTE's rows are
    // read while the tile still streams the current one's.
    let (mult, zp) = (multiplier.clone(), zero_point.clone());
    let tq = op_queue(
        &mut m,
        "tile",
        &(&tile_valid & &tile_rdy),
        &[&zp, &shift, &mult, &all_cols, &col, &requant, &tile_acc, &tile_rows, &tile_op],
    )?;
    let mut at = 0u32;
    let mut take = |w: u32| {
        let e = tq.word.slice(at + w - 1, at);
        at += w;
        e
    };
    let (t_op, t_rows, t_acc, t_req) = (take(2), take(rb_w), take(1), take(1));
    let (t_col, t_all, t_mult, t_shift, t_zp) = (take(col.width()), take(1), take(32), take(6), take(8));
    let t = m.instance(
        "u_tile",
        &tile(&p.systolic)?,
        &[
            ("cmd_valid", &tq.valid),
            ("cmd_op", &t_op),
            ("cmd_rows", &t_rows),
            ("cmd_accumulate", &t_acc),
            ("cmd_requant", &t_req),
            ("cmd_col", &t_col),
            ("cmd_all_cols", &t_all),
            ("cmd_multiplier", &t_mult.as_signed()),
            ("cmd_shift", &t_shift),
            ("cmd_zero_point", &t_zp.as_signed()),
            ("s_axis_a_tvalid", &oa.out("m_axis_tvalid")?),
            ("s_axis_a_tdata", &oa.out("m_axis_tdata")?),
            ("s_axis_b_tvalid", &ob.out("m_axis_tvalid")?),
            ("s_axis_b_tdata", &ob.out("m_axis_tdata")?),
            ("m_axis_c_tready", &c_ready),
        ],
    )?;
    m.assign(&tq.pop, t.out("cmd_ready")?)?;
    m.assign(&tile_rdy, &tq.room)?;
    m.assign(&tile_a_ready, t.out("s_axis_a_tready")?)?;
    m.assign(&tile_b_ready, t.out("s_axis_b_tready")?)?;

    let wc_ready = w(&mut m, "wc_tready")?;
    // Result rows wait in a FIFO of up to RESULT_ROWS rows: an int32 row is
    // 4C/L lines, written one line a cycle, so without it a READ would drain
    // the accumulator at that pace and hold back the next block's COMPUTE
    // (which overwrites the rows behind the READ). With it, the READ leaves
    // the accumulator at a row a cycle and the lines follow in the background.
    let depth = RESULT_ROWS.min(p.systolic.acc_depth);
    let res_pop = w(&mut m, "res_fifo_pop")?;
    let c_word = cat(&[&t.out("m_axis_c_tlast")?, &t.out("m_axis_c_tdata")?]);
    let cf = m.instance(
        "u_result_fifo",
        &fifo(c_word.width(), depth)?,
        &[("in_valid", &t.out("m_axis_c_tvalid")?), ("in_data", &c_word), ("out_ready", &res_pop)],
    )?;
    m.allow_unused(&cf.out("count")?, "in_ready is the room")?;
    let cw = cf.out("out_data")?;
    let res = m.instance(
        "u_result",
        &tile_result(lb, cc)?,
        &[
            ("cmd_valid", &i_read),
            ("cmd_requant", &requant),
            ("cmd_off", &c_off),
            ("s_axis_tvalid", &cf.out("out_valid")?),
            ("s_axis_tdata", &cw.slice(32 * cc - 1, 0)),
            ("s_axis_tlast", &cw.bit(32 * cc)),
            ("m_axis_tready", &wc_ready),
        ],
    )?;
    m.assign(&res_pop, res.out("s_axis_tready")?)?;
    m.assign(&c_ready, cf.out("in_ready")?)?;
    m.assign(&res_idle, res.out("cmd_ready")?)?;
    let rows_w = rows.zext(WALK_ROW_BITS);
    let (wc, wcu) = writer(
        &mut m,
        "wc",
        lb,
        aw,
        &[
            ("cmd_valid", &i_read),
            ("cmd_base", &c_line),
            ("cmd_stride", &c_stride),
            ("cmd_inner", &c_each),
            ("cmd_rows", &rows_w),
        ],
        &[
            ("s_axis_tvalid", &res.out("m_axis_tvalid")?),
            ("s_axis_tdata", &res.out("m_axis_tdata")?),
            ("s_axis_tkeep", &res.out("m_axis_tkeep")?),
        ],
    )?;
    m.assign(&wc_ready, wcu.out("s_axis_tready")?)?;
    m.assign(&wc_idle, wcu.out("cmd_ready")?)?;
    wc.connect(&mut m, &wcu, "w")?;

    // ---- the softmax path ----
    let x_ready = w(&mut m, "feed_tready")?;
    let rx = reader(
        &mut m,
        "rx",
        lb,
        aw,
        &[
            ("cmd_valid", &i_sm),
            ("cmd_base", &x_line),
            ("cmd_stride", &x_stride),
            ("cmd_inner", &x_each),
            ("cmd_rows", &sm_rows),
            ("cmd_last_bytes", &full),
        ],
        &x_ready,
    )?;
    m.assign(&rx_idle, rx.out("cmd_ready")?)?;
    let sm_in_ready = w(&mut m, "sm_tready")?;
    let feed = m.instance(
        "u_feed",
        &softmax_feed(lb, p.softmax.lanes, p.softmax.in_bits, sp.k_bits)?,
        &[
            ("cmd_valid", &i_sm),
            ("cmd_rows", &sm_rows),
            ("cmd_len", &len),
            ("cmd_valid_len", &valid_len),
            ("cmd_causal", &causal),
            ("cmd_causal_base", &causal_base),
            ("cmd_k", &k),
            ("s_axis_tvalid", &rx.out("m_axis_tvalid")?),
            ("s_axis_tdata", &rx.out("m_axis_tdata")?),
            ("m_axis_tready", &sm_in_ready),
        ],
    )?;
    m.assign(&x_ready, feed.out("s_axis_tready")?)?;
    m.assign(&feed_idle, feed.out("cmd_ready")?)?;
    let drain_ready = w(&mut m, "drain_tready")?;
    let unit = m.instance(
        "u_softmax",
        &softmax(&p.softmax)?,
        &[
            ("s_axis_tvalid", &feed.out("m_axis_tvalid")?),
            ("s_axis_tdata", &feed.out("m_axis_tdata")?),
            ("s_axis_tkeep", &feed.out("m_axis_tkeep")?),
            ("s_axis_tuser", &feed.out("m_axis_tuser")?),
            ("s_axis_tlast", &feed.out("m_axis_tlast")?),
            ("scale_k", &feed.out("scale_k")?),
            ("m_axis_tready", &drain_ready),
        ],
    )?;
    m.assign(&sm_in_ready, unit.out("s_axis_tready")?)?;
    m.allow_unused(&unit.out("overflow")?, "the decoder keeps len within max_len")?;
    let wy_ready = w(&mut m, "wy_tready")?;
    let drain = m.instance(
        "u_drain",
        &softmax_drain(lb, p.softmax.lanes, p.softmax.out_bits)?,
        &[
            ("s_axis_tvalid", &unit.out("m_axis_tvalid")?),
            ("s_axis_tdata", &unit.out("m_axis_tdata")?),
            ("s_axis_tkeep", &unit.out("m_axis_tkeep")?),
            ("s_axis_tlast", &unit.out("m_axis_tlast")?),
            ("m_axis_tready", &wy_ready),
        ],
    )?;
    m.assign(&drain_ready, drain.out("s_axis_tready")?)?;
    let (wy, wyu) = writer(
        &mut m,
        "wy",
        lb,
        aw,
        &[
            ("cmd_valid", &i_sm),
            ("cmd_base", &y_line),
            ("cmd_stride", &y_stride),
            ("cmd_inner", &y_each),
            ("cmd_rows", &sm_rows),
        ],
        &[
            ("s_axis_tvalid", &drain.out("m_axis_tvalid")?),
            ("s_axis_tdata", &drain.out("m_axis_tdata")?),
            ("s_axis_tkeep", &drain.out("m_axis_tkeep")?),
        ],
    )?;
    m.assign(&wy_ready, wyu.out("s_axis_tready")?)?;
    m.assign(&wy_idle, wyu.out("cmd_ready")?)?;
    wy.connect(&mut m, &wyu, "w")?;

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
