//! Write the DMA's Verilog for a preset-like configuration into a directory:
//! `cargo run -p serrano-hdl --example print_dma -- OUT_DIR [data_bits addr_bits]`.

use hdl::core::{emit, EmitOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("dma_out"));
    let mut cfg = golden::DmaConfig::default();
    if let Some(d) = args.get(2) {
        cfg.data_bits = d.parse().expect("data_bits");
    }
    if let Some(a) = args.get(3) {
        cfg.addr_bits = a.parse().expect("addr_bits");
    }
    cfg.validate().expect("valid config");
    let top = hdl::blocks::dma::dma(&cfg).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&out).unwrap();
    for f in emit(&top, &EmitOptions::default()).unwrap_or_else(|e| panic!("{e}")) {
        std::fs::write(out.join(&f.file_name), f.text).unwrap();
    }
    println!("{}", top.name());
}
