//! The tile's engines, in data path order: the load engine (weights into
//! the array's shadow registers), the compute engine (activation rows into
//! the array, the control chain beside them), the read engine (result rows
//! out, and the interlocks that depend on it) and the accumulation (one
//! accumulator bank and output lane per column). Each takes its state from
//! [`super::dispatch`] and gives it its next value.

use golden::SystolicConfig;

use crate::blocks::common::lanes::bits_for;
use crate::core::{cat, mux, Bit, Expr, Module, Result, SInt, UInt};

use super::acc_bank::{acc_bank, addr_bits};
use super::array::PSUM_EXTRA;
use super::dispatch::{seq_bits, ComputeState, Dispatch, LoadState, ReadState, RowIssue};
use super::output::read_in_time;
use super::requant::{bypass, requant};
use super::top::{rows_bits, Ports};

/// Cycles an accepted activation row waits before it enters the array.
const ISSUE: u32 = 1;

/// Stages of the control chain: the last column's bottom is the last.
pub(super) fn chain_stages(cfg: &SystolicConfig) -> u32 {
    ISSUE + cfg.rows + cfg.cols + PSUM_EXTRA
}

/// What the load engine writes into the array's shadow weights.
pub(super) struct Weights {
    pub w_data: Expr,
    pub w_load: Expr,
    /// `s_axis_b_tready`.
    pub b_ready: Expr,
}

/// The control chain: stage k holds the control word of the row accepted
/// k + 1 cycles ago.
pub(super) struct ControlChain {
    pub valid: Vec<Expr>,
    pub addr: Vec<Expr>,
    pub acc: Vec<Expr>,
}

/// What the compute engine feeds the array, and the control beside it.
pub(super) struct ArrayFeed {
    pub a_enter: Expr,
    pub swap_issue: Expr,
    pub chain: ControlChain,
}

/// The read engine's bank read.
pub(super) struct ReadIssue {
    pub rd_issue: Expr,
}

/// Rows of the output FIFO: the rows a READ may have read ahead of a
/// COMPUTE that overwrites them (R + 4, see `read_in_time`) plus the three
/// of the read pipeline, and one spare.
pub(super) fn out_fifo_depth(cfg: &SystolicConfig) -> u32 {
    cfg.rows + 8
}

/// The control-chain stage whose count tells that a row was accepted at
/// least C + 1 cycles before the row issued next cycle (see `read_in_time`).
fn early_tap(cfg: &SystolicConfig) -> u32 {
    cfg.cols.saturating_sub(2)
}

/// In: a LOAD, the weight stream and the swap. Out: one weight row a cycle
/// for the array's shadow registers (`w_data`, one-hot `w_load`), which the
/// array skews one cycle per column, and the weight stream's ready.
pub(super) fn load_engine(
    m: &mut Module,
    cfg: &SystolicConfig,
    ports: &Ports,
    load: &LoadState,
    issue: &RowIssue,
    go: &Dispatch,
) -> Result<Weights> {
    let (r, c) = (cfg.rows, cfg.cols);
    let lrw = bits_for((r - 1) as u64);
    let (load_active, load_row, shadow_full) = (&load.active, &load.row, &load.shadow_full);
    // A row may be written once the fold in the shadow weights has swapped:
    // the row written at the edge of the swap's entry or later reaches every
    // PE of its array row at or after the swap (the write and the swap travel
    // the same skew), and a PE's swap copies the shadow before the edge.
    // A LOAD accepted while the engine is free streams from its own cycle
    // (after one with the same period ends, the next LOAD command comes a
    // cycle after that one's last row: without this the stream would pause).
    let start = &go.go_load & !&load_active.q;
    let current = &load_active.q | &start;
    let b_ready = m.node("b_ready", &current & (!&shadow_full.q | &issue.swap_go))?;
    let b_fire = m.node("b_fire", &b_ready & &ports.b_valid)?;
    let last_b = m.node("last_b", &b_fire & load_row.cmp_eq(r as i64 - 1))?;
    let one = Expr::lit(1, Bit);
    let waiting = &load.queued.q | (&go.go_load & &load_active.q);
    m.set_next(load_active, (&current & !&last_b) | (&last_b & &waiting))?;
    m.set_next(&load.queued, &waiting & !&last_b)?;
    let next_row = mux(&last_b, &Expr::lit(0, UInt(lrw)), &(&load_row.q + 1));
    m.set_next(load_row, mux(&b_fire, &next_row, &load_row.q))?;
    // The fold is complete once its last row is accepted: it is written a
    // cycle later, at least a cycle before its swap reaches the last row.
    m.set_next(shadow_full, mux(&last_b, &one, &(&shadow_full.q & !&issue.swap_go)))?;
    // A row accepted now is written in column j at the end of cycle + 1 + j.
    let dw = bits_for(c as u64);
    let drain_dec = mux(&load.drain.cmp_eq(0), &load.drain.q, &(&load.drain.q - 1));
    m.set_next(&load.drain, mux(&b_fire, &Expr::lit(c as i128, UInt(dw)), &drain_dec))?;
    // The weight row is written one cycle after its handshake.
    let w_data =
        m.reg("w_data", UInt(8 * c)).no_reset().enable(&b_fire).doc("weight row being written").d(&ports.b_data)?;
    let onehot: Vec<Expr> = (0..r).rev().map(|i| &b_fire & load_row.cmp_eq(i as i64)).collect();
    let onehot_refs: Vec<&Expr> = onehot.iter().collect();
    let w_load = m.reg("w_load", UInt(r)).reset(0).doc("one-hot array row being written").d(cat(&onehot_refs))?;
    Ok(Weights { w_data, w_load, b_ready })
}

/// In: a COMPUTE and the activation stream. Out: the activation row and the
/// swap flag entering the array, and the control chain beside them.
#[allow(clippy::too_many_arguments)]
pub(super) fn compute_engine(
    m: &mut Module,
    cfg: &SystolicConfig,
    ports: &Ports,
    comp: &ComputeState,
    issue: &RowIssue,
    go: &Dispatch,
) -> Result<ArrayFeed> {
    let r = cfg.rows;
    let (aw, rw) = (addr_bits(cfg.acc_depth), rows_bits(cfg));
    let (go_compute, a_fire) = (&go.go_compute, &issue.a_fire);
    m.set_next(&comp.active, mux(go_compute, &Expr::lit(1, Bit), &(&comp.active.q & !&issue.last_a)))?;
    m.set_next(&comp.rows, mux(go_compute, &ports.cmd_rows, &comp.rows.q))?;
    let comp_two_left = (comp.m.zext(rw + 1) + 2).cmp_eq(comp.rows.zext(rw + 1));
    m.set_next(&comp.last, mux(go_compute, &ports.cmd_rows.cmp_eq(1), &mux(a_fire, &comp_two_left, &comp.last.q)))?;
    let zero_rows = Expr::lit(0, UInt(rw));
    m.set_next(&comp.m, mux(go_compute, &zero_rows, &mux(a_fire, &(&comp.m.q + 1), &comp.m.q)))?;
    m.set_next(&comp.acc, mux(go_compute, &ports.cmd_accumulate, &comp.acc.q))?;
    m.set_next(&comp.first, mux(go_compute, &Expr::lit(1, Bit), &(&comp.first.q & !&issue.swap_go)))?;
    // Row sequence numbers, which tell a READ which rows are its COMPUTE's.
    let issued_next = &comp.issued.q + a_fire.zext(seq_bits(cfg));
    m.set_next(&comp.issued, &issued_next)?;
    m.set_next(&comp.base, mux(go_compute, &issued_next, &comp.base.q))?;

    // Issue registers: an accepted row waits one cycle in a_issue and enters
    // the array from a_enter; the fold's swap flag enters from swap_issue, at
    // least one cycle ahead of its first row (each PE copies its shadow
    // weight before the row reaches it) and no earlier than the previous
    // fold's last row (whose product still takes the old weight). Both come from registers, so nothing
    // combinational from the stream handshake reaches the PEs: on iCE40 that
    // path limited the clock. Bubbles carry zeros.
    let a_issue = m.reg("a_issue", UInt(8 * r)).reset(0).doc("accepted activation row").d(mux(
        a_fire,
        &ports.a_data,
        &Expr::lit(0, UInt(8 * r)),
    ))?;
    let a_enter = m.reg("a_enter", UInt(8 * r)).reset(0).doc("activation row entering the array").d(&a_issue)?;
    let swap_issue = m.reg("swap_issue", Bit).reset(0).doc("swap flag entering the array").d(&issue.swap_go)?;

    // Control chain: stage k holds the control word of the row accepted k + 1
    // cycles ago. Column j's bottom is at stage ISSUE + rows + j + PSUM_EXTRA.
    let stages = chain_stages(cfg) as usize;
    let mut chain = ControlChain {
        valid: Vec::with_capacity(stages),
        addr: Vec::with_capacity(stages),
        acc: Vec::with_capacity(stages),
    };
    let (mut v, mut ad, mut ac) = (a_fire.clone(), comp.m.trunc(aw), comp.acc.q.clone());
    for k in 0..stages {
        v = m.reg(&format!("ctl{k}_valid"), Bit).reset(0).d(&v)?;
        ad = m.reg(&format!("ctl{k}_addr"), UInt(aw)).no_reset().d(&ad)?;
        ac = m.reg(&format!("ctl{k}_acc"), Bit).reset(0).d(&ac)?;
        chain.valid.push(v.clone());
        chain.addr.push(ad.clone());
        chain.acc.push(ac.clone());
    }
    Ok(ArrayFeed { a_enter, swap_issue, chain })
}

/// In: a READ, the rows the COMPUTEs have written, and `m_axis_c_tready`.
/// Out: a bank read per row once written (`rd_issue`), and the read
/// pipeline's enable (`move`). Also keeps the written-row counters and
/// `row_free`, the compute engine's interlock.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_engine(
    m: &mut Module,
    cfg: &SystolicConfig,
    ports: &Ports,
    comp: &ComputeState,
    read: &ReadState,
    issue: &RowIssue,
    go: &Dispatch,
    chain: &ControlChain,
) -> Result<ReadIssue> {
    let rw = rows_bits(cfg);
    let (go_read, go_compute) = (&go.go_read, &go.go_compute);
    let sw = seq_bits(cfg);
    let (read_active, read_m, read_last) = (&read.active, &read.m, &read.last);
    let [v1, v2, v3] = &read.v;
    let [l1, l2, l3] = &read.l;
    let cmd_rows = &ports.cmd_rows;
    let zero_rows = Expr::lit(0, UInt(rw));

    // A bank read issues whenever the output FIFO has room for every row in
    // flight, whatever the C stream's back-pressure (see output_buffer).
    let ow = bits_for(out_fifo_depth(cfg) as u64);
    let room = read.outstanding.q.cmp_lt(Expr::lit(out_fifo_depth(cfg) as i128, UInt(ow)));
    // Row m is written once rel > m (rel counts the READ's COMPUTE's rows).
    let written_m = read.rel.as_signed().cmp_gt(read_m.zext(sw).as_signed());
    let rd_issue = m.node("rd_issue", &read_active.q & &written_m & &room)?;
    let last_rd = m.node("last_rd", &rd_issue & &read_last.q)?;
    // After this row, the next is the last when two rows were left.
    let rd_two_left = (read_m.zext(rw + 1) + 2).cmp_eq(read.rows.zext(rw + 1));
    m.set_next(read_last, mux(go_read, &cmd_rows.cmp_eq(1), &mux(&rd_issue, &rd_two_left, &read_last.q)))?;
    m.set_next(read_active, mux(go_read, &Expr::lit(1, Bit), &(&read_active.q & !&last_rd)))?;
    m.set_next(&read.rows, mux(go_read, cmd_rows, &read.rows.q))?;
    m.set_next(&read.src_rows, mux(go_read, &comp.rows.q, &read.src_rows.q))?;
    m.set_next(read_m, mux(go_read, &zero_rows, &mux(&rd_issue, &(&read_m.q + 1), &read_m.q)))?;
    m.set_next(&read.requant, mux(go_read, &ports.cmd_requant, &read.requant.q))?;
    // comp_base already names the latest COMPUTE dispatched before this READ:
    // its rows are the ones counted from rows_written - comp_base on (older
    // COMPUTEs' rows still in flight make that negative at first). No
    // COMPUTE need wait for a READ's count, however many are in flight.
    // The early count does the same at an earlier chain stage.
    let wrote = &chain.valid[chain.valid.len() - 1];
    let passed = &chain.valid[early_tap(cfg) as usize];
    let mut rels = Vec::new();
    for (count, rel_reg, inc) in [(&read.written, &read.rel, wrote), (&read.early, &read.rel_early, passed)] {
        m.set_next(count, &count.q + inc.zext(sw))?;
        let rel = mux(go_read, &(&count.q - &comp.base.q), &rel_reg.q);
        // Saturating at acc_depth, which every row of a READ is below: later
        // COMPUTEs may write many rows while a READ waits on back-pressure.
        let full = rel.as_signed().cmp_ge(cfg.acc_depth as i64);
        m.set_next(rel_reg, mux(&(inc & !&full), &(&rel + 1), &rel))?;
        rels.push(rel_reg.q.clone());
    }
    m.set_next(&read.older, mux(go_read, &Expr::lit(0, Bit), &(&read.older.q | go_compute)))?;

    // row_free for the next cycle: no older READ pending then, or it is sure
    // to have read the row comp_m will name. A READ is never dispatched while
    // one is active, and one dispatched now reads the latest COMPUTE's rows,
    // so while an older READ stays pending read_m only grows; comp_m grows by
    // at most one, or restarts at 0 with a new COMPUTE.
    let read_active_next = mux(go_read, &Expr::lit(1, Bit), &(&read_active.q & !&last_rd));
    let older_next = !go_read & (&read.older.q | go_compute);
    let pending_next = &read_active_next & &older_next;
    let ahead = mux(go_compute, &read_m.cmp_gt(0), &read_m.zext(rw + 1).cmp_gt(&(comp.m.zext(rw + 1) + 1)));
    let soon = read_in_time(m, cfg, comp, read, go_compute, &rels[1])?;
    m.set_next(&issue.row_free, !&pending_next | &ahead | &soon)?;
    m.set_next(v1, &rd_issue)?;
    m.set_next(l1, &last_rd)?;
    m.set_next(v2, &v1.q)?;
    m.set_next(l2, &l1.q)?;
    m.set_next(v3, &v2.q)?;
    m.set_next(l3, &l2.q)?;

    Ok(ReadIssue { rd_issue })
}

/// In: each column's partial sums from the array with their control words,
/// and the read engine's bank reads. Out: the result row's lanes, lane
/// `cols − 1` first (for `cat`), each requantized (or passed through); the
/// read pipeline always moves (the output FIFO absorbs back-pressure). QPARAM sets the requantizers' parameters.
#[allow(clippy::too_many_arguments)]
pub(super) fn accumulation(
    m: &mut Module,
    cfg: &SystolicConfig,
    ports: &Ports,
    read: &ReadState,
    go: &Dispatch,
    chain: &ControlChain,
    psum: &Expr,
    rd: &ReadIssue,
) -> Result<Vec<Expr>> {
    let (r, c) = (cfg.rows, cfg.cols);
    let move_ = &Expr::lit(1, Bit);
    let bank = acc_bank(cfg)?;
    let rq = if cfg.requant { requant()? } else { bypass()? };
    let rd_addr = read.m.trunc(addr_bits(cfg.acc_depth));
    let mut lanes: Vec<Expr> = Vec::new();
    for j in 0..c {
        let at = (ISSUE + r + j + PSUM_EXTRA) as usize;
        let psum_j = psum.slice(32 * j + 31, 32 * j).as_signed();
        let acc_rd_en = &chain.valid[at - 1] & &chain.acc[at - 1];
        let u_bank = m.instance(
            &format!("bank_c{j}"),
            &bank,
            &[
                ("acc_rd_en", &acc_rd_en),
                ("acc_rd_addr", &chain.addr[at - 1]),
                ("wr_en", &chain.valid[at]),
                ("wr_addr", &chain.addr[at]),
                ("wr_accumulate", &chain.acc[at]),
                ("psum", &psum_j),
                ("out_rd_en", &rd.rd_issue),
                ("out_rd_addr", &rd_addr),
            ],
        )?;
        let out_j = u_bank.out("out_data")?;
        let u_rq = if cfg.requant {
            // Requantization parameters of column j; QPARAM waits for the read pipeline to drain.
            let set = &go.go_qparam & (&ports.cmd_all_cols | ports.cmd_col.cmp_eq(j as i64));
            let mult = m.reg(&format!("q_mult_c{j}"), SInt(32)).reset(0).enable(&set).d(&ports.cmd_multiplier)?;
            let shift = m.reg(&format!("q_shift_c{j}"), UInt(6)).reset(0).enable(&set).d(&ports.cmd_shift)?;
            let zp = m.reg(&format!("q_zp_c{j}"), SInt(8)).reset(0).enable(&set).d(&ports.cmd_zero_point)?;
            m.instance(
                &format!("requant_c{j}"),
                &rq,
                &[
                    ("en", move_),
                    ("acc", &out_j),
                    ("requant", &read.requant.q),
                    ("multiplier", &mult),
                    ("shift", &shift),
                    ("zero_point", &zp),
                ],
            )?
        } else {
            m.instance(&format!("lane_c{j}"), &rq, &[("en", move_), ("acc", &out_j)])?
        };
        lanes.push(u_rq.out("y")?.as_unsigned());
    }
    lanes.reverse();

    if !cfg.requant {
        let why = "no requantization hardware (systolic.requant = false): QPARAM and the READ flag are ignored";
        let p = ports;
        for e in [
            &p.cmd_col,
            &p.cmd_all_cols,
            &p.cmd_multiplier,
            &p.cmd_shift,
            &p.cmd_zero_point,
            &read.requant.q,
            &go.go_qparam,
        ] {
            m.allow_unused(e, why)?;
        }
    }
    Ok(lanes)
}
