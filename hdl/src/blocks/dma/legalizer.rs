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

use golden::DmaConfig;

use crate::blocks::common::lanes::{index_bits, lit, min, ones, pmux, zeros};
use crate::blocks::common::params::config;
use crate::blocks::dma::desc::DescLayout;
use crate::core::{mux, Bit, Expr, Module, Record, Reg, Result, UInt};

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

/// The segment generator's walk state. `busy` is reset; the rest is data
/// path, loaded when a descriptor is accepted and read only while `busy`.
struct GenRegs {
    busy: Reg,
    null: Reg,
    err: Reg,
    tag: Reg,
    kind: Reg,
    len: Reg,
    c1: Reg,
    c1_left: Reg,
    c2_left: Reg,
    s1: Reg,
    s2: Reg,
    row: Reg,
    plane: Reg,
    tidx: Reg,
    off: Reg,
    rem: Reg,
    shift: Reg,
}

/// The segment register (generator → splitter), and the splitter's segment
/// being cut (`len` = the bytes left of it). `valid` is reset; the fields
/// are data path.
struct SegRegs {
    valid: Reg,
    addr: Reg,
    len: Reg,
    last: Reg,
    tag: Reg,
    null: Reg,
    err: Reg,
}

/// The output register: the burst record (`len` = AxLEN).
struct OutRegs {
    valid: Reg,
    addr: Reg,
    len: Reg,
    lo: Reg,
    hi: Reg,
    last: Reg,
    tag: Reg,
    null: Reg,
    err: Reg,
}

/// A data-path register (no reset: qualified by its stage's valid).
fn dp(m: &mut Module, name: &str, w: u32) -> Result<Reg> {
    m.reg(name, UInt(w)).no_reset().build()
}

/// The legalizer for `data_bits`-wide beats, `addr_bits` addresses, bursts of
/// at most `max_burst` beats and a page table of `table_entries`.
pub fn legalizer(data_bits: u32, addr_bits: u32, max_burst: u32, table_entries: u32) -> Result<Module> {
    // Its parameters are DMA configuration fields: golden's ranges, checked
    // by golden, with the fields the legalizer does not take at defaults.
    let cfg = DmaConfig { data_bits, addr_bits, max_burst, table_entries, ..DmaConfig::default() };
    config("serrano_dma_legalizer", cfg.validate())?;
    let a = addr_bits;
    let lay = DescLayout::new(a);
    let mut m = Module::new(&legalizer_name(data_bits, a, max_burst, table_entries));
    m.doc("DMA burst legalizer: segments of a descriptor -> INCR bursts (<= max_burst beats, no 4 KiB crossing).");

    let in_valid = m.input_doc("in_valid", Bit, "a checked descriptor is offered")?;
    let in_desc = m.input_doc("in_desc", UInt(lay.width()), "packed descriptor")?;
    let in_err = m.input_doc("in_err", UInt(8), "its validation status (0 = valid)")?;
    let out_ready = m.input_doc("out_ready", Bit, "the burst record is taken")?;
    let tbl_rdata = m.input_doc("tbl_rdata", UInt(a), "page-table entry read in the previous cycle")?;

    let (g, seg, p, o) = state_regs(&mut m, data_bits, a, table_entries)?;
    let s_taken = splitter(&mut m, data_bits, a, max_burst, &seg, &p, &o, &out_ready)?;
    let gen = segment_generator(&mut m, a, &g, &seg, &s_taken, &tbl_rdata, &in_valid)?;
    let (tbl_ren, tbl_raddr) = walk(&mut m, a, table_entries, &g, &gen, &in_desc, &in_err)?;

    let busy = &g.busy.q | &seg.valid.q | &p.valid.q | &o.valid.q;
    m.output_doc("in_ready", &gen.in_ready, "a descriptor can be taken")?;
    m.output_doc("out_valid", &o.valid.q, "a burst (or null) record is offered")?;
    m.output_doc("out_addr", &o.addr.q, "AxADDR: the first byte's address")?;
    m.output_doc("out_len", &o.len.q, "AxLEN: beats - 1")?;
    m.output_doc("out_lo", &o.lo.q, "first lane of the first beat")?;
    m.output_doc("out_hi", &o.hi.q, "one past the last lane of the last beat")?;
    m.output_doc("out_last", &o.last.q, "last record of its descriptor")?;
    m.output_doc("out_tag", &o.tag.q, "the descriptor's tag")?;
    m.output_doc("out_null", &o.null.q, "a rejected descriptor: no burst")?;
    m.output_doc("out_err", &o.err.q, "a rejected descriptor's error code")?;
    m.output_doc("tbl_ren", &tbl_ren, "read a page-table entry")?;
    m.output_doc("tbl_raddr", &tbl_raddr, "which entry")?;
    m.output_doc("busy", &busy, "holding a descriptor or a record")?;
    Ok(m)
}

/// The pipeline's registers, in stage order: the generator's walk state,
/// the segment register, the splitter's segment and the output record.
fn state_regs(
    m: &mut Module,
    data_bits: u32,
    a: u32,
    table_entries: u32,
) -> Result<(GenRegs, SegRegs, SegRegs, OutRegs)> {
    let lb = (data_bits / 8).trailing_zeros();
    let tb = index_bits(table_entries as u64);
    let g = GenRegs {
        busy: m.reg("g_busy", Bit).reset(0).build()?,
        null: dp(m, "g_null", 1)?,
        err: dp(m, "g_err", 8)?,
        tag: dp(m, "g_tag", 16)?,
        kind: dp(m, "g_kind", 3)?,
        len: dp(m, "g_len", 32)?,
        c1: dp(m, "g_c1", 16)?,
        c1_left: dp(m, "g_c1_left", 16)?,
        c2_left: dp(m, "g_c2_left", 16)?,
        s1: dp(m, "g_s1", a)?,
        s2: dp(m, "g_s2", a)?,
        row: dp(m, "g_row", a)?,
        plane: dp(m, "g_plane", a)?,
        tidx: dp(m, "g_tidx", tb)?,
        off: dp(m, "g_off", 32)?,
        rem: dp(m, "g_rem", 32)?,
        shift: dp(m, "g_shift", 5)?,
    };
    let seg = SegRegs {
        valid: m.reg("s_valid", Bit).reset(0).build()?,
        addr: dp(m, "s_addr", a)?,
        len: dp(m, "s_len", 32)?,
        last: dp(m, "s_last", 1)?,
        tag: dp(m, "s_tag", 16)?,
        null: dp(m, "s_null", 1)?,
        err: dp(m, "s_err", 8)?,
    };
    let p = SegRegs {
        valid: m.reg("p_valid", Bit).reset(0).build()?,
        addr: dp(m, "p_addr", a)?,
        len: dp(m, "p_rem", 32)?,
        last: dp(m, "p_last", 1)?,
        tag: dp(m, "p_tag", 16)?,
        null: dp(m, "p_null", 1)?,
        err: dp(m, "p_err", 8)?,
    };
    let o = OutRegs {
        valid: m.reg("o_valid", Bit).reset(0).build()?,
        addr: dp(m, "o_addr", a)?,
        len: dp(m, "o_len", 8)?,
        lo: dp(m, "o_lo", lb)?,
        hi: dp(m, "o_hi", lb + 1)?,
        last: dp(m, "o_last", 1)?,
        tag: dp(m, "o_tag", 16)?,
        null: dp(m, "o_null", 1)?,
        err: dp(m, "o_err", 8)?,
    };
    Ok((g, seg, p, o))
}

/// The splitter. In: the segment register, the output register's READY.
/// Out: one burst record per cycle into the output register (as long as
/// possible: to the segment's end, at most `max_burst` beats, never across
/// 4 KiB; a null segment passes as one null record); `s_taken`, the segment
/// register is emptied (the splitter takes the next segment in the cycle it
/// emits the last burst of this one).
#[allow(clippy::too_many_arguments)]
fn splitter(
    m: &mut Module,
    data_bits: u32,
    a: u32,
    max_burst: u32,
    seg: &SegRegs,
    p: &SegRegs,
    o: &OutRegs,
    out_ready: &Expr,
) -> Result<Expr> {
    let nb = data_bits / 8;
    let lb = nb.trailing_zeros();
    let lo = m.node("lo", p.addr.q.trunc(lb))?;
    let needed = m.node("needed", (p.len.q.zext(34) + lo.zext(34) + lit(nb as u128 - 1, 34)).shr_const(lb))?;
    let to4k = m.node("to4k", lit(4096 / nb as u128, 13) - p.addr.q.slice(11, lb).zext(13))?;
    let cap = m.node("cap", min(&to4k, &lit(max_burst as u128, 13)))?;
    let ends = m.node("ends", needed.cmp_le(cap.zext(34)))?;
    let beats = m.node("beats", mux(&ends, &needed.trunc(13), &cap))?;
    let bytes_full = cap.zext(32).shl_const(lb) - lo.zext(32);
    let bytes = m.node("bytes", mux(&ends, &p.len.q, &bytes_full))?;
    let hi_end = (&p.len.q.trunc(lb) + &lo - 1).zext(lb + 1) + 1;
    let hi = mux(&ends, &hi_end, &lit(nb as u128, lb + 1));

    let o_free = m.node("o_free", !&o.valid.q | out_ready)?;
    let fire = m.node("fire", &p.valid.q & &o_free)?;
    let p_done = m.node("p_done", &fire & (&p.null.q | &ends))?;
    let take = m.node("take", !&p.valid.q | &p_done)?;
    let s_taken = m.node("s_taken", &take & &seg.valid.q)?;

    m.set_next(&p.valid, mux(&take, &seg.valid.q, &p.valid.q))?;
    m.set_next(
        &p.addr,
        pmux(&[(take.clone(), seg.addr.q.clone()), (fire.clone(), &p.addr.q + bytes.zext(a))], &p.addr.q),
    )?;
    m.set_next(&p.len, pmux(&[(take.clone(), seg.len.q.clone()), (fire.clone(), &p.len.q - &bytes)], &p.len.q))?;
    for (pr, sr) in [(&p.last, &seg.last), (&p.tag, &seg.tag), (&p.null, &seg.null), (&p.err, &seg.err)] {
        m.set_next(pr, mux(&take, &sr.q, &pr.q))?;
    }

    m.set_next(&o.valid, &fire | (&o.valid.q & !out_ready))?;
    m.set_next(&o.addr, mux(&fire, &p.addr.q, &o.addr.q))?;
    m.set_next(&o.len, mux(&fire, &(&beats - 1).trunc(8), &o.len.q))?;
    m.set_next(&o.lo, mux(&fire, &lo, &o.lo.q))?;
    m.set_next(&o.hi, mux(&fire, &hi, &o.hi.q))?;
    m.set_next(&o.last, mux(&fire, &(&p.last.q & (&ends | &p.null.q)), &o.last.q))?;
    m.set_next(&o.tag, mux(&fire, &p.tag.q, &o.tag.q))?;
    m.set_next(&o.null, mux(&fire, &p.null.q, &o.null.q))?;
    m.set_next(&o.err, mux(&fire, &p.err.q, &o.err.q))?;
    Ok(s_taken)
}

/// What the segment generator tells the walk.
struct Gen {
    is_pg: Expr,
    emit: Expr,
    gen_last: Expr,
    pg_n: Expr,
    accept: Expr,
    in_ready: Expr,
}

/// The segment generator. In: the walk state, the page-table entry read
/// last cycle, a checked descriptor offered. Out: one segment per cycle into
/// the segment register (linear: the whole range; strided: the current row;
/// paged: the current page's piece at `table entry + offset`), and whether
/// this is the descriptor's last segment (then a new descriptor can be
/// accepted in the same cycle).
fn segment_generator(
    m: &mut Module,
    a: u32,
    g: &GenRegs,
    seg: &SegRegs,
    s_taken: &Expr,
    tbl_rdata: &Expr,
    in_valid: &Expr,
) -> Result<Gen> {
    let is_pg = m.node("g_is_pg", g.kind.q.cmp_eq(3))?;
    let is_str = m.node("g_is_str", g.kind.q.cmp_eq(1) | g.kind.q.cmp_eq(2))?;
    let s_free = m.node("s_free", !&seg.valid.q | s_taken)?;
    let emit = m.node("emit", &g.busy.q & &s_free)?;

    // Paged: the piece of the current page.
    let psize = lit(1, 32).shl(&g.shift.q);
    let room = m.node("room", &psize - &g.off.q)?;
    let pg_n = m.node("pg_n", min(&g.rem.q, &room))?;
    let pg_last = g.rem.q.cmp_le(&room);
    let row_last = g.c1_left.q.cmp_eq(1) & g.c2_left.q.cmp_eq(1);
    let gen_last = m.node(
        "gen_last",
        pmux(&[(g.null.q.clone(), lit(1, 1)), (is_pg.clone(), pg_last), (is_str.clone(), row_last)], &lit(1, 1)),
    )?;
    let seg_addr = mux(&is_pg, &(tbl_rdata + g.off.q.zext(a)), &g.row.q);
    let seg_len = mux(&is_pg, &pg_n, &g.len.q);
    let g_done = m.node("g_done", &emit & &gen_last)?;
    let in_ready = m.node("in_ready_w", !&g.busy.q | &g_done)?;
    let accept = m.node("accept", in_valid & &in_ready)?;

    m.set_next(&seg.valid, mux(&emit, &lit(1, 1), &(&seg.valid.q & !s_taken)))?;
    m.set_next(&seg.addr, mux(&emit, &seg_addr, &seg.addr.q))?;
    m.set_next(&seg.len, mux(&emit, &seg_len, &seg.len.q))?;
    m.set_next(&seg.last, mux(&emit, &gen_last, &seg.last.q))?;
    m.set_next(&seg.tag, mux(&emit, &g.tag.q, &seg.tag.q))?;
    m.set_next(&seg.null, mux(&emit, &g.null.q, &seg.null.q))?;
    m.set_next(&seg.err, mux(&emit, &g.err.q, &seg.err.q))?;
    m.set_next(&g.busy, &accept | (&g.busy.q & !&g_done))?;
    Ok(Gen { is_pg, emit, gen_last, pg_n, accept, in_ready })
}

/// The walk. In: the accepted descriptor and its validation status, the
/// generator's `emit`. Out: the walk state's next values (accepting a
/// descriptor loads it; each emitted segment steps it: rows inner, planes
/// outer; the next page from offset 0) and the page-table read (the first
/// page's entry on accepting a paged descriptor, the next page's entry when
/// a page's piece is emitted), as (`tbl_ren`, `tbl_raddr`).
fn walk(
    m: &mut Module,
    a: u32,
    table_entries: u32,
    g: &GenRegs,
    gen: &Gen,
    in_desc: &Expr,
    in_err: &Expr,
) -> Result<(Expr, Expr)> {
    let tb = index_bits(table_entries as u64);
    let (accept, emit) = (&gen.accept, &gen.emit);
    let f = DescLayout::new(a).unpack(m, "in", in_desc)?;
    m.allow_unused(&f.table_base, "only the table-index bits are used")?;
    let in_is_pg = f.kind.cmp_eq(3);
    let in_null = in_err.cmp_ne(0);
    let in_off = f.addr.trunc(32) & !ones(32).shl(&f.page_shift);
    let in_tidx = f.table_base.trunc(tb) + f.addr.shr(&f.page_shift).trunc(tb);
    let load = |m: &mut Module, r: &Reg, v: Expr, step: Option<Expr>| {
        let cur = r.q.clone();
        let stepped = match step {
            Some(s) => s,
            None => cur.clone(),
        };
        m.set_next(r, mux(accept, &v, &mux(emit, &stepped, &cur)))
    };
    load(m, &g.null, in_null.clone(), None)?;
    load(m, &g.err, in_err.clone(), None)?;
    load(m, &g.tag, f.tag.clone(), None)?;
    load(m, &g.kind, f.kind.clone(), None)?;
    load(m, &g.len, f.len.clone(), None)?;
    load(m, &g.c1, f.count1.clone(), None)?;
    load(m, &g.s1, f.stride1.clone(), None)?;
    load(m, &g.s2, f.stride2.clone(), None)?;
    load(m, &g.shift, f.page_shift.clone(), None)?;
    // Strided walk: rows inner, planes outer.
    let row_wrap = g.c1_left.q.cmp_eq(1);
    let next_plane = &g.plane.q + &g.s2.q;
    load(m, &g.c1_left, f.count1.clone(), Some(mux(&row_wrap, &g.c1.q, &(&g.c1_left.q - 1))))?;
    load(
        m,
        &g.c2_left,
        mux(&f.kind.cmp_eq(2), &f.count2, &lit(1, 16)),
        Some(mux(&row_wrap, &(&g.c2_left.q - 1), &g.c2_left.q)),
    )?;
    load(m, &g.plane, f.addr.clone(), Some(mux(&row_wrap, &next_plane, &g.plane.q)))?;
    load(m, &g.row, f.addr.clone(), Some(mux(&row_wrap, &next_plane, &(&g.row.q + &g.s1.q))))?;
    // Paged walk: next page from offset 0.
    load(m, &g.rem, f.len.clone(), Some(&g.rem.q - &gen.pg_n))?;
    load(m, &g.off, in_off, Some(zeros(32)))?;
    load(m, &g.tidx, in_tidx.clone(), Some(&g.tidx.q + 1))?;

    let ren_accept = accept & &in_is_pg & !&in_null;
    let ren_emit = emit & &gen.is_pg & !&g.null.q & !&gen.gen_last;
    let tbl_ren = m.node("tbl_ren_w", &ren_accept | &ren_emit)?;
    let tbl_raddr = mux(&ren_accept, &in_tidx, &(&g.tidx.q + 1));
    Ok((tbl_ren, tbl_raddr))
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

/// The inputs both engines take from the register block, declared in the
/// same order by each: the descriptor queue's head, the page-table write
/// port and the AXI attributes.
pub struct EngineInputs {
    pub desc_valid: Expr,
    pub desc: Expr,
    pub tbl_we: Expr,
    pub tbl_waddr: Expr,
    pub tbl_wdata: Expr,
    pub axi_cache: Expr,
    pub axi_prot: Expr,
}

/// Declare an engine's [`EngineInputs`]; `ax` is its address channel ("AR"
/// or "AW"), for the port comments.
pub fn engine_inputs(m: &mut Module, cfg: &golden::DmaConfig, ax: &str) -> Result<EngineInputs> {
    let a = cfg.addr_bits;
    Ok(EngineInputs {
        desc_valid: m.input_doc("desc_valid", Bit, "a descriptor is offered (from the queue)")?,
        desc: m.input_doc("desc", UInt(DescLayout::new(a).width()), "packed descriptor (dma_desc)")?,
        tbl_we: m.input_doc("tbl_we", Bit, "write a page-table entry")?,
        tbl_waddr: m.input_doc("tbl_waddr", UInt(index_bits(cfg.table_entries as u64)), "entry")?,
        tbl_wdata: m.input_doc("tbl_wdata", UInt(a), "page base address")?,
        axi_cache: m.input_doc("axi_cache", UInt(4), &format!("{ax}CACHE to use"))?,
        axi_prot: m.input_doc("axi_prot", UInt(3), &format!("{ax}PROT to use"))?,
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
pub fn front_end(m: &mut Module, cfg: &golden::DmaConfig, inp: &EngineInputs) -> Result<FrontEnd> {
    let a = cfg.addr_bits;
    let tb = index_bits(cfg.table_entries as u64);
    let (desc_valid, desc) = (&inp.desc_valid, &inp.desc);
    let (tbl_we, tbl_waddr, tbl_wdata) = (&inp.tbl_we, &inp.tbl_waddr, &inp.tbl_wdata);
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

/// The burst record an engine keeps in its in-flight FIFO, for `2^lb`-byte
/// beats, least significant first: the beat count minus one, the first and
/// end byte lanes, the descriptor's last burst, its tag, a null record (no
/// transaction: the descriptor failed) and its error code. The address is
/// not stored: only the transaction needs it.
pub fn burst_record(lb: u32) -> Record {
    Record::new(
        "burst",
        &[
            ("len", UInt(8)),
            ("lo", UInt(lb)),
            ("hi", UInt(lb + 1)),
            ("last", Bit),
            ("tag", UInt(16)),
            ("null", Bit),
            ("err", UInt(8)),
        ],
    )
}

/// `r` packed as a [`burst_record`], declared in `m` as wire `name`.
pub fn pack_record(m: &mut Module, name: &str, r: &BurstRecord, lb: u32) -> Result<Expr> {
    let v = [
        ("len", &r.len),
        ("lo", &r.lo),
        ("hi", &r.hi),
        ("last", &r.last),
        ("tag", &r.tag),
        ("null", &r.null),
        ("err", &r.err),
    ];
    burst_record(lb).pack(m, name, &v)
}

/// The width of a [`burst_record`] for `2^lb`-byte beats.
pub fn record_bits(lb: u32) -> u32 {
    burst_record(lb).width()
}

/// Unpack a [`burst_record`] word into wires `prefix_field` (`addr`, not
/// stored, is a one-bit zero that no engine reads).
pub fn unpack_record(m: &mut Module, prefix: &str, w: &Expr, lb: u32) -> Result<BurstRecord> {
    let f = burst_record(lb).unpack(m, prefix, w)?;
    Ok(BurstRecord {
        addr: lit(0, 1),
        len: f.get("len")?,
        lo: f.get("lo")?,
        hi: f.get("hi")?,
        last: f.get("last")?,
        tag: f.get("tag")?,
        null: f.get("null")?,
        err: f.get("err")?,
    })
}
