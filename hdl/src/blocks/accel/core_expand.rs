//! The core's macro expander: between the command fetch and the decoder, it
//! replaces each TILE_MATMUL by its TILE_LOAD + TILE_COMPUTE pairs
//! (`golden::core::matmul`), so one fetched command feeds many weight folds
//! and the ring's bus bytes go to data, not commands.
//!
//! * Input (`cmd_*`, valid/ready slave, as `core_fetch` offers it): `data`,
//!   `index`, `resp`.
//! * Output (`out_*`, valid/ready master, as `core_decode` takes it): the
//!   same and `last`, set on the last command of a ring slot: the only one
//!   of an ordinary command, the final TILE_COMPUTE of a macro. The command
//!   processor retires the slot (head, `commands_retired`) with it.
//! * A valid macro (no AXI error response, no reserved bit set, and
//!   `MatmulCmd::check`: `folds ≥ 1`, `1 ≤ k_last ≤ R`, `a_off < L/R`) is
//!   taken in one cycle, then its `2·folds` commands leave one per cycle
//!   while `out_ready` is high, each with the macro's index. Every other
//!   command, a refused macro included, passes through unchanged (no
//!   register on the way) with `last = 1`: the decoder faults a macro that
//!   reaches it, after AXI_FETCH and RESERVED_BITS, with BAD_FIELD, as golden
//!   orders its fetch, decode and `MatmulCmd::check`.
//! * The fold's fields come from running sums, not products: the weight line
//!   adds `b_fold_stride` per fold; the activation slice counts up to `L/R`
//!   and, each time it wraps, the activation line adds `a_slice_stride`. Both
//!   saturate at `2^20 − 1` as golden's `line()` does (a sum of saturated
//!   steps is the saturated sum, as every step is positive), so a fold past
//!   the line fields faults SPAD_RANGE in the decoder.
//! * `flush` (the command processor's, with the decoder's): drops the macro
//!   being expanded; no command is taken or offered in that cycle. The fetch
//!   then restarts from the head, which stays at the macro's index until its
//!   last pair retires, so a macro is always expanded again from fold 0.

use golden::core::isa::{op_info, COUNT_BITS, LINE_BITS, OP_TILE_COMPUTE, OP_TILE_LOAD, OP_TILE_MATMUL};
use golden::core::CoreParams;

use crate::blocks::accel::cmd_fields::{cmd_field, cmd_pack};
use crate::blocks::accel::core_fetch::INDEX_BITS;
use crate::blocks::common::lanes::{bits_for, lit};
use crate::core::{mux, Bit, Bundle, Expr, Module, Reg, Result, Role, UInt};

const CMD_BITS: u32 = 256;

/// `serrano_core_expand_r16_l16`: PE rows, line bytes.
pub fn core_expand_name(p: &CoreParams) -> String {
    format!("serrano_core_expand_r{}_l{}", p.systolic.rows, p.line)
}

/// A line number plus a stride, saturated at `2^LINE_BITS − 1`.
fn sat_add(line: &Expr, stride: &Expr) -> Expr {
    let sum = line.zext(LINE_BITS + 1) + stride.zext(LINE_BITS + 1);
    mux(&sum.bit(LINE_BITS), &lit((1 << LINE_BITS) - 1, LINE_BITS), &sum.trunc(LINE_BITS))
}

/// The macro's fields that every fold repeats, held while it expands.
struct Held {
    index: Expr,
    b_stride: Expr,
    b_off: Expr,
    b_fold_stride: Expr,
    k_last: Expr,
    a_stride: Expr,
    a_slice_stride: Expr,
    rows: Expr,
    accumulate: Expr,
}

/// The expansion's state.
struct State {
    busy: Reg,
    /// 0: the fold's TILE_LOAD is next; 1: its TILE_COMPUTE.
    second: Reg,
    /// Folds left, the current one included.
    left: Reg,
    /// The current fold is fold 0.
    first: Reg,
    b_line: Reg,
    a_line: Reg,
    slice: Reg,
}

pub fn core_expand(p: &CoreParams) -> Result<Module> {
    let (r, n) = (p.systolic.rows, p.line / p.systolic.rows);
    let sb = bits_for(n.max(1) as u64);
    let mut m = Module::new(&core_expand_name(p));
    m.doc("Macro expander: TILE_MATMUL into its TILE_LOAD + TILE_COMPUTE pairs; other commands pass through.");
    let fields = [("data", CMD_BITS), ("index", INDEX_BITS), ("resp", 2)];
    let cmd = m.bundle_ports("cmd", &Bundle::valid_ready(&fields), Role::Slave)?;
    let flush = m.input_doc("flush", Bit, "drop the macro being expanded")?;
    let out_fields = [("data", CMD_BITS), ("index", INDEX_BITS), ("resp", 2), ("last", 1)];
    let out = m.bundle_ports("out", &Bundle::valid_ready(&out_fields), Role::Master)?;

    // ---- Is the offered command a macro golden expands? ----------------------
    let d = cmd.get("data")?;
    let g = |m: &mut Module, name: &str| cmd_field(m, "in", &d, OP_TILE_MATMUL, name);
    let (folds, k_last, a_off) = (g(&mut m, "folds")?, g(&mut m, "k_last")?, g(&mut m, "a_off")?);
    let info = op_info(OP_TILE_MATMUL).expect("TILE_MATMUL is in the table");
    let rsv = info.reserved().iter().fold(lit(0, 1), |a, &(lsb, w)| a | d.slice(lsb + w - 1, lsb).any());
    let fields_ok = folds.cmp_ge(1) & k_last.cmp_ge(1) & k_last.cmp_le(r as i64) & a_off.cmp_lt(n as i64);
    let is_mm = d.slice(7, 0).cmp_eq(OP_TILE_MATMUL as i64);
    let expand = m.node("expand", &is_mm & !cmd.get("resp")?.bit(1) & !rsv & fields_ok)?;

    let s = state(&mut m, sb)?;
    let out_ready = out.get("ready")?;
    let idle = !&s.busy.q & !&flush;
    let take = m.node("take", cmd.get("valid")? & &expand & &idle)?;
    let emit = m.node("emit", &s.busy.q & !&flush & &out_ready)?;
    let last_fold = m.node("last_fold", s.left.q.cmp_eq(1))?;
    let fold_done = m.node("fold_done", &emit & &s.second.q)?;
    let held = hold(&mut m, &d, &cmd.get("index")?, &k_last, &take)?;

    // ---- The state: loaded by `take`, stepped by each command out ------------
    let hold_or = |m: &mut Module, r: &Reg, at_take: Expr, at_fold: Expr| {
        m.set_next(r, mux(&take, &at_take, &mux(&fold_done, &at_fold, &r.q)))
    };
    let end = &fold_done & &last_fold;
    m.set_next(&s.busy, !&flush & mux(&take, &lit(1, 1), &(&s.busy.q & !&end)))?;
    m.set_next(&s.second, !&flush & mux(&take, &lit(0, 1), &(&s.second.q ^ &emit)))?;
    hold_or(&mut m, &s.left, folds.clone(), &s.left.q - 1)?;
    hold_or(&mut m, &s.first, lit(1, 1), lit(0, 1))?;
    let b_line = g(&mut m, "b_line")?;
    hold_or(&mut m, &s.b_line, b_line, sat_add(&s.b_line.q, &held.b_fold_stride))?;
    let wrap = m.node("slice_wrap", (s.slice.q.zext(sb + 1) + 1).cmp_eq(n.max(1) as i64))?;
    let slice_next = mux(&wrap, &lit(0, sb), &(&s.slice.q + 1));
    hold_or(&mut m, &s.slice, fit(&a_off, sb), slice_next)?;
    let a_next = mux(&wrap, &sat_add(&s.a_line.q, &held.a_slice_stride), &s.a_line.q);
    let a_line = g(&mut m, "a_line")?;
    hold_or(&mut m, &s.a_line, a_line, a_next)?;

    // ---- The fold's two commands ---------------------------------------------
    let k_rows = mux(&last_fold, &held.k_last, &lit(r as u128, 8));
    let load = cmd_pack(
        &mut m,
        "x_load",
        OP_TILE_LOAD,
        &[
            ("k_rows", k_rows),
            ("b_off", held.b_off.clone()),
            ("b_line", s.b_line.q.clone()),
            ("b_stride", held.b_stride.clone()),
        ],
    )?;
    let compute = cmd_pack(
        &mut m,
        "x_compute",
        OP_TILE_COMPUTE,
        &[
            ("accumulate", &held.accumulate | !&s.first.q),
            ("a_off", fit(&s.slice.q, 8)),
            ("a_line", s.a_line.q.clone()),
            ("a_stride", held.a_stride.clone()),
            ("rows", held.rows.clone()),
        ],
    )?;
    let pass = m.node("pass", &idle & !&expand)?;
    cmd.drive(&mut m, "ready", &take | (&pass & &out_ready))?;
    out.drive(&mut m, "valid", mux(&s.busy.q, &!&flush, &(&pass & cmd.get("valid")?)))?;
    let x_data = mux(&s.second.q, &compute, &load);
    out.drive(&mut m, "data", mux(&s.busy.q, &x_data, &d))?;
    out.drive(&mut m, "index", mux(&s.busy.q, &held.index, &cmd.get("index")?))?;
    out.drive(&mut m, "resp", mux(&s.busy.q, &lit(0, 2), &cmd.get("resp")?))?;
    out.drive(&mut m, "last", mux(&s.busy.q, &(&s.second.q & &last_fold), &lit(1, 1)))?;
    Ok(m)
}

/// `e` to `w` bits (zero-extended or truncated; only values below `2^w` are truncated).
fn fit(e: &Expr, w: u32) -> Expr {
    match e.width() {
        x if x == w => e.clone(),
        x if x < w => e.zext(w),
        _ => e.trunc(w),
    }
}

fn state(m: &mut Module, sb: u32) -> Result<State> {
    let r = |m: &mut Module, n: &str, w: u32, doc: &str| m.reg(n, UInt(w)).reset(0).doc(doc).build();
    Ok(State {
        busy: r(m, "busy", 1, "a macro is being expanded")?,
        second: r(m, "second", 1, "the fold's TILE_COMPUTE is next")?,
        left: r(m, "left", COUNT_BITS, "folds left, the current one included")?,
        first: r(m, "first", 1, "the current fold is fold 0")?,
        b_line: r(m, "b_line", LINE_BITS, "the fold's weight line, saturated")?,
        a_line: r(m, "a_line", LINE_BITS, "the fold's activation line, saturated")?,
        slice: r(m, "slice", sb, "the fold's activation slice")?,
    })
}

/// The fields every fold repeats, registered when the macro is taken.
fn hold(m: &mut Module, d: &Expr, index: &Expr, k_last: &Expr, take: &Expr) -> Result<Held> {
    let h = |m: &mut Module, name: &str| -> Result<Expr> {
        let f = cmd_field(m, "in", d, OP_TILE_MATMUL, name)?;
        m.reg(&format!("h_{name}"), UInt(f.width())).reset(0).enable(take).d(f)
    };
    Ok(Held {
        index: m.reg("h_index", UInt(INDEX_BITS)).reset(0).enable(take).d(index)?,
        b_stride: h(m, "b_stride")?,
        b_off: h(m, "b_off")?,
        b_fold_stride: h(m, "b_fold_stride")?,
        k_last: m.reg("h_k_last", UInt(8)).reset(0).enable(take).d(k_last)?,
        a_stride: h(m, "a_stride")?,
        a_slice_stride: h(m, "a_slice_stride")?,
        rows: h(m, "rows")?,
        accumulate: h(m, "accumulate")?,
    })
}
