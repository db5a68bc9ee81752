mod common;
use common::*;
use verilator_sys::Builder;
#[test]
fn scratch_variants() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    for args in [vec!["--output-split", "1"], vec!["--threads", "2"], vec!["--prefix", "Vfoo"], vec!["--timing"]] {
        let mut b = Builder::new("counter").source(&v).cache_dir(cache.path());
        for a in &args { b = b.verilator_arg(a); }
        let t = std::time::Instant::now();
        let lib = b.build().unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let mut m = lib.instantiate(Some(3)).unwrap();
        let (clk, rst, en, q) = (m.port("clk").unwrap(), m.port("rst").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
        m.set(rst, 1); m.tick(clk); m.set(rst, 0); m.set(en, 1);
        for _ in 0..5 { m.tick(clk); }
        assert_eq!(m.get(q), 5, "{args:?}");
        println!("{args:?} ok in {:.2?}", t.elapsed());
    }
}
