//! The tile's control: every engine's state registers, the compute engine's
//! row issue and the command dispatch. The state is declared before any
//! engine's logic because dispatch reads every engine's state and each
//! engine reads the dispatch; the engines ([`super::engines`]) give the
//! registers their next values.

use golden::SystolicConfig;

use crate::blocks::common::lanes::bits_for;
use crate::core::{Bit, Expr, Module, Reg, Result, UInt};

use super::engines::{chain_stages, out_fifo_depth};
use super::top::{rows_bits, Ports, OP_COMPUTE, OP_LOAD, OP_QPARAM, OP_READ};

/// The load engine's state.
pub(super) struct LoadState {
    pub active: Reg,
    /// A LOAD accepted while another streams: it starts on that one's last row.
    pub queued: Reg,
    pub row: Reg,
    pub shadow_full: Reg,
    /// Cycles until the last weight row accepted has been written in every column.
    pub drain: Reg,
}

/// The compute engine's state.
pub(super) struct ComputeState {
    pub active: Reg,
    pub rows: Reg,
    pub m: Reg,
    pub last: Reg,
    pub acc: Reg,
    /// The COMPUTE's fold is not swapped in yet.
    pub first: Reg,
    /// Activation rows issued since reset (modulo 2^seq_bits).
    pub issued: Reg,
    /// `issued` when this COMPUTE issues its row 0.
    pub base: Reg,
}

/// The read engine's state, with its output pipeline's valid and last bits
/// (stage 1 the bank read, 2 the product, 3 the output).
pub(super) struct ReadState {
    pub active: Reg,
    pub rows: Reg,
    pub m: Reg,
    pub last: Reg,
    pub requant: Reg,
    /// Rows written in the last column since reset (modulo 2^seq_bits).
    pub written: Reg,
    /// Rows of the COMPUTE this READ follows written in the last column,
    /// negative while older COMPUTEs' rows are still in flight, saturating at
    /// acc_depth.
    pub rel: Reg,
    /// A COMPUTE was dispatched after this READ: its rows wait for the READ's.
    pub older: Reg,
    /// Rows past control-chain stage `early_tap` since reset, and the
    /// READ's COMPUTE's rows among them (as `written` and `rel`).
    pub early: Reg,
    pub rel_early: Reg,
    /// Rows of the COMPUTE this READ follows.
    pub src_rows: Reg,
    /// Rows issued by READs and not yet sent on the C stream (read pipeline
    /// and output FIFO): a bank read issues only while it is below the FIFO's depth.
    pub outstanding: Reg,
    pub v: [Reg; 3],
    pub l: [Reg; 3],
    /// A READ is active or its rows are in the pipeline.
    pub busy: Expr,
}

/// The compute engine's row issue, which dispatch needs.
pub(super) struct RowIssue {
    /// The loaded fold becomes active: its swap flag enters the array next cycle.
    pub swap_go: Expr,
    pub row_free: Reg,
    pub a_ready: Expr,
    pub a_fire: Expr,
    pub last_a: Expr,
}

/// One pulse per engine: a command of that kind is accepted.
pub(super) struct Dispatch {
    pub cmd_ready: Expr,
    pub go_load: Expr,
    pub go_compute: Expr,
    pub go_read: Expr,
    pub go_qparam: Expr,
}

/// Width of the row sequence numbers (`rows_issued`, `rows_written`): wide
/// enough for the rows in flight in the control chain plus an accumulator's
/// worth, and a sign.
pub(super) fn seq_bits(cfg: &SystolicConfig) -> u32 {
    bits_for((cfg.acc_depth + chain_stages(cfg)) as u64) + 1
}

/// Every engine's state registers. In: nothing. Out: the registers, whose
/// next values the engines give.
pub(super) fn engine_state(m: &mut Module, cfg: &SystolicConfig) -> Result<(LoadState, ComputeState, ReadState)> {
    let rw = rows_bits(cfg);
    let sw = seq_bits(cfg);
    let lrw = bits_for((cfg.rows - 1) as u64);
    let load = LoadState {
        active: m.reg("load_active", Bit).reset(0).doc("LOAD in progress").build()?,
        queued: m.reg("load_queued", Bit).reset(0).doc("the next LOAD starts on this one's last row").build()?,
        row: m.reg("load_row", UInt(lrw)).reset(0).doc("next weight row to load").build()?,
        shadow_full: m.reg("shadow_full", Bit).reset(0).doc("a loaded fold waits for its swap").build()?,
        drain: m
            .reg("load_drain", UInt(bits_for(cfg.cols as u64)))
            .reset(0)
            .doc("cycles until the last weight row written reaches the last column")
            .build()?,
    };

    let comp = ComputeState {
        active: m.reg("comp_active", Bit).reset(0).doc("COMPUTE in progress").build()?,
        rows: m.reg("comp_rows", UInt(rw)).reset(0).build()?,
        m: m.reg("comp_m", UInt(rw)).reset(0).doc("next activation row").build()?,
        // Registered "comp_m is the last row" (and read_m's likewise):
        // comparing the counter with rows - 1 in the cycle would sit on the
        // dispatch path, the tile's longest (on iCE40 it limited the clock to
        // about 85 MHz).
        last: m.reg("comp_last", Bit).reset(0).doc("comp_m is the COMPUTE's last row").build()?,
        acc: m.reg("comp_acc", Bit).reset(0).build()?,
        first: m.reg("comp_first", Bit).reset(0).doc("the COMPUTE's fold is not swapped in yet").build()?,
        issued: m.reg("rows_issued", UInt(sw)).reset(0).doc("activation rows issued since reset").build()?,
        // After reset a READ finds every row written: rel = 0 - base = acc_depth.
        base: m
            .reg("comp_base", UInt(sw))
            .reset((1i128 << sw) - cfg.acc_depth as i128)
            .doc("rows_issued at this COMPUTE's row 0")
            .build()?,
    };

    let active = m.reg("read_active", Bit).reset(0).doc("READ with rows left to issue").build()?;
    let rows = m.reg("read_rows", UInt(rw)).reset(0).build()?;
    let read_m = m.reg("read_m", UInt(rw)).reset(0).doc("next row to read out").build()?;
    let last = m.reg("read_last", Bit).reset(0).doc("read_m is the READ's last row").build()?;
    let requant = m.reg("read_requant", Bit).reset(0).build()?;
    let written =
        m.reg("rows_written", UInt(sw)).reset(0).doc("rows written in the last column since reset").build()?;
    // After reset every row counts as written, so a READ never waits forever.
    let rel = m
        .reg("read_written", UInt(sw))
        .reset(cfg.acc_depth as i128)
        .doc("rows of the READ's COMPUTE written (signed)")
        .build()?;
    let older = m.reg("read_older", Bit).reset(0).doc("a COMPUTE was dispatched after this READ").build()?;

    let early = m.reg("rows_early", UInt(sw)).reset(0).doc("rows past the early chain tap since reset").build()?;
    let rel_early = m
        .reg("read_early", UInt(sw))
        .reset(cfg.acc_depth as i128)
        .doc("rows of the READ's COMPUTE past the early chain tap (signed)")
        .build()?;
    let src_rows = m.reg("read_src_rows", UInt(rw)).reset(0).doc("rows of the READ's COMPUTE").build()?;
    let outstanding = m
        .reg("read_outstanding", UInt(bits_for(out_fifo_depth(cfg) as u64)))
        .reset(0)
        .doc("rows read and not yet sent")
        .build()?;

    // Read pipeline valid/last bits: stage 1 (bank read), 2 (product), 3 (output).
    let v1 = m.reg("rd_v1", Bit).reset(0).build()?;
    let l1 = m.reg("rd_l1", Bit).reset(0).build()?;
    let v2 = m.reg("rd_v2", Bit).reset(0).build()?;
    let l2 = m.reg("rd_l2", Bit).reset(0).build()?;
    let v3 = m.reg("rd_v3", Bit).reset(0).doc("m_axis_c_tvalid").build()?;
    let l3 = m.reg("rd_l3", Bit).reset(0).doc("m_axis_c_tlast").build()?;
    let busy = m.node("read_busy", &active.q | &v1.q | &v2.q | &v3.q)?;
    let read = ReadState {
        active,
        rows,
        m: read_m,
        last,
        requant,
        written,
        rel,
        older,
        early,
        rel_early,
        src_rows,
        outstanding,
        v: [v1, v2, v3],
        l: [l1, l2, l3],
        busy,
    };
    Ok((load, comp, read))
}

/// The compute engine's row issue (needed by dispatch). In: the activation
/// stream's valid. Out: the fold's swap (`swap_go`), the row is taken
/// (`a_fire`), and it is the COMPUTE's last (`last_a`).
pub(super) fn row_issue(m: &mut Module, load: &LoadState, comp: &ComputeState, ports: &Ports) -> Result<RowIssue> {
    // The swap no longer waits for the fold's first activation row: as soon
    // as the fold is loaded and its COMPUTE dispatched (the previous
    // COMPUTE's rows have all been issued), its swap flag enters the array,
    // so that the next LOAD may start streaming (the shadow weights are
    // rewritten behind the swap wavefront). From registers only: the weight
    // stream's ready depends on it.
    let swap_go = m.node("swap_go", &comp.active.q & &comp.first.q & &load.shadow_full.q)?;
    // A READ dispatched before this COMPUTE (read_older) must have read row m first.
    // Registered, and so one row more cautious than `read_m > comp_m` (see
    // read_engine, where it is computed): the comparison in the cycle was
    // the tile's critical path (read_m's compare carry chain into a_ready,
    // the dispatch and the counters' enables).
    let row_free = m.reg("row_free", Bit).reset(1).doc("comp_m's row may be overwritten").build()?;
    // The fold's first row may go in its swap's cycle (the flag enters the
    // array a cycle ahead of the row) or any later one.
    let swapped = !&comp.first.q | &load.shadow_full.q;
    // A one-row COMPUTE's row 0 and an accumulating COMPUTE's row 0 right
    // behind it would meet in the same accumulator word on consecutive
    // cycles: the second's bank read would miss the first's write. Such a
    // row waits a cycle (only one-row folds can be that close).
    let one_row = m.reg("one_row_issued", Bit).reset(0).doc("a one-row COMPUTE issued its row last cycle").build()?;
    let raw = &one_row.q & &comp.acc.q;
    let a_ready = m.node("a_ready", &comp.active.q & &row_free.q & &swapped & !&raw)?;
    let a_fire = m.node("a_fire", &a_ready & &ports.a_valid)?;
    let last_a = m.node("last_a", &a_fire & &comp.last.q)?;
    m.set_next(&one_row, &last_a & comp.m.cmp_eq(0))?;
    Ok(RowIssue { swap_go, row_free, a_ready, a_fire, last_a })
}

/// In: the command port and every engine's state. Out: `cmd_ready` and one
/// pulse per engine when its command is accepted.
pub(super) fn dispatch(
    m: &mut Module,
    ports: &Ports,
    load: &LoadState,
    comp: &ComputeState,
    read: &ReadState,
    issue: &RowIssue,
) -> Result<Dispatch> {
    let cmd_op = &ports.cmd_op;
    let is_load = cmd_op.cmp_eq(OP_LOAD);
    let is_compute = cmd_op.cmp_eq(OP_COMPUTE);
    let is_read = cmd_op.cmp_eq(OP_READ);
    let is_qparam = cmd_op.cmp_eq(OP_QPARAM);
    // A LOAD waits in the load engine's one-deep queue for the one before it
    // (so the weight stream need not pause between folds); its rows then
    // wait for the swap of the fold before it (see load_engine).
    let can_load = !&load.queued.q;
    // A COMPUTE may start in the cycle the previous one issues its last row: no bubble.
    // It need not wait for its fold: the engine holds its rows until the swap.
    let can_compute = !&comp.active.q | &issue.last_a;
    let can_read = !&read.busy;
    let cmd_ready = m.node(
        "cmd_ready_w",
        (&is_load & &can_load) | (&is_compute & &can_compute) | ((&is_read | &is_qparam) & &can_read),
    )?;
    let fire = m.node("cmd_fire", &ports.cmd_valid & &cmd_ready)?;
    // go_load straight from its own interlock, not through cmd_ready: it
    // reaches the weight stream's ready (a LOAD streams from its own cycle),
    // and on iCE40 the path through the READ's interlock and cmd_ready
    // limited the clock.
    let go_load = m.node("go_load", &ports.cmd_valid & &is_load & &can_load)?;
    Ok(Dispatch {
        cmd_ready,
        go_load,
        go_compute: m.node("go_compute", &fire & &is_compute)?,
        go_read: m.node("go_read", &fire & &is_read)?,
        go_qparam: m.node("go_qparam", &fire & &is_qparam)?,
    })
}
