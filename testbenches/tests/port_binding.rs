//! Binding a model's buses by prefix (`testbenches::axi::ports`): the unit's
//! own bundles bind, and a renamed, resized or missing signal is an error
//! naming the bus and the port rather than a harness driving the wrong one.

use hdl::blocks::softmax::top::{in_bundle, out_bundle, softmax};
use hdl::core::Bundle;
use testbenches::axi::ports::{AxisPorts, BusPorts};
use testbenches::sim::{build_module, BuildOptions};
use verilator_sys::Model;

fn tiny() -> (golden::SoftmaxConfig, Model) {
    let text = std::fs::read_to_string(format!("{}/../configs/tiny.toml", env!("CARGO_MANIFEST_DIR"))).expect("preset");
    let cfg = golden::Config::from_toml_str(&text, "tiny").expect("valid preset").softmax;
    let built = build_module(&softmax(&cfg).expect("softmax"), BuildOptions::default()).expect("build");
    let model = built.lib.instantiate(None).expect("instantiate");
    (cfg, model)
}

#[test]
fn streams_bind_by_prefix_and_misfits_are_named_errors() {
    let (cfg, m) = tiny();
    let s = AxisPorts::bind_with(&m, "s_axis", &in_bundle(&cfg), &["tkeep", "tuser", "tlast"]).unwrap();
    assert_eq!(s.tdata.width(), cfg.lanes * cfg.in_bits);
    assert_eq!(s.keep().width(), cfg.lanes);
    let out = AxisPorts::bind(&m, "m_axis", &out_bundle(&cfg)).unwrap();
    assert!(out.tuser.is_none() && out.tkeep.is_some());

    // A bus wider than the model's ports.
    let wide = Bundle::axis_lanes(cfg.lanes * cfg.in_bits + 8, cfg.lanes, true, cfg.lanes);
    let e = AxisPorts::bind(&m, "s_axis", &wide).err().unwrap().to_string();
    assert!(e.contains("bus s_axis") && e.contains("s_axis_tdata") && e.contains("bits wide"), "{e}");
    // A prefix the model does not have.
    let e = AxisPorts::bind(&m, "x_axis", &out_bundle(&cfg)).err().unwrap().to_string();
    assert!(e.contains("bus x_axis") && e.contains("x_axis_tdata"), "{e}");
    // A harness that needs a signal the bundle lacks.
    let e = AxisPorts::bind_with(&m, "m_axis", &out_bundle(&cfg), &["tuser"]).err().unwrap().to_string();
    assert!(e.contains("m_axis") && e.contains("no tuser"), "{e}");
    // A field asked of a bus that lacks it.
    let bus = BusPorts::bind(&m, "m_axis", &out_bundle(&cfg)).unwrap();
    let e = bus.get("tuser").err().unwrap().to_string();
    assert!(e.contains("bus m_axis has no field tuser"), "{e}");
}
