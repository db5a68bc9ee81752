//! The compute engine's tile side: the readers and operand blocks of the
//! activations and weights, the tile and its command FIFO, the result FIFO,
//! the result block and the result writer.

use super::*;

/// The readers and operand blocks of the tile's activations and weights.
pub(super) struct Operands {
    pub(super) ra: Instance,
    pub(super) rb: Instance,
    pub(super) oa: Instance,
    pub(super) ob: Instance,
    pub(super) oa_q: OpQueue,
    pub(super) ob_q: OpQueue,
    /// The tile's `s_axis_a_tready` and `s_axis_b_tready` (wires to drive).
    pub(super) tile_a_ready: Expr,
    pub(super) tile_b_ready: Expr,
}

pub(super) fn operands(m: &mut Module, p: &CoreParams, f: &Fields, is: &Issue, clear_fold: &Expr) -> Result<Operands> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let (rr, cc) = (p.systolic.rows, p.systolic.cols);
    let w = |m: &mut Module, n: &str| m.wire(n, Bit);
    let b_line = f.b_line.clone();
    let b_stride = f.b_stride.clone();
    let b_off = f.b_off.clone();
    let k_rows = f.k_rows.clone();
    let a_line = f.a_line.clone();
    let a_stride = f.a_stride.clone();
    let a_off = f.a_off.clone();
    let rows = f.rows.clone();
    let ra_idle = is.ra_idle.clone();
    let rb_idle = is.rb_idle.clone();
    let oa_idle = is.oa_idle.clone();
    let ob_idle = is.ob_idle.clone();
    let dummy = is.dummy.clone();
    let i_load = is.i_load.clone();
    let i_comp = is.i_comp.clone();
    let (fold, flush) = (&is.fold, &is.flush);
    // ---- the tile and its operand and result paths ----
    let full = lit(lb as u128, bits_for(lb as u64));
    let one_line = lit(1, aw + 1);
    let a_ready = w(m, "oa_tready")?;
    let b_ready = w(m, "ob_tready")?;
    let k_rows_w = k_rows.zext(WALK_ROW_BITS);
    let ra = reader(
        m,
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
        m,
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

    let tile_a_ready = w(m, "tile_a_tready")?;
    let tile_b_ready = w(m, "tile_b_tready")?;
    m.set_next(fold, (&fold.q | &i_load) & !&i_comp & !&dummy)?;
    m.set_next(flush, (&flush.q | (clear_fold & &fold.q)) & !&dummy)?;
    let rows17 = rows.trunc(ROW_BITS);
    let oa_valid = m.node("opa_cmd_valid", &i_comp | &dummy)?;
    let oa_rows = mux(&dummy, &lit(1, ROW_BITS), &rows17);
    let oa_valid_rows = mux(&dummy, &lit(0, ROW_BITS), &rows17);
    // The operand blocks take their commands through two-entry FIFOs, so a
    // fold's COMPUTE (or LOAD) issues as soon as its reader is free, while
    // the previous fold's last rows still leave: the rows stream on without
    // a gap between folds.
    let ob_w = off_bits(lb, rr);
    let oa_q = op_queue(m, "opa", &oa_valid, &[&oa_valid_rows, &oa_rows, &a_off])?;
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
    let ob_q = op_queue(m, "opb", &i_load, &[&kr, &fold, &b_off])?;
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

    Ok(Operands { ra, rb, oa, ob, oa_q, ob_q, tile_a_ready, tile_b_ready })
}

/// The tile, its command FIFO, the result FIFO, the result block and writer `wc`.
pub(super) struct TilePath {
    pub(super) t: Instance,
    pub(super) tq: OpQueue,
    pub(super) cf: Instance,
    pub(super) res: Instance,
    pub(super) wcu: Instance,
}

pub(super) fn tile_path(m: &mut Module, p: &CoreParams, f: &Fields, is: &Issue, ops: &Operands) -> Result<TilePath> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let cc = p.systolic.cols;
    let w = |m: &mut Module, n: &str| m.wire(n, Bit);
    let op = f.op.clone();
    let accumulate = f.accumulate.clone();
    let rows = f.rows.clone();
    let c_line = f.c_line.clone();
    let c_stride = f.c_stride.clone();
    let c_off = f.c_off.clone();
    let requant = f.requant.clone();
    let all_cols = f.all_cols.clone();
    let shift = f.shift.clone();
    let multiplier = f.multiplier.clone();
    let zero_point = f.zero_point.clone();
    let col = f.col.clone();
    let c_each = f.c_each.clone();
    let tile_rdy = is.tile_rdy.clone();
    let res_idle = is.res_idle.clone();
    let wc_idle = is.wc_idle.clone();
    let tile_valid = is.tile_valid.clone();
    let i_read = is.i_read.clone();
    let flush = &is.flush;
    let (oa, ob) = (&ops.oa, &ops.ob);
    let c_ready = w(m, "res_tready")?;
    let tile_op = m.node("tile_op", mux(&flush.q, &lit(1, 2), &op.slice(1, 0)))?;
    let rb_w = rows_bits(&p.systolic);
    let tile_rows = m.node("tile_rows", mux(&flush.q, &lit(1, rb_w), &rows.trunc(rb_w)))?;
    let tile_acc = m.node("tile_accumulate", &flush.q | &accumulate)?;
    // The tile's commands wait in a FIFO too: the next COMPUTE's rows are
    // read while the tile still streams the current one's.
    let (mult, zp) = (multiplier.clone(), zero_point.clone());
    let tq = op_queue(
        m,
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
    m.assign(&ops.tile_a_ready, t.out("s_axis_a_tready")?)?;
    m.assign(&ops.tile_b_ready, t.out("s_axis_b_tready")?)?;

    let wc_ready = w(m, "wc_tready")?;
    // Result rows wait in a FIFO of up to RESULT_ROWS rows: an int32 row is
    // 4C/L lines, written one line a cycle, so without it a READ would drain
    // the accumulator at that pace and hold back the next block's COMPUTE
    // (which overwrites the rows behind the READ). With it, the READ leaves
    // the accumulator at a row a cycle and the lines follow in the background.
    let depth = RESULT_ROWS.min(p.systolic.acc_depth);
    let res_pop = w(m, "res_fifo_pop")?;
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
        m,
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
    wc.connect(m, &wcu, "w")?;

    Ok(TilePath { t, tq, cf, res, wcu })
}
