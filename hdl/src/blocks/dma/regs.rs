//! The DMA's control registers: an AXI4-Lite slave (`s_axil_*`, 16-bit
//! addresses, 32-bit data) with the descriptor queues and completion FIFOs of
//! both engines.
//!
//! Software writes a descriptor's fields into an engine's shadow registers and
//! writes its tag to `PUSH`, which enqueues the shadow registers as they are
//! (they keep their values, so a run of similar descriptors rewrites only
//! what changes). A `PUSH` to a full queue is held (BVALID waits) until a
//! slot frees. Each completed descriptor's `{code, tag}` goes into the
//! engine's completion FIFO (read `COMPLETION` to pop one; when the FIFO is
//! full a completion is dropped and `STATUS.cpl_overflow` set), and the
//! counters `COMPLETED`, `ERRORS` and `LAST_ERROR` are updated.
//!
//! The slave takes one write (AW and W together) and one read per cycle when
//! the master keeps BREADY/RREADY high. Unmapped addresses answer DECERR.
//!
//! [`register_map`] is the single description of the map: the RTL decodes
//! from it, and [`c_header`], [`register_map_json`] and `docs/dma.md` are
//! generated from or checked against it.

use golden::dma::Status;
use golden::DmaConfig;
use serde_json::{json, Value};

use crate::blocks::common::fifo::fifo;
use crate::blocks::common::lanes::{bytes_of, index_bits, lit, merge, pmux, zeros};
use crate::blocks::dma::desc::{DescFields, DescLayout};
use crate::core::{cat, mux, Bit, Expr, Module, Reg, Result, UInt};

/// AXI4-Lite address width.
pub const AXIL_ADDR_BITS: u32 = 16;
/// Identification value of the `ID` register: "SDMA".
pub const ID_VALUE: u32 = 0x5344_4d41;
/// Register map version (`VERSION`): major.minor in the high and low halves.
pub const VERSION_VALUE: u32 = 0x0001_0000;
/// The read engine's registers start here, the write engine's at `WRITE_BASE`.
pub const READ_BASE: u32 = 0x100;
pub const WRITE_BASE: u32 = 0x200;
/// Page-table windows: entry `i` at `base + 8·i` (low word), `+4` (high word).
pub const READ_TABLE_BASE: u32 = 0x4000;
pub const WRITE_TABLE_BASE: u32 = 0x8000;

// Global registers.
pub const ID: u32 = 0x000;
pub const VERSION: u32 = 0x004;
pub const CONFIG0: u32 = 0x008;
pub const CONFIG1: u32 = 0x00c;
pub const CONFIG2: u32 = 0x010;
pub const IRQ_ENABLE: u32 = 0x014;
pub const AXI_ATTR: u32 = 0x018;
// Engine registers (offsets from READ_BASE / WRITE_BASE).
pub const DESC_CTRL: u32 = 0x00;
pub const ADDR_LO: u32 = 0x04;
pub const ADDR_HI: u32 = 0x08;
pub const LEN: u32 = 0x0c;
pub const COUNTS: u32 = 0x10;
pub const STRIDE1_LO: u32 = 0x14;
pub const STRIDE1_HI: u32 = 0x18;
pub const STRIDE2_LO: u32 = 0x1c;
pub const STRIDE2_HI: u32 = 0x20;
pub const TABLE_BASE: u32 = 0x24;
pub const PUSH: u32 = 0x28;
pub const STATUS: u32 = 0x2c;
pub const COMPLETED: u32 = 0x30;
pub const ERRORS: u32 = 0x34;
pub const LAST_ERROR: u32 = 0x38;
pub const COMPLETION: u32 = 0x3c;

/// One field of a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
    pub doc: &'static str,
}

/// One register (or one register of each engine, with `per_engine`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegInfo {
    pub name: &'static str,
    /// Offset from 0 (global) or from the engine's base (`per_engine`).
    pub offset: u32,
    pub per_engine: bool,
    /// `RO`, `RW`, `WO`, `RC` (read pops), `RW1C` (write 1 to clear).
    pub access: &'static str,
    pub reset: u32,
    pub doc: &'static str,
    pub fields: Vec<FieldInfo>,
}

fn f(name: &'static str, lsb: u32, width: u32, doc: &'static str) -> FieldInfo {
    FieldInfo { name, lsb, width, doc }
}

/// The register map of a DMA built for `cfg`.
pub fn register_map(cfg: &DmaConfig) -> Vec<RegInfo> {
    let hi_doc =
        if cfg.addr_bits == 64 { "bits 63..32" } else { "reserved with 32-bit addresses: reads 0, writes ignored" };
    let g = |offset, access, reset, doc, fields| RegInfo {
        name: "",
        offset,
        per_engine: false,
        access,
        reset,
        doc,
        fields,
    };
    let e =
        |name, offset, access, doc, fields| RegInfo { name, offset, per_engine: true, access, reset: 0, doc, fields };
    vec![
        g(ID, "RO", ID_VALUE, "identification: \"SDMA\"", vec![f("id", 0, 32, "0x53444d41")]).named("ID"),
        g(
            VERSION,
            "RO",
            VERSION_VALUE,
            "register map version",
            vec![f("minor", 0, 16, "minor"), f("major", 16, 16, "major")],
        )
        .named("VERSION"),
        g(
            CONFIG0,
            "RO",
            config0(cfg),
            "build parameters",
            vec![
                f("data_bytes", 0, 8, "bytes per data beat"),
                f("addr_bits", 8, 8, "address width"),
                f("max_outstanding", 16, 8, "bursts in flight per engine"),
                f("id_bits", 24, 8, "AXI ID width"),
            ],
        )
        .named("CONFIG0"),
        g(
            CONFIG1,
            "RO",
            config1(cfg),
            "build parameters",
            vec![
                f("max_burst", 0, 9, "longest burst in beats"),
                f("queue_depth", 16, 9, "descriptor queue and completion FIFO depth"),
            ],
        )
        .named("CONFIG1"),
        g(
            CONFIG2,
            "RO",
            cfg.table_entries,
            "build parameters",
            vec![f("table_entries", 0, 16, "page-table entries per engine")],
        )
        .named("CONFIG2"),
        g(
            IRQ_ENABLE,
            "RW",
            0,
            "irq = OR of the enabled engines' 'completion FIFO not empty'",
            vec![f("read", 0, 1, "read engine"), f("write", 1, 1, "write engine")],
        )
        .named("IRQ_ENABLE"),
        g(
            AXI_ATTR,
            "RW",
            0x3,
            "AxCACHE and AxPROT of every burst",
            vec![
                f("cache", 0, 4, "AxCACHE (reset 0b0011: normal, non-cacheable, bufferable)"),
                f("prot", 4, 3, "AxPROT"),
            ],
        )
        .named("AXI_ATTR"),
        e(
            "DESC_CTRL",
            DESC_CTRL,
            "RW",
            "descriptor kind and page size",
            vec![
                f("kind", 0, 3, "0 linear, 1 2-D, 2 3-D, 3 paged, 4..7 reserved"),
                f("page_shift", 8, 5, "paged: log2 of the page size, 6..=30"),
            ],
        ),
        e(
            "ADDR_LO",
            ADDR_LO,
            "RW",
            "first byte's address (paged: logical offset), bits 31..0",
            vec![f("addr_lo", 0, 32, "")],
        ),
        e("ADDR_HI", ADDR_HI, "RW", hi_doc, vec![f("addr_hi", 0, 32, "")]),
        e("LEN", LEN, "RW", "bytes (linear, paged) or bytes per row (strided)", vec![f("len", 0, 32, "")]),
        e(
            "COUNTS",
            COUNTS,
            "RW",
            "strided counts",
            vec![f("count1", 0, 16, "rows per plane (2-D, 3-D)"), f("count2", 16, 16, "planes (3-D)")],
        ),
        e("STRIDE1_LO", STRIDE1_LO, "RW", "row stride in bytes, bits 31..0", vec![f("stride1_lo", 0, 32, "")]),
        e("STRIDE1_HI", STRIDE1_HI, "RW", hi_doc, vec![f("stride1_hi", 0, 32, "")]),
        e("STRIDE2_LO", STRIDE2_LO, "RW", "plane stride in bytes, bits 31..0", vec![f("stride2_lo", 0, 32, "")]),
        e("STRIDE2_HI", STRIDE2_HI, "RW", hi_doc, vec![f("stride2_hi", 0, 32, "")]),
        e(
            "TABLE_BASE",
            TABLE_BASE,
            "RW",
            "paged: page-table entry of logical page 0",
            vec![f("table_base", 0, 16, "")],
        ),
        e(
            "PUSH",
            PUSH,
            "WO",
            "enqueue the descriptor held in the registers above (held while the queue is full)",
            vec![f("tag", 0, 16, "echoed in the completion")],
        ),
        e(
            "STATUS",
            STATUS,
            "RW1C",
            "engine status",
            vec![
                f("busy", 0, 1, "a descriptor is queued or in the engine"),
                f("queue_full", 1, 1, "a PUSH would wait"),
                f("cpl_overflow", 2, 1, "a completion was dropped (FIFO full); write 1 to clear"),
                f("queued", 4, 9, "descriptors in the queue"),
                f("completions", 16, 9, "completions waiting in the FIFO"),
            ],
        ),
        e("COMPLETED", COMPLETED, "RO", "descriptors completed (wraps)", vec![f("count", 0, 32, "")]),
        e("ERRORS", ERRORS, "RO", "descriptors completed with a non-zero code (wraps)", vec![f("count", 0, 32, "")]),
        e(
            "LAST_ERROR",
            LAST_ERROR,
            "RO",
            "the latest failed descriptor",
            vec![f("tag", 0, 16, ""), f("code", 16, 8, "status code")],
        ),
        e(
            "COMPLETION",
            COMPLETION,
            "RC",
            "pop the oldest completion",
            vec![
                f("tag", 0, 16, ""),
                f("code", 16, 8, "status code (0 = success)"),
                f("valid", 31, 1, "1 if a completion was popped"),
            ],
        ),
    ]
}

trait Named {
    fn named(self, n: &'static str) -> RegInfo;
}
impl Named for RegInfo {
    fn named(mut self, n: &'static str) -> RegInfo {
        self.name = n;
        self
    }
}

fn config0(cfg: &DmaConfig) -> u32 {
    cfg.data_bytes() | cfg.addr_bits << 8 | cfg.max_outstanding << 16 | cfg.id_bits << 24
}

fn config1(cfg: &DmaConfig) -> u32 {
    cfg.max_burst | cfg.queue_depth << 16
}

/// The register map as a C header (macros `SERRANO_DMA_*`).
pub fn c_header(cfg: &DmaConfig) -> String {
    let mut s = String::new();
    s += "/* Serrano DMA register map. Generated by serrano from the configuration:\n";
    s += &format!(
        " * data_bits={} addr_bits={} max_burst={} max_outstanding={} queue_depth={} id_bits={} table_entries={}\n",
        cfg.data_bits,
        cfg.addr_bits,
        cfg.max_burst,
        cfg.max_outstanding,
        cfg.queue_depth,
        cfg.id_bits,
        cfg.table_entries
    );
    s += " * Do not edit: regenerate instead. See docs/dma.md. */\n";
    s += "#ifndef SERRANO_DMA_REGS_H\n#define SERRANO_DMA_REGS_H\n\n";
    let def = |s: &mut String, name: String, v: String| {
        *s += &format!("#define {name:<44} {v}\n");
    };
    def(&mut s, "SERRANO_DMA_READ_BASE".into(), format!("0x{READ_BASE:03x}u"));
    def(&mut s, "SERRANO_DMA_WRITE_BASE".into(), format!("0x{WRITE_BASE:03x}u"));
    def(&mut s, "SERRANO_DMA_READ_TABLE".into(), format!("0x{READ_TABLE_BASE:04x}u"));
    def(&mut s, "SERRANO_DMA_WRITE_TABLE".into(), format!("0x{WRITE_TABLE_BASE:04x}u"));
    def(&mut s, "SERRANO_DMA_TABLE_ENTRY(i)".into(), "((i) * 8u)".into());
    def(&mut s, "SERRANO_DMA_TABLE_ENTRIES".into(), format!("{}u", cfg.table_entries));
    def(&mut s, "SERRANO_DMA_DATA_BYTES".into(), format!("{}u", cfg.data_bytes()));
    def(&mut s, "SERRANO_DMA_ADDR_BITS".into(), format!("{}u", cfg.addr_bits));
    def(&mut s, "SERRANO_DMA_QUEUE_DEPTH".into(), format!("{}u", cfg.queue_depth));
    s += "\n/* Descriptor kinds (DESC_CTRL.kind). */\n";
    for (n, v) in [("LINEAR", 0), ("2D", 1), ("3D", 2), ("PAGED", 3)] {
        def(&mut s, format!("SERRANO_DMA_KIND_{n}"), format!("{v}u"));
    }
    s += "\n/* Status codes (COMPLETION.code, LAST_ERROR.code). */\n";
    for st in Status::all() {
        def(&mut s, format!("SERRANO_DMA_STATUS_{}", st.name()), format!("0x{:02x}u", st.code()));
    }
    for r in register_map(cfg) {
        s += &format!("\n/* {} ({}): {} */\n", r.name, r.access, r.doc);
        let prefixes: Vec<String> = if r.per_engine { vec!["RD_".into(), "WR_".into()] } else { vec![String::new()] };
        for (i, p) in prefixes.iter().enumerate() {
            let base = if !r.per_engine {
                0
            } else if i == 0 {
                READ_BASE
            } else {
                WRITE_BASE
            };
            def(&mut s, format!("SERRANO_DMA_{p}{}", r.name), format!("0x{:03x}u", base + r.offset));
        }
        for fl in &r.fields {
            if fl.width == 32 {
                continue;
            }
            let fname = fl.name.to_uppercase();
            let mask = if fl.width == 32 { u32::MAX } else { ((1u64 << fl.width) - 1) as u32 };
            def(&mut s, format!("SERRANO_DMA_{}_{fname}_SHIFT", r.name), format!("{}u", fl.lsb));
            def(&mut s, format!("SERRANO_DMA_{}_{fname}_MASK", r.name), format!("0x{:x}u", mask << fl.lsb));
        }
    }
    s += "\n#endif /* SERRANO_DMA_REGS_H */\n";
    s
}

/// The register map as JSON (for tools and docs).
pub fn register_map_json(cfg: &DmaConfig) -> Value {
    let regs: Vec<Value> = register_map(cfg)
        .into_iter()
        .flat_map(|r| {
            let bases: Vec<(&str, u32)> =
                if r.per_engine { vec![("read", READ_BASE), ("write", WRITE_BASE)] } else { vec![("global", 0)] };
            bases.into_iter().map(move |(engine, base)| {
                json!({
                    "name": r.name,
                    "engine": engine,
                    "offset": base + r.offset,
                    "access": r.access,
                    "reset": r.reset,
                    "doc": r.doc,
                    "fields": r.fields.iter().map(|f| json!({
                        "name": f.name, "lsb": f.lsb, "width": f.width, "doc": f.doc,
                    })).collect::<Vec<_>>(),
                })
            })
        })
        .collect();
    json!({
        "block": "serrano_dma",
        "bus": {"protocol": "AXI4-Lite", "addr_bits": AXIL_ADDR_BITS, "data_bits": 32},
        "config": serde_json::to_value(cfg).expect("serializable"),
        "registers": regs,
        "tables": [
            {"engine": "read", "base": READ_TABLE_BASE, "entries": cfg.table_entries, "stride": 8,
             "doc": "entry i: page base address; low word at +0 (writing it stores the entry), high word at +4 (64-bit addresses: write it first). Write-only."},
            {"engine": "write", "base": WRITE_TABLE_BASE, "entries": cfg.table_entries, "stride": 8,
             "doc": "as for the read engine"},
        ],
        "status_codes": Status::all().iter().map(|s| json!({"name": s.name(), "code": s.code()})).collect::<Vec<_>>(),
    })
}

/// The register-map files to write next to the DMA's Verilog:
/// `serrano_dma_regs.h` and `serrano_dma_regs.json`, as (file name, text).
pub fn register_map_files(cfg: &DmaConfig) -> Vec<(String, String)> {
    let json = serde_json::to_string_pretty(&register_map_json(cfg)).expect("serializable") + "\n";
    vec![("serrano_dma_regs.h".to_string(), c_header(cfg)), ("serrano_dma_regs.json".to_string(), json)]
}

pub fn regs_name(cfg: &DmaConfig) -> String {
    format!("serrano_dma_regs_a{}_q{}_t{}", cfg.addr_bits, cfg.queue_depth, cfg.table_entries)
}

/// One engine's side of the register block: shadow registers, queue,
/// completion FIFO, counters.
struct EngineRegs {
    read_value: Vec<(u32, Expr)>,
    push_hit: Expr,
    queue_ready: Expr,
}

/// The register block for `cfg` (validated).
pub fn dma_regs(cfg: &DmaConfig) -> Result<Module> {
    let a = cfg.addr_bits;
    let lay = DescLayout::new(a);
    let tb = index_bits(cfg.table_entries as u64);
    let mut m = Module::new(&regs_name(cfg));
    m.doc("DMA control registers: AXI4-Lite slave, descriptor queues, completion FIFOs (docs/dma.md).");

    let awaddr = m.input("s_axil_awaddr", UInt(AXIL_ADDR_BITS))?;
    let awprot = m.input("s_axil_awprot", UInt(3))?;
    let awvalid = m.input("s_axil_awvalid", Bit)?;
    let wdata = m.input("s_axil_wdata", UInt(32))?;
    let wstrb = m.input("s_axil_wstrb", UInt(4))?;
    let wvalid = m.input("s_axil_wvalid", Bit)?;
    let bready = m.input("s_axil_bready", Bit)?;
    let araddr = m.input("s_axil_araddr", UInt(AXIL_ADDR_BITS))?;
    let arprot = m.input("s_axil_arprot", UInt(3))?;
    let arvalid = m.input("s_axil_arvalid", Bit)?;
    let rready = m.input("s_axil_rready", Bit)?;
    m.allow_unused(&awprot, "AXI4-Lite AWPROT: every access is allowed")?;
    m.allow_unused(&arprot, "AXI4-Lite ARPROT: every access is allowed")?;
    m.allow_unused(&awaddr, "AXI4-Lite address: bits 1..0 select bytes within a word")?;
    m.allow_unused(&araddr, "AXI4-Lite address: bits 1..0 select bytes within a word")?;

    let mut eng_in = Vec::new();
    for p in ["rd", "wr"] {
        eng_in.push((
            m.input_doc(&format!("{p}_desc_ready"), Bit, "the engine takes the head descriptor")?,
            m.input_doc(&format!("{p}_cpl_valid"), Bit, "the engine completed a descriptor")?,
            m.input_doc(&format!("{p}_cpl_tag"), UInt(16), "its tag")?,
            m.input_doc(&format!("{p}_cpl_code"), UInt(8), "its status")?,
            m.input_doc(&format!("{p}_busy"), Bit, "the engine holds a descriptor")?,
        ));
    }

    let wa = awaddr.slice(AXIL_ADDR_BITS - 1, 2);
    let ra = araddr.slice(AXIL_ADDR_BITS - 1, 2);
    let word = |off: u32| lit((off >> 2) as u128, AXIL_ADDR_BITS - 2);

    // The write channel: AW and W are taken together.
    let bvalid = m.reg("bvalid_q", Bit).reset(0).build()?;
    let bresp = m.reg("bresp_q", UInt(2)).reset(0).build()?;
    let b_free = m.node("b_free", !&bvalid.q | &bready)?;
    let both = m.node("aw_w", &awvalid & &wvalid & &b_free)?;
    let wmask = bytes_of(&wstrb);

    // A writable register: its storage, updated with byte strobes on a hit.
    let wfire_w = m.wire("wfire", Bit)?;
    let rw = |m: &mut Module, name: &str, off: u32, width: u32, reset: u32| -> Result<Reg> {
        let r = m.reg(name, UInt(width)).reset(reset as i128).build()?;
        let old = if width < 32 { r.q.zext(32) } else { r.q.clone() };
        // Only defined fields are stored: DESC_CTRL's bits 7..3 are reserved.
        let defined = if off >= READ_BASE && off & 0xff == DESC_CTRL { 0x1f07 } else { u32::MAX };
        let new = (merge(&wmask, &wdata, &old) & lit(defined as u128, 32)).trunc(width);
        let hit = &wfire_w & wa.cmp_eq(word(off));
        m.set_next(&r, mux(&hit, &new, &r.q))?;
        Ok(r)
    };

    // Global registers.
    let irq_en = rw(&mut m, "irq_enable", IRQ_ENABLE, 2, 0)?;
    let attr = rw(&mut m, "axi_attr", AXI_ATTR, 7, 0x3)?;

    // The read channel's handshake (the data is chosen below).
    let rvalid = m.reg("rvalid_q", Bit).reset(0).build()?;
    let arready = m.node("arready_w", !&rvalid.q | &rready)?;
    let ar_fire = m.node("ar_fire", &arvalid & &arready)?;

    let mut engines: Vec<EngineRegs> = Vec::new();
    let mut cpl_nonempty = Vec::new();
    let mut desc_outs = Vec::new();
    let mut tbl_outs = Vec::new();
    for (i, (p, base)) in [("rd", READ_BASE), ("wr", WRITE_BASE)].into_iter().enumerate() {
        let (desc_ready, cpl_valid, cpl_tag, cpl_code, eng_busy) = eng_in[i].clone();
        let n = |s: &str| format!("{p}_{s}");
        let ctrl = rw(&mut m, &n("desc_ctrl"), base + DESC_CTRL, 13, 0)?;
        let addr_lo = rw(&mut m, &n("addr_lo"), base + ADDR_LO, 32, 0)?;
        let len = rw(&mut m, &n("len"), base + LEN, 32, 0)?;
        let counts = rw(&mut m, &n("counts"), base + COUNTS, 32, 0)?;
        let s1_lo = rw(&mut m, &n("stride1_lo"), base + STRIDE1_LO, 32, 0)?;
        let s2_lo = rw(&mut m, &n("stride2_lo"), base + STRIDE2_LO, 32, 0)?;
        let tbase_r = rw(&mut m, &n("table_base"), base + TABLE_BASE, 16, 0)?;
        let (addr, s1, s2, hi_regs) = if a == 64 {
            let ah = rw(&mut m, &n("addr_hi"), base + ADDR_HI, 32, 0)?;
            let s1h = rw(&mut m, &n("stride1_hi"), base + STRIDE1_HI, 32, 0)?;
            let s2h = rw(&mut m, &n("stride2_hi"), base + STRIDE2_HI, 32, 0)?;
            (
                cat(&[&ah.q, &addr_lo.q]),
                cat(&[&s1h.q, &s1_lo.q]),
                cat(&[&s2h.q, &s2_lo.q]),
                vec![ah.q.clone(), s1h.q.clone(), s2h.q.clone()],
            )
        } else {
            (addr_lo.q.clone(), s1_lo.q.clone(), s2_lo.q.clone(), vec![zeros(32); 3])
        };
        m.allow_unused(&ctrl.q, "DESC_CTRL bits 7..3 are reserved")?;
        let fields = DescFields {
            tag: wdata.slice(15, 0),
            table_base: tbase_r.q.clone(),
            page_shift: ctrl.q.slice(12, 8),
            kind: ctrl.q.slice(2, 0),
            count1: counts.q.slice(15, 0),
            count2: counts.q.slice(31, 16),
            len: len.q.clone(),
            addr,
            stride1: s1,
            stride2: s2,
        };
        let push_hit = m.node(&n("push_hit"), wa.cmp_eq(word(base + PUSH)))?;
        let push = &wfire_w & &push_hit;
        let q = m.instance(
            &n("queue"),
            &fifo(lay.width(), cfg.queue_depth)?,
            &[("in_valid", &push), ("in_data", &lay.pack(&fields)), ("out_ready", &desc_ready)],
        )?;
        desc_outs.push((q.out("out_valid")?, q.out("out_data")?));
        let queue_ready = q.out("in_ready")?;

        // Completions.
        let cpl_pop = m.node(&n("cpl_pop"), &ar_fire & ra.cmp_eq(word(base + COMPLETION)))?;
        let cq = m.instance(
            &n("cpl_fifo"),
            &fifo(24, cfg.queue_depth)?,
            &[("in_valid", &cpl_valid), ("in_data", &cat(&[&cpl_code, &cpl_tag])), ("out_ready", &cpl_pop)],
        )?;
        cpl_nonempty.push(cq.out("out_valid")?);
        let failed = &cpl_valid & cpl_code.cmp_ne(0);
        let completed = m.reg(&n("completed"), UInt(32)).reset(0).build()?;
        m.set_next(&completed, &completed.q + cpl_valid.zext(32))?;
        let errors = m.reg(&n("errors"), UInt(32)).reset(0).build()?;
        m.set_next(&errors, &errors.q + failed.zext(32))?;
        let last_err = m.reg(&n("last_error"), UInt(24)).reset(0).build()?;
        m.set_next(&last_err, mux(&failed, &cat(&[&cpl_code, &cpl_tag]), &last_err.q))?;
        let ovf = m.reg(&n("cpl_overflow"), Bit).reset(0).build()?;
        let clear = &wfire_w & wa.cmp_eq(word(base + STATUS)) & wdata.bit(2) & wstrb.bit(0);
        m.set_next(&ovf, (&cpl_valid & !cq.out("in_ready")?) | (&ovf.q & !clear))?;
        let qcount = q.out("count")?;
        let ccount = cq.out("count")?;
        let c9 = |e: &Expr| e.zext(9);
        let status = cat(&[
            &zeros(7),
            &c9(&ccount),
            &zeros(3),
            &c9(&qcount),
            &zeros(1),
            &ovf.q,
            &!&queue_ready,
            &(&eng_busy | qcount.cmp_ne(0)),
        ]);
        let z = |e: &Expr, w: u32| if w < 32 { e.zext(32) } else { e.clone() };
        let read_value = vec![
            (base + DESC_CTRL, z(&ctrl.q, 13)),
            (base + ADDR_LO, addr_lo.q.clone()),
            (base + ADDR_HI, hi_regs[0].clone()),
            (base + LEN, len.q.clone()),
            (base + COUNTS, counts.q.clone()),
            (base + STRIDE1_LO, s1_lo.q.clone()),
            (base + STRIDE1_HI, hi_regs[1].clone()),
            (base + STRIDE2_LO, s2_lo.q.clone()),
            (base + STRIDE2_HI, hi_regs[2].clone()),
            (base + TABLE_BASE, z(&tbase_r.q, 16)),
            (base + PUSH, zeros(32)),
            (base + STATUS, status),
            (base + COMPLETED, completed.q.clone()),
            (base + ERRORS, errors.q.clone()),
            (base + LAST_ERROR, z(&last_err.q, 24)),
            (base + COMPLETION, cat(&[&cq.out("out_valid")?, &zeros(7), &cq.out("out_data")?])),
        ];
        engines.push(EngineRegs { read_value, push_hit, queue_ready });
    }

    // Page tables: entry i at table base + 8 i; the high word (64-bit
    // addresses) is staged and stored with the low word.
    for (p, tbase) in [("rd", READ_TABLE_BASE), ("wr", WRITE_TABLE_BASE)] {
        let sel = awaddr.slice(15, 14).cmp_eq(lit((tbase >> 14) as u128, 2));
        let index = awaddr.slice(13, 3);
        let in_range = index.zext(12).cmp_lt(lit(cfg.table_entries as u128, 12));
        let is_hi = awaddr.bit(2);
        let hit = &wfire_w & &sel & &in_range;
        let we = m.reg(&format!("{p}_tbl_we_q"), Bit).reset(0).d(&hit & !&is_hi)?;
        let waddr =
            m.reg(&format!("{p}_tbl_waddr_q"), UInt(tb)).reset(0).d(mux(&hit, &index.trunc(tb), &lit(0, tb)))?;
        let data = if a == 64 {
            let stage = m.reg(&format!("{p}_tbl_hi"), UInt(32)).reset(0).build()?;
            m.set_next(&stage, mux(&(&hit & &is_hi), &wdata, &stage.q))?;
            cat(&[&stage.q, &wdata])
        } else {
            wdata.clone()
        };
        let wd = m.reg(&format!("{p}_tbl_wdata_q"), UInt(a)).reset(0).d(mux(&hit, &data, &zeros(a)))?;
        tbl_outs.push((we, waddr, wd));
    }

    // Decode: which addresses exist.
    let mapped = |addr_word: &Expr, full: &Expr| -> Expr {
        let mut hits: Vec<Expr> = Vec::new();
        for r in register_map(cfg) {
            let bases: Vec<u32> = if r.per_engine { vec![READ_BASE, WRITE_BASE] } else { vec![0] };
            for b in bases {
                hits.push(addr_word.cmp_eq(word(b + r.offset)));
            }
        }
        for tbase in [READ_TABLE_BASE, WRITE_TABLE_BASE] {
            hits.push(
                full.slice(15, 14).cmp_eq(lit((tbase >> 14) as u128, 2))
                    & full.slice(13, 3).zext(12).cmp_lt(lit(cfg.table_entries as u128, 12)),
            );
        }
        hits.iter().skip(1).fold(hits[0].clone(), |acc, h| acc | h)
    };
    let w_mapped = m.node("w_mapped", mapped(&wa, &awaddr))?;
    // A PUSH to a full queue waits.
    let push_blocked = engines.iter().map(|e| &e.push_hit & !&e.queue_ready).fold(lit(0, 1), |acc, x| acc | x);
    let wfire = m.node("wfire_w", &both & !&push_blocked)?;
    m.assign(&wfire_w, &wfire)?;
    m.set_next(&bvalid, &wfire | (&bvalid.q & !&bready))?;
    m.set_next(&bresp, mux(&wfire, &mux(&w_mapped, &lit(0, 2), &lit(3, 2)), &bresp.q))?;

    // The read channel.
    let rdata = m.reg("rdata_q", UInt(32)).reset(0).build()?;
    let rresp = m.reg("rresp_q", UInt(2)).reset(0).build()?;
    let mut cases: Vec<(Expr, Expr)> = vec![
        (ra.cmp_eq(word(ID)), lit(ID_VALUE as u128, 32)),
        (ra.cmp_eq(word(VERSION)), lit(VERSION_VALUE as u128, 32)),
        (ra.cmp_eq(word(CONFIG0)), lit(config0(cfg) as u128, 32)),
        (ra.cmp_eq(word(CONFIG1)), lit(config1(cfg) as u128, 32)),
        (ra.cmp_eq(word(CONFIG2)), lit(cfg.table_entries as u128, 32)),
        (ra.cmp_eq(word(IRQ_ENABLE)), irq_en.q.zext(32)),
        (ra.cmp_eq(word(AXI_ATTR)), attr.q.zext(32)),
    ];
    for e in &engines {
        for (off, v) in &e.read_value {
            cases.push((ra.cmp_eq(word(*off)), v.clone()));
        }
    }
    let rvalue = pmux(&cases, &zeros(32));
    let r_mapped = m.node("r_mapped", mapped(&ra, &araddr))?;
    m.set_next(&rvalid, &ar_fire | (&rvalid.q & !&rready))?;
    m.set_next(&rdata, mux(&ar_fire, &rvalue, &rdata.q))?;
    m.set_next(&rresp, mux(&ar_fire, &mux(&r_mapped, &lit(0, 2), &lit(3, 2)), &rresp.q))?;

    let irq =
        m.reg("irq_q", Bit).reset(0).d((irq_en.q.bit(0) & &cpl_nonempty[0]) | (irq_en.q.bit(1) & &cpl_nonempty[1]))?;

    m.output("s_axil_awready", &wfire)?;
    m.output("s_axil_wready", &wfire)?;
    m.output("s_axil_bresp", &bresp.q)?;
    m.output("s_axil_bvalid", &bvalid.q)?;
    m.output("s_axil_arready", &arready)?;
    m.output("s_axil_rdata", &rdata.q)?;
    m.output("s_axil_rresp", &rresp.q)?;
    m.output("s_axil_rvalid", &rvalid.q)?;
    for (i, p) in ["rd", "wr"].iter().enumerate() {
        m.output_doc(&format!("{p}_desc_valid"), &desc_outs[i].0, "a descriptor waits")?;
        m.output_doc(&format!("{p}_desc"), &desc_outs[i].1, "the head descriptor (packed)")?;
        m.output_doc(&format!("{p}_tbl_we"), &tbl_outs[i].0, "write a page-table entry")?;
        m.output(&format!("{p}_tbl_waddr"), &tbl_outs[i].1)?;
        m.output(&format!("{p}_tbl_wdata"), &tbl_outs[i].2)?;
    }
    m.output_doc("axi_cache", attr.q.slice(3, 0), "AxCACHE for both engines")?;
    m.output_doc("axi_prot", attr.q.slice(6, 4), "AxPROT for both engines")?;
    m.output_doc("irq", &irq, "a completion is waiting in an enabled engine")?;
    Ok(m)
}
