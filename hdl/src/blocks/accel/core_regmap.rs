//! The core's register map as data: every register's address, access,
//! reset value and fields, and the performance counters, in two tables
//! ([`register_map`], [`COUNTERS`]). The RTL (`core_regs.rs`) decodes from
//! them, and the C header, the JSON and the section of `docs/isa.md` are
//! rendered from them ([`c_header`], [`json`], [`markdown`]), so software,
//! documentation and hardware cannot disagree.
//!
//! The rules are the DMA's (`docs/dma.md`): bits outside a register's
//! fields are reserved (read 0, writes ignored); a write-only location
//! (`CONTROL`, the page-table windows) reads 0 with OKAY; an unmapped
//! address answers DECERR and reads 0.

use golden::core::isa::ErrorCode;
use golden::Config;
use serde_json::{json, Value};

pub use crate::blocks::common::axil::AXIL_ADDR_BITS;

/// Identification value of `ID`: "SCOR".
pub const ID_VALUE: u32 = 0x5343_4f52;
/// Register map version (`VERSION`): major.minor in the high and low halves.
pub const VERSION_VALUE: u32 = 0x0001_0000;
/// Ring indices (head, tail, size, the fault's index) are this wide.
pub const INDEX_BITS: u32 = crate::blocks::accel::core_fetch::INDEX_BITS;
/// The ring is 32-byte aligned: `RING_BASE_LO`'s low 5 bits read 0.
pub const RING_ALIGN_BITS: u32 = 5;

pub const ID: u32 = 0x000;
pub const VERSION: u32 = 0x004;
pub const CONFIG0: u32 = 0x008;
pub const CONFIG1: u32 = 0x00c;
pub const CONFIG2: u32 = 0x010;
pub const CONFIG3: u32 = 0x014;
pub const CONFIG4: u32 = 0x018;
pub const CONFIG5: u32 = 0x01c;
pub const CONTROL: u32 = 0x020;
pub const IRQ_ENABLE: u32 = 0x024;
pub const AXI_ATTR: u32 = 0x028;
pub const RING_BASE_LO: u32 = 0x030;
pub const RING_BASE_HI: u32 = 0x034;
pub const RING_SIZE: u32 = 0x038;
pub const TAIL: u32 = 0x03c;
pub const HEAD: u32 = 0x040;
pub const STATUS: u32 = 0x044;
pub const FAULT_INDEX: u32 = 0x048;
/// Counter `i` of [`COUNTERS`]: its low word at `COUNTER_BASE + 8·i`, its
/// high word 4 bytes above.
pub const COUNTER_BASE: u32 = 0x100;
/// Page-table windows, as the DMA's: entry `i` at `base + 8·i` (low word),
/// `+4` (high word; with 64-bit addresses written first).
pub const READ_TABLE_BASE: u32 = 0x4000;
pub const WRITE_TABLE_BASE: u32 = 0x8000;

/// CONTROL's bits.
pub const CONTROL_CLEAR: u32 = 0;
pub const CONTROL_COUNTERS_CLEAR: u32 = 1;
/// STATUS's bits and fields.
pub const STATUS_BUSY: u32 = 0;
pub const STATUS_FAULTED: u32 = 1;
pub const STATUS_FENCE: u32 = 2;
pub const STATUS_CODE_LSB: u32 = 8;
pub const STATUS_DMA_LSB: u32 = 16;

/// One 64-bit performance counter: each cycle it adds its `inc_<name>`
/// input, `inc_bits` wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Also the JSON key the runtime prints.
    pub name: &'static str,
    pub inc_bits: u32,
    pub doc: &'static str,
}

const fn c(name: &'static str, inc_bits: u32, doc: &'static str) -> Counter {
    Counter { name, inc_bits, doc }
}

/// The performance counters, in address order. Adding one is one line.
pub const COUNTERS: &[Counter] = &[
    c("cycles", 1, "cycles the core was busy (ring not empty or commands in flight)"),
    c("commands_retired", 1, "commands completed"),
    c("dram_bytes_read", 64, "bytes DMA_LOAD descriptors read"),
    c("dram_bytes_written", 64, "bytes DMA_STORE descriptors wrote"),
    c("macs", 64, "rows x R x C per TILE_COMPUTE"),
    c("softmax_elements", 64, "rows x len per SOFTMAX"),
    c("fences", 1, "FENCEs reached"),
    c("busy_fetch", 1, "cycles the command fetch had work"),
    c("busy_load", 1, "cycles the load engine had a command"),
    c("busy_tile", 1, "cycles the tile had a command"),
    c("busy_softmax", 1, "cycles the softmax unit had a command"),
    c("busy_store", 1, "cycles the store engine had a command"),
    c("stall_load", 1, "cycles the load engine had a command but waited (scoreboard, memory, back-pressure)"),
    c("stall_tile", 1, "cycles the tile had a command but waited"),
    c("stall_softmax", 1, "cycles the softmax unit had a command but waited"),
    c("stall_store", 1, "cycles the store engine had a command but waited"),
    c("axi_read_beats", 1, "read data beats on the core's AXI master"),
    c("axi_write_beats", 1, "write data beats on the core's AXI master"),
];

/// Byte address of counter `i`'s low word (the high word is 4 above).
pub fn counter_lo(i: usize) -> u32 {
    COUNTER_BASE + 8 * i as u32
}

/// The access types, as the DMA's.
pub const ACCESS_TYPES: [(&str, &str); 5] = [
    ("RO", "read-only: a read returns the value; a write is ignored"),
    ("RW", "read-write: a read returns the fields as last written (byte strobes honoured); reserved bits read 0"),
    ("WO", "write-only: a write acts; a read returns 0 and has no effect"),
    ("RO/W1C", "read-only, except fields marked W1C"),
    ("W1C", "a field that reads its flag; writing 1 clears it, writing 0 leaves it"),
];

/// One field of a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
    /// The register's access, or its own in an `RO/W1C` register.
    pub access: &'static str,
    pub doc: String,
}

impl Field {
    pub fn mask(&self) -> u32 {
        (((1u64 << self.width) - 1) << self.lsb) as u32
    }
}

/// One register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reg {
    pub name: String,
    pub offset: u32,
    pub access: &'static str,
    /// The value read after reset (`None`: a build parameter, in a map
    /// rendered without a configuration).
    pub reset: Option<u32>,
    pub doc: String,
    pub fields: Vec<Field>,
    /// Why it is reserved in this build (it then reads 0, ignores writes).
    pub reserved: Option<&'static str>,
}

impl Reg {
    /// The bits a write stores: the `RW` fields.
    pub fn write_mask(&self) -> u32 {
        self.fields.iter().filter(|f| f.access == "RW").fold(0, |m, f| m | f.mask())
    }
}

fn f(name: &'static str, lsb: u32, width: u32, doc: &str) -> Field {
    Field { name, lsb, width, access: "", doc: doc.into() }
}

fn fa(name: &'static str, lsb: u32, width: u32, access: &'static str, doc: &str) -> Field {
    Field { access, ..f(name, lsb, width, doc) }
}

fn reg(name: &str, offset: u32, access: &'static str, reset: Option<u32>, doc: &str, mut fields: Vec<Field>) -> Reg {
    for fl in &mut fields {
        if fl.access.is_empty() {
            fl.access = access;
        }
    }
    Reg { name: name.into(), offset, access, reset, doc: doc.into(), fields, reserved: None }
}

/// The build parameters a driver checks (CONFIG0..5), as (register, offset,
/// fields with their values).
#[allow(clippy::type_complexity)]
fn config_words(cfg: Option<&Config>) -> Vec<(&'static str, u32, Vec<(&'static str, u32, u32, &'static str, u32)>)> {
    let v = |get: &dyn Fn(&Config) -> u32| cfg.map(get).unwrap_or(0);
    let core = |cfg: &Config| cfg.core.unwrap_or_default();
    vec![
        (
            "CONFIG0",
            CONFIG0,
            vec![
                ("tile_rows", 0, 8, "systolic.rows", v(&|c| c.systolic.rows)),
                ("tile_cols", 8, 8, "systolic.cols", v(&|c| c.systolic.cols)),
                ("softmax_lanes", 16, 8, "softmax.lanes", v(&|c| c.softmax.lanes)),
                ("spad_banks", 24, 8, "core.spad_banks", v(&|c| core(c).spad_banks)),
            ],
        ),
        ("CONFIG1", CONFIG1, vec![("acc_depth", 0, 17, "systolic.acc_depth", v(&|c| c.systolic.acc_depth))]),
        ("CONFIG2", CONFIG2, vec![("softmax_max_len", 0, 17, "softmax.max_len", v(&|c| c.softmax.max_len))]),
        (
            "CONFIG3",
            CONFIG3,
            vec![
                (
                    "dma_data_bits",
                    0,
                    16,
                    "dma.data_bits (the scratchpad line is data_bits / 8 bytes)",
                    v(&|c| c.dma.data_bits),
                ),
                ("dma_addr_bits", 16, 8, "dma.addr_bits", v(&|c| c.dma.addr_bits)),
            ],
        ),
        (
            "CONFIG4",
            CONFIG4,
            vec![("spad_lines", 0, 32, "scratchpad lines", v(&|c| core(c).spad_lines(c.dma.data_bytes())))],
        ),
        (
            "CONFIG5",
            CONFIG5,
            vec![("table_entries", 0, 16, "dma.table_entries, per page table", v(&|c| c.dma.table_entries))],
        ),
    ]
}

/// The value of a CONFIG word for `cfg`.
pub fn config_value(cfg: &Config, offset: u32) -> u32 {
    let words = config_words(Some(cfg));
    let (_, _, fs) = words.iter().find(|w| w.1 == offset).expect("a CONFIG word");
    fs.iter().fold(0, |acc, (_, lsb, _, _, val)| acc | val << lsb)
}

/// The register map (without the page-table windows) of a core built for
/// `cfg`, in address order.
pub fn register_map(cfg: &Config) -> Vec<Reg> {
    layout(Some(cfg))
}

/// The map; with no configuration the build parameters are left open (for
/// the documentation).
fn layout(cfg: Option<&Config>) -> Vec<Reg> {
    let mut map = vec![
        reg("ID", ID, "RO", Some(ID_VALUE), "identification: \"SCOR\"", vec![f("id", 0, 32, "0x53434f52")]),
        reg(
            "VERSION",
            VERSION,
            "RO",
            Some(VERSION_VALUE),
            "register map version",
            vec![f("minor", 0, 16, "minor"), f("major", 16, 16, "major")],
        ),
    ];
    for (name, off, fs) in config_words(cfg) {
        let value = fs.iter().fold(0, |acc, (_, lsb, _, _, val)| acc | val << lsb);
        let fields = fs.iter().map(|(n, lsb, w, doc, _)| f(n, *lsb, *w, doc)).collect();
        map.push(reg(name, off, "RO", cfg.map(|_| value), "build parameters", fields));
    }
    map.extend(control_registers(cfg));
    for (i, k) in COUNTERS.iter().enumerate() {
        let up = k.name.to_uppercase();
        let lo_doc = format!("counter `{}`, bits 31..0 (this read latches bits 63..32 for *_HI)", k.name);
        map.push(reg(&format!("{up}_LO"), counter_lo(i), "RO", Some(0), &lo_doc, vec![f("lo", 0, 32, "")]));
        let hi_doc = format!("counter `{}`, bits 63..32, as latched by the last *_LO read", k.name);
        map.push(reg(&format!("{up}_HI"), counter_lo(i) + 4, "RO", Some(0), &hi_doc, vec![f("hi", 0, 32, "")]));
    }
    map
}

/// CONTROL to FAULT_INDEX.
fn control_registers(cfg: Option<&Config>) -> Vec<Reg> {
    let a = cfg.map(|c| c.dma.addr_bits);
    let mut hi = reg(
        "RING_BASE_HI",
        RING_BASE_HI,
        "RW",
        Some(0),
        "the ring's base address, bits 63..32 (reserved with 32-bit addresses)",
        vec![f("base_hi", 0, 32, "")],
    );
    if a == Some(32) {
        hi.access = "RO";
        hi.fields.clear();
        hi.reserved = Some("32-bit addresses: the high word does not exist; reads 0, writes ignored");
    }
    let codes: Vec<String> = ErrorCode::all().iter().map(|e| format!("0x{:02x} {}", e.code(), e.name())).collect();
    let code_doc = format!("the fault's error code (0 none; docs/isa.md: {})", codes.join(", "));
    vec![
        reg(
            "CONTROL",
            CONTROL,
            "WO",
            Some(0),
            "commands; reads 0",
            vec![
                f("clear", CONTROL_CLEAR, 1, "1: clear the fault (STATUS.faulted, code, dma_status, FAULT_INDEX)"),
                f("counters_clear", CONTROL_COUNTERS_CLEAR, 1, "1: zero every performance counter"),
            ],
        ),
        reg("IRQ_ENABLE", IRQ_ENABLE, "RW", Some(0), "irq = STATUS.fence & fence", vec![f("fence", 0, 1, "")]),
        reg(
            "AXI_ATTR",
            AXI_ATTR,
            "RW",
            Some(0x3),
            "AxCACHE and AxPROT of the DMA engines' bursts",
            vec![f("cache", 0, 4, "AxCACHE (reset 0b0011)"), f("prot", 4, 3, "AxPROT")],
        ),
        reg(
            "RING_BASE_LO",
            RING_BASE_LO,
            "RW",
            Some(0),
            "the ring's base address, bits 31..0 (32-byte aligned: bits 4..0 read 0)",
            vec![f("base_lo", RING_ALIGN_BITS, 32 - RING_ALIGN_BITS, "")],
        ),
        hi,
        reg("RING_SIZE", RING_SIZE, "RW", Some(0), "slots in the ring", vec![f("size", 0, INDEX_BITS, "")]),
        reg(
            "TAIL",
            TAIL,
            "RW",
            Some(0),
            "doorbell: the slot after the last command",
            vec![f("tail", 0, INDEX_BITS, "")],
        ),
        reg("HEAD", HEAD, "RO", Some(0), "the next command to retire", vec![f("head", 0, INDEX_BITS, "")]),
        reg(
            "STATUS",
            STATUS,
            "RO/W1C",
            Some(0),
            "core status",
            vec![
                fa("busy", STATUS_BUSY, 1, "RO", "the ring is not empty or commands are in flight"),
                fa("faulted", STATUS_FAULTED, 1, "RO", "a fault stopped the core (until CONTROL.clear)"),
                fa("fence", STATUS_FENCE, 1, "W1C", "a FENCE completed; write 1 to clear"),
                fa("code", STATUS_CODE_LSB, 8, "RO", &code_doc),
                fa("dma_status", STATUS_DMA_LSB, 8, "RO", "the DMA status code of the fault (docs/dma.md), or 0"),
            ],
        ),
        reg(
            "FAULT_INDEX",
            FAULT_INDEX,
            "RO",
            Some(0),
            "ring index of the faulting command",
            vec![f("index", 0, INDEX_BITS, "")],
        ),
    ]
}

/// The C header (macros `SERRANO_CORE_*`).
pub fn c_header(cfg: &Config) -> String {
    let mut s = String::new();
    s += "/* Serrano core register map. Generated by serrano from the configuration.\n";
    s += " * Do not edit: regenerate instead. See docs/isa.md, \"Register map\".\n";
    s += " * Access: RO read-only, RW read-write, WO write-only (reads 0), W1C write 1 to\n";
    s += " * clear. Bits outside the fields are reserved: read 0, writes ignored.\n";
    s += " * Unmapped addresses answer DECERR. Counters: read LO, then HI (LO latches HI). */\n";
    s += "#ifndef SERRANO_CORE_REGS_H\n#define SERRANO_CORE_REGS_H\n\n";
    let def = |s: &mut String, name: String, v: String| *s += &format!("#define {name:<48} {v}\n");
    def(&mut s, "SERRANO_CORE_READ_TABLE".into(), format!("0x{READ_TABLE_BASE:04x}u"));
    def(&mut s, "SERRANO_CORE_WRITE_TABLE".into(), format!("0x{WRITE_TABLE_BASE:04x}u"));
    def(&mut s, "SERRANO_CORE_TABLE_ENTRY(i)".into(), "((i) * 8u)".into());
    def(&mut s, "SERRANO_CORE_TABLE_ENTRIES".into(), format!("{}u", cfg.dma.table_entries));
    def(&mut s, "SERRANO_CORE_COUNTER_BASE".into(), format!("0x{COUNTER_BASE:03x}u"));
    def(&mut s, "SERRANO_CORE_COUNTERS".into(), format!("{}u", COUNTERS.len()));
    def(&mut s, "SERRANO_CORE_COUNTER_LO(i)".into(), format!("(0x{COUNTER_BASE:03x}u + (i) * 8u)"));
    def(&mut s, "SERRANO_CORE_COUNTER_HI(i)".into(), format!("(0x{:03x}u + (i) * 8u)", COUNTER_BASE + 4));
    s += "/* Counter indices (i above), in the order of the JSON's \"counters\". */\n";
    for (i, k) in COUNTERS.iter().enumerate() {
        def(&mut s, format!("SERRANO_CORE_CNT_{}", k.name.to_uppercase()), format!("{i}u"));
    }
    for r in register_map(cfg) {
        s += &format!("\n/* {} ({}): {} */\n", r.name, r.access, r.doc);
        def(&mut s, format!("SERRANO_CORE_{}", r.name), format!("0x{:03x}u", r.offset));
        for fl in r.fields.iter().filter(|fl| fl.width < 32) {
            let n = fl.name.to_uppercase();
            def(&mut s, format!("SERRANO_CORE_{}_{n}_SHIFT", r.name), format!("{}u", fl.lsb));
            def(&mut s, format!("SERRANO_CORE_{}_{n}_MASK", r.name), format!("0x{:x}u", fl.mask()));
        }
    }
    s += "\n#endif /* SERRANO_CORE_REGS_H */\n";
    s
}

/// The map as JSON (for the runtime and tools).
pub fn json(cfg: &Config) -> Value {
    let regs: Vec<Value> = register_map(cfg)
        .iter()
        .map(|r| {
            let fields: Vec<Value> = r
                .fields
                .iter()
                .map(|f| json!({"name": f.name, "lsb": f.lsb, "width": f.width, "access": f.access, "doc": f.doc}))
                .collect();
            let mut j = json!({
                "name": r.name, "offset": r.offset, "access": r.access, "reset": r.reset,
                "doc": r.doc, "fields": fields, "reserved": r.reserved.is_some(),
            });
            if let Some(why) = r.reserved {
                j["reserved_doc"] = json!(why);
            }
            j
        })
        .collect();
    let counters: Vec<Value> = COUNTERS
        .iter()
        .enumerate()
        .map(|(i, k)| json!({"name": k.name, "lo": counter_lo(i), "hi": counter_lo(i) + 4, "inc_bits": k.inc_bits, "doc": k.doc}))
        .collect();
    let table_doc = "entry i: page base address; low word at +0 (writing it stores the entry), high word at +4 \
                     (64-bit addresses: write it first). Write-only: a read returns 0 (OKAY).";
    json!({
        "block": "serrano_core_regs",
        "bus": {"protocol": "AXI4-Lite", "addr_bits": AXIL_ADDR_BITS, "data_bits": 32},
        "config": serde_json::to_value(cfg).expect("serializable"),
        "access_types": ACCESS_TYPES.iter().map(|(a, d)| json!({"access": a, "doc": d})).collect::<Vec<_>>(),
        "rules": {
            "unmapped": "DECERR on reads and writes; a read returns 0",
            "reserved_bits": "read 0; writes ignored",
            "counters": "64-bit, zeroed by reset and CONTROL.counters_clear; reading *_LO latches the high word, \
                         which *_HI returns: read LO then HI for a consistent 64-bit value",
        },
        "registers": regs,
        "counters": counters,
        "tables": [
            {"engine": "read", "base": READ_TABLE_BASE, "entries": cfg.dma.table_entries, "stride": 8,
             "access": "WO", "doc": table_doc},
            {"engine": "write", "base": WRITE_TABLE_BASE, "entries": cfg.dma.table_entries, "stride": 8,
             "access": "WO", "doc": "as for the read engine"},
        ],
    })
}

/// `serrano_core_regs.h` and `serrano_core_regs.json`, as (file name, text).
pub fn register_map_files(cfg: &Config) -> Vec<(String, String)> {
    let j = serde_json::to_string_pretty(&json(cfg)).expect("serializable") + "\n";
    vec![("serrano_core_regs.h".into(), c_header(cfg)), ("serrano_core_regs.json".into(), j)]
}

/// The register map's section of `docs/isa.md` (between its markers).
pub fn markdown() -> String {
    let mut s = String::new();
    s += "| offset | register | access | reset | fields (bits: name, meaning) |\n| --- | --- | --- | --- | --- |\n";
    let counter_start = counter_lo(0);
    for r in layout(None).iter().filter(|r| r.offset < counter_start) {
        let reset = r.reset.map_or("build".to_string(), |v| format!("0x{v:x}"));
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|f| {
                let bits =
                    if f.width == 1 { format!("{}", f.lsb) } else { format!("{}..{}", f.lsb + f.width - 1, f.lsb) };
                let acc = if r.access == "RO/W1C" { format!(" ({})", f.access) } else { String::new() };
                let doc = if f.doc.is_empty() { String::new() } else { format!(": {}", f.doc) };
                format!("{bits} `{}`{acc}{doc}", f.name)
            })
            .collect();
        s += &format!(
            "| 0x{:03x} | `{}` | {} | {} | {}. {} |\n",
            r.offset,
            r.name,
            r.access,
            reset,
            r.doc,
            fields.join("; ")
        );
    }
    s += &format!(
        "| 0x{READ_TABLE_BASE:04x} + 8·i | read page table | WO | | entry i: low word (stores the entry), +4 high word (first) |\n"
    );
    s += &format!("| 0x{WRITE_TABLE_BASE:04x} + 8·i | write page table | WO | | as the read page table |\n");
    s += "\nPerformance counters (64-bit; `NAME_LO` at the offset, `NAME_HI` 4 above; JSON key = name):\n\n";
    s += "| offset | counter | increment per cycle | counts |\n| --- | --- | --- | --- |\n";
    for (i, k) in COUNTERS.iter().enumerate() {
        s += &format!(
            "| 0x{:03x} | `{}` | {} bit{} | {} |\n",
            counter_lo(i),
            k.name,
            k.inc_bits,
            if k.inc_bits == 1 { "" } else { "s" },
            k.doc
        );
    }
    s
}
