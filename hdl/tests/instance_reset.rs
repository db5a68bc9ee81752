//! `Module::instance_with_reset`: a child's reset driven by a signal of the
//! parent (a reset synchronizer's output) instead of the parent's own reset.

use hdl::core::{emit, Bit, EmitOptions, Module, UInt};

fn counter() -> Module {
    let mut m = Module::new("serrano_test_counter");
    let en = m.input("en", Bit).unwrap();
    let q = m.reg("q", UInt(4)).reset(0).build().unwrap();
    m.set_next(&q, &q.q + en.zext(4)).unwrap();
    m.output("count", &q).unwrap();
    m
}

fn text(m: &Module) -> String {
    emit(m, &EmitOptions::default()).unwrap().into_iter().map(|f| f.text).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_childs_reset_port_is_driven_by_the_given_signal() {
    let child = counter();
    let mut m = Module::new("serrano_test_parent");
    let en = m.input("en", Bit).unwrap();
    let sync_rst = m.input("sync_rst", Bit).unwrap();
    let u = m.instance_with_reset("u_cnt", &child, &[("en", &en)], &sync_rst).unwrap();
    m.output("count", u.out("count").unwrap()).unwrap();
    let v = text(&m);
    assert!(v.contains(".rst   (sync_rst)") || v.contains(".rst (sync_rst)"), "{v}");
    // The parent itself has no register: it needs no reset port of its own.
    let parent = v.split("module serrano_test_parent").nth(1).unwrap();
    let header = &parent[..parent.find(");").unwrap()];
    let has_rst = header.lines().any(|l| l.split_whitespace().any(|w| w == "rst," || w == "rst"));
    assert!(!has_rst, "{header}");
}

#[test]
fn a_child_without_reset_or_a_wide_reset_is_refused() {
    let mut plain = Module::new("serrano_test_comb");
    let a = plain.input("a", Bit).unwrap();
    plain.output("y", !&a).unwrap();
    let mut m = Module::new("serrano_test_parent");
    let a = m.input("a", Bit).unwrap();
    let r = m.input("r", Bit).unwrap();
    let e = m.instance_with_reset("u", &plain, &[("a", &a)], &r).unwrap_err().to_string();
    assert!(e.contains("has no reset to drive"), "{e}");
    let wide = m.input("wide", UInt(2)).unwrap();
    let en = m.input("en", Bit).unwrap();
    assert!(m.instance_with_reset("u2", &counter(), &[("en", &en)], &wide).is_err());
}
