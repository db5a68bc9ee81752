//! The GEMM lowering overlaps loads, compute and stores: on the first-order
//! timing model of `runtime::estimate` (not a measurement: the RTL's cycle
//! counts are), the tile is busy nearly all the time.

use std::path::Path;

use golden::config::Config;
use golden::core::CoreParams;
use runtime::estimate::estimate;
use runtime::gemm::{lower, plan, GemmDram, OutputKind};

fn utilization(name: &str, (m, k, n): (usize, usize, usize), latency: u64) -> (f64, f64) {
    let path = format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let p = CoreParams::new(&Config::from_file(Path::new(&path)).unwrap()).unwrap();
    let (t, pitch_a, pitch_b) = plan(&p, m, k, n, false).unwrap();
    let dram = GemmDram { a: 0x100_0000, b: 0x200_0000, c: 0x400_0000, pitch_a, pitch_b, pitch_c: 4 * pitch_b };
    let prog = lower(&p, (m, k, n), &OutputKind::Int32, &dram, &t);
    let e = estimate(&p, prog.commands(), latency);
    let macs = (m * k * n) as f64;
    let util = macs / (p.systolic.rows as f64 * p.systolic.cols as f64 * e.cycles as f64);
    let serial = e.busy_load + e.busy_compute + e.busy_store;
    println!("{name} {m}x{k}x{n} latency {latency}: {e:?}, {t:?}, modelled utilization {util:.4}");
    (util, e.cycles as f64 / serial as f64)
}

#[test]
fn the_tile_is_busy_while_data_moves() {
    for (name, shape, latency, at_least) in [
        // The targets for the RTL, on the model.
        ("default", (256, 256, 256), 100, 0.95),
        ("default", (512, 512, 512), 100, 0.97),
        ("large", (512, 512, 512), 100, 0.95),
        ("default", (256, 256, 256), 300, 0.93),
    ] {
        let (util, overlap) = utilization(name, shape, latency);
        assert!(util >= at_least, "{name} {shape:?} latency {latency}: modelled utilization {util:.4} < {at_least}");
        assert!(overlap < 0.9, "{name}: the queues barely overlap ({overlap:.3} of the serial time)");
    }
}
