use golden::softmax::*;
fn main() {
    for (t, f) in [(3u32, 14u32), (4, 14), (5, 14), (6, 22), (7, 22), (8, 22)] {
        let e = Exp2::new(t, f);
        let mut maxe: f64 = 0.0;
        for phi in 0..(1u32 << f) {
            let exact = (-(phi as f64) / (1u64 << f) as f64).exp2();
            let got = e.frac(phi) as f64 / (1u64 << f) as f64;
            maxe = maxe.max(((got - exact) / exact).abs());
        }
        println!("T={t} F={f}: max rel err {maxe:e} = 2^{:.2}", maxe.log2());
    }
}
