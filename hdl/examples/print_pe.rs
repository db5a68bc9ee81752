//! Print the PE's Verilog: `cargo run -p serrano-hdl --example print_pe`.
fn main() {
    let m = hdl::blocks::tile::pe::pe(&golden::PeConfig { acc_bits: 32 }).expect("PE elaborates");
    for f in hdl::core::emit(&m, &hdl::core::EmitOptions::default()).expect("emits") {
        print!("{}", f.text);
    }
}
