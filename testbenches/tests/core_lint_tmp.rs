use golden::core::CoreParams;
use hdl::blocks::accel::*;

fn cfg(name: &str) -> golden::Config {
    let path = format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    golden::Config::from_toml_str(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

#[test]
fn lint_engines() {
    for n in ["default", "tiny", "large"] {
        let c = cfg(n);
        let p = CoreParams::new(&c).unwrap();
        for m in [
            core_load::core_load(&p, 5).unwrap(),
            core_store::core_store(&p, 5).unwrap(),
            core_compute::core_compute(&p, 5).unwrap(),
            core_cmdproc::core_cmdproc(&p).unwrap(),
        ] {
            if let Err(e) = testbenches::sim::lint_module(&m) {
                panic!("{n} {}: {e}", m.name());
            }
        }
    }
}
