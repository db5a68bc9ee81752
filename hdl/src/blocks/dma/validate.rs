//! The descriptor validator: checks a descriptor before any of it executes and
//! gives the error code of `golden::dma::validate`.
//!
//! One descriptor at a time, in phases:
//! * CHECK (1 cycle): kind, lengths, page shift, the address range of linear
//!   and paged descriptors, the table range of paged ones. Linear and
//!   rejected descriptors leave from here, so back-to-back linear descriptors
//!   pass at one per cycle.
//! * MUL (strided only): the extent `(count1-1)·stride1 [+ (count2-1)·stride2]`
//!   by shift-and-add, one multiplier bit per cycle, stopping when the
//!   remaining bits are zero (1 cycle for 1 or 2 rows, 16 at most per dimension);
//!   then FINAL checks `addr + extent + len <= 2^A`.
//! * SCAN (paged only): reads every page-table entry the descriptor uses, one
//!   per cycle, and rejects a page base that is not a multiple of the page size.
//!
//! The validator runs ahead of the legalizer (it holds the next descriptor
//! while the legalizer works on the current one), so its cycles are hidden
//! unless descriptors are much shorter than their validation.

use golden::dma::{Status, PAGE_SHIFT_MAX, PAGE_SHIFT_MIN};
use golden::DmaConfig;

use crate::blocks::common::lanes::{index_bits, lit, ones, pmux, zeros};
use crate::blocks::common::params::config;
use crate::blocks::dma::desc::{DescFields, DescLayout};
use crate::core::{mux, Bit, Expr, Module, Reg, Result, UInt};

pub fn validate_name(addr_bits: u32, table_entries: u32) -> String {
    format!("serrano_dma_validate_a{addr_bits}_t{table_entries}")
}

const CHECK: i64 = 0;
const MUL: i64 = 1;
const FINAL: i64 = 2;
const SCAN: i64 = 3;
const DONE: i64 = 4;

fn code(s: Status) -> Expr {
    lit(s.code() as u128, 8)
}

/// The validator's registers: `busy` and `phase` (control), the held
/// descriptor `d` (data path), the result, the multiplier's state and the
/// table scan's state.
struct ValRegs {
    busy: Reg,
    phase: Reg,
    d: Reg,
    err: Reg,
    acc: Reg,
    mcand: Reg,
    mplier: Reg,
    dim: Reg,
    sidx: Reg,
    slast: Reg,
    pend: Reg,
    plast: Reg,
    issued_all: Reg,
}

impl ValRegs {
    /// The validator holds a descriptor in phase `p`.
    fn in_phase(&self, p: i64) -> Expr {
        &self.busy.q & self.phase.q.cmp_eq(p)
    }
}

/// What the CHECK phase found.
struct Check {
    is_3d: Expr,
    is_pg: Expr,
    is_str: Expr,
    first_page: Expr,
    last_page: Expr,
    /// The code of the first failing one-cycle check (0: none failed).
    quick_err: Expr,
    /// The descriptor leaves from CHECK (rejected, or linear).
    quick_done: Expr,
}

/// The MUL phase's next values and FINAL's result.
struct Mul {
    acc_next: Expr,
    mplier_next: Expr,
    /// The current dimension's multiplier has no bits left.
    dim_done: Expr,
    /// ... and a 3-D descriptor's second dimension comes next.
    second_dim: Expr,
    final_err: Expr,
}

/// The SCAN phase.
struct Scan {
    /// The entry read last cycle is misaligned.
    mis: Expr,
    /// The scan ends: a misaligned entry, or the last entry checked.
    scan_fin: Expr,
    /// Read the next entry (`tbl_ren`).
    issue: Expr,
    at_slast: Expr,
}

/// The validator for `addr_bits`-bit addresses and a page table of
/// `table_entries` entries (read through `tbl_ren`/`tbl_raddr`, data on
/// `tbl_rdata` one cycle later).
pub fn validate(addr_bits: u32, table_entries: u32) -> Result<Module> {
    // As the legalizer: golden's ranges of the two DMA fields it takes.
    let cfg = DmaConfig { addr_bits, table_entries, ..DmaConfig::default() };
    config("serrano_dma_validate", cfg.validate())?;
    let a = addr_bits;
    let lay = DescLayout::new(a);
    let dw = lay.width();
    let mut m = Module::new(&validate_name(a, table_entries));
    m.doc("DMA descriptor validator: the error code of golden::dma::validate, before execution.");

    let in_valid = m.input_doc("in_valid", Bit, "a descriptor is offered")?;
    let in_desc = m.input_doc("in_desc", UInt(dw), "packed descriptor (dma_desc)")?;
    let out_ready = m.input_doc("out_ready", Bit, "the legalizer takes the result")?;
    let tbl_rdata = m.input_doc("tbl_rdata", UInt(a), "page-table entry read in the previous cycle")?;

    let r = val_regs(&mut m, a, table_entries)?;
    let f = lay.unpack(&mut m, "d", &r.d.q)?;
    m.allow_unused(&f.tag, "the tag is not checked; it leaves with the word on out_desc")?;
    let ck = check(&mut m, a, table_entries, &f)?;
    let mul = mul(&mut m, a, &r, &ck, &f)?;
    let scan = scan(&mut m, a, &r, &f, &tbl_rdata)?;

    // Handshake: a result is offered from CHECK (quick), FINAL or DONE.
    let out_valid =
        m.node("out_valid_w", (r.in_phase(CHECK) & &ck.quick_done) | r.in_phase(FINAL) | r.in_phase(DONE))?;
    let out_err = pmux(
        &[(r.phase.q.cmp_eq(CHECK), ck.quick_err.clone()), (r.phase.q.cmp_eq(FINAL), mul.final_err.clone())],
        &r.err.q,
    );
    let leave = &out_valid & &out_ready;
    let in_ready = m.node("in_ready_w", !&r.busy.q | &leave)?;
    let accept = m.node("accept", &in_valid & &in_ready)?;
    m.set_next(&r.busy, &accept | (&r.busy.q & !&leave))?;
    m.set_next(&r.d, mux(&accept, &in_desc, &r.d.q))?;
    sequence(&mut m, a, table_entries, &r, &f, &ck, &mul, &scan, &accept)?;

    m.output_doc("in_ready", &in_ready, "a descriptor can be taken")?;
    m.output_doc("out_valid", &out_valid, "a checked descriptor is offered")?;
    m.output_doc("out_desc", &r.d.q, "the checked descriptor")?;
    m.output_doc("out_err", &out_err, "its status: 0, or a validation error code")?;
    m.output_doc("tbl_ren", &scan.issue, "read a page-table entry")?;
    m.output_doc("tbl_raddr", &r.sidx.q, "which entry")?;
    m.output_doc("busy", &r.busy.q, "holding a descriptor")?;
    Ok(m)
}

/// The validator's registers (driven by [`validate`] and [`sequence`]).
fn val_regs(m: &mut Module, a: u32, table_entries: u32) -> Result<ValRegs> {
    let dw = DescLayout::new(a).width();
    let tb = index_bits(table_entries as u64);
    Ok(ValRegs {
        busy: m.reg("busy_q", Bit).reset(0).build()?,
        phase: m.reg("phase", UInt(3)).reset(CHECK as i128).build()?,
        d: m.reg("d", UInt(dw)).no_reset().doc("the descriptor (data path: read only while busy)").build()?,
        err: m.reg("err", UInt(8)).reset(0).build()?,
        acc: m.reg("acc", UInt(a + 18)).reset(0).build()?,
        mcand: m.reg("mcand", UInt(a + 17)).reset(0).build()?,
        mplier: m.reg("mplier", UInt(16)).reset(0).build()?,
        dim: m.reg("dim", Bit).reset(0).build()?,
        sidx: m.reg("sidx", UInt(tb)).reset(0).build()?,
        slast: m.reg("slast", UInt(tb)).reset(0).build()?,
        pend: m.reg("pend", Bit).reset(0).build()?,
        plast: m.reg("plast", Bit).reset(0).build()?,
        issued_all: m.reg("issued_all", Bit).reset(0).build()?,
    })
}

/// CHECK. In: the held descriptor's fields. Out: the code of the first
/// failing check that needs no multiply and no table read (kind, lengths,
/// page shift, the address range of linear and paged descriptors, the table
/// range of paged ones), and whether the descriptor leaves from here.
fn check(m: &mut Module, a: u32, table_entries: u32, f: &DescFields) -> Result<Check> {
    let k = &f.kind;
    let is_lin = m.node("is_lin", k.cmp_eq(0))?;
    let is_2d = m.node("is_2d", k.cmp_eq(1))?;
    let is_3d = m.node("is_3d", k.cmp_eq(2))?;
    let is_pg = m.node("is_pg", k.cmp_eq(3))?;
    let is_str = &is_2d | &is_3d;

    let bad_kind = k.bit(2);
    let zero = f.len.cmp_eq(0) | (&is_str & f.count1.cmp_eq(0)) | (&is_3d & f.count2.cmp_eq(0));
    let bad_shift = &is_pg & (f.page_shift.cmp_lt(PAGE_SHIFT_MIN as i64) | f.page_shift.cmp_gt(PAGE_SHIFT_MAX as i64));
    let space = lit(1u128 << a, a + 2);
    let end1 = m.node("end1", f.addr.zext(a + 2) + f.len.zext(a + 2))?;
    let range_err = (&is_lin | &is_pg) & end1.cmp_gt(&space);
    let last_byte = &f.addr + f.len.zext(a) - 1;
    let first_page = m.node("first_page", f.addr.shr(&f.page_shift))?;
    m.allow_unused(&first_page, "only the table-index bits are used")?;
    let last_page = m.node("last_page", last_byte.shr(&f.page_shift))?;
    let tbl_over = (f.table_base.zext(a + 1) + last_page.zext(a + 1)).cmp_ge(lit(table_entries as u128, a + 1));
    let quick_err = m.node(
        "quick_err",
        pmux(
            &[
                (bad_kind, code(Status::BadKind)),
                (zero, code(Status::ZeroLength)),
                (bad_shift, code(Status::BadPageShift)),
                (range_err, code(Status::AddrRange)),
                (&is_pg & tbl_over, code(Status::TableRange)),
            ],
            &code(Status::Ok),
        ),
    )?;
    let quick_done = m.node("quick_done", quick_err.cmp_ne(0) | &is_lin)?;
    Ok(Check { is_3d, is_pg, is_str, first_page, last_page, quick_err, quick_done })
}

/// MUL and FINAL. In: the multiplier's state. Out: one shift-and-add step
/// (one bit of the row, then plane, count per cycle) and FINAL's check
/// `addr + extent + len <= 2^A`.
fn mul(m: &mut Module, a: u32, r: &ValRegs, ck: &Check, f: &DescFields) -> Result<Mul> {
    let add = mux(&r.mplier.q.bit(0), &r.mcand.q.zext(a + 18), &zeros(a + 18));
    let acc_next = &r.acc.q + add;
    let mplier_next = r.mplier.q.shr_const(1);
    let dim_done = mplier_next.cmp_eq(0);
    let second_dim = &dim_done & !&r.dim.q & &ck.is_3d;
    let final_err = m.node(
        "final_err",
        mux(
            &(f.addr.zext(a + 18) + &r.acc.q + f.len.zext(a + 18)).cmp_gt(lit(1u128 << a, a + 18)),
            &code(Status::AddrRange),
            &code(Status::Ok),
        ),
    )?;
    Ok(Mul { acc_next, mplier_next, dim_done, second_dim, final_err })
}

/// SCAN. In: the page-table entry read last cycle. Out: one table read per
/// cycle over the entries the descriptor uses, and the check of the entry
/// read last cycle against the page size.
fn scan(m: &mut Module, a: u32, r: &ValRegs, f: &DescFields, tbl_rdata: &Expr) -> Result<Scan> {
    let page_mask = !ones(a).shl(&f.page_shift);
    let mis = m.node("misaligned", &r.pend.q & (tbl_rdata & &page_mask).cmp_ne(0))?;
    let scan_fin = m.node("scan_fin", &r.pend.q & (&mis | &r.plast.q))?;
    let issue = m.node("issue", r.in_phase(SCAN) & !&r.issued_all.q & !&scan_fin)?;
    let at_slast = r.sidx.q.cmp_eq(&r.slast.q);
    Ok(Scan { mis, scan_fin, issue, at_slast })
}

/// The phase sequence. In: the phases' results, `accept`. Out: the next
/// phase (CHECK on accept; MUL for strided and SCAN for paged descriptors
/// that pass CHECK; FINAL after the last multiplier bit; DONE after the
/// scan), the result code, and the multiplier's and scan's next state.
#[allow(clippy::too_many_arguments)]
fn sequence(
    m: &mut Module,
    a: u32,
    table_entries: u32,
    r: &ValRegs,
    f: &DescFields,
    ck: &Check,
    mul: &Mul,
    scan: &Scan,
    accept: &Expr,
) -> Result<()> {
    let tb = index_bits(table_entries as u64);
    let to_mul = r.in_phase(CHECK) & !&ck.quick_done & &ck.is_str;
    let to_scan = r.in_phase(CHECK) & !&ck.quick_done & &ck.is_pg;
    let in_mul = r.in_phase(MUL);
    let in_scan = r.in_phase(SCAN);
    m.set_next(
        &r.phase,
        pmux(
            &[
                (accept.clone(), lit(CHECK as u128, 3)),
                (to_mul.clone(), lit(MUL as u128, 3)),
                (to_scan.clone(), lit(SCAN as u128, 3)),
                (&in_mul & &mul.dim_done & !&mul.second_dim, lit(FINAL as u128, 3)),
                (&in_scan & &scan.scan_fin, lit(DONE as u128, 3)),
            ],
            &r.phase.q,
        ),
    )?;
    m.set_next(
        &r.err,
        mux(
            &(r.in_phase(SCAN) & &scan.scan_fin),
            &mux(&scan.mis, &code(Status::PageMisaligned), &code(Status::Ok)),
            &r.err.q,
        ),
    )?;
    m.set_next(&r.acc, pmux(&[(to_mul.clone(), zeros(a + 18)), (in_mul.clone(), mul.acc_next.clone())], &r.acc.q))?;
    m.set_next(
        &r.mcand,
        pmux(
            &[
                (to_mul.clone(), f.stride1.zext(a + 17)),
                (&in_mul & &mul.second_dim, f.stride2.zext(a + 17)),
                (in_mul.clone(), r.mcand.q.shl_const(1)),
            ],
            &r.mcand.q,
        ),
    )?;
    m.set_next(
        &r.mplier,
        pmux(
            &[
                (to_mul.clone(), &f.count1 - 1),
                (&in_mul & &mul.second_dim, &f.count2 - 1),
                (in_mul.clone(), mul.mplier_next.clone()),
            ],
            &r.mplier.q,
        ),
    )?;
    m.set_next(&r.dim, pmux(&[(to_mul.clone(), lit(0, 1)), (&in_mul & &mul.second_dim, lit(1, 1))], &r.dim.q))?;
    m.set_next(
        &r.sidx,
        pmux(
            &[(to_scan.clone(), f.table_base.trunc(tb) + ck.first_page.trunc(tb)), (scan.issue.clone(), &r.sidx.q + 1)],
            &r.sidx.q,
        ),
    )?;
    m.set_next(&r.slast, mux(&to_scan, &(f.table_base.trunc(tb) + ck.last_page.trunc(tb)), &r.slast.q))?;
    m.set_next(&r.pend, scan.issue.clone())?;
    m.set_next(&r.plast, mux(&scan.issue, &scan.at_slast, &r.plast.q))?;
    m.set_next(
        &r.issued_all,
        pmux(&[(to_scan.clone(), lit(0, 1)), (scan.issue.clone(), scan.at_slast.clone())], &r.issued_all.q),
    )?;
    Ok(())
}
