//! The HDL's type rules: every broken rule is an error naming the module and
//! the signal, never a panic.

use hdl::core::{cat, mux, rep, Bit, Expr, Module, ResetKind, SInt, UInt, MAX_WIDTH};

fn msg<T: std::fmt::Debug>(r: hdl::core::Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn mixing_widths_is_an_error_naming_module_and_signal() {
    let mut m = Module::new("serrano_t");
    let a = m.input("a", UInt(8)).unwrap();
    let b = m.input("b", UInt(16)).unwrap();
    let e = msg(m.output("y", &a + &b));
    assert_eq!(
        e,
        "module serrano_t, signal y: `+` needs operands of the same type, got UInt(8) and UInt(16) \
         (use sext/zext/trunc/as_signed to convert)"
    );
}

#[test]
fn mixing_signedness_is_an_error() {
    let mut m = Module::new("serrano_t");
    let a = m.input("a", UInt(8)).unwrap();
    let b = m.input("b", SInt(8)).unwrap();
    assert!(msg(m.output("y", &a & &b)).contains("got UInt(8) and SInt(8)"));
    assert!(msg(m.output("z", a.cmp_lt(&b))).contains("signal z"));
    // Explicit conversion makes it legal.
    m.output("ok", &a.as_signed() + &b).unwrap();
}

#[test]
fn operators_keep_the_operand_type() {
    let mut m = Module::new("serrano_t");
    let a = m.input("a", SInt(8)).unwrap();
    let b = m.input("b", SInt(8)).unwrap();
    assert_eq!((&a + &b).ty(), Ok(SInt(8)));
    assert_eq!((&a * &b).ty(), Ok(SInt(8)));
    assert_eq!(a.mul_wide(&b).ty(), Ok(SInt(16)));
    assert_eq!(a.cmp_lt(&b).ty(), Ok(Bit));
    assert_eq!((&a >> 2).ty(), Ok(SInt(8)));
    assert_eq!(a.sext(12).ty(), Ok(SInt(12)));
    assert_eq!(a.trunc(3).ty(), Ok(SInt(3)));
    assert_eq!(a.slice(6, 2).ty(), Ok(UInt(5)));
    assert_eq!(cat(&[&a, &b]).ty(), Ok(UInt(16)));
    assert_eq!(a.any().ty(), Ok(Bit));
    assert_eq!((&a + 1).ty(), Ok(SInt(8)));
}

#[test]
fn extension_rules() {
    let mut m = Module::new("serrano_t");
    let u = m.input("u", UInt(8)).unwrap();
    let s = m.input("s", SInt(8)).unwrap();
    assert!(u.sext(16).ty().unwrap_err().contains("sext applies to SInt"));
    assert!(s.zext(16).ty().unwrap_err().contains("zext applies to UInt"));
    assert!(s.sext(4).ty().unwrap_err().contains("would narrow"));
    assert!(s.trunc(9).ty().unwrap_err().contains("must be between 1 and 8"));
    assert!(s.slice(8, 0).ty().unwrap_err().contains("slice [8:0]"));
    assert!(u.mul_wide(&s).ty().unwrap_err().contains("same signedness"));
}

#[test]
fn literals_must_fit() {
    assert!(Expr::lit(128, SInt(8)).ty().unwrap_err().contains("does not fit SInt(8) (range -128..=127)"));
    assert!(Expr::lit(-1, UInt(8)).ty().unwrap_err().contains("does not fit UInt(8)"));
    assert_eq!(Expr::lit(-128, SInt(8)).ty(), Ok(SInt(8)));
    let mut m = Module::new("serrano_t");
    let a = m.input("a", UInt(4)).unwrap();
    assert!(msg(m.output("y", &a + 16)).contains("literal 16 does not fit UInt(4)"));
}

#[test]
fn mux_and_shift_rules() {
    let mut m = Module::new("serrano_t");
    let a = m.input("a", UInt(8)).unwrap();
    let s = m.input("s", UInt(2)).unwrap();
    assert!(mux(&s, &a, &a).ty().unwrap_err().contains("mux select must be one bit"));
    let sa = m.input("sa", SInt(3)).unwrap();
    assert!(a.shl(&sa).ty().unwrap_err().contains("shift amount"));
    assert_eq!(a.shl(&s).ty(), Ok(UInt(8)));
}

#[test]
fn names_are_checked() {
    let mut m = Module::new("serrano_t");
    assert!(msg(m.input("a$b", Bit)).contains("not a legal name"));
    assert!(msg(m.input("_x", Bit)).contains("not a legal name"));
    assert!(msg(m.input("wire", Bit)).contains("Verilog keyword"));
    assert!(msg(m.input("clk", Bit)).contains("reserved"));
    m.input("a", Bit).unwrap();
    assert_eq!(msg(m.input("a", Bit)), "module serrano_t, signal a: is declared twice");
    assert!(msg(m.input("big", UInt(0))).contains("width 0"));
}

#[test]
fn registers_need_a_reset_decision_and_a_next_value() {
    let mut m = Module::new("serrano_t");
    let d = m.input("d", UInt(8)).unwrap();
    assert!(msg(m.reg("r", UInt(8)).d(&d)).contains("no declared reset value"));
    assert!(msg(m.reg("r2", UInt(8)).reset(256).d(&d)).contains("reset value: literal 256 does not fit UInt(8)"));
    m.reg("r3", UInt(8)).reset(0).build().unwrap();
    assert_eq!(
        m.check().unwrap_err().to_string(),
        "module serrano_t, signal r3: register has no next value (call set_next)"
    );
}

#[test]
fn wires_are_driven_exactly_once() {
    let mut m = Module::new("serrano_t");
    let a = m.input("a", UInt(8)).unwrap();
    let w = m.wire("w", UInt(8)).unwrap();
    assert!(m.check().unwrap_err().to_string().contains("wire is never driven"));
    m.assign(&w, &a).unwrap();
    assert!(msg(m.assign(&w, &a)).contains("driven twice"));
    assert!(msg(m.assign(&a, &a)).contains("only a wire can be assigned"));
    let w2 = m.wire("w2", UInt(4)).unwrap();
    assert!(msg(m.assign(&w2, &a)).contains("expected a value of type UInt(4), got UInt(8)"));
}

#[test]
fn signals_of_another_module_are_rejected() {
    let mut m1 = Module::new("serrano_one");
    let a = m1.input("a", UInt(8)).unwrap();
    let mut m2 = Module::new("serrano_two");
    m2.input("a", UInt(8)).unwrap();
    assert!(msg(m2.output("y", &a)).contains("belongs to another module"));
}

#[test]
fn instance_ports_are_checked() {
    let mut child = Module::new("serrano_child");
    let x = child.input("x", UInt(8)).unwrap();
    child.output("y", &x).unwrap();
    let mut top = Module::new("serrano_top");
    let a = top.input("a", UInt(4)).unwrap();
    assert!(msg(top.instance("u0", &child, &[])).contains("input port x is not connected"));
    assert!(msg(top.instance("u0", &child, &[("nope", &a)])).contains("has no input port named nope"));
    assert!(msg(top.instance("u0", &child, &[("x", &a)])).contains("signal u0.x: expected a value of type UInt(8)"));
    let b = top.input("b", UInt(8)).unwrap();
    let u = top.instance("u0", &child, &[("x", &b)]).unwrap();
    assert!(msg(u.out("z")).contains("no output port named z"));
    top.output("y", u.out("y").unwrap()).unwrap();
    let mut async_child = Module::new("serrano_async").with_reset(ResetKind::AsyncLow);
    let r = async_child.reg("r", Bit).reset(0).build().unwrap();
    async_child.set_next(&r, !&r.q).unwrap();
    async_child.output("q", &r).unwrap();
    assert!(msg(top.instance("u1", &async_child, &[])).contains("another reset style"));
}

#[test]
fn memories_are_checked() {
    let mut m = Module::new("serrano_t");
    let mem = m.memory("ram", UInt(8), 100).unwrap();
    assert_eq!(mem.addr_width, 7);
    let we = m.input("we", Bit).unwrap();
    let addr = m.input("addr", UInt(6)).unwrap();
    let d = m.input("d", UInt(8)).unwrap();
    assert!(msg(m.mem_write(&mem, &we, &addr, &d)).contains("write address: expected a value of type UInt(7)"));
    assert!(msg(m.memory("ram2", UInt(8), 1)).contains("memory depth 1"));
}

#[test]
fn roms_are_checked() {
    let mut m = Module::new("serrano_t");
    let a = m.input("a", UInt(2)).unwrap();
    let s = m.input("s", SInt(2)).unwrap();
    assert!(msg(m.rom("r", UInt(4), &[], &a)).contains("at least one word"));
    assert!(msg(m.rom("r", UInt(4), &[1, 2, 3, 4, 5], &a)).contains("5 words cannot be addressed by a UInt(2) address"));
    assert!(msg(m.rom("r", UInt(4), &[16], &a)).contains("ROM word 0 = 0x10 does not fit UInt(4)"));
    assert!(msg(m.rom("r", UInt(4), &[1], &s)).contains("ROM address must be UInt, got SInt(2)"));
    assert!(msg(m.rom("r", UInt(128), &[1], &a)).contains("wider than 127 bits"));
    assert!(msg(m.rom("r", UInt(4), &[1], &(&a + &s.as_unsigned().zext(3)))).contains("ROM address: "));
    // Signed words are two's-complement bit patterns.
    let r = m.rom("r", SInt(4), &[0xf, 0x7, 0x8], &a).unwrap();
    assert_eq!(r.ty(), Ok(SInt(4)));
    assert!(msg(m.rom("r", UInt(4), &[1], &a)).contains("declared twice"));
    m.output("y", &r).unwrap();
    assert_eq!(m.stats().flip_flops, 0, "a ROM is not a register");
}

#[test]
fn replication_is_unsigned_and_checked() {
    let mut m = Module::new("serrano_t");
    let s = m.input("s", SInt(3)).unwrap();
    assert_eq!(rep(&s, 4).ty(), Ok(UInt(12)));
    assert_eq!(s.repeat(1).ty(), Ok(UInt(3)));
    assert_eq!(msg(m.output("none", rep(&s, 0))), "module serrano_t, signal none: rep of zero copies");
    let e = msg(m.output("huge", rep(&s, MAX_WIDTH)));
    assert!(e.contains("signal huge"), "{e}");
    let b = m.input("b", UInt(16)).unwrap();
    assert!(msg(m.output("bad", rep(&(&s + &b), 2))).contains("needs operands of the same type"));
}
