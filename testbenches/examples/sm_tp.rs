use golden::softmax::SoftmaxParams;
use golden::SoftmaxConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use testbenches::softmax::*;
fn main() {
    let a: Vec<u32> = std::env::args()
        .skip(1)
        .take(5)
        .map(|s| s.parse().unwrap())
        .collect();
    let nrows: usize = std::env::args().nth(6).unwrap().parse().unwrap();
    let len: usize = std::env::args().nth(7).unwrap().parse().unwrap();
    let cfg = SoftmaxConfig {
        lanes: a[0],
        max_len: a[1],
        in_bits: a[2],
        out_bits: a[3],
        table_bits: a[4],
    };
    let p = SoftmaxParams::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let rows: Vec<Row> = (0..nrows)
        .map(|_| {
            let x = logits(&mut rng, &p, Dist::Uniform, len);
            let s = random_scale(&mut rng, &p);
            Row {
                k: p.scale_to_k(s).unwrap(),
                beats: p.pack_row(&x, &vec![false; len]),
            }
        })
        .collect();
    let r = run_softmax(&cfg, &rows, &SoftmaxRun::full_speed(1)).unwrap();
    println!("cycles {} rows {} elements {} mism {} build {:.1}s sim {:.2}s ({:.0} c/s) epc {:.3} in-epc {:.3} lat {}",
        r.cycles, r.rows, r.elements, r.mismatches, r.build_seconds, r.sim_seconds, r.sim_cycles_per_sec(), r.elements_per_cycle(), r.input_elements_per_cycle(), r.max_latency());
    for t in r.timing.iter().take(4) {
        println!("{:?}", t);
    }
    let t = r
        .timing
        .windows(2)
        .map(|w| w[1].first_in - w[0].first_in)
        .collect::<Vec<_>>();
    println!("row spacing {:?}", &t[..t.len().min(10)]);
}
