//! The emitted Verilog means what the Rust says: expressions built with
//! `hdl::core` are simulated in Verilator and compared with the same
//! computation in plain Rust.

use hdl::core::{cat, mux, rep, Bit, Expr, Module, SInt, UInt};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::sim::BuildOptions;
use testbenches::{build_module, seed_from_env};

const SAMPLES: usize = 100_000;

/// `(a & b) == c` and `a & (b == c)`: the precedence trap that rust-hdl fell
/// into. Each must simulate to what Rust computes, and they must differ.
#[test]
fn precedence_trap_cannot_happen() {
    let mut m = Module::new("serrano_test_precedence");
    let a = m.input("a", UInt(8)).unwrap();
    let b = m.input("b", UInt(8)).unwrap();
    let c = m.input("c", UInt(8)).unwrap();
    m.output("and_then_eq", (&a & &b).cmp_eq(&c)).unwrap();
    m.output("eq_then_and", &a & b.cmp_eq(&c).zext(8)).unwrap();
    let built = build_module(&m, BuildOptions::default()).unwrap();
    let mut sim = built.lib.instantiate(None).unwrap();
    let (pa, pb, pc) = (sim.port("a").unwrap(), sim.port("b").unwrap(), sim.port("c").unwrap());
    let (o1, o2) = (sim.port("and_then_eq").unwrap(), sim.port("eq_then_and").unwrap());

    let seed = seed_from_env("precedence_trap_cannot_happen", 11);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut differ = 0;
    for i in 0..SAMPLES {
        let (a, b): (u8, u8) = (rng.gen(), rng.gen());
        // Make b == c and a & b == c common, or the interesting cases are rare.
        let c: u8 = match i % 3 {
            0 => b,
            1 => a & b,
            _ => rng.gen(),
        };
        sim.set(pa, a as u64);
        sim.set(pb, b as u64);
        sim.set(pc, c as u64);
        sim.eval();
        let want1 = ((a & b) == c) as u64;
        let want2 = (a & ((b == c) as u8)) as u64;
        assert_eq!(sim.get(o1), want1, "(a & b) == c for a={a} b={b} c={c}");
        assert_eq!(sim.get(o2), want2, "a & (b == c) for a={a} b={b} c={c}");
        differ += (want1 != want2) as u32;
    }
    assert!(differ > 1000, "the two expressions should differ on many inputs");
}

/// Every operator on signed and unsigned operands, including the cases
/// Verilog gets wrong when signedness or width are left implicit.
#[test]
fn operators_simulate_as_in_rust() {
    let mut m = Module::new("serrano_test_operators");
    let a = m.input("a", SInt(8)).unwrap();
    let b = m.input("b", SInt(8)).unwrap();
    let u = m.input("u", UInt(8)).unwrap();
    let v = m.input("v", UInt(8)).unwrap();
    let s = m.input("s", UInt(4)).unwrap();
    let sel = m.input("sel", Bit).unwrap();
    m.output("add", &a + &b).unwrap();
    m.output("sub", &a - &b).unwrap();
    m.output("mul", &a * &b).unwrap();
    m.output("mul_wide_s", a.mul_wide(&b)).unwrap();
    m.output("mul_wide_u", u.mul_wide(&v)).unwrap();
    m.output("lt_s", a.cmp_lt(&b)).unwrap();
    m.output("lt_u", u.cmp_lt(&v)).unwrap();
    m.output("ge_s", a.cmp_ge(-1)).unwrap();
    m.output("shr_s", a.shr(&s)).unwrap();
    m.output("shr_u", u.shr(&s)).unwrap();
    m.output("shl", u.shl(&s)).unwrap();
    m.output("shr_s3", &a >> 3).unwrap();
    m.output("neg", -&a).unwrap();
    m.output("inv", !&u).unwrap();
    m.output("xor_uv", &u ^ &v).unwrap();
    m.output("sext_sum", (&a + &b).sext(16)).unwrap();
    m.output("avg_s", (&a.sext(9) + &b.sext(9)).shr_const(1).trunc(8)).unwrap();
    m.output("hi_nibble", (&u + &v).slice(7, 4)).unwrap();
    m.output("cat", cat(&[&u, &a.as_unsigned()])).unwrap();
    m.output("red", cat(&[&u.all(), &u.any(), &u.parity()])).unwrap();
    m.output("mux", mux(&sel, &a, &b)).unwrap();
    m.output("gt_lit", a.cmp_gt(-3)).unwrap();
    m.output("rep_s", a.repeat(3)).unwrap();
    let mask: Vec<Expr> = (0..4).rev().map(|i| rep(&s.bit(i), 8)).collect();
    m.output("mask", cat(&mask.iter().collect::<Vec<_>>())).unwrap();
    // Three equal parts of a concatenation are emitted as one replication.
    m.output("rep_run", cat(&[&sel, &sel, &sel, &u])).unwrap();
    // A node used twice, once through a select, is emitted once as a wire.
    let sh = &u + &v;
    m.output("shared", cat(&[&sh.slice(7, 4), &(&sh ^ &v)])).unwrap();
    let built = build_module(&m, BuildOptions::default()).unwrap();
    let mut sim = built.lib.instantiate(None).unwrap();
    let p = |n: &str| sim.port(n).unwrap();
    let (pa, pb, pu, pv, ps, psel) = (p("a"), p("b"), p("u"), p("v"), p("s"), p("sel"));
    let outs: Vec<_> = [
        "add",
        "sub",
        "mul",
        "mul_wide_s",
        "mul_wide_u",
        "lt_s",
        "lt_u",
        "ge_s",
        "shr_s",
        "shr_u",
        "shl",
        "shr_s3",
        "neg",
        "inv",
        "xor_uv",
        "sext_sum",
        "avg_s",
        "hi_nibble",
        "cat",
        "red",
        "mux",
        "gt_lit",
        "rep_s",
        "mask",
        "rep_run",
        "shared",
    ]
    .iter()
    .map(|n| (*n, p(n)))
    .collect();

    let seed = seed_from_env("operators_simulate_as_in_rust", 12);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..SAMPLES {
        let pick = |rng: &mut ChaCha8Rng| -> i8 {
            if i % 4 == 0 {
                [-128i8, -1, 0, 1, 127][rng.gen_range(0..5)]
            } else {
                rng.gen()
            }
        };
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        let (u, v): (u8, u8) = (rng.gen(), rng.gen());
        let s: u32 = rng.gen_range(0..16);
        let sel: bool = rng.gen();
        sim.set_signed(pa, a as i64);
        sim.set_signed(pb, b as i64);
        sim.set(pu, u as u64);
        sim.set(pv, v as u64);
        sim.set(ps, s as u64);
        sim.set(psel, sel as u64);
        sim.eval();
        // Rust's shifts panic at >= width; the HDL defines them (0, or sign fill).
        let shr_s = if s >= 8 { (a >> 7) as i64 } else { (a >> s) as i64 };
        let shr_u = if s >= 8 { 0 } else { (u >> s) as u64 };
        let shl = if s >= 8 { 0 } else { (u << s) as u64 };
        let bits = |v: i64, w: u32| (v as u64) & ((1u64 << w) - 1);
        let want: Vec<u64> = vec![
            bits(a.wrapping_add(b) as i64, 8),
            bits(a.wrapping_sub(b) as i64, 8),
            bits(a.wrapping_mul(b) as i64, 8),
            bits(a as i64 * b as i64, 16),
            u as u64 * v as u64,
            (a < b) as u64,
            (u < v) as u64,
            (a >= -1) as u64,
            bits(shr_s, 8),
            shr_u,
            shl,
            bits((a >> 3) as i64, 8),
            bits(a.wrapping_neg() as i64, 8),
            !u as u64,
            (u ^ v) as u64,
            bits(a.wrapping_add(b) as i64, 16),
            bits((a as i64 + b as i64) >> 1, 8),
            (u.wrapping_add(v) >> 4) as u64,
            ((u as u64) << 8) | (a as u8 as u64),
            (((u == 0xff) as u64) << 2) | (((u != 0) as u64) << 1) | (u.count_ones() as u64 & 1),
            bits(if sel { a } else { b } as i64, 8),
            (a > -3) as u64,
            (a as u8 as u64) * 0x01_01_01,
            (0..4).filter(|i| (s >> i) & 1 == 1).map(|i| 0xffu64 << (8 * i)).sum(),
            ((if sel { 7 } else { 0 }) << 8) | u as u64,
            (((u.wrapping_add(v) >> 4) as u64) << 8) | (u.wrapping_add(v) ^ v) as u64,
        ];
        for ((name, port), w) in outs.iter().zip(&want) {
            assert_eq!(sim.get(*port), *w, "{name} for a={a} b={b} u={u} v={v} s={s} sel={sel} (seed {seed})");
        }
    }
}

/// The block-RAM pattern: writes land, reads are synchronous, read-before-write.
#[test]
fn memory_reads_what_was_written() {
    let mut m = Module::new("serrano_test_ram");
    let mem = m.memory("ram", UInt(16), 40).unwrap();
    let we = m.input("we", Bit).unwrap();
    let waddr = m.input("waddr", UInt(6)).unwrap();
    let wdata = m.input("wdata", UInt(16)).unwrap();
    let re = m.input("re", Bit).unwrap();
    let raddr = m.input("raddr", UInt(6)).unwrap();
    m.mem_write(&mem, &we, &waddr, &wdata).unwrap();
    let q = m.mem_read(&mem, "rdata_q", &re, &raddr).unwrap();
    m.output("rdata", &q).unwrap();
    let built = build_module(&m, BuildOptions::default()).unwrap();
    let mut sim = built.lib.instantiate(None).unwrap();
    let p = |n: &str| sim.port(n).unwrap();
    let (clk, pwe, pwa, pwd, pre, pra, prd) =
        (p("clk"), p("we"), p("waddr"), p("wdata"), p("re"), p("raddr"), p("rdata"));

    let seed = seed_from_env("memory_reads_what_was_written", 13);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut model = [0u16; 40];
    // Fill every word first, so reads never see uninitialized contents.
    for (i, word) in model.iter_mut().enumerate() {
        *word = rng.gen();
        sim.set(pwe, 1);
        sim.set(pwa, i as u64);
        sim.set(pwd, *word as u64);
        sim.set(pre, 0);
        sim.tick(clk);
    }
    let mut expect: Option<u16> = None;
    for _ in 0..20_000 {
        let (w, wa, wd, r, ra) =
            (rng.gen_bool(0.5), rng.gen_range(0..40), rng.gen::<u16>(), rng.gen_bool(0.7), rng.gen_range(0..40));
        sim.set(pwe, w as u64);
        sim.set(pwa, wa as u64);
        sim.set(pwd, wd as u64);
        sim.set(pre, r as u64);
        sim.set(pra, ra as u64);
        sim.eval();
        if let Some(e) = expect {
            assert_eq!(sim.get(prd), e as u64, "seed {seed}");
        }
        sim.tick(clk);
        if r {
            expect = Some(model[ra]); // read-before-write
        }
        if w {
            model[wa] = wd;
        }
    }
}
