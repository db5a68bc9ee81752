//! The burst legalizer: turns checked descriptors into the AXI4 bursts of
//! `golden::dma::bursts`, at up to one burst per cycle.
//!
//! Two pipelined stages, each a register with valid/ready:
//! * the segment generator walks a descriptor's segments (linear: one;
//!   strided: rows, planes outer; paged: the pieces of each page, reading the
//!   page table one entry ahead), one segment per cycle;
//! * the splitter cuts the current segment into INCR bursts of full-width
//!   beats: as long as possible, at most `max_burst` beats, never across a
//!   4 KiB boundary, never past the segment's end; one burst per cycle, taking
//!   the next segment in the cycle it emits the last burst of this one.
//!
//! A rejected descriptor (validation error) becomes one *null* record that
//! carries its error code and tag through the engine in order, without a
//! burst. Each burst record carries the lanes `[lo, hi)` of its first and
//! last beats (`lo` on the first, `hi` on the last) for the data path.

use crate::blocks::common::lanes::{index_bits, lit, min, ones, pmux, zeros};
use crate::blocks::dma::desc::DescLayout;
use crate::core::{mux, Bit, Expr, Module, Result, UInt};

pub fn legalizer_name(data_bits: u32, addr_bits: u32, max_burst: u32, table_entries: u32) -> String {
    format!("serrano_dma_legalizer_d{data_bits}_a{addr_bits}_b{max_burst}_t{table_entries}")
}

/// A burst record's fields (the legalizer's outputs, minus valid/ready).
pub struct BurstRecord {
    pub addr: Expr,
    pub len: Expr,
    pub lo: Expr,
    pub hi: Expr,
    pub last: Expr,
    pub tag: Expr,
    pub null: Expr,
    pub err: Expr,
}

/// The legalizer for `data_bits`-wide beats, `addr_bits` addresses, bursts of
/// at most `max_burst` beats and a page table of `table_entries`.
pub fn legalizer(data_bits: u32, addr_bits: u32, max_burst: u32, table_entries: u32) -> Result<Module> {
    let a = addr_bits;
    let nb = data_bits / 8;
    let lb = nb.trailing_zeros();
    let lay = DescLayout::new(a);
    let tb = index_bits(table_entries as u64);
    let mut m = Module::new(&legalizer_name(data_bits, a, max_burst, table_entries));
    m.doc("DMA burst legalizer: segments of a descriptor -> INCR bursts (<= max_burst beats, no 4 KiB crossing).");

    let in_valid = m.input_doc("in_valid", Bit, "a checked descriptor is offered")?;
    let in_desc = m.input_doc("in_desc", UInt(lay.width()), "packed descriptor")?;
    let in_err = m.input_doc("in_err", UInt(8), "its validation status (0 = valid)")?;
    let out_ready = m.input_doc("out_ready", Bit, "the burst record is taken")?;
    let tbl_rdata = m.input_doc("tbl_rdata", UInt(a), "page-table entry read in the previous cycle")?;

    // ---- segment generator state ----
    let g_busy = m.reg("g_busy", Bit).reset(0).build()?;
    let dp = |m: &mut Module, name: &str, w: u32| m.reg(name, UInt(w)).no_reset().build();
    // Data-path registers below are loaded when a descriptor is accepted and
    // read only while g_busy is set.
    let g_null = dp(&mut m, "g_null", 1)?;
    let g_err = dp(&mut m, "g_err", 8)?;
    let g_tag = dp(&mut m, "g_tag", 16)?;
    let g_kind = dp(&mut m, "g_kind", 3)?;
    let g_len = dp(&mut m, "g_len", 32)?;
    let g_c1 = dp(&mut m, "g_c1", 16)?;
    let g_c1_left = dp(&mut m, "g_c1_left", 16)?;
    let g_c2_left = dp(&mut m, "g_c2_left", 16)?;
    let g_s1 = dp(&mut m, "g_s1", a)?;
    let g_s2 = dp(&mut m, "g_s2", a)?;
    let g_row = dp(&mut m, "g_row", a)?;
    let g_plane = dp(&mut m, "g_plane", a)?;
    let g_tidx = dp(&mut m, "g_tidx", tb)?;
    let g_off = dp(&mut m, "g_off", 32)?;
    let g_rem = dp(&mut m, "g_rem", 32)?;
    let g_shift = dp(&mut m, "g_shift", 5)?;

    // ---- segment register ----
    let s_valid = m.reg("s_valid", Bit).reset(0).build()?;
    let s_addr = dp(&mut m, "s_addr", a)?;
    let s_len = dp(&mut m, "s_len", 32)?;
    let s_last = dp(&mut m, "s_last", 1)?;
    let s_tag = dp(&mut m, "s_tag", 16)?;
    let s_null = dp(&mut m, "s_null", 1)?;
    let s_err = dp(&mut m, "s_err", 8)?;

    // ---- splitter state (the segment being cut) ----
    let p_valid = m.reg("p_valid", Bit).reset(0).build()?;
    let p_addr = dp(&mut m, "p_addr", a)?;
    let p_rem = dp(&mut m, "p_rem", 32)?;
    let p_last = dp(&mut m, "p_last", 1)?;
    let p_tag = dp(&mut m, "p_tag", 16)?;
    let p_null = dp(&mut m, "p_null", 1)?;
    let p_err = dp(&mut m, "p_err", 8)?;

    // ---- output register (the burst record) ----
    let o_valid = m.reg("o_valid", Bit).reset(0).build()?;
    let o_addr = dp(&mut m, "o_addr", a)?;
    let o_len = dp(&mut m, "o_len", 8)?;
    let o_lo = dp(&mut m, "o_lo", lb)?;
    let o_hi = dp(&mut m, "o_hi", lb + 1)?;
    let o_last = dp(&mut m, "o_last", 1)?;
    let o_tag = dp(&mut m, "o_tag", 16)?;
    let o_null = dp(&mut m, "o_null", 1)?;
    let o_err = dp(&mut m, "o_err", 8)?;

    // ================= splitter =================
    let lo = m.node("lo", p_addr.q.trunc(lb))?;
    let needed = m.node("needed", (p_rem.q.zext(34) + lo.zext(34) + lit(nb as u128 - 1, 34)).shr_const(lb))?;
    let to4k = m.node("to4k", lit(4096 / nb as u128, 13) - p_addr.q.slice(11, lb).zext(13))?;
    let cap = m.node("cap", min(&to4k, &lit(max_burst as u128, 13)))?;
    let ends = m.node("ends", needed.cmp_le(cap.zext(34)))?;
    let beats = m.node("beats", mux(&ends, &needed.trunc(13), &cap))?;
    let bytes_full = cap.zext(32).shl_const(lb) - lo.zext(32);
    let bytes = m.node("bytes", mux(&ends, &p_rem.q, &bytes_full))?;
    let hi_end = (&p_rem.q.trunc(lb) + &lo - 1).zext(lb + 1) + 1;
    let hi = mux(&ends, &hi_end, &lit(nb as u128, lb + 1));

    let o_free = m.node("o_free", !&o_valid.q | &out_ready)?;
    let fire = m.node("fire", &p_valid.q & &o_free)?;
    let p_done = m.node("p_done", &fire & (&p_null.q | &ends))?;
    let take = m.node("take", !&p_valid.q | &p_done)?;
    let s_taken = m.node("s_taken", &take & &s_valid.q)?;

    m.set_next(&p_valid, mux(&take, &s_valid.q, &p_valid.q))?;
    m.set_next(
        &p_addr,
        pmux(&[(take.clone(), s_addr.q.clone()), (fire.clone(), &p_addr.q + bytes.zext(a))], &p_addr.q),
    )?;
    m.set_next(&p_rem, pmux(&[(take.clone(), s_len.q.clone()), (fire.clone(), &p_rem.q - &bytes)], &p_rem.q))?;
    for (p, s) in [(&p_last, &s_last), (&p_tag, &s_tag), (&p_null, &s_null), (&p_err, &s_err)] {
        m.set_next(p, mux(&take, &s.q, &p.q))?;
    }

    m.set_next(&o_valid, &fire | (&o_valid.q & !&out_ready))?;
    m.set_next(&o_addr, mux(&fire, &p_addr.q, &o_addr.q))?;
    m.set_next(&o_len, mux(&fire, &(&beats - 1).trunc(8), &o_len.q))?;
    m.set_next(&o_lo, mux(&fire, &lo, &o_lo.q))?;
    m.set_next(&o_hi, mux(&fire, &hi, &o_hi.q))?;
    m.set_next(&o_last, mux(&fire, &(&p_last.q & (&ends | &p_null.q)), &o_last.q))?;
    m.set_next(&o_tag, mux(&fire, &p_tag.q, &o_tag.q))?;
    m.set_next(&o_null, mux(&fire, &p_null.q, &o_null.q))?;
    m.set_next(&o_err, mux(&fire, &p_err.q, &o_err.q))?;

    // ================= segment generator =================
    let is_pg = m.node("g_is_pg", g_kind.q.cmp_eq(3))?;
    let is_str = m.node("g_is_str", g_kind.q.cmp_eq(1) | g_kind.q.cmp_eq(2))?;
    let s_free = m.node("s_free", !&s_valid.q | &s_taken)?;
    let emit = m.node("emit", &g_busy.q & &s_free)?;

    // Paged: the piece of the current page.
    let psize = lit(1, 32).shl(&g_shift.q);
    let room = m.node("room", &psize - &g_off.q)?;
    let pg_n = m.node("pg_n", min(&g_rem.q, &room))?;
    let pg_last = g_rem.q.cmp_le(&room);
    let row_last = g_c1_left.q.cmp_eq(1) & g_c2_left.q.cmp_eq(1);
    let gen_last = m.node(
        "gen_last",
        pmux(&[(g_null.q.clone(), lit(1, 1)), (is_pg.clone(), pg_last), (is_str.clone(), row_last)], &lit(1, 1)),
    )?;
    let seg_addr = mux(&is_pg, &(&tbl_rdata + g_off.q.zext(a)), &g_row.q);
    let seg_len = mux(&is_pg, &pg_n, &g_len.q);
    let g_done = m.node("g_done", &emit & &gen_last)?;
    let in_ready = m.node("in_ready_w", !&g_busy.q | &g_done)?;
    let accept = m.node("accept", &in_valid & &in_ready)?;

    m.set_next(&s_valid, mux(&emit, &lit(1, 1), &(&s_valid.q & !&s_taken)))?;
    m.set_next(&s_addr, mux(&emit, &seg_addr, &s_addr.q))?;
    m.set_next(&s_len, mux(&emit, &seg_len, &s_len.q))?;
    m.set_next(&s_last, mux(&emit, &gen_last, &s_last.q))?;
    m.set_next(&s_tag, mux(&emit, &g_tag.q, &s_tag.q))?;
    m.set_next(&s_null, mux(&emit, &g_null.q, &s_null.q))?;
    m.set_next(&s_err, mux(&emit, &g_err.q, &s_err.q))?;

    // Accepting a descriptor loads the walk state.
    let f = lay.unpack(&in_desc);
    let in_is_pg = f.kind.cmp_eq(3);
    let in_null = in_err.cmp_ne(0);
    let in_off = f.addr.trunc(32) & !ones(32).shl(&f.page_shift);
    let in_tidx = f.table_base.trunc(tb) + f.addr.shr(&f.page_shift).trunc(tb);
    m.set_next(&g_busy, &accept | (&g_busy.q & !&g_done))?;
    let load = |m: &mut Module, r: &crate::core::Reg, v: Expr, step: Option<Expr>| {
        let cur = r.q.clone();
        let stepped = match step {
            Some(s) => s,
            None => cur.clone(),
        };
        m.set_next(r, mux(&accept, &v, &mux(&emit, &stepped, &cur)))
    };
    load(&mut m, &g_null, in_null.clone(), None)?;
    load(&mut m, &g_err, in_err.clone(), None)?;
    load(&mut m, &g_tag, f.tag.clone(), None)?;
    load(&mut m, &g_kind, f.kind.clone(), None)?;
    load(&mut m, &g_len, f.len.clone(), None)?;
    load(&mut m, &g_c1, f.count1.clone(), None)?;
    load(&mut m, &g_s1, f.stride1.clone(), None)?;
    load(&mut m, &g_s2, f.stride2.clone(), None)?;
    load(&mut m, &g_shift, f.page_shift.clone(), None)?;
    // Strided walk: rows inner, planes outer.
    let row_wrap = g_c1_left.q.cmp_eq(1);
    let next_plane = &g_plane.q + &g_s2.q;
    load(&mut m, &g_c1_left, f.count1.clone(), Some(mux(&row_wrap, &g_c1.q, &(&g_c1_left.q - 1))))?;
    load(
        &mut m,
        &g_c2_left,
        mux(&f.kind.cmp_eq(2), &f.count2, &lit(1, 16)),
        Some(mux(&row_wrap, &(&g_c2_left.q - 1), &g_c2_left.q)),
    )?;
    load(&mut m, &g_plane, f.addr.clone(), Some(mux(&row_wrap, &next_plane, &g_plane.q)))?;
    load(&mut m, &g_row, f.addr.clone(), Some(mux(&row_wrap, &next_plane, &(&g_row.q + &g_s1.q))))?;
    // Paged walk: next page from offset 0.
    load(&mut m, &g_rem, f.len.clone(), Some(&g_rem.q - &pg_n))?;
    load(&mut m, &g_off, in_off, Some(zeros(32)))?;
    load(&mut m, &g_tidx, in_tidx.clone(), Some(&g_tidx.q + 1))?;

    // Page-table reads: the first page's entry when a paged descriptor is
    // accepted, the next page's entry when a page's piece is emitted.
    let ren_accept = &accept & &in_is_pg & !&in_null;
    let ren_emit = &emit & &is_pg & !&g_null.q & !&gen_last;
    let tbl_ren = m.node("tbl_ren_w", &ren_accept | &ren_emit)?;
    let tbl_raddr = mux(&ren_accept, &in_tidx, &(&g_tidx.q + 1));

    let busy = &g_busy.q | &s_valid.q | &p_valid.q | &o_valid.q;

    m.output_doc("in_ready", &in_ready, "a descriptor can be taken")?;
    m.output_doc("out_valid", &o_valid.q, "a burst (or null) record is offered")?;
    m.output_doc("out_addr", &o_addr.q, "AxADDR: the first byte's address")?;
    m.output_doc("out_len", &o_len.q, "AxLEN: beats - 1")?;
    m.output_doc("out_lo", &o_lo.q, "first lane of the first beat")?;
    m.output_doc("out_hi", &o_hi.q, "one past the last lane of the last beat")?;
    m.output_doc("out_last", &o_last.q, "last record of its descriptor")?;
    m.output_doc("out_tag", &o_tag.q, "the descriptor's tag")?;
    m.output_doc("out_null", &o_null.q, "a rejected descriptor: no burst")?;
    m.output_doc("out_err", &o_err.q, "a rejected descriptor's error code")?;
    m.output_doc("tbl_ren", &tbl_ren, "read a page-table entry")?;
    m.output_doc("tbl_raddr", &tbl_raddr, "which entry")?;
    m.output_doc("busy", &busy, "holding a descriptor or a record")?;
    Ok(m)
}

/// The fields of the legalizer's output record on an instance.
pub fn record_of(inst: &crate::core::Instance) -> Result<BurstRecord> {
    Ok(BurstRecord {
        addr: inst.out("out_addr")?,
        len: inst.out("out_len")?,
        lo: inst.out("out_lo")?,
        hi: inst.out("out_hi")?,
        last: inst.out("out_last")?,
        tag: inst.out("out_tag")?,
        null: inst.out("out_null")?,
        err: inst.out("out_err")?,
    })
}

/// The front end every engine shares, built inside the engine's module: the
/// page table (a block RAM written through `tbl_*`, with one read port for
/// the validator and one for the legalizer), the validator and the legalizer.
pub struct FrontEnd {
    /// The legalizer's output record and its valid.
    pub valid: Expr,
    pub rec: BurstRecord,
    /// A wire the engine must drive: the record is taken.
    pub out_ready: Expr,
    /// The validator takes the offered descriptor.
    pub desc_ready: Expr,
    /// Something is held in the validator or the legalizer.
    pub busy: Expr,
}

/// Build the front end of an engine in `m`.
pub fn front_end(
    m: &mut Module,
    cfg: &golden::DmaConfig,
    desc_valid: &Expr,
    desc: &Expr,
    tbl: (&Expr, &Expr, &Expr),
) -> Result<FrontEnd> {
    let a = cfg.addr_bits;
    let tb = index_bits(cfg.table_entries as u64);
    let (tbl_we, tbl_waddr, tbl_wdata) = tbl;
    let table = m.memory("page_table", UInt(a), cfg.table_entries)?;
    m.mem_write(&table, tbl_we, tbl_waddr, tbl_wdata)?;
    let v_ren = m.wire("v_tbl_ren", Bit)?;
    let v_raddr = m.wire("v_tbl_raddr", UInt(tb))?;
    let l_ren = m.wire("l_tbl_ren", Bit)?;
    let l_raddr = m.wire("l_tbl_raddr", UInt(tb))?;
    let v_q = m.mem_read(&table, "v_tbl_q", &v_ren, &v_raddr)?;
    let l_q = m.mem_read(&table, "l_tbl_q", &l_ren, &l_raddr)?;
    let lg_in_ready = m.wire("lg_in_ready", Bit)?;
    let out_ready = m.wire("lg_out_ready", Bit)?;

    let vmod = crate::blocks::dma::validate::validate(a, cfg.table_entries)?;
    let v = m.instance(
        "validator",
        &vmod,
        &[("in_valid", desc_valid), ("in_desc", desc), ("out_ready", &lg_in_ready), ("tbl_rdata", &v_q)],
    )?;
    let lmod = legalizer(cfg.data_bits, a, cfg.max_burst, cfg.table_entries)?;
    let l = m.instance(
        "legalizer",
        &lmod,
        &[
            ("in_valid", &v.out("out_valid")?),
            ("in_desc", &v.out("out_desc")?),
            ("in_err", &v.out("out_err")?),
            ("out_ready", &out_ready),
            ("tbl_rdata", &l_q),
        ],
    )?;
    m.assign(&lg_in_ready, l.out("in_ready")?)?;
    m.assign(&v_ren, v.out("tbl_ren")?)?;
    m.assign(&v_raddr, v.out("tbl_raddr")?)?;
    m.assign(&l_ren, l.out("tbl_ren")?)?;
    m.assign(&l_raddr, l.out("tbl_raddr")?)?;
    Ok(FrontEnd {
        valid: l.out("out_valid")?,
        rec: record_of(&l)?,
        out_ready,
        desc_ready: v.out("in_ready")?,
        busy: v.out("busy")? | l.out("busy")?,
    })
}

/// A burst record packed for an engine's in-flight FIFO:
/// `{err[8], null, tag[16], last, hi[lb+1], lo[lb], len[8]}` (MSB first).
pub fn pack_record(r: &BurstRecord) -> Expr {
    crate::core::cat(&[&r.err, &r.null, &r.tag, &r.last, &r.hi, &r.lo, &r.len])
}

/// The width of [`pack_record`]'s word for `2^lb`-byte beats.
pub fn record_bits(lb: u32) -> u32 {
    8 + 1 + 16 + 1 + (lb + 1) + lb + 8
}

/// Unpack a word of [`pack_record`] (the address is not stored: `addr` is 0 bits
/// wide in spirit; a one-bit zero stands in for it).
pub fn unpack_record(w: &Expr, lb: u32) -> BurstRecord {
    use crate::blocks::common::lanes::field;
    let mut at = 0;
    let mut take = |n: u32| {
        let f = field(w, at, n);
        at += n;
        f
    };
    let len = take(8);
    let lo = take(lb);
    let hi = take(lb + 1);
    let last = take(1);
    let tag = take(16);
    let null = take(1);
    let err = take(8);
    BurstRecord { addr: lit(0, 1), len, lo, hi, last, tag, null, err }
}
