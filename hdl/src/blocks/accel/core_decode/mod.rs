//! The core's command decoder: between the command fetch and dispatch, it
//! finds every fault of `docs/isa.md` ("Faults") that is found before
//! dispatch, in golden's order, and computes each command's scoreboard
//! footprint and the amount it adds to its architectural counter at
//! retirement (`golden::core::check`, `golden::core::retire_amount`).
//!
//! * Input (`cmd_*`, valid/ready slave, as `core_expand` offers it): `data`
//!   (the 256 bits, byte `k` on bits `8k+7:8k`), `index` (ring index), `resp`
//!   (0, or the AXI error response of its fetch), `last` (the last command
//!   of its ring slot; passed on as `dec_last`).
//! * Page tables: `rtbl_*` and `wtbl_*` write copies of the read and write
//!   engines' page tables (as the engines' `tbl_we/tbl_waddr/tbl_wdata`; the
//!   host writes each entry into the engine and here). One DMA validator
//!   (`dma::validate`) reads the read table for DMA_LOAD and the write table
//!   for DMA_STORE, so DMA_DESCRIPTOR carries golden::dma::validate's status.
//! * Output (`dec_*`, valid/ready master): `data` (the raw command), `index`,
//!   `opcode`, `queue` (0 control, 1 load, 2 compute, 3 store; 0 for an
//!   unknown opcode), `err` (golden's `ErrorCode`, 0: every check passed),
//!   `dma_status` (the DMA status of DMA_DESCRIPTOR and AXI_FETCH, else 0),
//!   `rd_lo/rd_hi/wr_lo/wr_hi` (the footprint's line intervals `[lo, hi)`,
//!   `lo = hi = 0` for none; `line_bits + 1` bits) and `amount` (64 bits,
//!   `retire_amount`), `last`. The fields after `dma_status` but `last` are
//!   meaningful only when `err = 0`. The payload comes from registers and holds while `dec_valid` waits.
//! * Checks, first failing gives the code: AXI_FETCH (`resp >= 2`),
//!   UNKNOWN_OPCODE, RESERVED_BITS (masks and field slices generated from
//!   golden's ISA table), NO_REQUANT, BAD_FIELD, DMA_DESCRIPTOR, SPAD_RANGE
//!   (the full-width end against the scratchpad's lines), TILE_SEQUENCE.
//! * A TILE_MATMUL here is one `core_expand` refused: BAD_FIELD (golden's
//!   `MatmulCmd::check`) unless AXI_FETCH or RESERVED_BITS comes first.
//! * TILE_SEQUENCE keeps golden's `fold_pending`: a command that leaves with
//!   `err = 0` updates it (TILE_LOAD sets, TILE_COMPUTE clears); `clear_fold`
//!   and reset clear it (`clear_fold` wins over a leaving command). It is
//!   sampled in the FIN phase, so a `clear_fold` while a command waits on
//!   `dec_valid` does not change that command (the command processor raises
//!   `clear_fold` with `flush`, which drops it).
//! * `flush`: drops the command inside; no command is taken or offered in
//!   that cycle (`cmd_ready` and `dec_valid` are low). A descriptor still in
//!   the validator is drained before the next command is taken.
//! * Timing: one command at a time, in phases. P1: the one-cycle checks
//!   (registered) and the multiplier lanes loaded; a command that faults
//!   here leaves next. MUL: `(count − 1) × stride` for each interval and the
//!   counter product, 10 multiplier bits per cycle (1 cycle for counts up to
//!   1024, 2 above). FIN: the intervals, SPAD_RANGE and TILE_SEQUENCE. OUT:
//!   offered. A command is taken in the cycle the previous one leaves, so
//!   non-DMA commands with counts up to 1024 (every TILE_* of the presets,
//!   whose `acc_depth` is at most 1024) leave one every 4 cycles with
//!   `dec_ready` high; a SOFTMAX of more rows takes 5. DMA commands add
//!   DSET, MULD (bytes = len × rows·planes, one bit of rows·planes per
//!   cycle, as the validator's shift-and-add) and DEND (lines and end), and
//!   FIN waits for the validator (1 cycle for linear descriptors, about one
//!   per count bit for strided ones, one per table entry for paged ones).
//!   No wide multiplier: the widest product is a 10-bit digit times 20 bits.

use golden::core::isa::{op_info, Field, OpInfo, Queue, OPS};
use golden::core::isa::{
    OP_DMA_LOAD, OP_DMA_STORE, OP_SOFTMAX, OP_TILE_COMPUTE, OP_TILE_LOAD, OP_TILE_MATMUL, OP_TILE_QPARAM, OP_TILE_READ,
};
use golden::core::{isa::ErrorCode, CoreParams};
use golden::dma::Status;
use golden::softmax::SoftmaxParams;
use golden::tile::gemm::MAX_SHIFT;
use golden::{Config, CoreConfig};

use crate::blocks::accel::cmd_fields::dma_desc;
use crate::blocks::accel::core_fetch::INDEX_BITS;
use crate::blocks::common::lanes::{index_bits, lit, pmux, zeros};
use crate::blocks::common::params::{check_pow2, config};
use crate::blocks::dma::validate::validate;
use crate::core::{mux, Bit, Bundle, Expr, HdlError, Module, Reg, Result, Role, UInt};

mod footprint;

use footprint::footprint;

/// The block's name in parameter errors.
pub const CORE_DECODE_BLOCK: &str = "serrano_core_decode";
const CMD_BITS: u32 = 256;
/// Width of a footprint end: a 20-bit line, a 40-bit product and the lines
/// of one access, exact.
const END_BITS: u32 = 42;

const EMPTY: i64 = 0;
const P1: i64 = 1;
const MUL: i64 = 2;
const DSET: i64 = 3;
const MULD: i64 = 4;
const DEND: i64 = 5;
const FIN: i64 = 6;
const OUT: i64 = 7;
/// Bits of the shared multiplier taken per MUL cycle.
const RADIX_BITS: u32 = 10;

/// `serrano_core_decode_l16_n16384_t16x16x512q_s8x8x1024_a32p64`: line
/// bytes, lines, the tile (rows × cols × acc_depth, q with requantization),
/// the softmax unit (in, out bits, max_len), the DMA (address bits, table entries).
pub fn core_decode_name(p: &CoreParams) -> String {
    let s = &p.systolic;
    let sm = &p.softmax;
    format!(
        "serrano_core_decode_l{}_n{}_t{}x{}x{}{}_s{}x{}x{}_a{}p{}",
        p.line,
        p.lines,
        s.rows,
        s.cols,
        s.acc_depth,
        if s.requant { "q" } else { "n" },
        sm.in_bits,
        sm.out_bits,
        sm.max_len,
        p.dma.addr_bits,
        p.dma.table_entries
    )
}

fn info(opcode: u8) -> Result<&'static OpInfo> {
    op_info(opcode).ok_or_else(|| HdlError::parameter(CORE_DECODE_BLOCK, format!("opcode {opcode:#x} not in the ISA")))
}

/// Bits of the held command `d` that field `f` covers.
fn slice(d: &Expr, f: &Field) -> Expr {
    d.slice(f.msb(), f.lsb)
}

/// Field `name` of opcode `op` in the held command.
fn fld(d: &Expr, op: u8, name: &str) -> Result<Expr> {
    Ok(slice(d, info(op)?.field(name)))
}

/// `e` to `w` bits (zero-extended or truncated).
fn fit(e: &Expr, w: u32) -> Expr {
    match e.width() {
        x if x == w => e.clone(),
        x if x < w => e.zext(w),
        _ => e.trunc(w),
    }
}

fn code(c: ErrorCode) -> Expr {
    lit(c.code() as u128, 8)
}

/// The parameters as golden's configuration, validated by golden.
fn check_params(p: &CoreParams) -> Result<()> {
    let bytes = p.line as u64 * p.lines as u64;
    if p.line != p.dma.data_bytes() || !bytes.is_multiple_of(1024) {
        return Err(HdlError::parameter(
            CORE_DECODE_BLOCK,
            format!("line = {}, lines = {}: must be dma.data_bits / 8 and fill whole KiB", p.line, p.lines),
        ));
    }
    let core = CoreConfig { spad_kib: (bytes / 1024) as u32, spad_banks: p.banks, in_flight: p.in_flight };
    let cfg =
        Config { description: String::new(), systolic: p.systolic, softmax: p.softmax, dma: p.dma, core: Some(core) };
    config(CORE_DECODE_BLOCK, cfg.validate())?;
    check_pow2(CORE_DECODE_BLOCK, "lines", p.lines, 16..=1 << 19)
}

/// The decoder's registers.
struct Regs {
    ph: Reg,
    d: Reg,
    index: Reg,
    resp: Reg,
    last: Reg,
    err: Reg,
    dstat: Reg,
    mp: Reg,
    k: Reg,
    ma: Reg,
    mb: Reg,
    mc: Reg,
    pa: Reg,
    pb: Reg,
    pc: Reg,
    dm: Reg,
    dmc: Reg,
    dq: Reg,
    dend: Reg,
    fold: Reg,
    drain: Reg,
}

fn regs(m: &mut Module) -> Result<Regs> {
    let r = |m: &mut Module, n: &str, w: u32| m.reg(n, UInt(w)).reset(0).build();
    Ok(Regs {
        ph: m.reg("ph", UInt(3)).reset(EMPTY as i128).doc("phase").build()?,
        d: r(m, "d", CMD_BITS)?,
        index: r(m, "idx", INDEX_BITS)?,
        resp: r(m, "resp", 2)?,
        last: r(m, "last", 1)?,
        err: r(m, "err", 8)?,
        dstat: r(m, "dstat", 8)?,
        mp: r(m, "mp", 20)?,
        k: r(m, "k", 2)?,
        ma: r(m, "ma", 20)?,
        mb: r(m, "mb", 20)?,
        mc: r(m, "mc", 20)?,
        pa: r(m, "pa", END_BITS)?,
        pb: r(m, "pb", END_BITS)?,
        pc: r(m, "pc", END_BITS)?,
        dm: r(m, "dm", 32)?,
        dmc: r(m, "dmc", 64)?,
        dq: r(m, "dq", 64)?,
        dend: r(m, "dend", END_BITS)?,
        fold: m.reg("fold_pending", Bit).reset(0).doc("a TILE_LOAD waits for its TILE_COMPUTE").build()?,
        drain: m.reg("drain", Bit).reset(0).doc("a flushed descriptor is still in the validator").build()?,
    })
}

/// Which opcode the held command has.
struct Ops {
    known: Expr,
    dma: Expr,
    store: Expr,
    tload: Expr,
    tcomp: Expr,
    tread: Expr,
    qparam: Expr,
    smax: Expr,
    matmul: Expr,
    queue: Expr,
}

fn ops(m: &mut Module, d: &Expr) -> Result<Ops> {
    let opc = d.slice(7, 0);
    let is = |m: &mut Module, n: &str, op: u8| m.node(n, opc.cmp_eq(op as i64));
    let dload = is(m, "is_dload", OP_DMA_LOAD)?;
    let store = is(m, "is_dstore", OP_DMA_STORE)?;
    let known = OPS.iter().fold(lit(0, 1), |acc, o| acc | opc.cmp_eq(o.opcode as i64));
    let qcode = |q: Queue| match q {
        Queue::Control => 0,
        Queue::Load => 1,
        Queue::Compute => 2,
        Queue::Store => 3,
    };
    let cases: Vec<(Expr, Expr)> = OPS.iter().map(|o| (opc.cmp_eq(o.opcode as i64), lit(qcode(o.queue), 2))).collect();
    Ok(Ops {
        known: m.node("known", known)?,
        dma: m.node("is_dma", &dload | &store)?,
        store,
        tload: is(m, "is_tload", OP_TILE_LOAD)?,
        tcomp: is(m, "is_tcomp", OP_TILE_COMPUTE)?,
        tread: is(m, "is_tread", OP_TILE_READ)?,
        qparam: is(m, "is_qparam", OP_TILE_QPARAM)?,
        smax: is(m, "is_smax", OP_SOFTMAX)?,
        matmul: is(m, "is_matmul", OP_TILE_MATMUL)?,
        queue: m.node("queue", pmux(&cases, &lit(0, 2)))?,
    })
}

/// The one-cycle checks of P1: the code of the first that fails (0: none).
fn early_err(m: &mut Module, p: &CoreParams, d: &Expr, resp: &Expr, o: &Ops) -> Result<Expr> {
    let opc = d.slice(7, 0);
    // RESERVED_BITS: per opcode, an OR of its constant reserved ranges.
    let rsv = OPS.iter().fold(lit(0, 1), |acc, op| {
        let any = op.reserved().iter().fold(lit(0, 1), |a, &(lsb, w)| a | d.slice(lsb + w - 1, lsb).any());
        acc | (opc.cmp_eq(op.opcode as i64) & any)
    });
    let reserved = m.node("reserved_set", rsv)?;
    let (r, c, l) = (p.systolic.rows, p.systolic.cols, p.line);
    let rows_ok = |e: &Expr| e.cmp_ge(1) & e.cmp_le(p.systolic.acc_depth as i64);
    // TILE_READ: rows of 4C bytes (int32) or C bytes (requantized).
    let rq = fld(d, OP_TILE_READ, "requant")?.bit(0);
    let slices = |row: u32| if row < l { l / row } else { 1 } as i64;
    let c_off = fld(d, OP_TILE_READ, "c_off")?;
    let c_off_ok = mux(&rq, &c_off.cmp_lt(slices(c)), &c_off.cmp_lt(slices(4 * c)));
    let tread_bad = !(rows_ok(&fld(d, OP_TILE_READ, "rows")?) & c_off_ok);
    let kr = fld(d, OP_TILE_LOAD, "k_rows")?;
    let tload_bad = !(kr.cmp_ge(1) & kr.cmp_le(r as i64) & fld(d, OP_TILE_LOAD, "b_off")?.cmp_lt((l / c) as i64));
    let tcomp_bad =
        !(rows_ok(&fld(d, OP_TILE_COMPUTE, "rows")?) & fld(d, OP_TILE_COMPUTE, "a_off")?.cmp_lt((l / r) as i64));
    let all_cols = fld(d, OP_TILE_QPARAM, "all_cols")?.bit(0);
    let qparam_bad = fld(d, OP_TILE_QPARAM, "shift")?.cmp_gt(MAX_SHIFT as i64)
        | (!&all_cols & fld(d, OP_TILE_QPARAM, "col")?.cmp_ge(c as i64));
    let len = fld(d, OP_SOFTMAX, "len")?;
    let k = fld(d, OP_SOFTMAX, "k")?;
    let k_bits = SoftmaxParams::new(&p.softmax).k_bits;
    let k_high = if k_bits < k.width() { k.shr_const(k_bits).cmp_ne(0) } else { lit(0, 1) };
    // int8 probabilities exist only for UQ0.8 outputs.
    let int8_bad = if p.softmax.out_bits == 8 { lit(0, 1) } else { fld(d, OP_SOFTMAX, "int8_out")?.bit(0) };
    let smax_bad = fld(d, OP_SOFTMAX, "rows")?.cmp_eq(0)
        | len.cmp_eq(0)
        | len.cmp_gt(p.softmax.max_len as i64)
        | k.cmp_eq(0)
        | k_high
        | int8_bad;
    let norq = if p.systolic.requant { lit(0, 1) } else { &o.qparam | (&o.tread & &rq) };
    let bad = (&o.tload & tload_bad)
        | (&o.tcomp & tcomp_bad)
        | (&o.tread & tread_bad)
        | (&o.qparam & qparam_bad)
        | (&o.smax & smax_bad)
        | &o.matmul;
    m.node(
        "early_err",
        pmux(
            &[
                (resp.bit(1), code(ErrorCode::AxiFetch)),
                (!&o.known, code(ErrorCode::UnknownOpcode)),
                (reserved, code(ErrorCode::ReservedBits)),
                (norq, code(ErrorCode::NoRequant)),
                (bad, code(ErrorCode::BadField)),
            ],
            &lit(0, 8),
        ),
    )
}

/// The held DMA command as the validator's packed descriptor (its address
/// and strides cut or extended to `dma.addr_bits`, as golden's `masked`),
/// built as the load and store engines build theirs.
fn descriptor(m: &mut Module, p: &CoreParams, d: &Expr) -> Result<Expr> {
    dma_desc(m, "v", d, OP_DMA_LOAD, p.dma.addr_bits, &zeros(16))
}

pub fn core_decode(p: &CoreParams) -> Result<Module> {
    check_params(p)?;
    let line_bits = index_bits(p.lines as u64);
    let lw = line_bits + 1;
    let (a, te) = (p.dma.addr_bits, p.dma.table_entries);
    let tb = index_bits(te as u64);
    let mut m = Module::new(&core_decode_name(p));
    m.doc("Command decoder: the checks before dispatch, the footprint and the counter amount of each command.");
    let fields = [("data", CMD_BITS), ("index", INDEX_BITS), ("resp", 2), ("last", 1)];
    let cmd = m.bundle_ports("cmd", &Bundle::valid_ready(&fields), Role::Slave)?;
    let mut tables = Vec::new();
    for t in ["rtbl", "wtbl"] {
        let we = m.input_doc(&format!("{t}_we"), Bit, "write a page-table entry (copy of the engine's)")?;
        let waddr = m.input_doc(&format!("{t}_waddr"), UInt(tb), "entry")?;
        let wdata = m.input_doc(&format!("{t}_wdata"), UInt(a), "page base address")?;
        let mem = m.memory(&format!("{t}_mem"), UInt(a), te)?;
        m.mem_write(&mem, &we, &waddr, &wdata)?;
        tables.push(mem);
    }
    let flush = m.input_doc("flush", Bit, "drop the command inside")?;
    let clear_fold = m.input_doc("clear_fold", Bit, "forget the pending weight fold")?;
    let out_fields = [
        ("data", CMD_BITS),
        ("index", INDEX_BITS),
        ("opcode", 8),
        ("queue", 2),
        ("err", 8),
        ("dma_status", 8),
        ("rd_lo", lw),
        ("rd_hi", lw),
        ("wr_lo", lw),
        ("wr_hi", lw),
        ("amount", 64),
        ("last", 1),
    ];
    let dec = m.bundle_ports("dec", &Bundle::valid_ready(&out_fields), Role::Master)?;

    let r = regs(&mut m)?;
    let d = r.d.q.clone();
    let o = ops(&mut m, &d)?;
    let in_ph = |ph: i64| r.ph.q.cmp_eq(ph);
    let early = early_err(&mut m, p, &d, &r.resp.q, &o)?;
    let early_bad = m.node("early_bad", early.cmp_ne(0))?;

    // ---- The validator and its table -----------------------------------------
    let v_q = m.wire("v_tbl_q", UInt(a))?;
    let v_ready = m.wire("v_out_ready", Bit)?;
    let v_offer = m.node("v_offer", in_ph(P1) & &o.dma & !&early_bad & !&flush)?;
    let vdesc = descriptor(&mut m, p, &d)?;
    let vmod = validate(a, te)?;
    let v = m.instance(
        "validator",
        &vmod,
        &[("in_valid", &v_offer), ("in_desc", &vdesc), ("out_ready", &v_ready), ("tbl_rdata", &v_q)],
    )?;
    m.allow_unused(&v.out("in_ready")?, "one command at a time: the validator is idle when P1 offers")?;
    m.allow_unused(&v.out("out_desc")?, "the command itself leaves on dec_data")?;
    let (v_ren, v_raddr) = (v.out("tbl_ren")?, v.out("tbl_raddr")?);
    let rq = m.mem_read(&tables[0], "rtbl_q", &(&v_ren & !&o.store), &v_raddr)?;
    let wq = m.mem_read(&tables[1], "wtbl_q", &(&v_ren & &o.store), &v_raddr)?;
    m.assign(&v_q, mux(&o.store, &wq, &rq))?;
    let (v_valid, v_err, v_busy) = (v.out("out_valid")?, v.out("out_err")?, v.out("busy")?);
    m.assign(&v_ready, in_ph(FIN) | &r.drain.q | &flush)?;
    m.set_next(&r.drain, (&flush | &r.drain.q) & &v_busy & !&v_valid)?;

    // ---- Handshakes and phases -----------------------------------------------
    let dec_ready = dec.get("ready")?;
    let dec_valid = m.node("dec_valid_w", in_ph(OUT) & !&flush)?;
    let leave = m.node("leave", &dec_valid & &dec_ready)?;
    let cmd_ready = m.node("cmd_ready_w", !&flush & !&r.drain.q & (in_ph(EMPTY) | &leave))?;
    let accept = m.node("accept", cmd.get("valid")? & &cmd_ready)?;
    let fp = footprint(&mut m, p, &r, &o, &in_ph)?;
    let fin_go = m.node("fin_go", in_ph(FIN) & (!&o.dma | &v_valid))?;
    m.set_next(
        &r.ph,
        pmux(
            &[
                (flush.clone(), lit(EMPTY as u128, 3)),
                (accept.clone(), lit(P1 as u128, 3)),
                (leave.clone(), lit(EMPTY as u128, 3)),
                (in_ph(P1) & &early_bad, lit(OUT as u128, 3)),
                (in_ph(P1), lit(MUL as u128, 3)),
                (&fp.mul_last & &o.dma, lit(DSET as u128, 3)),
                (fp.mul_last.clone(), lit(FIN as u128, 3)),
                (in_ph(DSET), lit(MULD as u128, 3)),
                (fp.muld_last.clone(), lit(DEND as u128, 3)),
                (in_ph(DEND), lit(FIN as u128, 3)),
                (fin_go.clone(), lit(OUT as u128, 3)),
            ],
            &r.ph.q,
        ),
    )?;
    m.set_next(&r.d, mux(&accept, &cmd.get("data")?, &d))?;
    m.set_next(&r.index, mux(&accept, &cmd.get("index")?, &r.index.q))?;
    m.set_next(&r.resp, mux(&accept, &cmd.get("resp")?, &r.resp.q))?;
    m.set_next(&r.last, mux(&accept, &cmd.get("last")?, &r.last.q))?;

    finish(&mut m, &r, &o, &Finish { early, fin_go, v_err, spad: fp.spad.clone(), p1: in_ph(P1) })?;
    let ok = r.err.q.cmp_eq(0);
    let next_fold = pmux(
        &[(clear_fold.clone(), lit(0, 1)), (&leave & &ok & &o.tload, lit(1, 1)), (&leave & &ok & &o.tcomp, lit(0, 1))],
        &r.fold.q,
    );
    m.set_next(&r.fold, next_fold)?;

    cmd.drive(&mut m, "ready", &cmd_ready)?;
    dec.drive(&mut m, "valid", &dec_valid)?;
    dec.drive(&mut m, "data", &d)?;
    dec.drive(&mut m, "index", &r.index.q)?;
    dec.drive(&mut m, "opcode", d.slice(7, 0))?;
    dec.drive(&mut m, "queue", &o.queue)?;
    dec.drive(&mut m, "err", &r.err.q)?;
    dec.drive(&mut m, "dma_status", &r.dstat.q)?;
    for (name, v) in ["rd_lo", "rd_hi", "wr_lo", "wr_hi"].iter().zip(&fp.ends) {
        dec.drive(&mut m, name, fit(v, lw))?;
    }
    dec.drive(&mut m, "amount", &fp.amount)?;
    dec.drive(&mut m, "last", &r.last.q)?;
    Ok(m)
}

struct Finish {
    early: Expr,
    fin_go: Expr,
    v_err: Expr,
    spad: Expr,
    p1: Expr,
}

/// The result: P1's code for a command that fails there; in FIN the
/// descriptor's status, the scratchpad range and the tile's sequence.
fn finish(m: &mut Module, r: &Regs, o: &Ops, f: &Finish) -> Result<()> {
    let seq = (&o.tload & &r.fold.q) | (&o.tcomp & !&r.fold.q);
    let vbad = &o.dma & f.v_err.cmp_ne(0);
    let fin_err = pmux(
        &[
            (vbad.clone(), code(ErrorCode::DmaDescriptor)),
            (f.spad.clone(), code(ErrorCode::SpadRange)),
            (seq, code(ErrorCode::TileSequence)),
        ],
        &lit(0, 8),
    );
    let fetch_st =
        mux(&r.resp.q.bit(0), &lit(Status::DecErr.code() as u128, 8), &lit(Status::SlvErr.code() as u128, 8));
    let early_st = mux(&r.resp.q.bit(1), &fetch_st, &lit(0, 8));
    let fin_st = mux(&vbad, &f.v_err, &lit(0, 8));
    m.set_next(&r.err, pmux(&[(f.p1.clone(), f.early.clone()), (f.fin_go.clone(), fin_err)], &r.err.q))?;
    m.set_next(&r.dstat, pmux(&[(f.p1.clone(), early_st), (f.fin_go.clone(), fin_st)], &r.dstat.q))?;
    Ok(())
}
