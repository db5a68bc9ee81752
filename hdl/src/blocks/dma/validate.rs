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

use crate::blocks::common::lanes::{index_bits, lit, ones, pmux, zeros};
use crate::blocks::dma::desc::DescLayout;
use crate::core::{mux, Bit, Expr, Module, Result, UInt};

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

/// The validator for `addr_bits`-bit addresses and a page table of
/// `table_entries` entries (read through `tbl_ren`/`tbl_raddr`, data on
/// `tbl_rdata` one cycle later).
pub fn validate(addr_bits: u32, table_entries: u32) -> Result<Module> {
    let a = addr_bits;
    let lay = DescLayout::new(a);
    let dw = lay.width();
    let tb = index_bits(table_entries as u64);
    let mut m = Module::new(&validate_name(a, table_entries));
    m.doc("DMA descriptor validator: the error code of golden::dma::validate, before execution.");

    let in_valid = m.input_doc("in_valid", Bit, "a descriptor is offered")?;
    let in_desc = m.input_doc("in_desc", UInt(dw), "packed descriptor (dma_desc)")?;
    let out_ready = m.input_doc("out_ready", Bit, "the legalizer takes the result")?;
    let tbl_rdata = m.input_doc("tbl_rdata", UInt(a), "page-table entry read in the previous cycle")?;

    let busy = m.reg("busy_q", Bit).reset(0).build()?;
    let phase = m.reg("phase", UInt(3)).reset(CHECK as i128).build()?;
    let d = m.reg("d", UInt(dw)).no_reset().doc("the descriptor (data path: read only while busy)").build()?;
    let err = m.reg("err", UInt(8)).reset(0).build()?;
    let acc = m.reg("acc", UInt(a + 18)).reset(0).build()?;
    let mcand = m.reg("mcand", UInt(a + 17)).reset(0).build()?;
    let mplier = m.reg("mplier", UInt(16)).reset(0).build()?;
    let dim = m.reg("dim", Bit).reset(0).build()?;
    let sidx = m.reg("sidx", UInt(tb)).reset(0).build()?;
    let slast = m.reg("slast", UInt(tb)).reset(0).build()?;
    let pend = m.reg("pend", Bit).reset(0).build()?;
    let plast = m.reg("plast", Bit).reset(0).build()?;
    let issued_all = m.reg("issued_all", Bit).reset(0).build()?;

    let f = lay.unpack(&d.q);
    let in_phase = |p: i64| &busy.q & phase.q.cmp_eq(p);
    let k = &f.kind;
    let is_lin = m.node("is_lin", k.cmp_eq(0))?;
    let is_2d = m.node("is_2d", k.cmp_eq(1))?;
    let is_3d = m.node("is_3d", k.cmp_eq(2))?;
    let is_pg = m.node("is_pg", k.cmp_eq(3))?;
    let is_str = &is_2d | &is_3d;

    // CHECK: everything that needs no multiply and no table read.
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

    // MUL: shift-and-add, one bit of the row (then plane) count per cycle.
    let add = mux(&mplier.q.bit(0), &mcand.q.zext(a + 18), &zeros(a + 18));
    let acc_next = &acc.q + add;
    let mplier_next = mplier.q.shr_const(1);
    let dim_done = mplier_next.cmp_eq(0);
    let second_dim = &dim_done & !&dim.q & &is_3d;
    let final_err = m.node(
        "final_err",
        mux(
            &(f.addr.zext(a + 18) + &acc.q + f.len.zext(a + 18)).cmp_gt(lit(1u128 << a, a + 18)),
            &code(Status::AddrRange),
            &code(Status::Ok),
        ),
    )?;

    // SCAN: one table read per cycle; the entry read last cycle is checked now.
    let page_mask = !ones(a).shl(&f.page_shift);
    let mis = m.node("misaligned", &pend.q & (&tbl_rdata & &page_mask).cmp_ne(0))?;
    let scan_fin = m.node("scan_fin", &pend.q & (&mis | &plast.q))?;
    let issue = m.node("issue", in_phase(SCAN) & !&issued_all.q & !&scan_fin)?;
    let at_slast = sidx.q.cmp_eq(&slast.q);

    let out_valid = m.node("out_valid_w", (in_phase(CHECK) & &quick_done) | in_phase(FINAL) | in_phase(DONE))?;
    let out_err =
        pmux(&[(phase.q.cmp_eq(CHECK), quick_err.clone()), (phase.q.cmp_eq(FINAL), final_err.clone())], &err.q);
    let leave = &out_valid & &out_ready;
    let in_ready = m.node("in_ready_w", !&busy.q | &leave)?;
    let accept = m.node("accept", &in_valid & &in_ready)?;

    m.set_next(&busy, &accept | (&busy.q & !&leave))?;
    m.set_next(&d, mux(&accept, &in_desc, &d.q))?;
    let to_mul = in_phase(CHECK) & !&quick_done & &is_str;
    let to_scan = in_phase(CHECK) & !&quick_done & &is_pg;
    let in_mul = in_phase(MUL);
    m.set_next(
        &phase,
        pmux(
            &[
                (accept.clone(), lit(CHECK as u128, 3)),
                (to_mul.clone(), lit(MUL as u128, 3)),
                (to_scan.clone(), lit(SCAN as u128, 3)),
                (&in_mul & &dim_done & !&second_dim, lit(FINAL as u128, 3)),
                (in_phase(SCAN) & &scan_fin, lit(DONE as u128, 3)),
            ],
            &phase.q,
        ),
    )?;
    m.set_next(
        &err,
        mux(&(in_phase(SCAN) & &scan_fin), &mux(&mis, &code(Status::PageMisaligned), &code(Status::Ok)), &err.q),
    )?;
    m.set_next(&acc, pmux(&[(to_mul.clone(), zeros(a + 18)), (in_mul.clone(), acc_next)], &acc.q))?;
    m.set_next(
        &mcand,
        pmux(
            &[
                (to_mul.clone(), f.stride1.zext(a + 17)),
                (&in_mul & &second_dim, f.stride2.zext(a + 17)),
                (in_mul.clone(), mcand.q.shl_const(1)),
            ],
            &mcand.q,
        ),
    )?;
    m.set_next(
        &mplier,
        pmux(
            &[
                (to_mul.clone(), &f.count1 - 1),
                (&in_mul & &second_dim, &f.count2 - 1),
                (in_mul.clone(), mplier_next.clone()),
            ],
            &mplier.q,
        ),
    )?;
    m.set_next(&dim, pmux(&[(to_mul.clone(), lit(0, 1)), (&in_mul & &second_dim, lit(1, 1))], &dim.q))?;
    m.set_next(
        &sidx,
        pmux(
            &[(to_scan.clone(), f.table_base.trunc(tb) + first_page.trunc(tb)), (issue.clone(), &sidx.q + 1)],
            &sidx.q,
        ),
    )?;
    m.set_next(&slast, mux(&to_scan, &(f.table_base.trunc(tb) + last_page.trunc(tb)), &slast.q))?;
    m.set_next(&pend, issue.clone())?;
    m.set_next(&plast, mux(&issue, &at_slast, &plast.q))?;
    m.set_next(&issued_all, pmux(&[(to_scan.clone(), lit(0, 1)), (issue.clone(), at_slast.clone())], &issued_all.q))?;

    m.output_doc("in_ready", &in_ready, "a descriptor can be taken")?;
    m.output_doc("out_valid", &out_valid, "a checked descriptor is offered")?;
    m.output_doc("out_desc", &d.q, "the checked descriptor")?;
    m.output_doc("out_err", &out_err, "its status: 0, or a validation error code")?;
    m.output_doc("tbl_ren", &issue, "read a page-table entry")?;
    m.output_doc("tbl_raddr", &sidx.q, "which entry")?;
    m.output_doc("busy", &busy.q, "holding a descriptor")?;
    Ok(m)
}
