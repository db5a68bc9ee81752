//! The GEMM lowering on the golden backend, against golden::tile::gemm, on
//! odd shapes for all three presets. Random operands print their seed;
//! `SERRANO_SEED=N` reproduces a run.

use std::path::Path;

use golden::config::Config;
use golden::tile::gemm::{gemm as golden_gemm, requantize, Matrix, Requant, Requantization};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use runtime::{gemm, GemmOutput, GoldenBackend, OutputKind, RuntimeError};

fn preset(name: &str) -> Config {
    Config::from_file(Path::new(&format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

fn seed() -> u64 {
    let s = std::env::var("SERRANO_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5e44a90);
    println!("SERRANO_SEED={s}");
    s
}

fn matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Matrix<i8> {
    Matrix::from_vec(rows, cols, (0..rows * cols).map(|_| rng.gen()).collect()).unwrap()
}

/// Run one GEMM in every output kind the preset has and compare.
fn check(name: &str, rng: &mut ChaCha8Rng, (m, k, n): (usize, usize, usize)) {
    let cfg = preset(name);
    let (a, b) = (matrix(rng, m, k), matrix(rng, k, n));
    let want = golden_gemm(&a, &b).unwrap();
    let mut kinds = vec![OutputKind::Int32];
    if cfg.systolic.requant {
        let col = |rng: &mut ChaCha8Rng| Requant {
            multiplier: rng.gen_range(1 << 28..i32::MAX),
            shift: rng.gen_range(30..44),
            zero_point: rng.gen(),
        };
        kinds.push(OutputKind::Requant(Requantization::PerTensor(col(rng))));
        kinds.push(OutputKind::Requant(Requantization::PerColumn((0..n).map(|_| col(rng)).collect())));
    }
    for kind in kinds {
        let mut be = GoldenBackend::new(&cfg, rng.gen()).unwrap();
        let r = gemm(&mut be, &a, &b, &kind).unwrap_or_else(|e| panic!("{name} {m}x{k}x{n} {kind:?}: {e}"));
        let what = format!("{name} M={m} K={k} N={n} {:?}", r.tiling);
        println!("{what}: {} commands, {:?}", r.commands, r.counters);
        match (&kind, &r.c) {
            (OutputKind::Int32, GemmOutput::Int32(c)) => assert_eq!(c, &want, "{what}"),
            (OutputKind::Requant(q), GemmOutput::Int8(c)) => assert_eq!(c, &requantize(&want, q), "{what}"),
            _ => panic!("{what}: wrong output kind"),
        }
        let (rows, cols) = (cfg.systolic.rows as u64, cfg.systolic.cols as u64);
        assert_eq!(r.useful_macs, (m * k * n) as u64);
        assert!(r.counters.macs >= r.useful_macs && r.counters.macs % (rows * cols) == 0, "{what}");
        assert!(r.counters.dram_bytes_read >= (m * k + k * n) as u64, "{what}: reads every operand byte");
        let eb = if matches!(kind, OutputKind::Int32) { 4 } else { 1 };
        assert!(r.counters.dram_bytes_written >= (m * n * eb) as u64, "{what}");
        assert_eq!(r.min_dram_bytes, (m * k + k * n + m * n * eb) as u64);
        assert_eq!(r.counters.fences, 1);
        assert_eq!(r.counters.commands_retired, r.commands as u64);
    }
}

/// 1, non-multiples of the array, M above the accumulator, K above the whole scratchpad.
fn odd_shapes(acc_depth: usize, spad_bytes: usize) -> Vec<(usize, usize, usize)> {
    vec![(1, 1, 1), (3, 5, 7), (17, 33, 19), (acc_depth + 3, 9, 5), (2, spad_bytes + 5, 3)]
}

#[test]
fn gemm_matches_golden_on_odd_shapes_for_every_preset() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    for name in ["tiny", "default", "large"] {
        let cfg = preset(name);
        let spad = cfg.core.unwrap().spad_kib as usize * 1024;
        for shape in odd_shapes(cfg.systolic.acc_depth as usize, spad) {
            check(name, &mut rng, shape);
        }
    }
}

#[test]
fn a_square_gemm_stays_near_the_minimum_traffic() {
    // 64x64x64 on the default core: A resident, B once, C once: the traffic is
    // exactly the minimum (every pitch is already a multiple of the line).
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let cfg = preset("default");
    let (a, b) = (matrix(&mut rng, 64, 64), matrix(&mut rng, 64, 64));
    let mut be = GoldenBackend::new(&cfg, 1).unwrap();
    let r = gemm(&mut be, &a, &b, &OutputKind::Int32).unwrap();
    assert!(r.tiling.resident_k);
    assert_eq!(r.counters.dram_bytes_read + r.counters.dram_bytes_written, r.min_dram_bytes);
    assert_eq!(r.counters.macs, r.useful_macs);
    assert_eq!(r.c, GemmOutput::Int32(golden_gemm(&a, &b).unwrap()));
}

#[test]
fn bad_requests_are_clear_errors() {
    let cfg = preset("tiny");
    let mut be = GoldenBackend::new(&cfg, 1).unwrap();
    let (a, b) = (Matrix::<i8>::zeros(2, 3), Matrix::<i8>::zeros(4, 5));
    let e = gemm(&mut be, &a, &b, &OutputKind::Int32).unwrap_err();
    assert_eq!(e.to_string(), "shape mismatch: A is 2x3 and B is 4x5; A's columns must equal B's rows");
    let z = Matrix::<i8>::zeros(0, 3);
    let e = gemm(&mut be, &z, &Matrix::zeros(3, 2), &OutputKind::Int32).unwrap_err();
    assert_eq!(e.to_string(), "empty GEMM: M=0, K=3, N=2; each must be at least 1");
    let q = OutputKind::Requant(Requantization::PerTensor(Requant { multiplier: 1, shift: 0, zero_point: 0 }));
    let e = gemm(&mut be, &Matrix::zeros(2, 3), &Matrix::zeros(3, 2), &q).unwrap_err();
    assert!(matches!(e, RuntimeError::Input(ref m) if m.contains("no requantization hardware")), "{e}");
    let mut be = GoldenBackend::new(&preset("default"), 1).unwrap();
    let q = OutputKind::Requant(Requantization::PerColumn(vec![Requant { multiplier: 1, shift: 0, zero_point: 0 }]));
    let e = gemm(&mut be, &Matrix::zeros(2, 3), &Matrix::zeros(3, 2), &q).unwrap_err();
    assert_eq!(e.to_string(), "1 per-column requant parameters for N = 2 columns");
    let q = OutputKind::Requant(Requantization::PerTensor(Requant { multiplier: 1, shift: 63, zero_point: 0 }));
    let e = gemm(&mut be, &Matrix::zeros(2, 3), &Matrix::zeros(3, 2), &q).unwrap_err();
    assert_eq!(e.to_string(), "requant shift = 63: must be between 0 and 62");
    let mut no_core = preset("default");
    no_core.core = None;
    let e = GoldenBackend::new(&no_core, 1).unwrap_err();
    assert!(e.to_string().contains("no [core] section"), "{e}");
}

#[test]
fn gemm_matches_golden_on_random_shapes() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    for name in ["tiny", "default", "large"] {
        for _ in 0..12 {
            let shape = (rng.gen_range(1..80), rng.gen_range(1..150), rng.gen_range(1..90));
            check(name, &mut rng, shape);
        }
    }
}

/// Geometries the presets do not have: result rows shorter than a line (int32
/// and int8 rows sharing lines through `c_off`), a 1×1 array, non-square
/// arrays, the smallest scratchpad.
#[test]
fn gemm_matches_golden_on_unusual_geometries() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let base = preset("default");
    let geometries = [
        ("4x2 tile, 16-byte lines", 4, 2, 64, 128, 16, 2),
        ("1x1 tile, 8-byte lines", 1, 1, 16, 64, 8, 4),
        ("8x16 tile, 64-byte lines, 4 KiB", 8, 16, 32, 512, 4, 2),
    ];
    for (what, rows, cols, acc_depth, data_bits, kib, banks) in geometries {
        let mut cfg = base.clone();
        (cfg.systolic.rows, cfg.systolic.cols, cfg.systolic.acc_depth) = (rows, cols, acc_depth);
        (cfg.dma.data_bits, cfg.softmax.lanes) = (data_bits, 4);
        cfg.core = Some(golden::CoreConfig { spad_kib: kib, spad_banks: banks, ..Default::default() });
        cfg.validate().unwrap_or_else(|e| panic!("{what}: {e}"));
        for _ in 0..6 {
            let (m, k, n) = (rng.gen_range(1..70), rng.gen_range(1..300), rng.gen_range(1..40));
            let (a, b) = (matrix(&mut rng, m, k), matrix(&mut rng, k, n));
            let want = golden_gemm(&a, &b).unwrap();
            let q = Requantization::PerColumn(
                (0..n)
                    .map(|j| Requant { multiplier: 1 << 30, shift: 32 + j as u32 % 7, zero_point: j as i8 })
                    .collect(),
            );
            for kind in [OutputKind::Int32, OutputKind::Requant(q.clone())] {
                let mut be = GoldenBackend::new(&cfg, rng.gen()).unwrap();
                let r = gemm(&mut be, &a, &b, &kind).unwrap_or_else(|e| panic!("{what} {m}x{k}x{n}: {e}"));
                let expect = match kind {
                    OutputKind::Int32 => GemmOutput::Int32(want.clone()),
                    OutputKind::Requant(_) => GemmOutput::Int8(requantize(&want, &q)),
                };
                assert_eq!(r.c, expect, "{what} M={m} K={k} N={n} {:?}", r.tiling);
            }
        }
    }
}
