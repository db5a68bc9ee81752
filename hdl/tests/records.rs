//! Records: fields packed least significant first, packed from and read by
//! name, emitted as named wires whose comments name the record, the field
//! and the bits; every misuse an error naming the record and the field.

use std::process::Command;

use hdl::core::{emit, Bit, EmitOptions, Expr, Module, Record, SInt, UInt};

fn pkt() -> Record {
    Record::new("pkt", &[("len", UInt(8)), ("last", Bit), ("off", SInt(4)), ("tag", UInt(3))])
}

#[test]
fn fields_are_packed_least_significant_first() {
    let r = pkt();
    assert_eq!(r.width(), 16);
    assert_eq!(r.ty(), UInt(16));
    let at: Vec<(&str, u32, u32)> = r.fields().iter().map(|f| (f.name.as_str(), f.lsb, f.msb())).collect();
    assert_eq!(at, [("len", 0, 7), ("last", 8, 8), ("off", 9, 12), ("tag", 13, 15)]);
    assert_eq!(r.field("off").unwrap().ty, SInt(4));
    assert!(r.field("nope").is_none());
}

/// A module that packs its inputs into a register and reads every field back.
fn round_trip() -> Module {
    let r = pkt();
    let mut m = Module::new("serrano_test_record");
    let len = m.input("len", UInt(8)).unwrap();
    let last = m.input("last", Bit).unwrap();
    let off = m.input("off", SInt(4)).unwrap();
    let tag = m.input("tag", UInt(3)).unwrap();
    // Any order: the record says where each field goes.
    let word = r.pack(&mut m, "word", &[("tag", &tag), ("off", &off), ("len", &len), ("last", &last)]).unwrap();
    let q = m.reg("q", r.ty()).reset(0).build().unwrap();
    m.set_next(&q, &word).unwrap();
    let f = r.unpack(&mut m, "q", &q.q).unwrap();
    assert_eq!(f.get("off").unwrap().ty().unwrap(), SInt(4), "a signed field reads back signed");
    m.output("len_q", f.get("len").unwrap()).unwrap();
    m.output("last_q", f.get("last").unwrap()).unwrap();
    m.output("off_q", f.get("off").unwrap()).unwrap();
    m.output("tag_q", f.get("tag").unwrap()).unwrap();
    m.check().unwrap();
    m
}

#[test]
fn packed_words_and_fields_are_named_wires_with_comments() {
    let text = &emit(&round_trip(), &EmitOptions::default()).unwrap()[0].text;
    // Declarations are aligned in columns: compare with single spaces.
    let lines: Vec<String> = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let has = |decl: &str, comment: &str| {
        lines.iter().any(|l| l.starts_with(decl) && l.ends_with(comment))
            || panic!("no line `{decl} ... {comment}` in\n{text}")
    };
    has("wire [15:0] word;", "// record pkt {tag, off, last, len}");
    has("wire [7:0] q_len;", "// pkt.len = q[7:0]");
    has("wire q_last;", "// pkt.last = q[8]");
    has("wire signed [3:0] q_off;", "// pkt.off = q[12:9]");
    has("wire [2:0] q_tag;", "// pkt.tag = q[15:13]");
    for want in ["assign word = {tag, off, last, len};", "assign q_off = $signed(q[12:9]);", "assign len_q = q_len;"] {
        assert!(lines.iter().any(|l| l == want), "no line `{want}` in\n{text}");
    }
}

#[test]
fn a_round_trip_lints_clean() {
    lint(&round_trip(), "serrano_test_record");
}

#[test]
fn unpack_only_declares_the_fields_asked_for() {
    let r = pkt();
    let mut m = Module::new("serrano_test_record_part");
    let w = m.input("w", r.ty()).unwrap();
    let f = r.unpack_only(&mut m, "w", &w, &["tag"]).unwrap();
    m.output("tag", f.get("tag").unwrap()).unwrap();
    let e = f.get("len").unwrap_err().to_string();
    assert!(e.contains("pkt.len") && e.contains("not unpacked"), "{e}");
    let text = &emit(&m, &EmitOptions::default()).unwrap()[0].text;
    assert!(!text.contains("w_len"), "{text}");
}

/// Pack `values` into a fresh module's wire: the error text, if any.
fn pack_err(r: &Record, values: &[(&str, Expr)]) -> String {
    let mut m = Module::new("serrano_test_record_err");
    let v: Vec<(&str, &Expr)> = values.iter().map(|(n, e)| (*n, e)).collect();
    r.pack(&mut m, "word", &v).unwrap_err().to_string()
}

#[test]
fn bad_packs_name_the_record_and_the_field() {
    let r = Record::new("pkt", &[("len", UInt(8)), ("last", Bit)]);
    let len = Expr::lit(3, UInt(8));
    let last = Expr::lit(1, Bit);
    let e = pack_err(&r, &[("len", len.clone())]);
    assert!(e.contains("pkt.last") && e.contains("not given"), "{e}");
    let e = pack_err(&r, &[("len", len.clone()), ("last", last.clone()), ("tag", last.clone())]);
    assert!(e.contains("pkt.tag") && e.contains("has no field tag"), "{e}");
    let e = pack_err(&r, &[("len", len.clone()), ("last", last.clone()), ("len", len.clone())]);
    assert!(e.contains("pkt.len") && e.contains("given twice"), "{e}");
    let e = pack_err(&r, &[("len", Expr::lit(3, UInt(7))), ("last", last)]);
    assert!(e.contains("pkt.len") && e.contains("UInt(8)") && e.contains("UInt(7)"), "{e}");
}

#[test]
fn bad_declarations_and_reads_are_errors_not_panics() {
    let mut m = Module::new("serrano_test_record_decl");
    let w = m.input("w", UInt(9)).unwrap();
    let twice = Record::new("pkt", &[("len", UInt(8)), ("len", Bit)]);
    let e = twice.unpack(&mut m, "a", &w).unwrap_err().to_string();
    assert!(e.contains("serrano_test_record_decl") && e.contains("pkt.len") && e.contains("twice"), "{e}");
    let zero = Record::new("pkt", &[("len", UInt(0))]);
    let e = zero.unpack(&mut m, "b", &w).unwrap_err().to_string();
    assert!(e.contains("pkt.len") && e.contains("width 0"), "{e}");
    let e = Record::new("empty", &[]).unpack(&mut m, "c", &w).unwrap_err().to_string();
    assert!(e.contains("record empty") && e.contains("no field"), "{e}");
    let e = pkt().unpack(&mut m, "d", &w).unwrap_err().to_string();
    assert!(e.contains("record pkt") && e.contains("UInt(9)") && e.contains("16 bits"), "{e}");
    let x = m.input("x", UInt(16)).unwrap();
    let e = pkt().unpack_only(&mut m, "e", &x, &["size"]).unwrap_err().to_string();
    assert!(e.contains("pkt.size") && e.contains("has no field"), "{e}");
    // A field wire whose name is taken is the module's usual clash error.
    m.input("f_len", UInt(8)).unwrap();
    let e = pkt().unpack(&mut m, "f", &x).unwrap_err().to_string();
    assert!(e.contains("f_len") && e.contains("declared twice"), "{e}");
}

/// `verilator --lint-only -Wall` of `m` (skipped when Verilator is missing).
fn lint(m: &Module, top: &str) {
    let files = emit(m, &EmitOptions::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("serrano_records_{top}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for f in &files {
        let p = dir.join(&f.file_name);
        std::fs::write(&p, &f.text).unwrap();
        paths.push(p);
    }
    let out = match Command::new("verilator").args(["--lint-only", "-Wall", "--top-module", top]).args(&paths).output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("verilator not found ({e}); lint skipped");
            return;
        }
    };
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
