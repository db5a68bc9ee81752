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

/// The JSON register map as a tool reads it: every register and field has an
/// access from `access_types`; fields and reserved ranges cover each
/// register's 32 bits exactly; the high words are reserved (RO, reading 0)
/// with 32-bit addresses and RW with 64; write-only locations say what a
/// read returns; the enumerations are data, equal to golden's; the keys
/// scripts use are all there.
#[test]
fn register_map_json_is_exact() {
    for addr_bits in [32, 64] {
        let cfg = DmaConfig { addr_bits, ..DmaConfig::default() };
        let j = dma_regs::register_map_json(&cfg);
        let access: Vec<&str> =
            j["access_types"].as_array().unwrap().iter().map(|a| a["access"].as_str().unwrap()).collect();
        for k in ["block", "bus", "config", "registers", "tables", "status_codes"] {
            assert!(!j[k].is_null(), "key {k}");
        }
        for r in j["registers"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap();
            for k in ["name", "engine", "offset", "access", "reset", "doc", "fields", "reserved"] {
                assert!(!r[k].is_null(), "{name}: key {k}");
            }
            let acc = r["access"].as_str().unwrap();
            assert!(access.contains(&acc), "{name}: access {acc}");
            let mut covered = 0u64;
            for f in r["fields"].as_array().unwrap() {
                for k in ["name", "lsb", "width", "doc", "access", "reserved"] {
                    assert!(!f[k].is_null(), "{name}.{}: key {k}", f["name"]);
                }
                let fa = f["access"].as_str().unwrap();
                assert!(access.contains(&fa), "{name}.{}: access {fa}", f["name"]);
                let bits = ((1u64 << f["width"].as_u64().unwrap()) - 1) << f["lsb"].as_u64().unwrap();
                assert_eq!(covered & bits, 0, "{name}: fields overlap");
                covered |= bits;
                if f["reserved"] == true {
                    assert_eq!(fa, "RO", "{name}.{}: a reserved field reads 0", f["name"]);
                } else if acc != "RO/W1C" {
                    assert_eq!(fa, acc, "{name}.{}: field access", f["name"]);
                }
                if let Some(e) = f["enum"].as_str() {
                    assert!(j["enums"][e].is_object(), "{name}.{}: enum {e}", f["name"]);
                }
            }
            assert_eq!(covered, 0xffff_ffff, "{name}: fields and reserved ranges cover 32 bits");
            let hi = ["ADDR_HI", "STRIDE1_HI", "STRIDE2_HI"].contains(&name);
            assert_eq!(r["reserved"] == true, hi && addr_bits == 32, "{name}: reserved");
            if r["reserved"] == true {
                assert_eq!((acc, r["reset"].as_u64()), ("RO", Some(0)), "{name}: reserved reads 0");
                assert!(r["reserved_doc"].is_string());
            } else if hi {
                assert_eq!(acc, "RW");
            }
            assert_eq!(acc == "WO", name == "PUSH");
            if acc == "WO" {
                assert_eq!(r["reads_as"], 0, "{name}: a read of a write-only register");
            }
        }
        for t in j["tables"].as_array().unwrap() {
            assert_eq!((t["access"].as_str(), t["reads_as"].as_u64()), (Some("WO"), Some(0)));
        }
        let kinds = &j["enums"]["descriptor_kind"];
        let got: Vec<(String, u64)> = kinds["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| (k["name"].as_str().unwrap().to_string(), k["value"].as_u64().unwrap()))
            .collect();
        let want: Vec<(String, u64)> =
            golden::dma::KINDS.iter().map(|k| (k.name.to_string(), k.value as u64)).collect();
        assert_eq!(got, want);
        assert_eq!(kinds["reserved"]["values"], serde_json::json!([4, 5, 6, 7]));
        let codes = j["enums"]["status_code"]["values"].as_array().unwrap();
        assert_eq!(codes.len(), golden::dma::Status::all().len());
        for (c, s) in codes.iter().zip(golden::dma::Status::all()) {
            assert_eq!(c["name"], s.name());
            assert_eq!(c["value"], s.code());
            assert_eq!(c["doc"], s.meaning());
            assert_eq!(c["class"], s.class());
        }
        for (c, s) in j["status_codes"].as_array().unwrap().iter().zip(golden::dma::Status::all()) {
            assert_eq!((c["name"].as_str(), c["code"].as_u64()), (Some(s.name()), Some(s.code() as u64)));
        }
    }
}
