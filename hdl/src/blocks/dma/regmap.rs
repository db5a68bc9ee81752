//! The DMA's register map as data: addresses, access types, reset values and
//! fields of every register, and its renderings for software (a C header and
//! JSON). The hardware (`regs.rs`) decodes from the same table, so the files
//! handed to software cannot disagree with the RTL.
//!
//! [`register_map`] is the single description of the map: the RTL decodes
//! from it (addresses, which bits a write stores, reset values), and
//! [`c_header`], [`register_map_json`] and `docs/dma.md` are generated from
//! or checked against it. The enumerations (descriptor kinds, status codes)
//! come from `golden::dma`, the specification.
//!
//! Every bit of the map is specified: a register's `access` says what reads
//! and writes do ([`ACCESS_TYPES`]), bits outside its fields are reserved
//! (read 0, writes ignored), a register that does not exist in a build (the
//! high words with 32-bit addresses) is marked reserved, and a read of a
//! write-only location (`PUSH`, the page-table windows) returns
//! [`WRITE_ONLY_READS_AS`] with OKAY and has no effect.

use golden::dma::{Status, KINDS, KINDS_RESERVED};
use golden::DmaConfig;
use serde_json::{json, Value};

/// AXI4-Lite address width.
pub const AXIL_ADDR_BITS: u32 = crate::blocks::common::axil::AXIL_ADDR_BITS;
/// Identification value of the `ID` register: "SDMA".
pub const ID_VALUE: u32 = 0x5344_4d41;
/// Register map version (`VERSION`): major.minor in the high and low halves.
/// 1.1: `COMPLETION` reads exactly 0 when empty; the write engine takes
/// stream beats only for descriptors it holds.
pub const VERSION_VALUE: u32 = 0x0001_0001;
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

/// What a read of a write-only location (`PUSH`, the page-table windows)
/// returns, with OKAY and no effect.
pub const WRITE_ONLY_READS_AS: u32 = 0;

/// The access types of registers and fields, with what reads and writes do.
/// Unmapped addresses answer DECERR to both; every mapped access answers OKAY.
pub const ACCESS_TYPES: [(&str, &str); 6] = [
    ("RO", "read-only: a read returns the value; a write is ignored"),
    ("RW", "read-write: a read returns the fields as last written (byte strobes honoured); reserved bits read 0"),
    ("WO", "write-only: a write acts; a read returns reads_as (0) and has no effect"),
    ("RC", "read pops: a read returns the oldest entry and removes it (0 when empty); a write is ignored"),
    ("RO/W1C", "read-only, except fields marked W1C"),
    ("W1C", "a field that reads its flag; writing 1 clears it, writing 0 leaves it"),
];

/// The enumerations a field's values come from (JSON `enums`).
pub const ENUM_KIND: &str = "descriptor_kind";
pub const ENUM_STATUS: &str = "status_code";

/// One field of a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
    pub doc: &'static str,
    /// `RO`, `RW`, `WO`, `W1C` or `RC` ([`ACCESS_TYPES`]); the register's
    /// own access unless the table says otherwise.
    pub access: &'static str,
    /// The field does not exist in this build (reads 0, writes ignored).
    pub reserved: bool,
    /// Its values are those of an enumeration ([`ENUM_KIND`], [`ENUM_STATUS`]).
    pub enumeration: Option<&'static str>,
}

/// One register (or one register of each engine, with `per_engine`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegInfo {
    pub name: &'static str,
    /// Offset from 0 (global) or from the engine's base (`per_engine`).
    pub offset: u32,
    pub per_engine: bool,
    /// One of [`ACCESS_TYPES`].
    pub access: &'static str,
    /// The value read after reset (for `RC`: the value read when empty).
    pub reset: u32,
    pub doc: &'static str,
    /// The defined fields, least significant first; the other bits are
    /// reserved ([`reserved_bits`]).
    pub fields: Vec<FieldInfo>,
    /// Why the register is reserved in this build, if it is: it reads 0 and
    /// ignores writes (it is `RO` with value 0).
    pub reserved: Option<&'static str>,
    /// `WO`: what a read returns ([`WRITE_ONLY_READS_AS`]).
    pub reads_as: Option<u32>,
}

impl RegInfo {
    /// The bits of the fields of access `access`.
    pub fn mask_of(&self, access: &str) -> u32 {
        self.fields.iter().filter(|f| f.access == access && !f.reserved).fold(0, |m, f| m | field_mask(f))
    }

    /// The bits a write stores (the `RW` fields).
    pub fn write_mask(&self) -> u32 {
        self.mask_of("RW")
    }

    /// The byte addresses of this register: one, or one per engine.
    pub fn addresses(&self) -> Vec<(&'static str, u32)> {
        if self.per_engine {
            vec![("read", READ_BASE + self.offset), ("write", WRITE_BASE + self.offset)]
        } else {
            vec![("global", self.offset)]
        }
    }
}

fn field_mask(f: &FieldInfo) -> u32 {
    (((1u64 << f.width) - 1) << f.lsb) as u32
}

/// The reserved bit ranges of a register, `(lsb, width)`, least significant
/// first: the bits of no field, and the fields marked reserved.
pub fn reserved_bits(r: &RegInfo) -> Vec<(u32, u32)> {
    let defined = r.fields.iter().filter(|f| !f.reserved).fold(0u32, |m, f| m | field_mask(f));
    let mut out = Vec::new();
    let mut bit = 0;
    while bit < 32 {
        if defined >> bit & 1 == 1 {
            bit += 1;
            continue;
        }
        let lsb = bit;
        while bit < 32 && defined >> bit & 1 == 0 {
            bit += 1;
        }
        out.push((lsb, bit - lsb));
    }
    out
}

/// A field with the register's access (filled in by [`reg`]).
fn f(name: &'static str, lsb: u32, width: u32, doc: &'static str) -> FieldInfo {
    FieldInfo { name, lsb, width, doc, access: "", reserved: false, enumeration: None }
}

/// A field with its own access.
fn fa(name: &'static str, lsb: u32, width: u32, access: &'static str, doc: &'static str) -> FieldInfo {
    FieldInfo { access, ..f(name, lsb, width, doc) }
}

/// A field whose values are an enumeration's.
fn fe(name: &'static str, lsb: u32, width: u32, enumeration: &'static str, doc: &'static str) -> FieldInfo {
    FieldInfo { enumeration: Some(enumeration), ..f(name, lsb, width, doc) }
}

/// A register; fields without their own access take the register's
/// (`RO/W1C` registers give every field its own).
#[allow(clippy::too_many_arguments)]
fn reg(
    name: &'static str,
    offset: u32,
    per_engine: bool,
    access: &'static str,
    reset: u32,
    doc: &'static str,
    mut fields: Vec<FieldInfo>,
) -> RegInfo {
    for fl in &mut fields {
        if fl.access.is_empty() {
            fl.access = access;
        }
    }
    let reads_as = (access == "WO").then_some(WRITE_ONLY_READS_AS);
    RegInfo { name, offset, per_engine, access, reset, doc, fields, reserved: None, reads_as }
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
    let g = |name, offset, access, reset, doc, fields| reg(name, offset, false, access, reset, doc, fields);
    vec![
        g("ID", ID, "RO", ID_VALUE, "identification: \"SDMA\"", vec![f("id", 0, 32, "0x53444d41")]),
        g(
            "VERSION",
            VERSION,
            "RO",
            VERSION_VALUE,
            "register map version",
            vec![f("minor", 0, 16, "minor"), f("major", 16, 16, "major")],
        ),
        g(
            "CONFIG0",
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
        ),
        g(
            "CONFIG1",
            CONFIG1,
            "RO",
            config1(cfg),
            "build parameters",
            vec![
                f("max_burst", 0, 9, "longest burst in beats"),
                f("queue_depth", 16, 9, "descriptor queue and completion FIFO depth"),
            ],
        ),
        g(
            "CONFIG2",
            CONFIG2,
            "RO",
            cfg.table_entries,
            "build parameters",
            vec![f("table_entries", 0, 16, "page-table entries per engine")],
        ),
        g(
            "IRQ_ENABLE",
            IRQ_ENABLE,
            "RW",
            0,
            "irq = OR of the enabled engines' 'completion FIFO not empty'",
            vec![f("read", 0, 1, "read engine"), f("write", 1, 1, "write engine")],
        ),
        g(
            "AXI_ATTR",
            AXI_ATTR,
            "RW",
            0x3,
            "AxCACHE and AxPROT of every burst",
            vec![
                f("cache", 0, 4, "AxCACHE (reset 0b0011: normal, non-cacheable, bufferable)"),
                f("prot", 4, 3, "AxPROT"),
            ],
        ),
    ]
}

/// One engine's registers (the descriptor's shadow registers, `PUSH`, status,
/// counters, `COMPLETION`), at offsets from the engine's base; each exists
/// once per engine.
fn engine_registers(cfg: &DmaConfig) -> Vec<RegInfo> {
    let e = |name, offset, access, doc, fields| reg(name, offset, true, access, 0, doc, fields);
    // The high words exist only with 64-bit addresses; otherwise the
    // register is reserved (the hardware has no storage for it).
    let hi = |name, offset, field, doc| {
        let mut r = e(name, offset, "RW", doc, vec![f(field, 0, 32, "")]);
        if cfg.addr_bits == 32 {
            r.access = "RO";
            r.doc = "reserved with 32-bit addresses: reads 0, writes ignored";
            r.reserved = Some("32-bit addresses: the high word does not exist; reads 0, writes ignored");
            r.fields[0].access = "RO";
            r.fields[0].reserved = true;
        }
        r
    };
    vec![
        e(
            "DESC_CTRL",
            DESC_CTRL,
            "RW",
            "descriptor kind and page size",
            vec![
                fe("kind", 0, 3, ENUM_KIND, "0 linear, 1 2-D, 2 3-D, 3 paged, 4..7 reserved (rejected: BAD_KIND)"),
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
        hi("ADDR_HI", ADDR_HI, "addr_hi", "first byte's address (paged: logical offset), bits 63..32"),
        e("LEN", LEN, "RW", "bytes (linear, paged) or bytes per row (strided)", vec![f("len", 0, 32, "")]),
        e(
            "COUNTS",
            COUNTS,
            "RW",
            "strided counts",
            vec![f("count1", 0, 16, "rows per plane (2-D, 3-D)"), f("count2", 16, 16, "planes (3-D)")],
        ),
        e("STRIDE1_LO", STRIDE1_LO, "RW", "row stride in bytes, bits 31..0", vec![f("stride1_lo", 0, 32, "")]),
        hi("STRIDE1_HI", STRIDE1_HI, "stride1_hi", "row stride in bytes, bits 63..32"),
        e("STRIDE2_LO", STRIDE2_LO, "RW", "plane stride in bytes, bits 31..0", vec![f("stride2_lo", 0, 32, "")]),
        hi("STRIDE2_HI", STRIDE2_HI, "stride2_hi", "plane stride in bytes, bits 63..32"),
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
            "enqueue the descriptor held in the registers above (held while the queue is full); reads 0",
            vec![f("tag", 0, 16, "echoed in the completion")],
        ),
        e(
            "STATUS",
            STATUS,
            "RO/W1C",
            "engine status",
            vec![
                fa("busy", 0, 1, "RO", "a descriptor is queued or in the engine"),
                fa("queue_full", 1, 1, "RO", "a PUSH would wait"),
                fa("cpl_overflow", 2, 1, "W1C", "a completion was dropped (FIFO full); write 1 to clear"),
                fa("queued", 4, 9, "RO", "descriptors in the queue"),
                fa("completions", 16, 9, "RO", "completions waiting in the FIFO"),
            ],
        ),
        e("COMPLETED", COMPLETED, "RO", "descriptors completed (wraps)", vec![f("count", 0, 32, "")]),
        e("ERRORS", ERRORS, "RO", "descriptors completed with a non-zero code (wraps)", vec![f("count", 0, 32, "")]),
        e(
            "LAST_ERROR",
            LAST_ERROR,
            "RO",
            "the latest failed descriptor",
            vec![f("tag", 0, 16, ""), fe("code", 16, 8, ENUM_STATUS, "status code")],
        ),
        e(
            "COMPLETION",
            COMPLETION,
            "RC",
            "pop the oldest completion; reads exactly 0 when the FIFO is empty",
            vec![
                f("tag", 0, 16, ""),
                fe("code", 16, 8, ENUM_STATUS, "status code (0 = success)"),
                f("valid", 31, 1, "1 if a completion was popped (then the other fields are it; else all bits are 0)"),
            ],
        ),
    ]
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
    s += " * Do not edit: regenerate instead. See docs/dma.md.\n";
    s += " * Access: RO read-only (writes ignored), RW read-write, WO write-only (reads 0),\n";
    s += " * RC read pops (0 when empty), W1C write 1 to clear. Bits outside the fields\n";
    s += " * below are reserved: they read 0 and writes to them are ignored. Unmapped\n";
    s += " * addresses answer DECERR. */\n";
    s += "#ifndef SERRANO_DMA_REGS_H\n#define SERRANO_DMA_REGS_H\n\n";
    let def = |s: &mut String, name: String, v: String| {
        *s += &format!("#define {name:<44} {v}\n");
    };
    def(&mut s, "SERRANO_DMA_READ_BASE".into(), format!("0x{READ_BASE:03x}u"));
    def(&mut s, "SERRANO_DMA_WRITE_BASE".into(), format!("0x{WRITE_BASE:03x}u"));
    s += "/* Page-table windows (WO, reads 0): entry i at TABLE + TABLE_ENTRY(i). */\n";
    def(&mut s, "SERRANO_DMA_READ_TABLE".into(), format!("0x{READ_TABLE_BASE:04x}u"));
    def(&mut s, "SERRANO_DMA_WRITE_TABLE".into(), format!("0x{WRITE_TABLE_BASE:04x}u"));
    def(&mut s, "SERRANO_DMA_TABLE_ENTRY(i)".into(), "((i) * 8u)".into());
    def(&mut s, "SERRANO_DMA_TABLE_ENTRIES".into(), format!("{}u", cfg.table_entries));
    def(&mut s, "SERRANO_DMA_DATA_BYTES".into(), format!("{}u", cfg.data_bytes()));
    def(&mut s, "SERRANO_DMA_ADDR_BITS".into(), format!("{}u", cfg.addr_bits));
    def(&mut s, "SERRANO_DMA_QUEUE_DEPTH".into(), format!("{}u", cfg.queue_depth));
    s += &format!(
        "\n/* Descriptor kinds (DESC_CTRL.kind); {}..{} are reserved (rejected: BAD_KIND). */\n",
        KINDS_RESERVED.start(),
        KINDS_RESERVED.end()
    );
    for k in KINDS {
        def(&mut s, format!("SERRANO_DMA_KIND_{}", k.name), format!("{}u", k.value));
    }
    s += "\n/* Status codes (COMPLETION.code, LAST_ERROR.code). */\n";
    for st in Status::all() {
        def(
            &mut s,
            format!("SERRANO_DMA_STATUS_{}", st.name()),
            format!("0x{:02x}u /* {} */", st.code(), st.meaning()),
        );
    }
    for r in register_map(cfg) {
        s += &format!("\n/* {} ({}): {} */\n", r.name, r.access, r.doc);
        for (engine, addr) in r.addresses() {
            let p = match engine {
                "read" => "RD_",
                "write" => "WR_",
                _ => "",
            };
            def(&mut s, format!("SERRANO_DMA_{p}{}", r.name), format!("0x{addr:03x}u"));
        }
        for fl in r.fields.iter().filter(|fl| fl.width < 32 && !fl.reserved) {
            let fname = fl.name.to_uppercase();
            def(&mut s, format!("SERRANO_DMA_{}_{fname}_SHIFT", r.name), format!("{}u", fl.lsb));
            def(&mut s, format!("SERRANO_DMA_{}_{fname}_MASK", r.name), format!("0x{:x}u", field_mask(fl)));
        }
    }
    s += "\n#endif /* SERRANO_DMA_REGS_H */\n";
    s
}

/// A register's fields for JSON: the defined ones and one entry per reserved
/// bit range (`reserved_<msb>_<lsb>`), least significant first.
fn fields_json(r: &RegInfo) -> Vec<Value> {
    let mut v: Vec<(u32, Value)> = r
        .fields
        .iter()
        .map(|f| {
            let mut j = json!({
                "name": f.name, "lsb": f.lsb, "width": f.width, "doc": f.doc,
                "access": f.access, "reserved": f.reserved,
            });
            if let Some(e) = f.enumeration {
                j["enum"] = json!(e);
            }
            (f.lsb, j)
        })
        .collect();
    for (lsb, width) in reserved_bits(r) {
        // A field marked reserved is listed as itself.
        if r.fields.iter().any(|f| f.reserved && f.lsb == lsb && f.width == width) {
            continue;
        }
        v.push((
            lsb,
            json!({
                "name": format!("reserved_{}_{}", lsb + width - 1, lsb), "lsb": lsb, "width": width,
                "doc": "reserved: reads 0, writes ignored", "access": "RO", "reserved": true,
            }),
        ));
    }
    v.sort_by_key(|(lsb, _)| *lsb);
    v.into_iter().map(|(_, j)| j).collect()
}

/// The enumerations as data: descriptor kinds and status codes.
fn enums_json() -> Value {
    let kinds: Vec<Value> = KINDS.iter().map(|k| json!({"name": k.name, "value": k.value, "doc": k.meaning})).collect();
    let codes: Vec<Value> = Status::all()
        .iter()
        .map(|s| json!({"name": s.name(), "value": s.code(), "class": s.class(), "doc": s.meaning()}))
        .collect();
    json!({
        ENUM_KIND: {
            "fields": ["DESC_CTRL.kind"],
            "values": kinds,
            "reserved": {"values": KINDS_RESERVED.collect::<Vec<u8>>(), "doc": "rejected with BAD_KIND"},
        },
        ENUM_STATUS: {
            "fields": ["COMPLETION.code", "LAST_ERROR.code"],
            "values": codes,
            "doc": "0 success; 0x01..0x0f validation errors (the descriptor was rejected, nothing of it executed); 0x10 and up execution errors (it ran to its end; the first error is reported)",
        },
    })
}

/// The register map as JSON (for tools and docs).
pub fn register_map_json(cfg: &DmaConfig) -> Value {
    let regs: Vec<Value> = register_map(cfg)
        .into_iter()
        .flat_map(|r| {
            let fields = fields_json(&r);
            r.addresses().into_iter().map(move |(engine, addr)| {
                let mut j = json!({
                    "name": r.name,
                    "engine": engine,
                    "offset": addr,
                    "access": r.access,
                    "reset": r.reset,
                    "doc": r.doc,
                    "fields": fields.clone(),
                    "reserved": r.reserved.is_some(),
                });
                if let Some(why) = r.reserved {
                    j["reserved_doc"] = json!(why);
                }
                if let Some(v) = r.reads_as {
                    j["reads_as"] = json!(v);
                }
                j
            })
        })
        .collect();
    let table_doc = "entry i: page base address; low word at +0 (writing it stores the entry), high word at +4 \
                     (64-bit addresses: write it first). Write-only: a read returns 0 (OKAY) and has no effect.";
    json!({
        "block": "serrano_dma",
        "bus": {"protocol": "AXI4-Lite", "addr_bits": AXIL_ADDR_BITS, "data_bits": 32},
        "config": serde_json::to_value(cfg).expect("serializable"),
        "access_types": ACCESS_TYPES.iter().map(|(a, d)| json!({"access": a, "doc": d})).collect::<Vec<_>>(),
        "rules": {
            "unmapped": "DECERR on reads and writes; a read returns 0",
            "reserved_bits": "read 0; writes ignored",
            "write_only_reads_as": WRITE_ONLY_READS_AS,
        },
        "registers": regs,
        "tables": [
            {"engine": "read", "base": READ_TABLE_BASE, "entries": cfg.table_entries, "stride": 8,
             "access": "WO", "reads_as": WRITE_ONLY_READS_AS, "doc": table_doc},
            {"engine": "write", "base": WRITE_TABLE_BASE, "entries": cfg.table_entries, "stride": 8,
             "access": "WO", "reads_as": WRITE_ONLY_READS_AS, "doc": "as for the read engine"},
        ],
        "status_codes": Status::all().iter().map(|s| json!({
            "name": s.name(), "code": s.code(), "class": s.class(), "doc": s.meaning(),
        })).collect::<Vec<_>>(),
        "enums": enums_json(),
    })
}

/// The register-map files to write next to the DMA's Verilog:
/// `serrano_dma_regs.h` and `serrano_dma_regs.json`, as (file name, text).
pub fn register_map_files(cfg: &DmaConfig) -> Vec<(String, String)> {
    let json = serde_json::to_string_pretty(&register_map_json(cfg)).expect("serializable") + "\n";
    vec![("serrano_dma_regs.h".to_string(), c_header(cfg)), ("serrano_dma_regs.json".to_string(), json)]
}
