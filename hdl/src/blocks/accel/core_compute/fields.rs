//! The compute engine's view of a command: its opcode and fields (named
//! wires sliced by the ISA table) and the lines its rows span.

use super::*;

/// A command's fields, as the engine's paths take them (each a named wire
/// sliced by the ISA table), and which kind of command it is.
pub(super) struct Fields {
    pub(super) op: Expr,
    pub(super) is_load: Expr,
    pub(super) is_comp: Expr,
    pub(super) is_read: Expr,
    pub(super) is_qp: Expr,
    pub(super) is_sm: Expr,
    pub(super) is_tile: Expr,
    pub(super) b_line: Expr,
    pub(super) b_stride: Expr,
    pub(super) b_off: Expr,
    pub(super) k_rows: Expr,
    pub(super) a_line: Expr,
    pub(super) a_stride: Expr,
    pub(super) a_off: Expr,
    pub(super) accumulate: Expr,
    pub(super) rows: Expr,
    pub(super) c_line: Expr,
    pub(super) c_stride: Expr,
    pub(super) c_off: Expr,
    pub(super) requant: Expr,
    pub(super) all_cols: Expr,
    pub(super) shift: Expr,
    pub(super) multiplier: Expr,
    pub(super) zero_point: Expr,
    pub(super) col: Expr,
    pub(super) sm_rows: Expr,
    pub(super) len: Expr,
    pub(super) valid_len: Expr,
    pub(super) causal: Expr,
    pub(super) causal_base: Expr,
    /// SOFTMAX's `int8_out`, only where `out_bits` = 8 (the decoder refuses it otherwise).
    pub(super) int8_out: Option<Expr>,
    pub(super) x_line: Expr,
    pub(super) x_stride: Expr,
    pub(super) y_line: Expr,
    pub(super) y_stride: Expr,
    pub(super) k: Expr,
    pub(super) x_each: Expr,
    pub(super) y_each: Expr,
    pub(super) c_each: Expr,
}

/// The opcode, the fields and the lines a softmax row and a result row span.
pub(super) fn fields(m: &mut Module, p: &CoreParams, data: &Expr) -> Result<Fields> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let (rr, cc) = (p.systolic.rows, p.systolic.cols);
    let sp = SoftmaxParams::new(&p.softmax);
    let data = data.clone();
    let op = m.node("op", data.slice(7, 0))?;
    let is = |m: &mut Module, n: &str, code: u8| m.node(n, op.cmp_eq(lit(code as u128, 8)));
    let (is_load, is_comp, is_read) =
        (is(m, "is_load", OP_TILE_LOAD)?, is(m, "is_compute", OP_TILE_COMPUTE)?, is(m, "is_read", OP_TILE_READ)?);
    let (is_qp, is_sm) = (is(m, "is_qparam", OP_TILE_QPARAM)?, is(m, "is_softmax", OP_SOFTMAX)?);
    let is_tile = m.node("is_tile", &is_load | &is_comp | &is_read | &is_qp)?;

    // ---- fields ----
    let ld = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "ld", &data, OP_TILE_LOAD, n, w);
    let (b_line, b_stride, b_off, k_rows) =
        (ld(m, "b_line", aw)?, ld(m, "b_stride", aw)?, ld(m, "b_off", off_bits(lb, cc))?, ld(m, "k_rows", 8)?);
    let cp = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "cp", &data, OP_TILE_COMPUTE, n, w);
    let (a_line, a_stride, a_off) = (cp(m, "a_line", aw)?, cp(m, "a_stride", aw)?, cp(m, "a_off", off_bits(lb, rr))?);
    let accumulate = cmd_field(m, "cp", &data, OP_TILE_COMPUTE, "accumulate")?;
    // COMPUTE and READ share `rows` (checked 1..=acc_depth by the decoder).
    let rows = cmd_field(m, "cp", &data, OP_TILE_COMPUTE, "rows")?;
    let rd = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "rd", &data, OP_TILE_READ, n, w);
    let (c_line, c_stride, c_off) =
        (rd(m, "c_line", aw)?, rd(m, "c_stride", aw)?, rd(m, "c_off", result_off_bits(lb, cc))?);
    let requant = cmd_field(m, "rd", &data, OP_TILE_READ, "requant")?;
    let qf = |m: &mut Module, n: &str| cmd_field(m, "qp", &data, OP_TILE_QPARAM, n);
    let (all_cols, shift, multiplier, zero_point) =
        (qf(m, "all_cols")?, qf(m, "shift")?, qf(m, "multiplier")?, qf(m, "zero_point")?);
    let col = cmd_field_low(m, "qp", &data, OP_TILE_QPARAM, "col", col_bits(&p.systolic))?;
    let sm = |m: &mut Module, n: &str| cmd_field(m, "sm", &data, OP_SOFTMAX, n);
    let (sm_rows, len, valid_len, causal, causal_base) =
        (sm(m, "rows")?, sm(m, "len")?, sm(m, "valid_len")?, sm(m, "causal")?, sm(m, "causal_base")?);
    let int8_out = if p.softmax.out_bits == 8 { Some(sm(m, "int8_out")?) } else { None };
    let smw = |m: &mut Module, n: &str, w: u32| cmd_field_low(m, "sm", &data, OP_SOFTMAX, n, w);
    let (x_line, x_stride, y_line, y_stride) =
        (smw(m, "x_line", aw)?, smw(m, "x_stride", aw)?, smw(m, "y_line", aw)?, smw(m, "y_stride", aw)?);
    let k = smw(m, "k", sp.k_bits)?;

    // Lines per softmax row: ceil(len * bytes / L), L a power of two.
    let row_lines = |m: &mut Module, n: &str, bits: u32| -> Result<Expr> {
        let lw = bits_for(lb as u64) - 1;
        let w = 20 + 2;
        let bytes = if bits == 16 { len.zext(w).shl_const(1) } else { len.zext(w) };
        let lines = (bytes + lit(lb as u128 - 1, w)).shr_const(lw);
        m.node(n, lines.trunc(aw + 1))
    };
    let x_each = row_lines(m, "x_row_lines", p.softmax.in_bits)?;
    let y_each = row_lines(m, "y_row_lines", p.softmax.out_bits)?;
    // A TILE_READ row: 4C bytes (int32) in 4C / L lines when that is at least one line, else one line.
    let int32_lines = (4 * cc / lb).max(1);
    let c_each = m.node("c_row_lines", mux(&requant, &lit(1, aw + 1), &lit(int32_lines as u128, aw + 1)))?;

    Ok(Fields {
        op,
        is_load,
        is_comp,
        is_read,
        is_qp,
        is_sm,
        is_tile,
        b_line,
        b_stride,
        b_off,
        k_rows,
        a_line,
        a_stride,
        a_off,
        accumulate,
        rows,
        c_line,
        c_stride,
        c_off,
        requant,
        all_cols,
        shift,
        multiplier,
        zero_point,
        col,
        sm_rows,
        len,
        valid_len,
        causal,
        causal_base,
        int8_out,
        x_line,
        x_stride,
        y_line,
        y_stride,
        k,
        x_each,
        y_each,
        c_each,
    })
}
