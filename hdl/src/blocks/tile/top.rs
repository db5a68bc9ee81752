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
use crate::core::{cat, Bundle, BundleSig, Expr, Module, Result, Role, SInt};

use super::array::array;
use super::dispatch::{dispatch, engine_state, row_issue};
use super::engines::{accumulation, compute_engine, load_engine, read_engine};
use super::output::output_buffer;

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

    let (ports, bus) = ports(&mut m, cfg)?;
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
    let c_out = output_buffer(&mut m, cfg, &ports, &read, &rd, &cat(&lane_refs))?;

    // ---- Outputs ------------------------------------------------------------
    let chain_refs: Vec<&Expr> = feed.chain.valid.iter().collect();
    let chain_busy = cat(&chain_refs).any();
    let writing = load.drain.q.any();
    let sending = read.outstanding.q.any();
    let idle = !(&load.active.q | &writing | &comp.active.q | &chain_busy | &read.busy | &sending);
    bus.cmd.drive(&mut m, "ready", &go.cmd_ready)?;
    bus.a.drive(&mut m, "tready", &issue.a_ready)?;
    bus.b.drive(&mut m, "tready", &weights.b_ready)?;
    bus.c.drive(&mut m, "tvalid", &c_out.valid)?;
    bus.c.drive(&mut m, "tdata", &c_out.data)?;
    bus.c.drive(&mut m, "tlast", &c_out.last)?;
    m.output_doc("idle", idle, "no command in progress and nothing in flight")?;
    Ok(m)
}

/// The command port: valid/ready carrying one command of `golden::tile`.
pub fn cmd_bundle(cfg: &SystolicConfig) -> Bundle {
    let payload = [
        ("op", 2),
        ("rows", rows_bits(cfg)),
        ("accumulate", 1),
        ("requant", 1),
        ("col", col_bits(cfg)),
        ("all_cols", 1),
        ("multiplier", 32),
        ("shift", 6),
        ("zero_point", 8),
    ];
    Bundle::valid_ready(&payload)
        .ordered(&["valid"])
        .typed("multiplier", SInt(32))
        .typed("zero_point", SInt(8))
        .doc("op", "0 LOAD, 1 COMPUTE, 2 READ, 3 QPARAM")
        .doc("rows", "COMPUTE/READ: rows, 1..=acc_depth")
        .doc("accumulate", "COMPUTE: add to the accumulator (else overwrite)")
        .doc("requant", "READ: requantize to int8")
        .doc("col", "QPARAM: column")
        .doc("all_cols", "QPARAM: every column (per-tensor)")
        .doc("multiplier", "QPARAM: multiplier")
        .doc("shift", "QPARAM: shift, 0..=62")
        .doc("zero_point", "QPARAM: zero point")
        .doc("valid", "command handshake")
        .doc("ready", "command accepted when cmd_valid & cmd_ready")
}

/// `s_axis_a`: activation rows, one int8 element per array row.
pub fn a_bundle(cfg: &SystolicConfig) -> Bundle {
    Bundle::axis(8 * cfg.rows, false, false, 0)
        .ordered(&["tvalid"])
        .doc("tdata", "int8 element k on bits 8k+7:8k")
        .doc("tvalid", "activation row stream")
}

/// `s_axis_b`: weight rows, one int8 element per array column.
pub fn b_bundle(cfg: &SystolicConfig) -> Bundle {
    Bundle::axis(8 * cfg.cols, false, false, 0)
        .ordered(&["tvalid"])
        .doc("tdata", "int8 element n on bits 8n+7:8n")
        .doc("tvalid", "weight row stream")
}

/// `m_axis_c`: result rows, one int32 lane per column, `tlast` on a READ's last row.
pub fn c_bundle(cfg: &SystolicConfig) -> Bundle {
    Bundle::axis(32 * cfg.cols, false, true, 0)
        .doc("tdata", "int32 lane n on bits 32n+31:32n (int8 sign-extended if requantized)")
        .doc("tlast", "last row of a READ")
        .doc("tready", "result row stream")
}

/// The tile's buses, whose outputs [`tile`] drives.
struct Buses {
    cmd: BundleSig,
    a: BundleSig,
    b: BundleSig,
    c: BundleSig,
}

fn ports(m: &mut Module, cfg: &SystolicConfig) -> Result<(Ports, Buses)> {
    let cmd = m.bundle_ports("cmd", &cmd_bundle(cfg), Role::Slave)?;
    let a = m.bundle_ports("s_axis_a", &a_bundle(cfg), Role::Slave)?;
    let b = m.bundle_ports("s_axis_b", &b_bundle(cfg), Role::Slave)?;
    let c = m.bundle_ports("m_axis_c", &c_bundle(cfg), Role::Master)?;
    let ports = Ports {
        cmd_valid: cmd.get("valid")?,
        cmd_op: cmd.get("op")?,
        cmd_rows: cmd.get("rows")?,
        cmd_accumulate: cmd.get("accumulate")?,
        cmd_requant: cmd.get("requant")?,
        cmd_col: cmd.get("col")?,
        cmd_all_cols: cmd.get("all_cols")?,
        cmd_multiplier: cmd.get("multiplier")?,
        cmd_shift: cmd.get("shift")?,
        cmd_zero_point: cmd.get("zero_point")?,
        a_valid: a.get("tvalid")?,
        a_data: a.get("tdata")?,
        b_valid: b.get("tvalid")?,
        b_data: b.get("tdata")?,
        c_ready: c.get("tready")?,
    };
    Ok((ports, Buses { cmd, a, b, c }))
}
