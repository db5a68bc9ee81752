use golden::softmax::*;
use golden::SoftmaxConfig;
fn main() {
    let mk = |t| {
        let c = SoftmaxConfig {
            lanes: 16,
            max_len: 4096,
            in_bits: 8,
            out_bits: 8,
            table_bits: t,
        };
        SoftmaxParams::new(&c)
    };
    let (a, b) = (mk(3), mk(5));
    let (ea, eb) = (a.exp2(), b.exp2());
    println!("{:?}", a);
    let x: Vec<i64> = (0..20).map(|i| i * 3 - 30).collect();
    let m = vec![false; 20];
    for s in [0.05, 0.1, 0.3, 0.7] {
        let k = a.scale_to_k(s).unwrap();
        println!("{:?}", a.softmax_row(&ea, k, &x, &m));
        println!("{:?}", b.softmax_row(&eb, k, &x, &m));
        let r = reference(s, &x, &vec![true; 20]);
        println!(
            "{:?}",
            r.iter()
                .map(|v| (v * 256.0 * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
    }
}
