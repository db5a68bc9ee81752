//! The systolic matmul tile: C = A·B for int8 A and B with int32 results.
//!
//! The tile runs the commands of `golden::tile` (LOAD, COMPUTE, READ, QPARAM)
//! from a valid/ready command port, taking weight rows from `s_axis_b_*`,
//! activation rows from `s_axis_a_*` and sending result rows on `m_axis_c_*`.
//! Commands are dispatched in order, each to its engine, so a LOAD of the
//! next fold overlaps the COMPUTE of the current one and a READ streams rows
//! out while the next COMPUTE runs. See `docs/tile.md` for the timing.
//!
//! Data path, top to bottom:
//! 1. load engine: weight rows → shadow weights of array row 0, 1, ... (one per cycle);
//! 2. compute engine: activation rows → the array, the swap flag one cycle
//!    ahead of the fold's first row (both from registers); a control word (valid, address, accumulate, epoch) travels beside
//!    each row, down `rows` stages and then east along the bottom;
//! 3. accumulator banks, one per column: read-modify-write as each column's
//!    partial sum arrives;
//! 4. read engine: reads a row from every bank at once (aligned), requantizes
//!    it and sends it out, stalling as a whole under back-pressure.
//!
//! Interlocks (all on counters, no scoreboard):
//! * a LOAD starts once the previous fold's swap has passed every column
//!   (`cols` cycles after its first activation row entered the array), and
//!   a COMPUTE starts once its fold is fully loaded;
//! * a READ issues row m once the COMPUTE before it has written row m in the
//!   last column; a COMPUTE issues row m only after a READ dispatched before
//!   it has read row m.

use golden::SystolicConfig;

use crate::core::{cat, mux, Bit, Expr, Module, Result, SInt, UInt};

use super::acc_bank::{acc_bank, addr_bits};
use super::array::{array, PSUM_EXTRA};
use super::requant::{bypass, requant};
use crate::blocks::common::lanes::bits_for;

/// Command opcodes on `cmd_op`.
pub const OP_LOAD: i64 = 0;
pub const OP_COMPUTE: i64 = 1;
pub const OP_READ: i64 = 2;
pub const OP_QPARAM: i64 = 3;

/// Cycles an accepted activation row waits before it enters the array.
const ISSUE: u32 = 1;

/// `serrano_tile_r16c16_d1024`, or `serrano_tile_r4c4_d256_norequant`.
pub fn tile_name(cfg: &SystolicConfig) -> String {
    let suffix = if cfg.requant { "" } else { "_norequant" };
    format!("serrano_tile_r{}c{}_d{}{suffix}", cfg.rows, cfg.cols, cfg.acc_depth)
}

/// Width of `cmd_rows` (holds 1..=acc_depth).
pub fn rows_bits(cfg: &SystolicConfig) -> u32 {
    bits_for(cfg.acc_depth as u64)
}

/// Width of `cmd_col` (holds 0..cols).
pub fn col_bits(cfg: &SystolicConfig) -> u32 {
    bits_for((cfg.cols - 1) as u64)
}

pub fn tile(cfg: &SystolicConfig) -> Result<Module> {
    let (r, c) = (cfg.rows, cfg.cols);
    let aw = addr_bits(cfg.acc_depth);
    let rw = rows_bits(cfg);
    let cw = col_bits(cfg);
    let lrw = bits_for((r - 1) as u64);
    let mut m = Module::new(&tile_name(cfg));
    m.doc(&format!("Systolic matmul tile: {r} x {c} int8 weight-stationary array, double-buffered weights,"));
    let rq_doc = if cfg.requant { "per-column requantization" } else { "no requantization (int32 out)" };
    m.doc(&format!("{}-row int32 accumulator, {rq_doc}. Commands: see docs/tile.md.", cfg.acc_depth));

    // ---- Ports -------------------------------------------------------------
    let cmd_valid = m.input_doc("cmd_valid", Bit, "command handshake")?;
    let cmd_op = m.input_doc("cmd_op", UInt(2), "0 LOAD, 1 COMPUTE, 2 READ, 3 QPARAM")?;
    let cmd_rows = m.input_doc("cmd_rows", UInt(rw), "COMPUTE/READ: rows, 1..=acc_depth")?;
    let cmd_accumulate = m.input_doc("cmd_accumulate", Bit, "COMPUTE: add to the accumulator (else overwrite)")?;
    let cmd_requant = m.input_doc("cmd_requant", Bit, "READ: requantize to int8")?;
    let cmd_col = m.input_doc("cmd_col", UInt(cw), "QPARAM: column")?;
    let cmd_all_cols = m.input_doc("cmd_all_cols", Bit, "QPARAM: every column (per-tensor)")?;
    let cmd_multiplier = m.input_doc("cmd_multiplier", SInt(32), "QPARAM: multiplier")?;
    let cmd_shift = m.input_doc("cmd_shift", UInt(6), "QPARAM: shift, 0..=62")?;
    let cmd_zero_point = m.input_doc("cmd_zero_point", SInt(8), "QPARAM: zero point")?;
    let a_valid = m.input_doc("s_axis_a_tvalid", Bit, "activation row stream")?;
    let a_data = m.input_doc("s_axis_a_tdata", UInt(8 * r), "int8 element k on bits 8k+7:8k")?;
    let b_valid = m.input_doc("s_axis_b_tvalid", Bit, "weight row stream")?;
    let b_data = m.input_doc("s_axis_b_tdata", UInt(8 * c), "int8 element n on bits 8n+7:8n")?;
    let c_ready = m.input_doc("m_axis_c_tready", Bit, "result row stream")?;

    // ---- Engine state ------------------------------------------------------
    let load_active = m.reg("load_active", Bit).reset(0).doc("LOAD in progress").build()?;
    let load_row = m.reg("load_row", UInt(lrw)).reset(0).doc("next weight row to load").build()?;
    let shadow_full = m.reg("shadow_full", Bit).reset(0).doc("a loaded fold waits for its COMPUTE").build()?;
    let guard = m
        .reg("swap_guard", UInt(bits_for(c as u64)))
        .reset(0)
        .doc("cycles until the last swap passed every column")
        .build()?;

    let comp_active = m.reg("comp_active", Bit).reset(0).doc("COMPUTE in progress").build()?;
    let comp_rows = m.reg("comp_rows", UInt(rw)).reset(0).build()?;
    let comp_m = m.reg("comp_m", UInt(rw)).reset(0).doc("next activation row").build()?;
    // Registered "comp_m is the last row" (and read_m's likewise): comparing
    // the counter with rows - 1 in the cycle would sit on the dispatch path,
    // the tile's longest (on iCE40 it limited the clock to about 85 MHz).
    let comp_last = m.reg("comp_last", Bit).reset(0).doc("comp_m is the COMPUTE's last row").build()?;
    let comp_acc = m.reg("comp_acc", Bit).reset(0).build()?;
    let comp_first = m.reg("comp_first", Bit).reset(0).doc("the next row starts the fold").build()?;
    let comp_epoch = m.reg("comp_epoch", Bit).reset(0).doc("parity of the latest COMPUTE").build()?;

    let read_active = m.reg("read_active", Bit).reset(0).doc("READ with rows left to issue").build()?;
    let read_rows = m.reg("read_rows", UInt(rw)).reset(0).build()?;
    let read_m = m.reg("read_m", UInt(rw)).reset(0).doc("next row to read out").build()?;
    let read_last = m.reg("read_last", Bit).reset(0).doc("read_m is the READ's last row").build()?;
    let read_requant = m.reg("read_requant", Bit).reset(0).build()?;
    let read_epoch = m.reg("read_epoch", Bit).reset(0).doc("epoch of the COMPUTE this READ follows").build()?;
    // Rows written (in the last column) by the latest COMPUTE of each epoch.
    // After reset every row counts as written, so a READ never waits forever.
    let written0 = m.reg("written_e0", UInt(rw)).reset(cfg.acc_depth as i128).build()?;
    let written1 = m.reg("written_e1", UInt(rw)).reset(cfg.acc_depth as i128).build()?;

    // Read pipeline valid/last bits: stage 1 (bank read), 2 (product), 3 (output).
    let v1 = m.reg("rd_v1", Bit).reset(0).build()?;
    let l1 = m.reg("rd_l1", Bit).reset(0).build()?;
    let v2 = m.reg("rd_v2", Bit).reset(0).build()?;
    let l2 = m.reg("rd_l2", Bit).reset(0).build()?;
    let v3 = m.reg("rd_v3", Bit).reset(0).doc("m_axis_c_tvalid").build()?;
    let l3 = m.reg("rd_l3", Bit).reset(0).doc("m_axis_c_tlast").build()?;
    let read_busy = m.node("read_busy", &read_active.q | &v1.q | &v2.q | &v3.q)?;

    // ---- Compute engine: row issue (needed by dispatch) --------------------
    // A READ dispatched before this COMPUTE (other epoch) must have read row m first.
    // Registered, and so one row more cautious than `read_m > comp_m` (see
    // below where it is computed): the comparison in the cycle was the
    // tile's critical path (read_m's compare carry chain into a_ready, the
    // dispatch and the counters' enables).
    let row_free = m.reg("row_free", Bit).reset(1).doc("comp_m's row may be overwritten").build()?;
    let a_ready = m.node("a_ready", &comp_active.q & &row_free.q)?;
    let a_fire = m.node("a_fire", &a_ready & &a_valid)?;
    let last_a = m.node("last_a", &a_fire & &comp_last.q)?;

    // ---- Dispatch ----------------------------------------------------------
    let is_load = cmd_op.cmp_eq(OP_LOAD);
    let is_compute = cmd_op.cmp_eq(OP_COMPUTE);
    let is_read = cmd_op.cmp_eq(OP_READ);
    let is_qparam = cmd_op.cmp_eq(OP_QPARAM);
    let can_load = !&load_active.q & !&shadow_full.q & guard.cmp_eq(0);
    // A COMPUTE may start in the cycle the previous one issues its last row: no bubble.
    // A COMPUTE restarts the row count of its epoch (the parity of COMPUTEs): it
    // must wait while a READ of an older COMPUTE of that parity is still reading.
    let old_read = &read_active.q & read_epoch.cmp_ne(&comp_epoch.q);
    let can_compute = (!&comp_active.q | &last_a) & &shadow_full.q & !&old_read;
    let can_read = !&read_busy;
    let cmd_ready = m.node(
        "cmd_ready_w",
        (&is_load & &can_load) | (&is_compute & &can_compute) | ((&is_read | &is_qparam) & &can_read),
    )?;
    let fire = m.node("cmd_fire", &cmd_valid & &cmd_ready)?;
    let go_load = m.node("go_load", &fire & &is_load)?;
    let go_compute = m.node("go_compute", &fire & &is_compute)?;
    let go_read = m.node("go_read", &fire & &is_read)?;
    let go_qparam = m.node("go_qparam", &fire & &is_qparam)?;

    // ---- Load engine -------------------------------------------------------
    let b_fire = m.node("b_fire", &load_active.q & &b_valid)?;
    let last_b = m.node("last_b", &b_fire & load_row.cmp_eq(r as i64 - 1))?;
    m.set_next(&load_active, mux(&go_load, &Expr::lit(1, Bit), &(&load_active.q & !&last_b)))?;
    let next_row = mux(&last_b, &Expr::lit(0, UInt(lrw)), &(&load_row.q + 1));
    m.set_next(&load_row, mux(&b_fire, &next_row, &load_row.q))?;
    // The weight row is written one cycle after its handshake.
    let w_data = m.reg("w_data", UInt(8 * c)).no_reset().enable(&b_fire).doc("weight row being written").d(&b_data)?;
    let onehot: Vec<Expr> = (0..r).rev().map(|i| &b_fire & load_row.cmp_eq(i as i64)).collect();
    let onehot_refs: Vec<&Expr> = onehot.iter().collect();
    let w_load = m.reg("w_load", UInt(r)).reset(0).doc("one-hot array row being written").d(cat(&onehot_refs))?;
    let load_done = m.reg("load_done", Bit).reset(0).doc("the fold's last row is being written").d(&last_b)?;

    // ---- Compute engine ----------------------------------------------------
    let swap_now = m.node("swap_now", &a_fire & &comp_first.q)?;
    m.set_next(&comp_active, mux(&go_compute, &Expr::lit(1, Bit), &(&comp_active.q & !&last_a)))?;
    m.set_next(&comp_rows, mux(&go_compute, &cmd_rows, &comp_rows.q))?;
    let comp_two_left = (comp_m.zext(rw + 1) + 2).cmp_eq(comp_rows.zext(rw + 1));
    m.set_next(&comp_last, mux(&go_compute, &cmd_rows.cmp_eq(1), &mux(&a_fire, &comp_two_left, &comp_last.q)))?;
    let zero_rows = Expr::lit(0, UInt(rw));
    m.set_next(&comp_m, mux(&go_compute, &zero_rows, &mux(&a_fire, &(&comp_m.q + 1), &comp_m.q)))?;
    m.set_next(&comp_acc, mux(&go_compute, &cmd_accumulate, &comp_acc.q))?;
    m.set_next(&comp_first, mux(&go_compute, &Expr::lit(1, Bit), &(&comp_first.q & !&a_fire)))?;
    m.set_next(&comp_epoch, mux(&go_compute, &!&comp_epoch.q, &comp_epoch.q))?;
    m.set_next(&shadow_full, mux(&load_done, &Expr::lit(1, Bit), &(&shadow_full.q & !&swap_now)))?;
    let guard_start = Expr::lit(c as i128, UInt(bits_for(c as u64)));
    let guard_dec = mux(&guard.cmp_eq(0), &guard.q, &(&guard.q - 1));
    m.set_next(&guard, mux(&swap_now, &guard_start, &guard_dec))?;

    // Issue registers: an accepted row waits one cycle in a_issue and enters
    // the array from a_enter; the fold's swap flag enters from swap_issue, one
    // cycle ahead of its first row (each PE copies its shadow weight the cycle
    // before the row reaches it). Both come from registers, so nothing
    // combinational from the stream handshake reaches the PEs: on iCE40 that
    // path limited the clock. Bubbles carry zeros.
    let a_issue = m.reg("a_issue", UInt(8 * r)).reset(0).doc("accepted activation row").d(mux(
        &a_fire,
        &a_data,
        &Expr::lit(0, UInt(8 * r)),
    ))?;
    let a_enter = m.reg("a_enter", UInt(8 * r)).reset(0).doc("activation row entering the array").d(&a_issue)?;
    let swap_issue = m.reg("swap_issue", Bit).reset(0).doc("swap flag entering the array").d(&swap_now)?;

    // Control chain: stage k holds the control word of the row accepted k + 1
    // cycles ago. Column j's bottom is at stage ISSUE + rows + j + PSUM_EXTRA.
    let stages = (ISSUE + r + c + PSUM_EXTRA) as usize;
    let mut ch_valid = Vec::with_capacity(stages);
    let mut ch_addr = Vec::with_capacity(stages);
    let mut ch_acc = Vec::with_capacity(stages);
    let mut ch_epoch = Vec::with_capacity(stages);
    let (mut v, mut ad, mut ac, mut ep) = (a_fire.clone(), comp_m.trunc(aw), comp_acc.q.clone(), comp_epoch.q.clone());
    for k in 0..stages {
        v = m.reg(&format!("ctl{k}_valid"), Bit).reset(0).d(&v)?;
        ad = m.reg(&format!("ctl{k}_addr"), UInt(aw)).no_reset().d(&ad)?;
        ac = m.reg(&format!("ctl{k}_acc"), Bit).reset(0).d(&ac)?;
        ep = m.reg(&format!("ctl{k}_epoch"), Bit).reset(0).d(&ep)?;
        ch_valid.push(v.clone());
        ch_addr.push(ad.clone());
        ch_acc.push(ac.clone());
        ch_epoch.push(ep.clone());
    }

    // ---- Array -------------------------------------------------------------
    let arr = array(cfg)?;
    let u_array = m.instance(
        "u_array",
        &arr,
        &[("a_in", &a_enter), ("swap_in", &swap_issue), ("w_data", &w_data), ("w_load", &w_load)],
    )?;
    let psum = u_array.out("psum_out")?;

    // ---- Read engine -------------------------------------------------------
    let move_ = m.node("move", !&v3.q | &c_ready)?;
    let written_sel = mux(&read_epoch.q, &written1.q, &written0.q);
    let rd_issue = m.node("rd_issue", &read_active.q & written_sel.cmp_gt(&read_m.q) & &move_)?;
    let last_rd = m.node("last_rd", &rd_issue & &read_last.q)?;
    // After this row, the next is the last when two rows were left.
    let rd_two_left = (read_m.zext(rw + 1) + 2).cmp_eq(read_rows.zext(rw + 1));
    m.set_next(&read_last, mux(&go_read, &cmd_rows.cmp_eq(1), &mux(&rd_issue, &rd_two_left, &read_last.q)))?;
    m.set_next(&read_active, mux(&go_read, &Expr::lit(1, Bit), &(&read_active.q & !&last_rd)))?;
    m.set_next(&read_rows, mux(&go_read, &cmd_rows, &read_rows.q))?;
    m.set_next(&read_m, mux(&go_read, &zero_rows, &mux(&rd_issue, &(&read_m.q + 1), &read_m.q)))?;
    m.set_next(&read_requant, mux(&go_read, &cmd_requant, &read_requant.q))?;
    // comp_epoch already names the latest COMPUTE dispatched before this READ.
    m.set_next(&read_epoch, mux(&go_read, &comp_epoch.q, &read_epoch.q))?;

    // row_free for the next cycle: no older READ pending then, or it is sure
    // to have read the row comp_m will name. A READ is never dispatched while
    // one is active, and one dispatched now reads the latest COMPUTE's rows,
    // so while an older READ stays pending read_m only grows; comp_m grows by
    // at most one, or restarts at 0 with a new COMPUTE.
    let read_active_next = mux(&go_read, &Expr::lit(1, Bit), &(&read_active.q & !&last_rd));
    let comp_epoch_next = &comp_epoch.q ^ &go_compute;
    let read_epoch_next = mux(&go_read, &comp_epoch.q, &read_epoch.q);
    let pending_next = &read_active_next & read_epoch_next.cmp_ne(&comp_epoch_next);
    let ahead = mux(&go_compute, &read_m.cmp_gt(0), &read_m.zext(rw + 1).cmp_gt(&(comp_m.zext(rw + 1) + 1)));
    m.set_next(&row_free, !&pending_next | &ahead)?;
    m.set_next(&v1, mux(&move_, &rd_issue, &v1.q))?;
    m.set_next(&l1, mux(&move_, &last_rd, &l1.q))?;
    m.set_next(&v2, mux(&move_, &v1.q, &v2.q))?;
    m.set_next(&l2, mux(&move_, &l1.q, &l2.q))?;
    m.set_next(&v3, mux(&move_, &v2.q, &v3.q))?;
    m.set_next(&l3, mux(&move_, &l2.q, &l3.q))?;

    // Rows written by the last column, per epoch; a COMPUTE restarts its epoch's count.
    let last = stages - 1;
    let wrote = &ch_valid[last];
    let new_epoch = !&comp_epoch.q;
    for (e, wr) in [(0i64, &written0), (1i64, &written1)] {
        let restart = &go_compute & new_epoch.cmp_eq(e);
        let inc = wrote & ch_epoch[last].cmp_eq(e);
        m.set_next(wr, mux(&restart, &zero_rows, &mux(&inc, &(&wr.q + 1), &wr.q)))?;
    }

    // ---- Accumulator banks, requantization, output ---------------------------
    let bank = acc_bank(cfg)?;
    let rq = if cfg.requant { requant()? } else { bypass()? };
    let rd_addr = read_m.trunc(aw);
    let mut lanes: Vec<Expr> = Vec::new();
    for j in 0..c {
        let at = (ISSUE + r + j + PSUM_EXTRA) as usize;
        let psum_j = psum.slice(32 * j + 31, 32 * j).as_signed();
        let acc_rd_en = &ch_valid[at - 1] & &ch_acc[at - 1];
        let u_bank = m.instance(
            &format!("bank_c{j}"),
            &bank,
            &[
                ("acc_rd_en", &acc_rd_en),
                ("acc_rd_addr", &ch_addr[at - 1]),
                ("wr_en", &ch_valid[at]),
                ("wr_addr", &ch_addr[at]),
                ("wr_accumulate", &ch_acc[at]),
                ("psum", &psum_j),
                ("out_rd_en", &rd_issue),
                ("out_rd_addr", &rd_addr),
            ],
        )?;
        let out_j = u_bank.out("out_data")?;
        let u_rq = if cfg.requant {
            // Requantization parameters of column j; QPARAM waits for the read pipeline to drain.
            let set = &go_qparam & (&cmd_all_cols | cmd_col.cmp_eq(j as i64));
            let mult = m.reg(&format!("q_mult_c{j}"), SInt(32)).reset(0).enable(&set).d(&cmd_multiplier)?;
            let shift = m.reg(&format!("q_shift_c{j}"), UInt(6)).reset(0).enable(&set).d(&cmd_shift)?;
            let zp = m.reg(&format!("q_zp_c{j}"), SInt(8)).reset(0).enable(&set).d(&cmd_zero_point)?;
            m.instance(
                &format!("requant_c{j}"),
                &rq,
                &[
                    ("en", &move_),
                    ("acc", &out_j),
                    ("requant", &read_requant.q),
                    ("multiplier", &mult),
                    ("shift", &shift),
                    ("zero_point", &zp),
                ],
            )?
        } else {
            m.instance(&format!("lane_c{j}"), &rq, &[("en", &move_), ("acc", &out_j)])?
        };
        lanes.push(u_rq.out("y")?.as_unsigned());
    }
    lanes.reverse();
    let lane_refs: Vec<&Expr> = lanes.iter().collect();

    if !cfg.requant {
        let why = "no requantization hardware (systolic.requant = false): QPARAM and the READ flag are ignored";
        for e in [&cmd_col, &cmd_all_cols, &cmd_multiplier, &cmd_shift, &cmd_zero_point, &read_requant.q, &go_qparam] {
            m.allow_unused(e, why)?;
        }
    }

    // ---- Outputs ------------------------------------------------------------
    let chain_refs: Vec<&Expr> = ch_valid.iter().collect();
    let chain_busy = cat(&chain_refs).any();
    let idle = !(&load_active.q | &load_done | &comp_active.q | &chain_busy | &read_busy);
    m.output_doc("cmd_ready", &cmd_ready, "command accepted when cmd_valid & cmd_ready")?;
    m.output("s_axis_a_tready", &a_ready)?;
    m.output("s_axis_b_tready", &load_active.q)?;
    m.output("m_axis_c_tvalid", &v3.q)?;
    m.output_doc(
        "m_axis_c_tdata",
        cat(&lane_refs),
        "int32 lane n on bits 32n+31:32n (int8 sign-extended if requantized)",
    )?;
    m.output_doc("m_axis_c_tlast", &l3.q, "last row of a READ")?;
    m.output_doc("idle", idle, "no command in progress and nothing in flight")?;
    Ok(m)
}
