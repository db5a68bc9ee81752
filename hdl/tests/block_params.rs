//! Every block builder checks its parameters at its entry: a value just
//! outside its range on either side, and absurd ones (0, u32::MAX), come
//! back as an error naming the block, the parameter and the allowed range,
//! never as a panic; the edges inside the range build. Elaboration only.

use std::panic::{catch_unwind, AssertUnwindSafe};

use golden::config::{ACC_DEPTH, ARRAY_DIM, SOFTMAX_LANES, SOFTMAX_MAX_LEN, SOFTMAX_TABLE_BITS};
use golden::softmax::SoftmaxParams;
use golden::{DmaConfig, PeConfig, SoftmaxConfig, SystolicConfig};
use hdl::blocks::common::fifo::{fifo, FIFO_MAX_DEPTH};
use hdl::blocks::dma::dma;
use hdl::blocks::dma::legalizer::legalizer;
use hdl::blocks::dma::read::dma_read;
use hdl::blocks::dma::regs::dma_regs;
use hdl::blocks::dma::validate::validate;
use hdl::blocks::dma::write::dma_write;
use hdl::blocks::softmax::softmax;
use hdl::blocks::softmax::units::{exp2_unit, recip_unit};
use hdl::blocks::tile::acc_bank::acc_bank;
use hdl::blocks::tile::array::array;
use hdl::blocks::tile::pe::pe;
use hdl::blocks::tile::tile;
use hdl::board::board;
use hdl::core::{HdlError, Module, Result, UInt, MAX_WIDTH};

/// Run a builder, failing the test if it panics.
fn run<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => panic!("{what}: the builder panicked"),
    }
}

/// The builder refuses `param = value`, naming `block`, the parameter, the
/// value and a range. Returns the message for exact checks.
fn refused<T>(block: &str, param: &str, value: u32, f: impl FnOnce() -> Result<T>) -> String {
    let what = format!("{block} with {param} = {value}");
    let e: HdlError = match run(&what, f) {
        Ok(_) => panic!("{what}: built, expected a parameter error"),
        Err(e) => e,
    };
    assert_eq!(e.module, block, "{what}: {e}");
    assert_eq!(e.signal, None, "{what}: {e}");
    let head = format!("{param} = {value}: must be ");
    assert!(e.message.starts_with(&head), "{what}: {e}");
    assert!(e.message.len() > head.len(), "{what}: no allowed range in {e}");
    e.to_string()
}

/// The builder builds.
fn builds<T>(what: &str, f: impl FnOnce() -> Result<T>) {
    if let Err(e) = run(what, f) {
        panic!("{what}: {e}");
    }
}

/// Values just outside `lo..=hi` and the absurd ones (those inside the range left out).
fn outside(lo: u32, hi: u32) -> Vec<u32> {
    let mut v = vec![0, u32::MAX, hi + 1];
    if lo > 0 {
        v.push(lo - 1);
    }
    v.retain(|x| !(lo..=hi).contains(x));
    v
}

#[test]
fn the_issue_cases_name_the_parameter() {
    assert_eq!(
        refused("serrano_fifo", "depth", 0, || fifo(8, 0)),
        "module serrano_fifo: depth = 0: must be between 1 and 65536"
    );
    let cfg = SystolicConfig { rows: 0, cols: 4, acc_depth: 16, requant: true };
    assert_eq!(
        refused("serrano_tile", "systolic.rows", 0, || tile(&cfg)),
        "module serrano_tile: systolic.rows = 0: must be between 1 and 128"
    );
    let cfg = DmaConfig { data_bits: 48, ..DmaConfig::default() };
    assert_eq!(
        refused("serrano_dma_read", "dma.data_bits", 48, || dma_read(&cfg)),
        "module serrano_dma_read: dma.data_bits = 48: must be a power of two between 64 and 512"
    );
}

#[test]
fn fifo_params() {
    for w in outside(1, MAX_WIDTH) {
        refused("serrano_fifo", "width", w, || fifo(w, 4));
    }
    for d in outside(1, FIFO_MAX_DEPTH) {
        refused("serrano_fifo", "depth", d, || fifo(8, d));
    }
    for (w, d) in [(1, 1), (1, 2), (MAX_WIDTH, 2), (8, FIFO_MAX_DEPTH)] {
        builds(&format!("fifo({w}, {d})"), || fifo(w, d));
    }
}

#[test]
fn pe_params() {
    for a in outside(16, 64) {
        refused("serrano_pe", "acc_bits", a, || pe(&PeConfig { acc_bits: a }));
    }
    for a in [16, 64] {
        builds(&format!("pe acc_bits = {a}"), || pe(&PeConfig { acc_bits: a }));
    }
}

const SYS: SystolicConfig = SystolicConfig { rows: 2, cols: 2, acc_depth: 4, requant: true };

#[test]
fn array_params() {
    let (lo, hi) = (*ARRAY_DIM.start(), *ARRAY_DIM.end());
    for v in outside(lo, hi) {
        refused("serrano_array", "systolic.rows", v, || array(&SystolicConfig { rows: v, ..SYS }));
        refused("serrano_array", "systolic.cols", v, || array(&SystolicConfig { cols: v, ..SYS }));
    }
    for (rows, cols) in [(lo, lo), (hi, lo), (lo, hi), (hi, hi)] {
        builds(&format!("array {rows} x {cols}"), || array(&SystolicConfig { rows, cols, ..SYS }));
    }
}

#[test]
fn acc_bank_params() {
    let (lo, hi) = (*ACC_DEPTH.start(), *ACC_DEPTH.end());
    for d in outside(lo, hi) {
        refused("serrano_acc_bank", "systolic.acc_depth", d, || acc_bank(&SystolicConfig { acc_depth: d, ..SYS }));
    }
    for d in [lo, hi] {
        builds(&format!("acc_bank depth {d}"), || acc_bank(&SystolicConfig { acc_depth: d, ..SYS }));
    }
}

#[test]
fn tile_params() {
    let (dlo, dhi) = (*ARRAY_DIM.start(), *ARRAY_DIM.end());
    for requant in [true, false] {
        let base = SystolicConfig { requant, ..SYS };
        for v in outside(dlo, dhi) {
            refused("serrano_tile", "systolic.rows", v, || tile(&SystolicConfig { rows: v, ..base }));
            refused("serrano_tile", "systolic.cols", v, || tile(&SystolicConfig { cols: v, ..base }));
        }
        for d in outside(*ACC_DEPTH.start(), *ACC_DEPTH.end()) {
            refused("serrano_tile", "systolic.acc_depth", d, || tile(&SystolicConfig { acc_depth: d, ..base }));
        }
        let edges = [
            (dlo, dlo, *ACC_DEPTH.start()),
            (dhi, dlo, *ACC_DEPTH.end()),
            (dlo, dhi, *ACC_DEPTH.start()),
            (dhi, dhi, *ACC_DEPTH.end()),
        ];
        for (rows, cols, acc_depth) in edges {
            let cfg = SystolicConfig { rows, cols, acc_depth, requant };
            builds(&format!("{cfg:?}"), || tile(&cfg));
        }
    }
}

#[test]
fn softmax_params() {
    let base = SoftmaxConfig { lanes: 4, max_len: 64, ..SoftmaxConfig::default() };
    let b = "serrano_softmax";
    for v in outside(*SOFTMAX_LANES.start(), *SOFTMAX_LANES.end()) {
        refused(b, "softmax.lanes", v, || softmax(&SoftmaxConfig { lanes: v, ..base }));
    }
    for v in outside(*SOFTMAX_MAX_LEN.start(), *SOFTMAX_MAX_LEN.end()) {
        refused(b, "softmax.max_len", v, || softmax(&SoftmaxConfig { max_len: v, ..base }));
    }
    refused(b, "softmax.max_len", 66, || softmax(&SoftmaxConfig { max_len: 66, ..base }));
    for v in [0, 7, 9, 12, 15, 17, 32, u32::MAX] {
        refused(b, "softmax.in_bits", v, || softmax(&SoftmaxConfig { in_bits: v, ..base }));
        refused(b, "softmax.out_bits", v, || softmax(&SoftmaxConfig { out_bits: v, ..base }));
    }
    for v in outside(*SOFTMAX_TABLE_BITS.start(), *SOFTMAX_TABLE_BITS.end()) {
        refused(b, "softmax.table_bits", v, || softmax(&SoftmaxConfig { table_bits: v, ..base }));
    }
    let edges = [
        SoftmaxConfig { lanes: 1, max_len: 1, in_bits: 8, out_bits: 8, table_bits: 2 },
        SoftmaxConfig { lanes: 64, max_len: 64, in_bits: 16, out_bits: 16, table_bits: 10 },
        SoftmaxConfig { lanes: 1, max_len: 65_536, in_bits: 16, out_bits: 8, table_bits: 5 },
    ];
    for cfg in edges {
        builds(&format!("{cfg:?}"), || softmax(&cfg));
    }
}

#[test]
fn softmax_unit_params() {
    for out_bits in [8, 16] {
        let p = SoftmaxParams::new(&SoftmaxConfig { out_bits, ..SoftmaxConfig::default() });
        let e = "serrano_softmax_exp2";
        for v in outside(*SOFTMAX_TABLE_BITS.start(), *SOFTMAX_TABLE_BITS.end()) {
            refused(e, "table_bits", v, || exp2_unit(&SoftmaxParams { table_bits: v, ..p }));
        }
        for v in [0, 1, 13, 15, 21, 23, 30, u32::MAX] {
            refused(e, "exp_frac", v, || exp2_unit(&SoftmaxParams { exp_frac: v, ..p }));
        }
        for t in [*SOFTMAX_TABLE_BITS.start(), *SOFTMAX_TABLE_BITS.end()] {
            builds(&format!("exp2 out_bits {out_bits} table_bits {t}"), || {
                exp2_unit(&SoftmaxParams { table_bits: t, ..p })
            });
        }
        let r = "serrano_softmax_recip";
        for v in [0, 13, 15, 21, 23, 64, u32::MAX] {
            refused(r, "recip_frac", v, || recip_unit(&SoftmaxParams { recip_frac: v, ..p }));
            refused(r, "norm_frac", v, || recip_unit(&SoftmaxParams { norm_frac: v, ..p }));
        }
        builds(&format!("recip out_bits {out_bits}"), || recip_unit(&p));
    }
}

/// Each `[dma]` field's bad values, with the field's name in the message.
fn dma_bad_fields() -> Vec<(&'static str, u32, DmaConfig)> {
    let d = DmaConfig::default();
    let mut v = Vec::new();
    for x in [0, 32, 48, 63, 65, 96, 511, 513, 1024, u32::MAX] {
        v.push(("dma.data_bits", x, DmaConfig { data_bits: x, ..d }));
    }
    for x in [0, 31, 33, 48, 63, 65, u32::MAX] {
        v.push(("dma.addr_bits", x, DmaConfig { addr_bits: x, ..d }));
    }
    for x in outside(1, 256) {
        v.push(("dma.max_burst", x, DmaConfig { max_burst: x, ..d }));
    }
    for x in outside(1, 64) {
        v.push(("dma.max_outstanding", x, DmaConfig { max_outstanding: x, ..d }));
    }
    for x in outside(2, 256) {
        v.push(("dma.queue_depth", x, DmaConfig { queue_depth: x, ..d }));
    }
    for x in outside(1, 16) {
        v.push(("dma.id_bits", x, DmaConfig { id_bits: x, ..d }));
    }
    for x in [0, 1, 3, 100, 2049, 4096, u32::MAX] {
        v.push(("dma.table_entries", x, DmaConfig { table_entries: x, ..d }));
    }
    v
}

/// The smallest and the largest `[dma]` configurations.
const DMA_EDGES: [DmaConfig; 2] = [
    DmaConfig {
        data_bits: 64,
        addr_bits: 32,
        max_burst: 1,
        max_outstanding: 1,
        queue_depth: 2,
        id_bits: 1,
        table_entries: 2,
    },
    DmaConfig {
        data_bits: 512,
        addr_bits: 64,
        max_burst: 256,
        max_outstanding: 64,
        queue_depth: 256,
        id_bits: 16,
        table_entries: 2048,
    },
];

#[test]
fn dma_params() {
    type Builder = fn(&DmaConfig) -> Result<Module>;
    let builders: [(&str, Builder); 4] = [
        ("serrano_dma", dma),
        ("serrano_dma_regs", dma_regs),
        ("serrano_dma_read", dma_read),
        ("serrano_dma_write", dma_write),
    ];
    for (block, build) in builders {
        for (field, value, cfg) in dma_bad_fields() {
            refused(block, field, value, || build(&cfg));
        }
        for cfg in DMA_EDGES {
            builds(&format!("{block} {cfg:?}"), || build(&cfg));
        }
    }
}

#[test]
fn legalizer_and_validate_params() {
    let d = DmaConfig::default();
    let l = "serrano_dma_legalizer";
    for (field, value, c) in dma_bad_fields() {
        // Only the fields these blocks take.
        let lz = || legalizer(c.data_bits, c.addr_bits, c.max_burst, c.table_entries);
        match field {
            "dma.data_bits" | "dma.addr_bits" | "dma.max_burst" | "dma.table_entries" => {
                refused(l, field, value, lz);
            }
            _ => builds(&format!("legalizer ignoring {field}"), lz),
        }
        if field == "dma.addr_bits" || field == "dma.table_entries" {
            refused("serrano_dma_validate", field, value, || validate(c.addr_bits, c.table_entries));
        }
    }
    for c in DMA_EDGES {
        builds(&format!("legalizer {c:?}"), || legalizer(c.data_bits, c.addr_bits, c.max_burst, c.table_entries));
        builds(&format!("validate {c:?}"), || validate(c.addr_bits, c.table_entries));
    }
    builds("legalizer default", || legalizer(d.data_bits, d.addr_bits, d.max_burst, d.table_entries));
}

/// A DUT with inputs and outputs of the given widths (a register between each).
fn dut(name: &str, ins: &[u32], outs: &[u32]) -> Module {
    let mut m = Module::new(name);
    let mut last = None;
    for (i, &w) in ins.iter().enumerate() {
        let x = m.input(&format!("i{i}"), UInt(w)).unwrap();
        m.allow_unused(&x, "a test input").unwrap();
        last = Some(x);
    }
    for (i, &w) in outs.iter().enumerate() {
        let v = match &last {
            Some(x) => x.bit(0).zext(w),
            None => hdl::core::Expr::lit(0, UInt(w)),
        };
        let q = m.reg(&format!("q{i}"), UInt(w)).reset(0).d(v).unwrap();
        m.output(&format!("o{i}"), &q).unwrap();
    }
    m
}

#[test]
fn board_params() {
    let b = "serrano_board";
    refused(b, "input_bits", 0, || board(&dut("serrano_no_in", &[], &[8])));
    refused(b, "output_bits", 0, || board(&dut("serrano_no_out", &[4], &[])));
    refused(b, "input_bits", MAX_WIDTH + 1, || board(&dut("serrano_wide_in", &[MAX_WIDTH, 1], &[8])));
    refused(b, "output_bits", MAX_WIDTH + 1, || board(&dut("serrano_wide_out", &[4], &[MAX_WIDTH, 1])));
    // Port widths that sum past u32::MAX saturate rather than wrap to a small width.
    let many = vec![MAX_WIDTH; 65_537];
    refused(b, "input_bits", u32::MAX, || board(&dut("serrano_huge_in", &many, &[8])));
    builds("board 1 in, 1 out", || board(&dut("serrano_small", &[1], &[1])));
    builds("board widest", || board(&dut("serrano_widest", &[MAX_WIDTH], &[MAX_WIDTH])));
}
