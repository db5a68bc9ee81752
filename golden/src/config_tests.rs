//! Tests of `config.rs`: parsing, defaults and every field's range.

use super::*;

const GOOD: &str = "[systolic]\nrows = 16\ncols = 8\nacc_depth = 64\n";

fn err(text: &str) -> String {
    Config::from_toml_str(text, "x.toml").unwrap_err().to_string()
}

#[test]
fn accepts_a_good_config() {
    let c = Config::from_toml_str(GOOD, "t").unwrap();
    assert_eq!((c.systolic.rows, c.systolic.cols, c.systolic.acc_depth), (16, 8, 64));
    assert_eq!(c.systolic.pe().acc_bits, 32);
}

#[test]
fn out_of_range_names_field_and_range() {
    assert_eq!(err(&GOOD.replace("rows = 16", "rows = 0")), "systolic.rows = 0: must be between 1 and 128");
    assert_eq!(err(&GOOD.replace("cols = 8", "cols = 129")), "systolic.cols = 129: must be between 1 and 128");
    assert_eq!(
        err(&GOOD.replace("acc_depth = 64", "acc_depth = 1")),
        "systolic.acc_depth = 1: must be between 2 and 65536"
    );
}

#[test]
fn unknown_field_is_named() {
    let e = err(&format!("{GOOD}colz = 3\n"));
    assert!(e.contains("unknown field `colz`"), "{e}");
    let e = err(&GOOD.replace("[systolic]", "[systolik]"));
    assert!(e.contains("unknown field `systolik`"), "{e}");
}

fn softmax_err(section: &str) -> String {
    err(&format!("{GOOD}[softmax]\n{section}"))
}

#[test]
fn softmax_section_is_optional_and_validated() {
    let c = Config::from_toml_str(GOOD, "t").unwrap();
    assert_eq!(c.softmax, SoftmaxConfig::default());
    let ok = "lanes = 4\nmax_len = 64\nin_bits = 16\nout_bits = 16\ntable_bits = 8\n";
    let c = Config::from_toml_str(&format!("{GOOD}[softmax]\n{ok}"), "t").unwrap();
    assert_eq!(c.softmax, SoftmaxConfig { lanes: 4, max_len: 64, in_bits: 16, out_bits: 16, table_bits: 8 });
    let e = softmax_err("lanes = 0\nmax_len = 64\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
    assert_eq!(e, "softmax.lanes = 0: must be between 1 and 64");
    let e = softmax_err("lanes = 65\nmax_len = 65\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
    assert_eq!(e, "softmax.lanes = 65: must be between 1 and 64");
    let e = softmax_err("lanes = 16\nmax_len = 100\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
    assert_eq!(e, "softmax.max_len = 100: must be a multiple of softmax.lanes = 16");
    let e = softmax_err("lanes = 16\nmax_len = 0\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
    assert_eq!(e, "softmax.max_len = 0: must be between 1 and 65536");
    let e = softmax_err("lanes = 16\nmax_len = 131072\nin_bits = 8\nout_bits = 8\ntable_bits = 5\n");
    assert_eq!(e, "softmax.max_len = 131072: must be between 1 and 65536");
    let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 12\nout_bits = 8\ntable_bits = 5\n");
    assert_eq!(e, "softmax.in_bits = 12: must be 8 or 16");
    let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 8\nout_bits = 32\ntable_bits = 5\n");
    assert_eq!(e, "softmax.out_bits = 32: must be 8 or 16");
    let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 8\nout_bits = 8\ntable_bits = 11\n");
    assert_eq!(e, "softmax.table_bits = 11: must be between 2 and 10");
    let e = softmax_err("lanes = 16\nmax_len = 64\nin_bits = 8\nout_bits = 8\ntable_bits = 5\nlane = 3\n");
    assert!(e.contains("unknown field `lane`"), "{e}");
}

const DMA_OK: &str = "[dma]\ndata_bits = 64\naddr_bits = 64\nmax_burst = 16\nmax_outstanding = 4\n\
                      queue_depth = 2\nid_bits = 1\ntable_entries = 64\n";

#[test]
fn dma_section_defaults_and_parses() {
    let c = Config::from_toml_str(GOOD, "t").unwrap();
    assert_eq!(c.dma, DmaConfig::default());
    let c = Config::from_toml_str(&format!("{GOOD}{DMA_OK}"), "t").unwrap();
    assert_eq!(c.dma.data_bytes(), 8);
    assert_eq!(c.dma.addr_bits, 64);
}

#[test]
fn dma_ranges_name_the_field() {
    let base = DmaConfig::default();
    let cases: Vec<(DmaConfig, &str)> = vec![
        (DmaConfig { data_bits: 96, ..base }, "dma.data_bits = 96: must be a power of two between 64 and 512"),
        (DmaConfig { data_bits: 1024, ..base }, "dma.data_bits = 1024: must be a power of two between 64 and 512"),
        (DmaConfig { addr_bits: 48, ..base }, "dma.addr_bits = 48: must be 32 or 64"),
        (DmaConfig { max_burst: 0, ..base }, "dma.max_burst = 0: must be between 1 and 256"),
        (DmaConfig { max_burst: 257, ..base }, "dma.max_burst = 257: must be between 1 and 256"),
        (DmaConfig { max_outstanding: 65, ..base }, "dma.max_outstanding = 65: must be between 1 and 64"),
        (DmaConfig { queue_depth: 1, ..base }, "dma.queue_depth = 1: must be between 2 and 256"),
        (DmaConfig { id_bits: 0, ..base }, "dma.id_bits = 0: must be between 1 and 16"),
        (
            DmaConfig { table_entries: 100, ..base },
            "dma.table_entries = 100: must be a power of two between 2 and 2048",
        ),
    ];
    for (cfg, msg) in cases {
        assert_eq!(cfg.validate().unwrap_err().to_string(), msg);
    }
    let e = err(&format!("{GOOD}{}", DMA_OK.replace("data_bits = 64", "data_bits = 100")));
    assert_eq!(e, "dma.data_bits = 100: must be a power of two between 64 and 512");
}

fn parse(text: &str) -> Config {
    Config::from_toml_str(text, "t").unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

#[test]
fn softmax_section_may_be_partial() {
    let d = SoftmaxConfig::default();
    assert_eq!(parse(&format!("{GOOD}[softmax]\n")).softmax, d);
    assert_eq!(parse(&format!("{GOOD}[softmax]\nlanes = 4\n")).softmax, SoftmaxConfig { lanes: 4, ..d });
    assert_eq!(
        parse(&format!("{GOOD}[softmax]\nout_bits = 16\ntable_bits = 8\n")).softmax,
        SoftmaxConfig { out_bits: 16, table_bits: 8, ..d }
    );
    // A defaulted field is validated like a written one, against the fields given.
    assert_eq!(softmax_err("lanes = 3\n"), "softmax.max_len = 4096: must be a multiple of softmax.lanes = 3");
    assert_eq!(softmax_err("in_bits = 12\n"), "softmax.in_bits = 12: must be 8 or 16");
    let e = softmax_err("lane = 4\n");
    assert!(e.contains("unknown field `lane`"), "{e}");
}

#[test]
fn dma_section_may_be_partial() {
    let d = DmaConfig::default();
    assert_eq!(parse(&format!("{GOOD}[dma]\n")).dma, d);
    assert_eq!(parse(&format!("{GOOD}[dma]\ndata_bits = 64\n")).dma, DmaConfig { data_bits: 64, ..d });
    assert_eq!(
        parse(&format!("{GOOD}[dma]\naddr_bits = 64\nmax_outstanding = 32\n")).dma,
        DmaConfig { addr_bits: 64, max_outstanding: 32, ..d }
    );
    assert_eq!(
        err(&format!("{GOOD}[dma]\ntable_entries = 100\n")),
        "dma.table_entries = 100: must be a power of two between 2 and 2048"
    );
    let e = err(&format!("{GOOD}[dma]\ndata_bits = 64\ndatabits = 64\n"));
    assert!(e.contains("unknown field `databits`"), "{e}");
}

#[test]
fn systolic_requant_is_optional_and_the_rest_is_required() {
    assert!(parse(GOOD).systolic.requant);
    assert!(!parse(&format!("{GOOD}requant = false\n")).systolic.requant);
    let e = err(&GOOD.replace("rows = 16\n", ""));
    assert!(e.contains("missing field `rows`"), "{e}");
}

/// The defaults, written out: the README's Configuration section states
/// these, so changing one must change the README too.
#[test]
fn defaults_are_the_documented_values() {
    assert_eq!(
        SoftmaxConfig::default(),
        SoftmaxConfig { lanes: 16, max_len: 4096, in_bits: 8, out_bits: 8, table_bits: 5 }
    );
    assert_eq!(
        DmaConfig::default(),
        DmaConfig {
            data_bits: 128,
            addr_bits: 32,
            max_burst: 256,
            max_outstanding: 8,
            queue_depth: 8,
            id_bits: 4,
            table_entries: 256,
        }
    );
    // The README's example configuration writes the optional sections
    // out at their defaults; it must parse and agree with them.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = &readme[readme.find("### Configuration").expect("README has a Configuration section")..];
    let start = section.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let c = parse(example);
    assert_eq!((c.softmax, c.dma, c.systolic.requant), (SoftmaxConfig::default(), DmaConfig::default(), true));
    assert_eq!(c.core, Some(CoreConfig::default()));
    assert_eq!(CoreConfig::default(), CoreConfig { spad_kib: 256, spad_banks: 8, in_flight: 32 });
}

#[test]
fn core_section_is_optional_partial_and_validated() {
    assert_eq!(parse(GOOD).core, None);
    assert_eq!(parse(&format!("{GOOD}[core]\n")).core, Some(CoreConfig::default()));
    assert_eq!(
        parse(&format!("{GOOD}[core]\nspad_kib = 16\n")).core,
        Some(CoreConfig { spad_kib: 16, ..CoreConfig::default() })
    );
    let core = |section: &str| err(&format!("{GOOD}[core]\n{section}"));
    assert_eq!(core("spad_kib = 0\n"), "core.spad_kib = 0: must be a power of two between 4 and 4096");
    assert_eq!(core("spad_kib = 8192\n"), "core.spad_kib = 8192: must be a power of two between 4 and 4096");
    assert_eq!(core("spad_kib = 48\n"), "core.spad_kib = 48: must be a power of two between 4 and 4096");
    assert_eq!(core("spad_banks = 1\n"), "core.spad_banks = 1: must be a power of two between 2 and 32");
    assert_eq!(core("spad_banks = 12\n"), "core.spad_banks = 12: must be a power of two between 2 and 32");
    assert_eq!(
        core("spad_kib = 4\nspad_banks = 32\n"),
        "core.spad_banks = 32: must be at most 16 (banks of at least 16 lines: core.spad_kib = 4 holds 256 lines \
         of 16 bytes)"
    );
    assert!(parse(&format!("{GOOD}[core]\nspad_kib = 4\nspad_banks = 16\n")).core.is_some());
    assert_eq!(core("in_flight = 6\n"), "core.in_flight = 6: must be a power of two between 4 and 64");
    assert_eq!(core("in_flight = 128\n"), "core.in_flight = 128: must be a power of two between 4 and 64");
    let e = core("spad_kb = 4\n");
    assert!(e.contains("unknown field `spad_kb`"), "{e}");
}

#[test]
fn core_ties_the_blocks_to_its_line() {
    // GOOD has 16-byte lines (the default DMA): rows 16 and cols 8 divide them.
    let with_core = |text: &str| err(&format!("{text}[core]\n"));
    assert_eq!(
        with_core(&GOOD.replace("rows = 16", "rows = 32")),
        "systolic.rows = 32: must be a divisor of the core's line of 16 bytes (dma.data_bits / 8) in a \
         configuration with [core]"
    );
    assert_eq!(
        with_core(&GOOD.replace("cols = 8", "cols = 3")),
        "systolic.cols = 3: must be a divisor of the core's line of 16 bytes (dma.data_bits / 8) in a \
         configuration with [core]"
    );
    // The same tile without a core is fine.
    parse(&GOOD.replace("rows = 16", "rows = 32"));
    assert_eq!(
        with_core(&format!("{GOOD}[softmax]\nin_bits = 16\n")),
        "softmax.lanes * softmax.in_bits / 8 = 32: must be a divisor of the core's line of 16 bytes \
         (dma.data_bits / 8) in a configuration with [core]"
    );
    assert_eq!(
        with_core(&format!("{GOOD}[softmax]\nlanes = 8\nout_bits = 16\n[dma]\ndata_bits = 64\n")),
        "systolic.rows = 16: must be a divisor of the core's line of 8 bytes (dma.data_bits / 8) in a \
         configuration with [core]"
    );
    let small = GOOD.replace("rows = 16", "rows = 4").replace("cols = 8", "cols = 4");
    assert_eq!(
        with_core(&format!("{small}[softmax]\nlanes = 8\nout_bits = 16\n[dma]\ndata_bits = 64\n")),
        "softmax.lanes * softmax.out_bits / 8 = 16: must be a divisor of the core's line of 8 bytes \
         (dma.data_bits / 8) in a configuration with [core]"
    );
}

/// Every preset has a core, with the sizes its comments give.
#[test]
fn presets_have_a_core() {
    for (name, kib, banks) in [("default", 256, 8), ("large", 1024, 16), ("tiny", 8, 4)] {
        let path = format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let c = Config::from_file(Path::new(&path)).unwrap();
        let in_flight = if name == "default" { 64 } else { CoreConfig::default().in_flight };
        assert_eq!(c.core, Some(CoreConfig { spad_kib: kib, spad_banks: banks, in_flight }), "{name}");
    }
}

#[test]
fn malformed_toml_is_an_error() {
    let e = err(&GOOD.replace("[systolic]", "[systolic"));
    assert!(e.starts_with("invalid config x.toml"), "{e}");
    let e = err(&GOOD.replace("rows = 16", "rows = -3"));
    assert!(e.contains("rows"), "{e}");
}
