//! Bundles: ports declared from one bus description for either role,
//! forwarded to and from an instance in one call, with errors (never a
//! panic) naming the block and the field.

use std::process::Command;

use hdl::core::{emit, Bundle, BundleSig, Dir, EmitOptions, Flow, Module, Role, UInt};

/// The (port, direction) list of a module.
fn dirs(m: &Module) -> Vec<(String, Dir)> {
    m.ports().into_iter().map(|p| (p.name, p.dir)).collect()
}

/// Declare `b` for `role` and drive every output with zero: the ports.
fn declared(b: &Bundle, role: Role) -> Vec<(String, Dir)> {
    let mut m = Module::new("serrano_test_bundle");
    let s = m.bundle_ports("p", b, role).unwrap();
    for f in &b.fields {
        if role.drives(f.flow) {
            s.drive(&mut m, &f.name, hdl::core::Expr::lit(0, f.ty)).unwrap();
        }
    }
    m.check().unwrap();
    dirs(&m)
}

fn kinds() -> Vec<Bundle> {
    vec![
        Bundle::axi4(32, 64, 4),
        Bundle::axi4_lite(16, 32),
        Bundle::axis(128, true, true, 3),
        Bundle::valid_ready(&[("data", 8), ("tag", 2)]),
    ]
}

#[test]
fn every_field_is_a_port_in_the_direction_of_its_role() {
    for b in kinds() {
        for role in [Role::Master, Role::Slave] {
            let ports = declared(&b, role);
            assert_eq!(ports.len(), b.fields.len(), "{}", b.kind);
            for f in &b.fields {
                let want = if role.drives(f.flow) { Dir::Output } else { Dir::Input };
                let got = ports.iter().find(|(n, _)| *n == format!("p_{}", f.name)).map(|(_, d)| *d);
                assert_eq!(got, Some(want), "{} {:?} {}", b.kind, role, f.name);
            }
        }
    }
}

#[test]
fn flipping_the_role_swaps_every_direction() {
    for b in kinds() {
        let m = declared(&b, Role::Master);
        let s = declared(&b, Role::Slave.flip().flip());
        assert_eq!(m.len(), s.len(), "{}", b.kind);
        for (n, d) in &m {
            let flipped = if *d == Dir::Input { Dir::Output } else { Dir::Input };
            assert!(s.contains(&(n.clone(), flipped)), "{} {n}", b.kind);
        }
        assert_eq!(Role::Master.flip(), Role::Slave);
    }
}

#[test]
fn the_amba_names_and_widths_come_from_the_parameters() {
    let b = Bundle::axi4(40, 256, 6);
    let w = |n: &str| b.field(n).unwrap().ty;
    assert_eq!(
        (w("araddr"), w("awid"), w("rdata"), w("wstrb"), w("awlen")),
        (UInt(40), UInt(6), UInt(256), UInt(32), UInt(8))
    );
    assert_eq!(b.field("rready").unwrap().flow, Flow::Forward);
    assert_eq!(b.field("bresp").unwrap().flow, Flow::Backward);
    let l = Bundle::axi4_lite(12, 32);
    assert_eq!(l.field("bresp").unwrap().flow, Flow::Backward);
    assert_eq!(l.field("wstrb").unwrap().ty, UInt(4));
    let s = Bundle::axis(64, false, true, 0);
    assert_eq!(s.port_names("m_axis"), ["m_axis_tdata", "m_axis_tlast", "m_axis_tvalid", "m_axis_tready"]);
    assert_eq!(Bundle::axis(64, true, false, 2).field("tkeep").unwrap().ty, UInt(8));
}

/// A valid/ready register-free passthrough: slave `s_`, master `m_`.
fn passthrough(w: u32) -> Module {
    let b = Bundle::valid_ready(&[("data", w)]);
    let mut m = Module::new(&format!("serrano_test_pass_w{w}"));
    let s = m.bundle_ports("s", &b, Role::Slave).unwrap();
    let o = m.bundle_ports("m", &b, Role::Master).unwrap();
    o.drive(&mut m, "data", s.get("data").unwrap()).unwrap();
    o.drive(&mut m, "valid", s.get("valid").unwrap()).unwrap();
    s.drive(&mut m, "ready", o.get("ready").unwrap()).unwrap();
    m
}

/// A parent forwarding its bundles to and from a passthrough in one call each.
fn parent(child_width: u32) -> Result<Module, hdl::core::HdlError> {
    let b = Bundle::valid_ready(&[("data", 8)]);
    let mut m = Module::new("serrano_test_parent");
    let s = m.bundle_ports("in", &b, Role::Slave)?;
    let o = m.bundle_ports("out", &b, Role::Master)?;
    let conns = [s.inputs_for("s"), o.inputs_for("m")].concat();
    let refs: Vec<_> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let u = m.instance("u_pass", &passthrough(child_width), &refs)?;
    connect_both(&mut m, &s, &o, &u)?;
    Ok(m)
}

fn connect_both(m: &mut Module, s: &BundleSig, o: &BundleSig, u: &hdl::core::Instance) -> hdl::core::Result<()> {
    s.connect(m, u, "s")?;
    o.connect(m, u, "m")
}

#[test]
fn a_bundle_passthrough_lints_clean() {
    let m = parent(8).unwrap();
    let names: Vec<_> = dirs(&m).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["in_data", "in_valid", "out_ready", "in_ready", "out_data", "out_valid"]);
    lint(&m, "serrano_test_parent");
}

#[test]
fn a_width_mismatch_on_connect_names_the_block_and_field() {
    let e = parent(4).unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.module, "serrano_test_parent");
    assert!(msg.contains("u_pass") && msg.contains("data"), "{msg}");
    // An output of the child narrower than the parent's field: caught by connect.
    let mut child = Module::new("serrano_test_narrow");
    let ready = child.input("m_ready", UInt(1)).unwrap();
    child.output("m_data", hdl::core::Expr::lit(0, UInt(4))).unwrap();
    child.output("m_valid", ready).unwrap();
    let b = Bundle::valid_ready(&[("data", 8)]);
    let mut m = Module::new("serrano_test_parent2");
    let o = m.bundle_ports("out", &b, Role::Master).unwrap();
    let conns = o.inputs_for("m");
    let u = m.instance("u_narrow", &child, &[(conns[0].0.as_str(), &conns[0].1)]).unwrap();
    let e = o.connect(&mut m, &u, "m").unwrap_err();
    assert_eq!(e.module, "serrano_test_parent2");
    let msg = e.to_string();
    assert!(msg.contains("u_narrow") && msg.contains("field data") && msg.contains("UInt(4)"), "{msg}");
}

#[test]
fn a_missing_field_is_an_error() {
    let b = Bundle::valid_ready(&[("data", 8)]);
    let mut m = Module::new("serrano_test_missing");
    let s = m.bundle_ports("x", &b, Role::Master).unwrap();
    let e = s.drive(&mut m, "tdata", hdl::core::Expr::lit(0, UInt(8))).unwrap_err().to_string();
    assert!(e.contains("no field tdata") && e.contains("serrano_test_missing"), "{e}");
    let e = s.get("nope").unwrap_err().to_string();
    assert!(e.contains("no field nope"), "{e}");
    // An input field cannot be driven, an output field cannot be read.
    assert!(s.drive(&mut m, "ready", hdl::core::Expr::lit(0, UInt(1))).is_err());
    assert!(s.get("valid").is_err());
    // A child without the bundle's outputs: connect names the missing port.
    let child = Module::new("serrano_test_empty");
    let mut p = Module::new("serrano_test_p2");
    let o = p.bundle_ports("o", &b, Role::Master).unwrap();
    let u = p.instance("u", &child, &[]).unwrap();
    let e = o.connect(&mut p, &u, "c").unwrap_err().to_string();
    assert!(e.contains("c_data") && e.contains("field data"), "{e}");
}

#[test]
fn undriven_outputs_wrong_widths_and_clashes_are_errors() {
    let b = Bundle::valid_ready(&[("data", 8)]);
    let mut m = Module::new("serrano_test_undriven");
    let s = m.bundle_ports("x", &b, Role::Master).unwrap();
    let e = m.check().unwrap_err().to_string();
    assert!(e.contains("x_data") && e.contains("never driven"), "{e}");
    let e = s.drive(&mut m, "data", hdl::core::Expr::lit(0, UInt(9))).unwrap_err().to_string();
    assert!(e.contains("UInt(8)") && e.contains("UInt(9)"), "{e}");
    s.drive(&mut m, "data", hdl::core::Expr::lit(0, UInt(8))).unwrap();
    assert!(s.drive(&mut m, "data", hdl::core::Expr::lit(0, UInt(8))).is_err());
    assert!(m.bundle_ports("x", &b, Role::Slave).is_err());
    assert!(m.wire("x_valid", UInt(1)).is_err());
    let mut other = Module::new("serrano_test_other");
    assert!(s.drive(&mut other, "valid", hdl::core::Expr::lit(0, UInt(1))).is_err());
}

#[test]
fn the_dma_top_has_exactly_its_bundles_ports() {
    let cfg = golden::DmaConfig {
        data_bits: 64,
        addr_bits: 64,
        max_burst: 16,
        max_outstanding: 4,
        queue_depth: 4,
        id_bits: 3,
        table_entries: 16,
    };
    let top = hdl::blocks::dma::dma(&cfg).unwrap();
    let ports: Vec<_> = top.ports().into_iter().map(|p| (p.name, p.ty)).collect();
    let buses = [
        ("s_axil", Bundle::axi4_lite(16, 32)),
        ("m_axi", Bundle::axi4(64, 64, 3)),
        ("m_axis", Bundle::axis(64, true, true, 0)),
        ("s_axis", Bundle::axis(64, true, true, 0)),
    ];
    let mut n = 3; // clk, rst, irq
    for (prefix, b) in &buses {
        for f in &b.fields {
            let name = format!("{prefix}_{}", f.name);
            assert!(ports.contains(&(name.clone(), f.ty)), "{name}");
            n += 1;
        }
    }
    assert_eq!(ports.len(), n);
}

#[test]
fn child_to_child_through_bundle_feed_lints_clean() {
    let b = Bundle::valid_ready(&[("data", 8)]);
    let mut m = Module::new("serrano_test_chain");
    let s = m.bundle_ports("in", &b, Role::Slave).unwrap();
    let o = m.bundle_ports("out", &b, Role::Master).unwrap();
    // The first stage's ready comes from the second stage: a wire.
    let ready1 = m.wire("ready1", UInt(1)).unwrap();
    let c1 = [s.inputs_for("s"), vec![("m_ready".to_string(), ready1.clone())]].concat();
    let refs: Vec<_> = c1.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let u1 = m.instance("u1", &passthrough(8), &refs).unwrap();
    let c2 = [u1.bundle_feed("m", &b, Role::Master, "s").unwrap(), o.inputs_for("m")].concat();
    let refs: Vec<_> = c2.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let u2 = m.instance("u2", &passthrough(8), &refs).unwrap();
    let back = u2.bundle_feed("s", &b, Role::Slave, "m").unwrap();
    assert_eq!(back.len(), 1);
    m.assign(&ready1, &back[0].1).unwrap();
    s.connect(&mut m, &u1, "s").unwrap();
    o.connect(&mut m, &u2, "m").unwrap();
    lint(&m, "serrano_test_chain");
    // A mismatched width names the instance and the field.
    let e = u1.bundle_feed("m", &Bundle::valid_ready(&[("data", 9)]), Role::Master, "s").unwrap_err().to_string();
    assert!(e.contains("u1") && e.contains("field data") && e.contains("UInt(9)"), "{e}");
}

#[test]
fn docs_types_and_lane_keeps_reach_the_ports() {
    let b = Bundle::valid_ready(&[("gain", 8)])
        .typed("gain", hdl::core::SInt(8))
        .doc("gain", "signed gain")
        .doc("ready", "taken");
    let mut m = Module::new("serrano_test_bundle_doc");
    let s = m.bundle_ports("cmd", &b, Role::Slave).unwrap();
    assert_eq!(s.get("gain").unwrap().ty().unwrap(), hdl::core::SInt(8));
    s.drive(&mut m, "ready", hdl::core::Expr::lit(1, UInt(1))).unwrap();
    let ports = m.ports();
    let doc = |n: &str| ports.iter().find(|p| p.name == n).unwrap().doc.clone();
    assert_eq!(doc("cmd_gain").as_deref(), Some("signed gain"));
    assert_eq!(doc("cmd_ready").as_deref(), Some("taken"));
    assert_eq!(doc("cmd_valid"), None);
    // A keep bit per lane rather than per byte.
    assert_eq!(Bundle::axis_lanes(48, 4, true, 0).field("tkeep").unwrap().ty, UInt(4));
    assert!(Bundle::axis_lanes(48, 0, true, 0).field("tkeep").is_none());
    // An older block's port order, kept.
    let names: Vec<String> = Bundle::axis(8, false, true, 0).ordered(&["tvalid"]).port_names("s");
    assert_eq!(names, ["s_tvalid", "s_tdata", "s_tlast", "s_tready"]);
    // A doc or a type for a field the bundle lacks is an error where it is declared.
    let bad = Bundle::valid_ready(&[("gain", 8)]).doc("gian", "typo");
    let e = Module::new("serrano_test_bundle_doc2").bundle_ports("cmd", &bad, Role::Slave).unwrap_err().to_string();
    assert!(e.contains("cmd_gian") && e.contains("has no field gian"), "{e}");
}

/// `verilator --lint-only -Wall` of `m` (skipped when Verilator is missing).
fn lint(m: &Module, top: &str) {
    let files = emit(m, &EmitOptions::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("serrano_bundles_{top}_{}", std::process::id()));
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
