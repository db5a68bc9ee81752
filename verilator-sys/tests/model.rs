mod common;

use common::*;
use verilator_sys::{Builder, Direction, Error};

#[test]
fn counter_with_sync_reset() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    let lib = Builder::new("counter").source(&v).cache_dir(cache.path()).build().unwrap();
    assert!(!lib.cache_hit());
    let names: Vec<_> = lib.ports().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), 4);
    for n in ["clk", "rst", "en", "q"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let q_info = lib.ports().iter().find(|p| p.name == "q").unwrap();
    assert_eq!((q_info.width, q_info.dir), (8, Direction::Output));

    let mut m = lib.instantiate(None).unwrap();
    let clk = m.port("clk").unwrap();
    let rst = m.port("rst").unwrap();
    let en = m.port("en").unwrap();
    let q = m.port("q").unwrap();
    m.set(rst, 1);
    m.set(en, 1);
    m.tick(clk);
    assert_eq!(m.get(q), 0);
    m.set(rst, 0);
    for i in 1..=300u64 {
        m.tick(clk);
        assert_eq!(m.get(q), i % 256);
    }
    m.set(en, 0);
    m.tick(clk);
    assert_eq!(m.get(q), 300 % 256);
    assert_eq!(m.time(), 2 * 302);
    m.set_time(7);
    assert_eq!(m.time(), 7);
    m.set(rst, 1);
    m.tick(clk);
    assert_eq!(m.get(q), 0);
    assert!(!m.finished() && !m.errored());

    // Port errors come back as values.
    match m.port("nope") {
        Err(Error::UnknownPort { name, available }) => {
            assert_eq!(name, "nope");
            assert!(available.contains("clk"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(m.try_set(q, 1), Err(Error::WrongDirection { .. })));
    assert!(matches!(m.try_set(en, 2), Err(Error::ValueTooWide { width: 1, .. })));
    m.try_set(en, 1).unwrap();
}

const WIDTHS: &str = r#"
`default_nettype none
module widths(
    input  wire          i1,
    input  wire [7:0]    i8,
    input  wire [15:0]   i16,
    input  wire [31:0]   i32,
    input  wire [32:0]   i33,
    input  wire [63:0]   i64,
    input  wire [64:0]   i65,
    input  wire [99:0]   i100,
    output wire          o1,
    output wire [7:0]    o8,
    output wire [15:0]   o16,
    output wire [31:0]   o32,
    output wire [32:0]   o33,
    output wire [63:0]   o64,
    output wire [64:0]   o65,
    output wire [99:0]   o100,
    output wire [64:0]   sum65,
    output wire [99:0]   inv100
);
    assign o1 = i1;
    assign o8 = i8;
    assign o16 = i16;
    assign o32 = i32;
    assign o33 = i33;
    assign o64 = i64;
    assign o65 = i65;
    assign o100 = i100;
    assign sum65 = {1'b0, i64} + {1'b0, i64};
    assign inv100 = ~i100;
endmodule
"#;

#[test]
fn port_widths_round_trip() {
    let cache = fresh_cache();
    let (_d, v) = src("widths.v", WIDTHS);
    let lib = Builder::new("widths").source(&v).cache_dir(cache.path()).build().unwrap();
    for (name, w) in
        [("i1", 1), ("i8", 8), ("i16", 16), ("i32", 32), ("i33", 33), ("i64", 64), ("i65", 65), ("i100", 100)]
    {
        let info = lib.ports().iter().find(|p| p.name == name).unwrap();
        assert_eq!(info.width, w, "{name}");
        assert_eq!(info.dir, Direction::Input);
    }
    let mut m = lib.instantiate(None).unwrap();
    let p = |m: &verilator_sys::Model, n: &str| m.port(n).unwrap();

    // Scalar ports up to 64 bits.
    let cases: [(&str, &str, u64); 6] = [
        ("i1", "o1", 1),
        ("i8", "o8", 0xa5),
        ("i16", "o16", 0xbeef),
        ("i32", "o32", 0xdead_beef),
        ("i33", "o33", 0x1_8000_0001),
        ("i64", "o64", 0xfedc_ba98_7654_3210),
    ];
    for (i, o, v) in cases {
        let (pi, po) = (p(&m, i), p(&m, o));
        m.try_set(pi, v).unwrap();
        m.eval();
        assert_eq!(m.get(po), v, "{i}");
        assert_eq!(m.get_wide(po), vec![v as u32, (v >> 32) as u32][..po.words()]);
    }
    // `set` masks to the width; `try_set` refuses.
    let (i8p, o8p) = (p(&m, "i8"), p(&m, "o8"));
    m.set(i8p, 0x1ff);
    m.eval();
    assert_eq!(m.get(o8p), 0xff);
    assert!(matches!(m.try_set(i8p, 0x100), Err(Error::ValueTooWide { width: 8, .. })));
    // Signed access.
    m.set(i8p, 0x80);
    m.eval();
    assert_eq!(m.get_signed(o8p), -128);
    let (i33p, o33p) = (p(&m, "i33"), p(&m, "o33"));
    m.set_signed(i33p, -1);
    m.eval();
    assert_eq!(m.get(o33p), (1 << 33) - 1);
    assert_eq!(m.get_signed(o33p), -1);
    m.set_signed(i33p, -5);
    m.eval();
    assert_eq!(m.get_signed(o33p), -5);
    let (i64p, o64p) = (p(&m, "i64"), p(&m, "o64"));
    m.set_signed(i64p, i64::MIN);
    m.eval();
    assert_eq!(m.get_signed(o64p), i64::MIN);
    let sum = p(&m, "sum65");
    m.set(i64p, u64::MAX);
    m.eval();
    assert_eq!(m.get_wide(sum), vec![0xffff_fffe, 0xffff_ffff, 1]);

    // Wide ports.
    let (i65p, o65p) = (p(&m, "i65"), p(&m, "o65"));
    assert_eq!(i65p.words(), 3);
    m.set_wide(i65p, &[0x1234_5678, 0x9abc_def0, 1]).unwrap();
    m.eval();
    assert_eq!(m.get_wide(o65p), vec![0x1234_5678, 0x9abc_def0, 1]);
    assert_eq!(m.get(o65p), 0x9abc_def0_1234_5678);
    assert!(matches!(m.set_wide(i65p, &[0, 0, 2]), Err(Error::ValueTooWide { width: 65, .. })));
    assert!(matches!(m.try_set(i65p, 1), Err(Error::PortTooWide { .. })));
    let (i100p, o100p, inv) = (p(&m, "i100"), p(&m, "o100"), p(&m, "inv100"));
    let words = [0x0123_4567, 0x89ab_cdef, 0xdead_beef, 0xf];
    m.set_wide(i100p, &words).unwrap();
    m.eval();
    assert_eq!(m.get_wide(o100p), words.to_vec());
    assert_eq!(m.get_wide(inv), vec![!0x0123_4567, !0x89ab_cdef, !0xdead_beef, 0]);
    // Fewer words: upper words become zero; extra zero words are accepted.
    m.set_wide(i100p, &[7]).unwrap();
    m.eval();
    assert_eq!(m.get_wide(o100p), vec![7, 0, 0, 0]);
    m.set_wide(i100p, &[1, 2, 3, 4, 0, 0]).unwrap();
    m.eval();
    assert_eq!(m.get_wide(o100p), vec![1, 2, 3, 4]);
    assert!(m.set_wide(i100p, &[0, 0, 0, 0x10]).is_err());
    assert!(m.set_wide(i100p, &[0, 0, 0, 0, 1]).is_err());
    // Signed on a wide port: sign-extended over all words.
    m.set_signed(i100p, -2);
    m.eval();
    assert_eq!(m.get_wide(o100p), vec![0xffff_fffe, 0xffff_ffff, 0xffff_ffff, 0xf]);
    // `set` on a wide port: low 64 bits, rest cleared.
    m.set(i100p, 0x1_0000_0002);
    m.eval();
    assert_eq!(m.get_wide(o100p), vec![2, 1, 0, 0]);
    // Set_wide on outputs is refused.
    assert!(matches!(m.set_wide(o100p, &[1]), Err(Error::WrongDirection { .. })));
    // Small ports through the wide API.
    m.set_wide(i33p, &[3, 1]).unwrap();
    m.eval();
    assert_eq!(m.get(o33p), 0x1_0000_0003);
    assert!(m.set_wide(i33p, &[0, 2]).is_err());
}

#[test]
fn port_from_another_model_panics() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    let lib = Builder::new("counter").source(&v).cache_dir(cache.path()).build().unwrap();
    let a = lib.instantiate(None).unwrap();
    let mut b = lib.instantiate(None).unwrap();
    let clk_a = a.port("clk").unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.set(clk_a, 1)));
    assert!(r.is_err());
}

#[test]
fn several_models_alive_at_once() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    let (_d2, v2) = src(
        "counter.v",
        &COUNTER.replace("q + 8'd1", "q + 8'd3"), // a different build of the same top
    );
    let lib1 = Builder::new("counter").source(&v).cache_dir(cache.path()).build().unwrap();
    let lib2 = Builder::new("counter").source(&v2).cache_dir(cache.path()).build().unwrap();
    assert_ne!(lib1.so_path(), lib2.so_path());
    let mut ms = [lib1.instantiate(None).unwrap(), lib1.instantiate(None).unwrap(), lib2.instantiate(None).unwrap()];
    let ports: Vec<_> = ms
        .iter()
        .map(|m| (m.port("clk").unwrap(), m.port("rst").unwrap(), m.port("en").unwrap(), m.port("q").unwrap()))
        .collect();
    for (m, &(clk, rst, en, _)) in ms.iter_mut().zip(&ports) {
        m.set(rst, 1);
        m.tick(clk);
        m.set(rst, 0);
        m.set(en, 1);
    }
    // Model k gets k+1 ticks.
    for (k, (m, &(clk, ..))) in ms.iter_mut().zip(&ports).enumerate() {
        for _ in 0..=k {
            m.tick(clk);
        }
    }
    let got: Vec<u64> = ms.iter().zip(&ports).map(|(m, p)| m.get(p.3)).collect();
    assert_eq!(got, vec![1, 2, 9]);
    drop(lib1);
    drop(lib2);
    // Models keep their libraries loaded.
    let (clk, .., q) = ports[2];
    ms[2].tick(clk);
    assert_eq!(ms[2].get(q), 12);
}

#[test]
fn lint_error_is_reported_with_verilator_message() {
    let cache = fresh_cache();
    let (_d, v) = src(
        "bad.v",
        "`default_nettype none\nmodule bad(input wire a, output wire b);\n  assign b = a & undeclared_sig;\nendmodule\n",
    );
    let err = Builder::new("bad").source(&v).cache_dir(cache.path()).build().unwrap_err();
    match &err {
        Error::Verilator { output, .. } => {
            assert!(output.contains("%Error"), "{output}");
            assert!(output.contains("undeclared_sig"), "{output}");
            assert!(output.contains("bad.v:3"), "{output}");
        }
        other => panic!("expected a Verilator error, got {other:?}"),
    }
    assert!(err.to_string().contains("undeclared_sig"));
    // Nothing left behind but the runtime objects.
    assert!(model_entries(cache.path()).is_empty());
    assert!(all_entries(cache.path()).iter().all(|n| n.starts_with("rt-")));

    // A warning is fatal too (no -Wno-fatal by default).
    let (_d, w) = src("warn.v", "module warn(input wire [7:0] a, output wire [3:0] b);\n  assign b = a;\nendmodule\n");
    let err = Builder::new("warn").source(&w).cache_dir(cache.path()).build().unwrap_err();
    assert!(err.to_string().contains("WIDTH"), "{err}");
    // ... unless the user asks.
    Builder::new("warn").source(&w).verilator_arg("-Wno-fatal").cache_dir(cache.path()).build().unwrap();
}

#[test]
fn compiler_error_is_reported() {
    let cache = fresh_cache();
    let (_d, v) = src("counter.v", COUNTER);
    let err = Builder::new("counter")
        .source(&v)
        .cxx_arg("-fthis-flag-does-not-exist")
        .cache_dir(cache.path())
        .build()
        .unwrap_err();
    match &err {
        Error::Compiler { output, .. } => {
            assert!(output.contains("this-flag-does-not-exist"), "{output}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_configuration_is_an_error() {
    let (_d, v) = src("counter.v", COUNTER);
    assert!(matches!(Builder::new("counter").build(), Err(Error::Config(_))));
    assert!(matches!(Builder::new("counter").source(&v).verilator_arg("--build").build(), Err(Error::Config(_))));
    assert!(matches!(Builder::new("counter").source(_d.path().join("missing.v")).build(), Err(Error::Io { .. })));
}

const XREG: &str = r#"
module xreg(input wire clk, input wire d, output wire [63:0] q, output wire [99:0] wq);
    reg [63:0] r;
    reg [99:0] w;
    always @(posedge clk) begin
        r <= {r[62:0], d};
        w <= {w[98:0], d};
    end
    assign q = r;
    assign wq = w;
endmodule
"#;

#[test]
fn x_randomization_follows_the_seed() {
    let cache = fresh_cache();
    let (_d, v) = src("xreg.v", XREG);
    let lib = Builder::new("xreg").source(&v).x_randomize(true).cache_dir(cache.path()).build().unwrap();
    let read = |seed: Option<u64>| {
        let mut m = lib.instantiate(seed).unwrap();
        m.eval();
        let q = m.port("q").unwrap();
        let wq = m.port("wq").unwrap();
        (m.get(q), m.get_wide(wq))
    };
    let a1 = read(Some(1));
    let a2 = read(Some(2));
    let a1_again = read(Some(1));
    assert_ne!(a1, a2);
    assert_eq!(a1, a1_again);
    assert_ne!(a1.0, 0);
    assert!(a1.1[3] <= 0xf, "top word must be clean: {:?}", a1.1);
    // Seed 0 is deterministic as well.
    assert_eq!(read(Some(0)), read(Some(0)));
    // Without a seed: Verilator's default, zeros.
    assert_eq!(read(None), (0, vec![0; 4]));
    // Two live instances with different seeds keep their own values.
    let mut m1 = lib.instantiate(Some(1)).unwrap();
    let mut m2 = lib.instantiate(Some(2)).unwrap();
    m1.eval();
    m2.eval();
    let (q1, q2) = (m1.port("q").unwrap(), m2.port("q").unwrap());
    assert_eq!(m1.get(q1), a1.0);
    assert_eq!(m2.get(q2), a2.0);
}

#[test]
fn fst_trace_is_written() {
    let cache = fresh_cache();
    let (d, v) = src("counter.v", COUNTER);
    let lib = Builder::new("counter").source(&v).trace(true).cache_dir(cache.path()).build().unwrap();
    assert!(lib.has_trace());
    let fst = d.path().join("wave.fst");
    {
        let mut m = lib.instantiate(None).unwrap();
        let (clk, rst, en, q) =
            (m.port("clk").unwrap(), m.port("rst").unwrap(), m.port("en").unwrap(), m.port("q").unwrap());
        m.trace_to(&fst).unwrap();
        m.set(rst, 1);
        m.tick(clk);
        m.set(rst, 0);
        m.set(en, 1);
        for _ in 0..100 {
            m.tick(clk);
        }
        m.trace_flush();
        assert_eq!(m.get(q), 100);
        assert!(m.trace_to(d.path().join("no/such/dir/x.fst")).is_err());
    }
    let len = std::fs::metadata(&fst).unwrap().len();
    assert!(len > 0, "empty FST");
    let head = std::fs::read(&fst).unwrap();
    assert!(String::from_utf8_lossy(&head).contains("counter") || len > 100, "suspicious FST ({len} bytes)");

    // Tracing a model built without --trace-fst is an error value.
    let plain = Builder::new("counter").source(&v).cache_dir(cache.path()).build().unwrap();
    let mut m = plain.instantiate(None).unwrap();
    assert!(matches!(m.trace_to(d.path().join("x.fst")), Err(Error::TraceNotEnabled { .. })));
}

#[test]
fn finish_does_not_exit_the_process() {
    let cache = fresh_cache();
    let (_d, v) = src(
        "fin.v",
        r#"
module fin(input wire clk, output reg [3:0] n);
    initial n = 0;
    always @(posedge clk) begin
        n <= n + 1;
        if (n >= 2) $finish;
    end
endmodule
"#,
    );
    let lib = Builder::new("fin").source(&v).cache_dir(cache.path()).build().unwrap();
    let mut m = lib.instantiate(None).unwrap();
    let clk = m.port("clk").unwrap();
    for _ in 0..6 {
        m.tick(clk);
    }
    assert!(m.finished());
}

#[test]
fn unpacked_array_and_escaped_ports() {
    let cache = fresh_cache();
    let (_d, v) = src(
        "arr.sv",
        r#"
module arr(input logic [7:0] a [3], input logic [8:1] hi, output logic [9:0] s, output logic \o$k );
    assign s = {2'b0, a[0]} + {2'b0, a[1]} + {2'b0, a[2]} + {2'b0, hi};
    assign \o$k = 1'b1;
endmodule
"#,
    );
    let lib = Builder::new("arr").source(&v).cache_dir(cache.path()).build().unwrap();
    let mut m = lib.instantiate(None).unwrap();
    for (i, val) in [10u64, 20, 30].into_iter().enumerate() {
        let p = m.port(&format!("a[{i}]")).unwrap();
        m.set(p, val);
    }
    let hi = m.port("hi").unwrap();
    assert_eq!(hi.width(), 8);
    m.set(hi, 200);
    m.eval();
    assert_eq!(m.get(m.port("s").unwrap()), 260);
    assert_eq!(m.get(m.port("o$k").unwrap()), 1);
    assert_eq!(m.get(m.port("o__024k").unwrap()), 1);
}
