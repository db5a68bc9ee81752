//! Rendering the results file into the README's Markdown tables, and the
//! number formats they use.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::area::table::AreaJson;
use crate::fpga::table::{CriticalPathJson, FpgaJson, UsageJson};
use serde::Deserialize;

use crate::sim::results::{CoreGemmJson, GemmJson, SoftmaxJson};

/// 12345 -> "12,345".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `--` for a figure a result does not have, else the figure with separators.
fn opt_int(v: Option<u64>) -> String {
    v.map(thousands).unwrap_or_else(|| "—".into())
}

fn opt_fixed(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "—".into())
}

/// Read section `what` of the results as `T`: a missing or misspelt field
/// is an error naming the section and the field.
fn section<T: DeserializeOwned>(v: &Value, what: &str) -> Result<T, String> {
    T::deserialize(v).map_err(|e| format!("{what}: {e}"))
}

/// One preset's sections of the results: the two GEMM runs, the softmax
/// run and the three `serrano area` results.
struct Preset {
    gemm_256: GemmJson,
    gemm_decode: GemmJson,
    /// M = the array's rows: small-batch decode.
    gemm_small: GemmJson,
    softmax: SoftmaxJson,
    area: Areas,
    /// GEMMs from DRAM through the core.
    core_gemm: Vec<CoreGemmJson>,
    core_blocks: CoreBlocks,
}

/// The core's area by block (`measure::core_blocks`).
#[derive(Deserialize)]
struct CoreBlocks {
    top: String,
    total_transistors: u64,
    total_memory_bits: u64,
    blocks: Vec<CoreBlock>,
}

#[derive(Deserialize)]
struct CoreBlock {
    instance: String,
    module: String,
    transistors: u64,
    ff: u64,
    memory_bits: u64,
}

/// One preset's three `serrano area` results.
struct Areas {
    generic: AreaJson,
    xilinx: AreaJson,
    ice40: AreaJson,
}

fn preset(name: &str, p: &Value) -> Result<Preset, String> {
    let at = |t: &str| section::<AreaJson>(&p["area"][t], &format!("presets.{name}.area.{t}"));
    let sim = |k: &str| format!("presets.{name}.{k}");
    Ok(Preset {
        gemm_256: section(&p["gemm_256"], &sim("gemm_256"))?,
        gemm_decode: section(&p["gemm_decode"], &sim("gemm_decode"))?,
        gemm_small: section(&p["gemm_small"], &sim("gemm_small"))?,
        softmax: section(&p["softmax"], &sim("softmax"))?,
        area: Areas { generic: at("generic")?, xilinx: at("xilinx")?, ice40: at("ice40")? },
        core_gemm: section(&p["core_gemm"], &sim("core_gemm"))?,
        core_blocks: section(&p["core_blocks"], &sim("core_blocks"))?,
    })
}

/// The README's tables from the results file `r`; an error names the
/// section and field the file lacks.
pub fn render(r: &Value) -> Result<String, String> {
    let mut s = String::new();
    let generator: String = section(&r["generator"], "generator")?;
    let presets: BTreeMap<String, Value> = section(&r["presets"], "presets")?;
    let presets: Vec<(&String, Preset)> =
        presets.iter().map(|(name, p)| Ok((name, preset(name, p)?))).collect::<Result<_, String>>()?;
    s += &format!("Measured by `make report` ({generator}).\n\n");

    s += "**Cycles** (`serrano sim gemm --m M --k 256 --n 256`, `serrano sim softmax --rows 16`; exact; the \
          weight roofline is folds × rows cycles, the roofline fraction max(MAC, weight roofline) / cycles)\n\n";
    s += "| preset | array | GEMM 256³ cycles | utilization | M = rows utilization | M = rows roofline fraction \
          | M = 1 cycles | M = 1 weight roofline | M = 1 roofline fraction | softmax lanes | elements/cycle |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (name, p) in &presets {
        s += &format!(
            "| {name} | {} | {} | {:.4} | {:.4} | {:.4} | {} | {} | {:.4} | {} | {:.2} |\n",
            p.gemm_256.array,
            thousands(p.gemm_256.cycles),
            p.gemm_256.utilization,
            p.gemm_small.utilization,
            p.gemm_small.roofline_fraction,
            thousands(p.gemm_decode.cycles),
            thousands(p.gemm_decode.weight_roofline_cycles),
            p.gemm_decode.roofline_fraction,
            p.softmax.lanes,
            p.softmax.sustained_elements_per_cycle,
        );
    }

    s += "\n**The core: GEMM from DRAM** (`serrano run gemm --preset P --m N --k N --n N --latency L`; the whole \
          core in Verilator on the AXI memory model, doorbell to the FENCE's interrupt; int32 results; utilization \
          M·K·N / (rows·cols·cycles); DRAM bytes against A + B + C once each)\n\n";
    s += "| preset | M = K = N | latency | cycles | utilization | DRAM bytes (minimum) | bus utilization \
          | busy load | busy tile | busy store | mismatches | violations |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (name, p) in &presets {
        for g in &p.core_gemm {
            s += &format!(
                "| {name} | {} | {} | {} | {:.4} | {} ({}) | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |\n",
                g.m,
                g.latency,
                thousands(g.cycles),
                g.utilization,
                thousands(g.dram_bytes_read + g.dram_bytes_written),
                thousands(g.min_dram_bytes),
                g.bus_utilization,
                g.busy_load,
                g.busy_tile,
                g.busy_store,
                g.mismatches,
                g.violations,
            );
        }
    }
    s += "\n**The core's area by block** (`serrano area --target generic`, each instance of the core top with \
          everything under it; share of the core's transistors and memory bits)\n\n";
    s += "| preset | block | module | transistors | share | flip-flops | memory bits | share |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (name, p) in &presets {
        let c = &p.core_blocks;
        for b in &c.blocks {
            s += &format!(
                "| {name} | `{}` | `{}` | {} | {:.1}% | {} | {} | {:.1}% |\n",
                b.instance,
                b.module,
                thousands(b.transistors),
                100.0 * b.transistors as f64 / c.total_transistors.max(1) as f64,
                thousands(b.ff),
                thousands(b.memory_bits),
                100.0 * b.memory_bits as f64 / c.total_memory_bits.max(1) as f64,
            );
        }
        s += &format!(
            "| {name} | **core** | `{}` | {} | 100% | | {} | 100% |\n",
            c.top,
            thousands(c.total_transistors),
            thousands(c.total_memory_bits)
        );
    }

    let areas: Vec<(&String, &Areas)> = presets.iter().map(|(name, p)| (*name, &p.area)).collect();
    s += "\n**Area** (`serrano area --target generic|xilinx|ice40`; Yosys; transistors exclude flip-flops and \
          memories, see `docs/area.md`)\n\n";
    s += "| preset | top | transistors | flip-flops | memory bits | Xilinx LUT | FF | DSP48E1 | BRAM36 | iCE40 LUT4 | SB_MAC16 | SB_RAM40_4K |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (name, a) in &areas {
        for t in &a.generic.tops {
            let (x, i) = (a.xilinx.top_totals(&t.top), a.ice40.top_totals(&t.top));
            s += &format!(
                "| {name} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                t.top,
                thousands(t.totals.transistors),
                thousands(t.totals.ff),
                thousands(t.totals.memory_bits),
                opt_int(x.and_then(|x| x.lut)),
                opt_int(x.map(|x| x.ff)),
                opt_int(x.and_then(|x| x.dsp)),
                opt_fixed(x.and_then(|x| x.bram), 1),
                opt_int(i.and_then(|i| i.lut)),
                opt_int(i.and_then(|i| i.dsp)),
                opt_int(i.and_then(|i| i.bram).map(|b| b.round() as u64)),
            );
        }
    }
    if let Some((name, pr)) = areas.iter().find_map(|(n, a)| a.generic.pe_reference.as_ref().map(|pr| (n, pr))) {
        s += &format!(
            "\nThe PE against a plain hand-written int8 MAC cell with the same registers, same script ({name}): \
             {} against {} transistors (ratio {:.3}).\n",
            thousands(pr.pe_transistors),
            thousands(pr.reference_transistors),
            pr.ratio,
        );
    }

    let fpga: Vec<FpgaJson> = match &r["fpga"] {
        Value::Null => Vec::new(),
        v => section(v, "fpga")?,
    };
    if let Value::Object(_) = &r["serving"] {
        s += &serving(&r["serving"], &fpga)?;
    }
    if !fpga.is_empty() {
        s += "\n**FPGA** (`serrano fpga --preset P --device D --top T`; iCE40: Yosys `synth_ice40`, nextpnr-ice40, icepack; \
              ECP5: Yosys `synth_ecp5`, nextpnr-ecp5, ecppack)\n\n";
        s += "| source | device | top | logic used (iCE40 LCs, ECP5 LUT4s) | LUT4 | BRAM | DSP | Fmax (best seed) \
              | Fmax per seed | critical path |\n";
        s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
        for f in &fpga {
            s += &fpga_row(f);
        }
    }
    Ok(s)
}

/// The serving table: attention and layer steps on the core, against their rooflines.
fn serving(v: &Value, fpga: &[FpgaJson]) -> Result<String, String> {
    use crate::run::attention::AttentionJson;
    use crate::run::layer::LayerJson;
    let att: Vec<AttentionJson> = section(&v["attention"], "serving.attention")?;
    let layer: Vec<LayerJson> = section(&v["layer"], "serving.layer")?;
    // The best Fmax of a whole core on an FPGA (the default core does not
    // fit one: this is the tiny core's, an indication of an FPGA prototype's clock).
    let fmax = fpga
        .iter()
        .filter(|f| f.fits && f.kind() == "core")
        .filter_map(|f| f.timing.as_ref().map(|t| (t.fmax_mhz, f.source.clone(), f.device.clone())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut s = String::new();
    s += "\n**Serving: attention and a transformer layer on the core** (`serrano run attention|layer --preset \
          default ... --latency 100`; the whole core in Verilator on the AXI memory model, summed over its runs; \
          the roofline is max(bytes that must move / 16 bytes per cycle, MACs / 256 per cycle); the layer's \
          cycles include the host operations' modelled time)\n\n";
    let fcol = match &fmax {
        Some((f, src, dev)) => format!("tokens/s at {f:.1} MHz ({src} on {dev})"),
        None => "tokens/s at an FPGA's Fmax".into(),
    };
    s += &format!(
        "| workload | shape | cycles | roofline cycles | roofline fraction | utilization | busy tile | busy load \
         | tokens/s at 1 GHz | {fcol} | host share | error vs float64 (max / mean LSB) | mismatches |\n"
    );
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    let tps = |tokens: f64, cycles: u64, mhz: f64| tokens * mhz * 1e6 / cycles.max(1) as f64;
    for a in &att {
        let what = if a.mode == "decode" { "attention decode" } else { "attention prefill" };
        let shape = if a.mode == "decode" {
            format!("d {}, context {}, pages of {}, batch {}", a.d_head, a.context, a.page_size, a.batch)
        } else {
            format!("d {}, L {}{}", a.d_head, a.seq, if a.causal { ", causal" } else { "" })
        };
        let (t1, tf) = match a.mode.as_str() {
            "decode" => (
                thousands(tps(a.batch as f64, a.fig.cycles, 1000.0) as u64),
                fmax.as_ref().map_or("—".into(), |f| thousands(tps(a.batch as f64, a.fig.cycles, f.0) as u64)),
            ),
            _ => ("—".into(), "—".into()),
        };
        s += &format!(
            "| {what} | {shape} | {} | {} | {:.4} | {:.4} | {:.3} | {:.3} | {t1} | {tf} | — | {:.2} / {:.2} | {} |\n",
            thousands(a.fig.cycles),
            thousands(a.fig.roofline_cycles),
            a.fig.roofline_fraction,
            a.fig.utilization,
            a.fig.busy_tile,
            a.fig.busy_load,
            a.max_error_lsb,
            a.mean_error_lsb,
            a.fig.mismatches,
        );
    }
    for l in &layer {
        let t = l.tokens as f64;
        s += &format!(
            "| SmolLM2-135M layer {} | context {}, batch {} | {} | {} | {:.4} | {:.4} | {:.3} | {:.3} | {} | {} | {:.4} | — | {} |\n",
            l.mode,
            l.context,
            l.batch,
            thousands(l.fig.cycles),
            thousands(l.fig.roofline_cycles),
            l.fig.roofline_fraction,
            l.fig.utilization,
            l.fig.busy_tile,
            l.fig.busy_load,
            thousands(tps(t, l.fig.cycles, 1000.0) as u64),
            fmax.as_ref().map_or("—".into(), |f| thousands(tps(t, l.fig.cycles, f.0) as u64)),
            l.host_op_share,
            l.fig.mismatches,
        );
    }
    Ok(s)
}

/// One row of the FPGA table.
fn fpga_row(f: &FpgaJson) -> String {
    let common = format!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        f.source,
        f.device,
        f.kind(),
        lcs(f.lc.as_ref()),
        thousands(f.lut),
        thousands(f.bram),
        thousands(f.dsp),
    );
    let Some(t) = f.timing.as_ref().filter(|_| f.fits) else {
        return format!("{common} {} | — | — |\n", f.error.as_deref().unwrap_or("—"));
    };
    let seeds: Vec<String> = t.seeds.iter().map(|x| format!("{}: {:.1}", x.seed, x.fmax_mhz)).collect();
    format!(
        "{common} {:.1} MHz (seed {}) | {} | {} |\n",
        t.fmax_mhz,
        t.seed,
        if seeds.is_empty() { "—".into() } else { seeds.join(", ") },
        critical_path(t.critical_path.as_ref()),
    )
}

/// `used / total (percent %)` from `serrano fpga`'s `{used, total, percent}`.
fn lcs(v: Option<&UsageJson>) -> String {
    match v {
        Some(u) => {
            format!("{} / {} ({:.0} %)", thousands(u.used), thousands(u.total), 100.0 * u.used as f64 / u.total as f64)
        }
        None => "—".into(),
    }
}

fn critical_path(c: Option<&CriticalPathJson>) -> String {
    match c {
        None => "—".into(),
        Some(c) => format!("`{}` → `{}`, {:.2} ns, {} logic levels", c.start, c.end, c.total_ns, c.logic_levels),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_render_with_separators() {
        assert_eq!(thousands(8434), "8,434");
        assert_eq!(thousands(123), "123");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(opt_int(None), "—");
        assert_eq!(opt_fixed(Some(0.99921), 4), "0.9992");
    }

    /// The committed results file.
    fn committed() -> Value {
        serde_json::from_str(include_str!("../../../docs/results.json")).unwrap()
    }

    #[test]
    fn render_reads_every_figure_from_the_typed_results() {
        let t = render(&committed()).unwrap();
        for want in [
            "| source | device | top | logic used (iCE40 LCs, ECP5 LUT4s) |",
            "| tiny | `serrano_tile_",
            "The PE against a plain",
            "**The core: GEMM from DRAM**",
            "| default | 256 | 100 |",
            "| default | `u_compute` |",
        ] {
            assert!(t.contains(want), "missing {want:?} in:\n{t}");
        }
    }

    #[test]
    fn a_missing_or_misspelt_field_is_an_error_naming_it() {
        let mut r = committed();
        let x = r["presets"]["tiny"]["area"]["xilinx"]["tops"][0]["totals"].as_object_mut().unwrap();
        let lut = x.remove("lut").unwrap();
        x.insert("lutt".into(), lut);
        let e = render(&r).unwrap_err();
        assert!(e.contains("presets.tiny.area.xilinx") && e.contains("missing field `lut`"), "{e}");

        let mut r = committed();
        r["fpga"][0].as_object_mut().unwrap().remove("fmax_mhz");
        let e = render(&r).unwrap_err();
        assert!(e.starts_with("fpga") && e.contains("missing field `fmax_mhz`"), "{e}");

        let mut r = committed();
        r["presets"]["tiny"]["area"]["generic"].as_object_mut().unwrap().remove("pe_reference");
        assert!(render(&r).unwrap_err().contains("missing field `pe_reference`"));

        // The simulation sections: a misspelt key, a missing nullable key.
        let mut r = committed();
        let g = r["presets"]["large"]["gemm_256"].as_object_mut().unwrap();
        let u = g.remove("utilization").unwrap();
        g.insert("utilisation".into(), u);
        let e = render(&r).unwrap_err();
        assert!(e.contains("presets.large.gemm_256") && e.contains("missing field `utilization`"), "{e}");
        let mut r = committed();
        r["presets"]["default"]["core_gemm"][0].as_object_mut().unwrap().remove("violations");
        let e = render(&r).unwrap_err();
        assert!(e.contains("presets.default.core_gemm") && e.contains("missing field `violations`"), "{e}");
        let mut r = committed();
        r["presets"]["default"]["softmax"].as_object_mut().unwrap().remove("x_seed");
        let e = render(&r).unwrap_err();
        assert!(e.contains("presets.default.softmax") && e.contains("missing field `x_seed`"), "{e}");
        let mut r = committed();
        r["presets"]["tiny"].as_object_mut().unwrap().remove("gemm_decode");
        assert!(render(&r).unwrap_err().starts_with("presets.tiny.gemm_decode"));
    }

    /// The simulation sections of the committed results round-trip through
    /// the typed results, and a GEMM result without the roofline figures is
    /// an error naming the key.
    #[test]
    fn simulation_sections_round_trip() {
        let r = committed();
        for (name, p) in r["presets"].as_object().unwrap() {
            for k in ["gemm_256", "gemm_decode", "gemm_small"] {
                let g: GemmJson = section(&p[k], k).unwrap();
                assert!(g.weight_roofline_cycles > 0 && g.roofline_fraction > 0.0, "{name} {k}");
                assert_eq!(&serde_json::to_value(&g).unwrap(), &p[k], "{name} {k}");
            }
            let sm: SoftmaxJson = section(&p["softmax"], "softmax").unwrap();
            assert_eq!(&serde_json::to_value(&sm).unwrap(), &p["softmax"], "{name} softmax");
        }
        let mut v = r["presets"]["tiny"]["gemm_256"].clone();
        v.as_object_mut().unwrap().remove("roofline_fraction");
        let e = section::<GemmJson>(&v, "gemm").unwrap_err();
        assert!(e.contains("roofline_fraction"), "{e}");
    }

    /// Every `area` and `fpga` section of the committed results, read into
    /// the typed results and written back, is the same JSON: the structs
    /// keep every key and value.
    #[test]
    fn typed_results_round_trip_the_committed_sections() {
        let r = committed();
        let mut n = 0;
        for (name, p) in r["presets"].as_object().unwrap() {
            for t in ["generic", "xilinx", "ice40"] {
                let v = &p["area"][t];
                let a: AreaJson = section(v, t).unwrap();
                assert_eq!(&serde_json::to_value(&a).unwrap(), v, "{name} {t}");
                n += 1;
            }
        }
        for v in r["fpga"].as_array().unwrap() {
            let f: FpgaJson = section(v, "fpga").unwrap();
            assert_eq!(&serde_json::to_value(&f).unwrap(), v);
            n += 1;
        }
        assert!(n >= 4);
    }

    #[test]
    fn an_fpga_result_that_does_not_fit_needs_its_error() {
        let mut v = committed()["fpga"][0].clone();
        for k in ["fmax_mhz", "seed", "timing_pass", "seeds", "critical_path", "bitstream"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v["fits"] = json!(false);
        assert!(section::<FpgaJson>(&v, "fpga").unwrap_err().contains("missing field `error`"));
        v["error"] = json!("does not fit");
        let f: FpgaJson = section(&v, "fpga").unwrap();
        assert_eq!(serde_json::to_value(&f).unwrap(), v);
        assert!(fpga_row(&f).contains("does not fit | — | — |"));
    }

    /// Results written before `--top core` have no `top`: they all measured
    /// the tile. A result with `top` and the measured harness round-trips.
    #[test]
    fn an_fpga_result_without_top_is_the_tile() {
        // A result as written before `top` and the measured harness.
        let mut old = committed()["fpga"][0].clone();
        old.as_object_mut().unwrap().remove("top");
        for k in ["io_pins", "lut", "ff", "carry", "added_source"] {
            old["wrapper"].as_object_mut().unwrap().remove(k);
        }
        let f: FpgaJson = section(&old, "fpga").unwrap();
        assert_eq!(f.kind(), "tile");
        let source = format!("| {} | {} | tile |", f.source, f.device);
        assert!(fpga_row(&f).starts_with(&source), "{}", fpga_row(&f));

        let mut new = old.clone();
        new["top"] = json!("core");
        for (k, v) in [("io_pins", json!(18)), ("lut", json!(302)), ("ff", json!(645)), ("carry", json!(0))] {
            new["wrapper"][k] = v;
        }
        new["wrapper"]["added_source"] = json!("cells of the board top with the DUT a black box");
        let f: FpgaJson = section(&new, "fpga").unwrap();
        assert_eq!(f.kind(), "core");
        assert_eq!(f.wrapper.ff, Some(645));
        assert_eq!(serde_json::to_value(&f).unwrap(), new);
        let source = format!("| {} | {} | core |", f.source, f.device);
        assert!(fpga_row(&f).starts_with(&source), "{}", fpga_row(&f));
    }
}
