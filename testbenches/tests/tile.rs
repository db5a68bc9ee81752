//! The systolic tile against golden, bit for bit: random shapes (1, not
//! multiples of the array, K > rows, M > the accumulator), corner values,
//! int32 wrap, requantization per tensor and per column, random gaps and
//! back-pressure, every preset's array size, X randomization; and the
//! utilization target as a cycle count.

use golden::tile::gemm::{Matrix, Requant, Requantization};
use golden::tile::{gemm_program, Command, Program, TileModel};
use golden::{Config, SystolicConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::seed_from_env;
use testbenches::tile::{check_gemm, random_matrix, run_gemm, TileRun, TileSim};

fn cfg(rows: u32, cols: u32, acc_depth: u32) -> SystolicConfig {
    SystolicConfig { rows, cols, acc_depth, requant: true }
}

fn preset(name: &str) -> SystolicConfig {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../configs/{name}.toml"));
    Config::from_file(&path).unwrap().systolic
}

fn rough(seed: u64) -> TileRun {
    TileRun { seed, x_seed: None, gap: 0.25, stall: 0.3, trace: None }
}

fn random_requant(rng: &mut ChaCha8Rng) -> Requant {
    Requant { multiplier: rng.gen(), shift: rng.gen_range(0..=62), zero_point: rng.gen() }
}

#[test]
fn random_shapes_with_gaps_and_back_pressure() {
    let seed = seed_from_env("tile_random_shapes", 21);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // A small, non-square tile with a shallow accumulator, so that every
    // tiling path (partial folds, M > acc_depth, N > cols) is exercised.
    let sim = TileSim::build(&cfg(3, 4, 8)).unwrap();
    let mut shapes = vec![(1, 1, 1), (1, 7, 1), (9, 1, 5), (8, 3, 4), (17, 10, 9), (3, 25, 2)];
    for _ in 0..30 {
        shapes.push((rng.gen_range(1..=20), rng.gen_range(1..=20), rng.gen_range(1..=20)));
    }
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        let a = random_matrix(&mut rng, m, k, false);
        let b = random_matrix(&mut rng, k, n, false);
        let r = run_gemm(&sim, &a, &b, None, &rough(seed + i as u64)).unwrap();
        check_gemm(&r, &format!("M={m} K={k} N={n} (seed {seed})")).unwrap();
    }
}

#[test]
fn corner_values_and_int32_wrap() {
    let seed = seed_from_env("tile_corner_values", 22);
    let sim = TileSim::build(&preset("tiny")).unwrap();
    let fill =
        |rows, cols, f: &dyn Fn(usize) -> i8| Matrix::from_vec(rows, cols, (0..rows * cols).map(f).collect()).unwrap();
    let cases: Vec<(&str, Matrix<i8>, Matrix<i8>)> = vec![
        ("all -128", fill(9, 13, &|_| -128), fill(13, 6, &|_| -128)),
        ("all 127", fill(9, 13, &|_| 127), fill(13, 6, &|_| 127)),
        ("-128 x 127", fill(5, 8, &|_| -128), fill(8, 7, &|_| 127)),
        (
            "alternating",
            fill(7, 11, &|i| if i % 2 == 0 { -128 } else { 127 }),
            fill(11, 5, &|i| if i % 3 == 0 { 127 } else { -128 }),
        ),
    ];
    for (what, a, b) in cases {
        let r = run_gemm(&sim, &a, &b, None, &rough(seed)).unwrap();
        check_gemm(&r, what).unwrap();
    }
    // 131,072 products of -128 x -128 sum to 2^31, which wraps to i32::MIN.
    let k = 131_072;
    let (a, b) = (fill(1, k, &|_| -128), fill(k, 1, &|_| -128));
    let r = run_gemm(&sim, &a, &b, None, &TileRun::full_speed(seed)).unwrap();
    check_gemm(&r, "int32 wrap").unwrap();
    assert_eq!(r.c.at(0, 0), i32::MIN);
}

#[test]
fn requantization_per_tensor_and_per_column() {
    let seed = seed_from_env("tile_requant", 23);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sim = TileSim::build(&cfg(4, 3, 16)).unwrap();
    let extremes = [
        Requant { multiplier: i32::MIN, shift: 0, zero_point: 127 },
        Requant { multiplier: i32::MAX, shift: 62, zero_point: -128 },
        Requant { multiplier: 1 << 30, shift: 31, zero_point: 0 },
        Requant { multiplier: -1, shift: 1, zero_point: -1 },
    ];
    for (i, q) in extremes.iter().enumerate() {
        let (a, b) = (random_matrix(&mut rng, 6, 9, i % 2 == 0), random_matrix(&mut rng, 9, 5, false));
        let r = run_gemm(&sim, &a, &b, Some(&Requantization::PerTensor(*q)), &rough(seed + i as u64)).unwrap();
        check_gemm(&r, &format!("per tensor {q:?}")).unwrap();
    }
    for i in 0..6 {
        let (m, k, n) = (rng.gen_range(1..=20), rng.gen_range(1..=20), rng.gen_range(1..=10));
        let (a, b) = (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, false));
        // Scales typical of int8 inference: multiplier in [2^30, 2^31), shifts near 32..40.
        let q = (0..n)
            .map(|_| Requant {
                multiplier: rng.gen_range(1 << 30..=i32::MAX),
                shift: rng.gen_range(30..=42),
                zero_point: rng.gen(),
            })
            .collect();
        let r = run_gemm(&sim, &a, &b, Some(&Requantization::PerColumn(q)), &rough(seed + 10 + i)).unwrap();
        check_gemm(&r, &format!("per column M={m} K={k} N={n}")).unwrap();
        let q = Requantization::PerTensor(random_requant(&mut rng));
        let r = run_gemm(&sim, &a, &b, Some(&q), &rough(seed + 20 + i)).unwrap();
        check_gemm(&r, &format!("random per tensor {q:?}")).unwrap();
    }
}

/// `systolic.requant = false` (the tiny preset): GEMMs run as usual; the
/// golden model refuses a program that requantizes; the hardware ignores
/// QPARAM and the READ flag and returns the int32 accumulators.
#[test]
fn a_tile_without_requantization_returns_int32() {
    let seed = seed_from_env("tile_norequant", 26);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let plain = SystolicConfig { requant: false, ..cfg(3, 2, 8) };
    let sim = TileSim::build(&plain).unwrap();
    let (a, b) = (random_matrix(&mut rng, 11, 7, false), random_matrix(&mut rng, 7, 5, true));
    let r = run_gemm(&sim, &a, &b, None, &rough(seed)).unwrap();
    check_gemm(&r, "without requantization").unwrap();

    let q = Requantization::PerColumn((0..5).map(|_| random_requant(&mut rng)).collect());
    let e = run_gemm(&sim, &a, &b, Some(&q), &rough(seed)).unwrap_err().to_string();
    assert!(e.contains("systolic.requant = false"), "{e}");

    let with_qparams = gemm_program(&cfg(3, 2, 8), &a, &b, Some(&q)).unwrap().program;
    assert!(with_qparams.cmds.iter().any(|c| matches!(c, Command::QParam { .. })));
    let mut stripped = with_qparams.clone();
    stripped.cmds.retain(|c| !matches!(c, Command::QParam { .. }));
    for c in stripped.cmds.iter_mut() {
        if let Command::Read { requant, .. } = c {
            *requant = false;
        }
    }
    let want = TileModel::new(&plain).run(&stripped).unwrap();
    let (got, _) = sim.run(&with_qparams, &rough(seed + 1)).unwrap();
    assert_eq!(got.error, None);
    assert_eq!(got.rows, want, "QPARAM or the READ flag changed the output of a tile without requantization");
}

#[test]
fn every_preset_array_size() {
    let seed = seed_from_env("tile_presets", 24);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for name in ["tiny", "default", "large"] {
        let c = preset(name);
        let sim = TileSim::build(&c).unwrap();
        let (r, cc) = (c.rows as usize, c.cols as usize);
        // Partial folds in every direction, K > rows, N > cols.
        for (m, k, n) in [(r + 3, 2 * r + 1, cc + 2), (1, r, 1), (5, 3 * r - 1, 2 * cc - 1)] {
            let (a, b) = (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, m == 1));
            let run = TileRun { seed, x_seed: None, gap: 0.1, stall: 0.2, trace: None };
            let rep = run_gemm(&sim, &a, &b, None, &run).unwrap();
            check_gemm(&rep, &format!("{name}: M={m} K={k} N={n}")).unwrap();
        }
    }
}

#[test]
fn x_randomization_does_not_change_results() {
    let seed = seed_from_env("tile_xrand", 25);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sim = TileSim::build(&cfg(3, 4, 8)).unwrap();
    for x_seed in [1, 2] {
        let (a, b) = (random_matrix(&mut rng, 11, 7, false), random_matrix(&mut rng, 7, 9, false));
        let q = Requantization::PerTensor(random_requant(&mut rng));
        for requant in [None, Some(&q)] {
            let run = TileRun { seed, x_seed: Some(x_seed), gap: 0.2, stall: 0.2, trace: None };
            let r = run_gemm(&sim, &a, &b, requant, &run).unwrap();
            check_gemm(&r, &format!("x_seed {x_seed}")).unwrap();
        }
    }
}

/// Cycles of a GEMM whose folds never wait for a READ (one block of columns,
/// or M large enough), the testbench never stalling: the first fold loads
/// (R cycles), every later fold starts max(M, R) cycles after the one before
/// it (its weights stream in while the previous fold computes), and the last
/// row's result leaves R + C + 6 cycles after it was accepted (docs/tile.md).
fn fold_cycles(rows: usize, cols: usize, m: usize, folds: usize) -> u64 {
    (2 * rows + cols + 6 + (folds - 1) * m.max(rows) + m) as u64
}

/// Issue 12: consecutive folds start every max(M, R) cycles, for the small M
/// of decode as for large M, on square and rectangular arrays: the exact
/// cycle count with the testbench never stalling, and the same results under
/// gaps on every stream and back-pressure.
#[test]
fn folds_start_every_max_m_rows_cycles() {
    let seed = seed_from_env("tile_fold_period", 27);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for c in [preset("tiny"), cfg(3, 5, 16), cfg(6, 4, 16)] {
        let sim = TileSim::build(&c).unwrap();
        let (r, cc) = (c.rows as usize, c.cols as usize);
        let mut ms = vec![1, 2, r - 1, r, r + 1, r + cc + 4];
        ms.retain(|&m| m > 0);
        ms.dedup();
        for m in ms {
            let (k, n) = (3 * r, cc);
            let (a, b) = (random_matrix(&mut rng, m, k, false), random_matrix(&mut rng, k, n, false));
            let what = format!("{}x{}: M={m} K={k} N={n} (seed {seed})", r, cc);
            let fast = run_gemm(&sim, &a, &b, None, &TileRun::full_speed(seed)).unwrap();
            check_gemm(&fast, &what).unwrap();
            assert_eq!(fast.cycles, fold_cycles(r, cc, m, 3), "{what}");
            let slow = run_gemm(&sim, &a, &b, None, &rough(seed + m as u64)).unwrap();
            check_gemm(&slow, &format!("{what}, with gaps and back-pressure")).unwrap();
        }
    }
}

/// The targets: 16x16, M = K = N = 256 at utilization >= 0.999 (the formula
/// gives 65,590 cycles: 16*16*256 + 54), and with K = N = 256 M = 1 within
/// 1.10x of the weight roofline (256 folds x 16 rows = 4,096 cycles) and
/// M = 16 at utilization >= 0.90.
#[test]
fn default_tile_reaches_its_utilization_targets() {
    let sim = TileSim::build(&preset("default")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(26);
    let (a, b) = (random_matrix(&mut rng, 256, 256, false), random_matrix(&mut rng, 256, 256, false));
    let r = run_gemm(&sim, &a, &b, None, &TileRun::full_speed(26)).unwrap();
    check_gemm(&r, "256^3").unwrap();
    assert_eq!(r.cycles, fold_cycles(16, 16, 256, 256), "utilization {:.4}", r.utilization);
    assert!(r.utilization >= 0.999, "{}", r.utilization);
    for (m, most) in [(1, 4096 * 110 / 100), (16, 4096 * 100 / 90)] {
        let a = random_matrix(&mut rng, m, 256, false);
        let r = run_gemm(&sim, &a, &b, None, &TileRun::full_speed(26)).unwrap();
        check_gemm(&r, &format!("M={m} K=N=256")).unwrap();
        assert!(r.cycles <= most, "M={m}: {} cycles, more than {most}", r.cycles);
    }
}

/// The large targets with K = N = 256: M = 1 within 1.10x of the weight
/// roofline (8 x 8 folds x 32 rows = 2,048 cycles) and M = 32 at
/// utilization at least 0.90 (at most 2,275 cycles), which needs the output
/// FIFO: a COMPUTE overwrites rows the READ before it has not read yet. The
/// same shapes with gaps and back-pressure must lose no result.
#[test]
fn large_tile_reaches_its_utilization_targets() {
    let sim = TileSim::build(&preset("large")).unwrap();
    let seed = seed_from_env("large_tile_reaches_its_utilization_targets", 32);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let b = random_matrix(&mut rng, 256, 256, false);
    for (m, most) in [(1, 2048 * 110 / 100), (32, 32 * 256 * 256 * 10 / (32 * 32 * 9))] {
        let a = random_matrix(&mut rng, m, 256, false);
        let r = run_gemm(&sim, &a, &b, None, &TileRun::full_speed(seed)).unwrap();
        check_gemm(&r, &format!("M={m} K=N=256 (seed {seed})")).unwrap();
        assert!(r.cycles <= most, "M={m}: {} cycles, more than {most}", r.cycles);
        let slow = run_gemm(&sim, &a, &b, None, &rough(seed + m as u64)).unwrap();
        check_gemm(&slow, &format!("M={m} K=N=256 with gaps and back-pressure (seed {seed})")).unwrap();
    }
}

#[test]
fn watchdog_names_the_stuck_stream() {
    let sim = TileSim::build(&cfg(2, 2, 4)).unwrap();
    // A COMPUTE of two rows with only one activation row in the stream.
    let prog = Program {
        cmds: vec![
            Command::Load,
            Command::Compute { rows: 2, accumulate: false },
            Command::Read { rows: 2, requant: false },
        ],
        a_rows: vec![vec![1, 2]],
        b_rows: vec![vec![1, 0], vec![0, 1]],
    };
    let (out, _) = sim.run(&prog, &TileRun::full_speed(1)).unwrap();
    let e = out.error.expect("the watchdog fires");
    assert!(e.starts_with("watchdog: no handshake for 10000 cycles"), "{e}");
    // Row 0 was computed and read out; row 1 never comes.
    assert!(e.contains("m_axis_c (1 of 2 rows delivered"), "{e}");
}
