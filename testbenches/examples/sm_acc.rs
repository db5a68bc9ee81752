use golden::softmax::*;
use golden::SoftmaxConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out_bits: u32 = args[1].parse().unwrap();
    let tb: u32 = args[2].parse().unwrap();
    let rows: usize = args[3].parse().unwrap();
    let dist: u32 = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(0);
    let cfg = SoftmaxConfig {
        lanes: 16,
        max_len: 4096,
        in_bits: 8,
        out_bits,
        table_bits: tb,
    };
    let p = SoftmaxParams::new(&cfg);
    let e = p.exp2();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut st = ErrorStats::default();
    let mut worst = (0.0, 0usize, 0.0);
    for r in 0..rows {
        let len = if dist == 1 {
            (2f64.powf(rng.gen::<f64>() * 12.0)) as usize
        } else {
            rng.gen_range(1..=4096)
        };
        let len = len.clamp(1, 4096);
        let s = 2f64.powf(-8.0 * rng.gen::<f64>());
        let kind = rng.gen_range(0..4);
        let x: Vec<i64> = (0..len)
            .map(|_| match kind {
                0 => rng.gen_range(-128..=127),
                1 => {
                    let c: f64 = 0.0;
                    (c + rng.gen::<f64>() * 40.0 - 20.0).round() as i64
                }
                2 => {
                    if rng.gen_ratio(1, 50) {
                        127
                    } else {
                        rng.gen_range(-128..=0)
                    }
                }
                _ => {
                    let v: f64 = rng.gen::<f64>();
                    (127.0 - 255.0 * v * v * v).round() as i64
                }
            })
            .collect();
        let mask = vec![false; len];
        let k = p.scale_to_k(s).unwrap();
        let y = p.softmax_row(&e, k, &x, &mask);
        let rf = reference(s, &x, &vec![true; len]);
        let mut rs = ErrorStats::default();
        for i in 0..len {
            rs.add(out_bits, y[i], rf[i]);
        }
        if rs.max_err > worst.0 {
            worst = (rs.max_err, len, s);
        }
        st.merge(&rs);
    }
    println!(
        "O={out_bits} T={tb}: elements {} max {:.4} mean {:.5} worst {:?}",
        st.elements,
        st.max_err,
        st.mean(),
        worst
    );
}
