use golden::SoftmaxConfig;
use hdl::core::{emit, EmitOptions};
fn main() {
    let a: Vec<u32> = std::env::args()
        .skip(1)
        .take(5)
        .map(|s| s.parse().unwrap())
        .collect();
    let dir = std::env::args().nth(6).unwrap();
    let cfg = SoftmaxConfig {
        lanes: a[0],
        max_len: a[1],
        in_bits: a[2],
        out_bits: a[3],
        table_bits: a[4],
    };
    let m = hdl::blocks::softmax::softmax(&cfg).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&dir).unwrap();
    for f in emit(&m, &EmitOptions::default()).unwrap() {
        std::fs::write(format!("{dir}/{}", f.file_name), f.text).unwrap();
    }
    println!("{}", m.name());
}
