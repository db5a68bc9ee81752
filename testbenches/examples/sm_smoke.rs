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
    let rp: f64 = std::env::args().nth(7).unwrap().parse().unwrap();
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
        .map(|_| random_row(&mut rng, &p).row(&p))
        .collect();
    let mut run = SoftmaxRun::full_speed(3);
    run.ready_prob = rp;
    run.valid_prob = rp;
    let r = run_softmax(&cfg, &rows, &run).unwrap();
    println!("cycles {} rows {} elements {} mism {} {:?} build {:.1}s sim {:.2}s ({:.0} c/s) epc {:.3} in-epc {:.3} lat {}",
        r.cycles, r.rows, r.elements, r.mismatches, r.failure(), r.build_seconds, r.sim_seconds, r.sim_cycles_per_sec(), r.elements_per_cycle(), r.input_elements_per_cycle(), r.max_latency());
}
