//! The DMA blocks elaborate for every corner of the `[dma]` ranges; snapshots
//! of a small FIFO and of the default register map's C header.

use golden::DmaConfig;
use hdl::blocks::common::fifo;
use hdl::blocks::dma::{self, regs as dma_regs};
use hdl::core::{emit, EmitOptions};

#[test]
fn dma_elaborates_across_the_config_ranges() {
    let base = DmaConfig::default();
    let mut n = 0;
    for data_bits in [64, 128, 256, 512] {
        for addr_bits in [32, 64] {
            for (max_burst, max_outstanding, queue_depth, id_bits, table_entries) in
                [(1, 1, 2, 1, 2), (256, 64, 256, 16, 2048), (7, 3, 5, 4, 64)]
            {
                let cfg =
                    DmaConfig { data_bits, addr_bits, max_burst, max_outstanding, queue_depth, id_bits, table_entries };
                cfg.validate().unwrap();
                let top = dma::dma(&cfg).unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
                let files = emit(&top, &EmitOptions::default()).unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
                assert!(files.len() >= 8);
                n += 1;
            }
        }
    }
    assert_eq!(n, 24);
    assert_eq!(dma::top::dma_name(&base), "serrano_dma_d128_a32_b256_o8_q8_i4_t256");
}

#[test]
fn fifo_snapshot() {
    let m = fifo::fifo(8, 4).unwrap();
    let text: String = emit(&m, &EmitOptions::default()).unwrap().into_iter().map(|f| f.text).collect();
    insta::assert_snapshot!(text);
}

#[test]
fn register_map_header_snapshot() {
    let files = dma_regs::register_map_files(&DmaConfig::default());
    assert_eq!(files[0].0, "serrano_dma_regs.h");
    assert_eq!(files[1].0, "serrano_dma_regs.json");
    let v: serde_json::Value = serde_json::from_str(&files[1].1).unwrap();
    assert_eq!(v["registers"].as_array().unwrap().len(), 7 + 2 * 16);
    insta::assert_snapshot!(files[0].1);
}
