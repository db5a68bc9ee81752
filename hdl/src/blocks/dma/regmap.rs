//! The DMA's register map as data: addresses, access types, reset values and
//! fields of every register, and its renderings for software (a C header and
//! JSON). The hardware (`regs.rs`) decodes from the same table, so the files
//! handed to software cannot disagree with the RTL.
//!
//! [`register_map`] is the single description of the map: the RTL decodes
//! from it, and [`c_header`], [`register_map_json`] and `docs/dma.md` are
//! generated from or checked against it.

use golden::dma::Status;
use golden::DmaConfig;
use serde_json::{json, Value};

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

/// The register map of a DMA built for `cfg`: the global registers, then
/// one copy of the engine registers (`per_engine`), in address order.
pub fn register_map(cfg: &DmaConfig) -> Vec<RegInfo> {
    let mut map = global_registers(cfg);
    map.extend(engine_registers(cfg));
    map
}

/// The global registers (identification, build parameters, interrupt
/// enables, AXI attributes), at offsets from 0.
fn global_registers(cfg: &DmaConfig) -> Vec<RegInfo> {
    let g = |offset, access, reset, doc, fields| RegInfo {
        name: "",
        offset,
        per_engine: false,
        access,
        reset,
        doc,
        fields,
    };
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
    ]
}

/// One engine's registers (the descriptor's shadow registers, `PUSH`, status,
/// counters, `COMPLETION`), at offsets from the engine's base; each exists
/// once per engine.
fn engine_registers(cfg: &DmaConfig) -> Vec<RegInfo> {
    let hi_doc =
        if cfg.addr_bits == 64 { "bits 63..32" } else { "reserved with 32-bit addresses: reads 0, writes ignored" };
    let e =
        |name, offset, access, doc, fields| RegInfo { name, offset, per_engine: true, access, reset: 0, doc, fields };
    vec![
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

pub(crate) fn config0(cfg: &DmaConfig) -> u32 {
    cfg.data_bytes() | cfg.addr_bits << 8 | cfg.max_outstanding << 16 | cfg.id_bits << 24
}

pub(crate) fn config1(cfg: &DmaConfig) -> u32 {
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
