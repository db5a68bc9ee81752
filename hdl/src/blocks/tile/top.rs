//! The systolic matmul tile: C = A·B for int8 A and B with int32 results.
//!
//! The tile runs the commands of `golden::tile` (LOAD, COMPUTE, READ, QPARAM)
//! from a valid/ready command port, taking weight rows from `s_axis_b_*`,
//! activation rows from `s_axis_a_*` and sending result rows on `m_axis_c_*`.
//! Commands are dispatched in order, each to its engine, so a LOAD of the
//! next fold overlaps the COMPUTE of the current one and a READ streams rows
//! out while the next COMPUTE runs. See `docs/tile.md` for the timing.
//!
//! Data path, top to bottom, each a function that [`tile`] calls in this
//! order:
//! 1. dispatch (`dispatch.rs`): the command port → one `go_*` pulse per
//!    engine; the engines' state registers are declared there first,
//!    because dispatch reads every engine's state and each engine reads the
//!    dispatch;
//! 2. load engine (`engines.rs`, as are the rest): weight rows → shadow
//!    weights of array row 0, 1, ... (one per cycle, skewed one cycle per
//!    column like the swap flag);
//! 3. compute engine: the fold's swap flag as soon as the fold is loaded,
//!    activation rows → the array a cycle or more behind it (both from
//!    registers); a control word
//!    (valid, address, accumulate) travels beside each row, down
//!    `rows` stages and then east along the bottom;
//! 4. read engine: reads a row from every bank at once (aligned) when the
//!    COMPUTE has written it, stalling as a whole under back-pressure;
//! 5. accumulation: one accumulator bank per column, read-modify-write as
//!    each column's partial sum arrives, and its output lane (requantizer
//!    or bypass) that the read engine's rows pass through on their way out.
//!
//! Interlocks (all on counters, no scoreboard):
//! * a LOAD's rows stream in once the previous fold's swap has entered the
//!   array (the writes follow the swap wavefront), and a COMPUTE's fold
//!   swaps in once it is fully loaded;
//! * a READ issues row m once the COMPUTE before it has written row m in the
//!   last column; a COMPUTE issues row m only after a READ dispatched before
//!   it has read row m.

use golden::config::{ACC_DEPTH, ARRAY_DIM};
use golden::SystolicConfig;

use crate::blocks::common::lanes::bits_for;
use crate::blocks::common::params::check_range;
use crate::core::{cat, Bit, Expr, Module, Result, SInt, UInt};

use super::array::array;
use super::dispatch::{dispatch, engine_state, row_issue};
use super::engines::{accumulation, compute_engine, load_engine, read_engine};

/// Command opcodes on `cmd_op`.
pub const OP_LOAD: i64 = 0;
pub const OP_COMPUTE: i64 = 1;
pub const OP_READ: i64 = 2;
pub const OP_QPARAM: i64 = 3;

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
    bits_for(cfg.cols.saturating_sub(1) as u64)
}

/// The tile's input ports.
pub(super) struct Ports {
    pub cmd_valid: Expr,
    pub cmd_op: Expr,
    pub cmd_rows: Expr,
    pub cmd_accumulate: Expr,
    pub cmd_requant: Expr,
    pub cmd_col: Expr,
    pub cmd_all_cols: Expr,
    pub cmd_multiplier: Expr,
    pub cmd_shift: Expr,
    pub cmd_zero_point: Expr,
    pub a_valid: Expr,
    pub a_data: Expr,
    pub b_valid: Expr,
    pub b_data: Expr,
    pub c_ready: Expr,
}

pub fn tile(cfg: &SystolicConfig) -> Result<Module> {
    // golden's Config::validate checks the systolic section inline, so the
    // tile checks the same constants; it names itself rather than leaving the
    // error to the array or the banks it instantiates.
    check_range("serrano_tile", "systolic.rows", cfg.rows, ARRAY_DIM)?;
    check_range("serrano_tile", "systolic.cols", cfg.cols, ARRAY_DIM)?;
    check_range("serrano_tile", "systolic.acc_depth", cfg.acc_depth, ACC_DEPTH)?;
    let r = cfg.rows;
    let mut m = Module::new(&tile_name(cfg));
    m.doc(&format!("Systolic matmul tile: {r} x {} int8 weight-stationary array, double-buffered weights,", cfg.cols));
    let rq_doc = if cfg.requant { "per-column requantization" } else { "no requantization (int32 out)" };
    m.doc(&format!("{}-row int32 accumulator, {rq_doc}. Commands: see docs/tile.md.", cfg.acc_depth));

    let ports = ports(&mut m, cfg)?;
    let (load, comp, read) = engine_state(&mut m, cfg)?;
    let issue = row_issue(&mut m, &load, &comp, &ports)?;
    let go = dispatch(&mut m, &ports, &load, &comp, &read, &issue)?;
    let weights = load_engine(&mut m, cfg, &ports, &load, &issue, &go)?;
    let feed = compute_engine(&mut m, cfg, &ports, &comp, &issue, &go)?;

    // ---- Array -------------------------------------------------------------
    let arr = array(cfg)?;
    let u_array = m.instance(
        "u_array",
        &arr,
        &[
            ("a_in", &feed.a_enter),
            ("swap_in", &feed.swap_issue),
            ("w_data", &weights.w_data),
            ("w_load", &weights.w_load),
        ],
    )?;
    let psum = u_array.out("psum_out")?;

    let rd = read_engine(&mut m, cfg, &ports, &comp, &read, &issue, &go, &feed.chain)?;
    let lanes = accumulation(&mut m, cfg, &ports, &read, &go, &feed.chain, &psum, &rd)?;
    let lane_refs: Vec<&Expr> = lanes.iter().collect();

    // ---- Outputs ------------------------------------------------------------
    let chain_refs: Vec<&Expr> = feed.chain.valid.iter().collect();
    let chain_busy = cat(&chain_refs).any();
    let writing = load.drain.q.any();
    let idle = !(&load.active.q | &writing | &comp.active.q | &chain_busy | &read.busy);
    m.output_doc("cmd_ready", &go.cmd_ready, "command accepted when cmd_valid & cmd_ready")?;
    m.output("s_axis_a_tready", &issue.a_ready)?;
    m.output("s_axis_b_tready", &weights.b_ready)?;
    m.output("m_axis_c_tvalid", &read.v[2].q)?;
    m.output_doc(
        "m_axis_c_tdata",
        cat(&lane_refs),
        "int32 lane n on bits 32n+31:32n (int8 sign-extended if requantized)",
    )?;
    m.output_doc("m_axis_c_tlast", &read.l[2].q, "last row of a READ")?;
    m.output_doc("idle", idle, "no command in progress and nothing in flight")?;
    Ok(m)
}

fn ports(m: &mut Module, cfg: &SystolicConfig) -> Result<Ports> {
    let (r, c) = (cfg.rows, cfg.cols);
    Ok(Ports {
        cmd_valid: m.input_doc("cmd_valid", Bit, "command handshake")?,
        cmd_op: m.input_doc("cmd_op", UInt(2), "0 LOAD, 1 COMPUTE, 2 READ, 3 QPARAM")?,
        cmd_rows: m.input_doc("cmd_rows", UInt(rows_bits(cfg)), "COMPUTE/READ: rows, 1..=acc_depth")?,
        cmd_accumulate: m.input_doc("cmd_accumulate", Bit, "COMPUTE: add to the accumulator (else overwrite)")?,
        cmd_requant: m.input_doc("cmd_requant", Bit, "READ: requantize to int8")?,
        cmd_col: m.input_doc("cmd_col", UInt(col_bits(cfg)), "QPARAM: column")?,
        cmd_all_cols: m.input_doc("cmd_all_cols", Bit, "QPARAM: every column (per-tensor)")?,
        cmd_multiplier: m.input_doc("cmd_multiplier", SInt(32), "QPARAM: multiplier")?,
        cmd_shift: m.input_doc("cmd_shift", UInt(6), "QPARAM: shift, 0..=62")?,
        cmd_zero_point: m.input_doc("cmd_zero_point", SInt(8), "QPARAM: zero point")?,
        a_valid: m.input_doc("s_axis_a_tvalid", Bit, "activation row stream")?,
        a_data: m.input_doc("s_axis_a_tdata", UInt(8 * r), "int8 element k on bits 8k+7:8k")?,
        b_valid: m.input_doc("s_axis_b_tvalid", Bit, "weight row stream")?,
        b_data: m.input_doc("s_axis_b_tdata", UInt(8 * c), "int8 element n on bits 8n+7:8n")?,
        c_ready: m.input_doc("m_axis_c_tready", Bit, "result row stream")?,
    })
}
