//! Rendering the results file into the README's Markdown tables, and the
//! number formats they use.

use serde_json::{json, Value};

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

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

/// An integer with thousands separators, or "—".
fn int(v: &Value) -> String {
    match num(v) {
        Some(x) => {
            let n = x.round() as i64;
            let sign = if n < 0 { "-" } else { "" };
            format!("{sign}{}", thousands(n.unsigned_abs()))
        }
        None => "—".into(),
    }
}

fn fixed(v: &Value, digits: usize) -> String {
    num(v).map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "—".into())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// The area totals of top `top` in an `area --json` result.
fn top_totals<'a>(area: &'a Value, top: &str) -> &'a Value {
    area["tops"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["top"] == top))
        .map(|t| &t["totals"])
        .unwrap_or(&Value::Null)
}

pub fn render(r: &Value) -> String {
    let mut s = String::new();
    let empty = serde_json::Map::new();
    let presets = r["presets"].as_object().unwrap_or(&empty);
    s += &format!("Measured by `make report` ({}).\n\n", text(&r["generator"]));

    s += "**Cycles** (`serrano sim gemm --m M --k 256 --n 256`, `serrano sim softmax --rows 16`; exact)\n\n";
    s += "| preset | array | GEMM 256³ cycles | utilization | M = 1 utilization | softmax lanes | elements/cycle |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- |\n";
    for (name, p) in presets {
        s += &format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            text(&p["gemm_256"]["array"]),
            int(&p["gemm_256"]["cycles"]),
            fixed(&p["gemm_256"]["utilization"], 4),
            fixed(&p["gemm_decode"]["utilization"], 4),
            text(&p["softmax"]["lanes"]),
            fixed(&p["softmax"]["sustained_elements_per_cycle"], 2),
        );
    }

    s += "\n**Area** (`serrano area --target generic|xilinx|ice40`; Yosys; transistors exclude flip-flops and \
          memories, see `docs/area.md`)\n\n";
    s += "| preset | top | transistors | flip-flops | memory bits | Xilinx LUT | FF | DSP48E1 | BRAM36 | iCE40 LUT4 | SB_MAC16 | SB_RAM40_4K |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (name, p) in presets {
        let g = &p["area"]["generic"];
        for t in g["tops"].as_array().map(|v| v.as_slice()).unwrap_or(&[]) {
            let top = t["top"].as_str().unwrap_or("");
            let (x, i) = (top_totals(&p["area"]["xilinx"], top), top_totals(&p["area"]["ice40"], top));
            let mem: Value = t["blocks"]
                .as_array()
                .map(|bs| bs.iter().filter_map(|b| b["memory_bits"].as_f64()).sum::<f64>().into())
                .unwrap_or(Value::Null);
            s += &format!(
                "| {name} | `{top}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                int(&t["totals"]["transistors"]),
                int(&t["totals"]["ff"]),
                int(if t["totals"]["memory_bits"].is_null() { &mem } else { &t["totals"]["memory_bits"] }),
                int(&x["lut"]),
                int(&x["ff"]),
                int(&x["dsp"]),
                fixed(&x["bram"], 1),
                int(&i["lut"]),
                int(&i["dsp"]),
                int(&i["bram"]),
            );
        }
    }
    if let Some((name, p)) = presets.iter().find(|(_, p)| !p["area"]["generic"]["pe_reference"].is_null()) {
        let pr = &p["area"]["generic"]["pe_reference"];
        s += &format!(
            "\nThe PE against a plain hand-written int8 MAC cell with the same registers, same script ({name}): \
             {} against {} transistors (ratio {}).\n",
            int(&pr["pe_transistors"]),
            int(&pr["reference_transistors"]),
            fixed(&pr["ratio"], 3),
        );
    }

    if let Some(fpga) = r["fpga"].as_array().filter(|f| !f.is_empty()) {
        s += "\n**FPGA** (`serrano fpga --preset P --device D`; Yosys `synth_ice40`, nextpnr-ice40, icepack)\n\n";
        s += "| source | device | LCs used | LUT4 | BRAM | DSP | Fmax (best seed) | Fmax per seed | critical path |\n";
        s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
        for f in fpga {
            let common = format!(
                "| {} | {} | {} | {} | {} | {} |",
                text(&f["source"]),
                text(&f["device"]),
                lcs(&f["lc"]),
                int(&f["lut"]),
                int(&f["bram"]),
                int(&f["dsp"]),
            );
            if f["fits"] == json!(false) {
                s += &format!("{common} {} | — | — |\n", text(&f["error"]));
                continue;
            }
            let seeds: Vec<String> = f["seeds"]
                .as_array()
                .map(|v| v.iter().map(|x| format!("{}: {}", text(&x["seed"]), fixed(&x["fmax_mhz"], 1))).collect())
                .unwrap_or_default();
            s += &format!(
                "{common} {} MHz (seed {}) | {} | {} |\n",
                fixed(&f["fmax_mhz"], 1),
                text(&f["seed"]),
                if seeds.is_empty() { "—".into() } else { seeds.join(", ") },
                critical_path(&f["critical_path"]),
            );
        }
    }
    s
}

/// `used / total (percent %)` from `serrano fpga`'s `{used, total, percent}`.
fn lcs(v: &Value) -> String {
    match (num(&v["used"]), num(&v["total"])) {
        (Some(u), Some(t)) => format!("{} / {} ({:.0} %)", int(&v["used"]), int(&v["total"]), 100.0 * u / t),
        _ => "—".into(),
    }
}

fn critical_path(c: &Value) -> String {
    if c.is_null() {
        return "—".into();
    }
    let mut s = format!("`{}` → `{}`", text(&c["start"]), text(&c["end"]));
    if let Some(d) = num(&c["total_ns"]) {
        s += &format!(", {d:.2} ns");
    }
    if let Some(l) = num(&c["logic_levels"]) {
        s += &format!(", {l} logic levels");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_with_separators_and_missing_values_as_a_dash() {
        assert_eq!(thousands(8434), "8,434");
        assert_eq!(thousands(123), "123");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(int(&json!(65590)), "65,590");
        assert_eq!(int(&json!(-1234567)), "-1,234,567");
        assert_eq!(int(&json!(999)), "999");
        assert_eq!(int(&Value::Null), "—");
        assert_eq!(fixed(&json!(0.99921), 4), "0.9992");
    }

    #[test]
    fn render_reads_every_figure_from_the_results() {
        let r = json!({
            "generator": "serrano 0.1.0",
            "presets": { "tiny": {
                "gemm_256": { "array": "4x4", "cycles": 1048594, "utilization": 1.0 },
                "gemm_decode": { "utilization": 0.0833 },
                "softmax": { "lanes": 4, "sustained_elements_per_cycle": 4.0 },
                "area": {
                    "generic": { "tops": [ { "top": "t", "totals": { "transistors": 123456, "ff": 789 },
                                             "blocks": [ { "memory_bits": 1024 }, { "memory_bits": 1024 } ] } ],
                                 "pe_reference": { "pe_transistors": 5000, "reference_transistors": 9000, "ratio": 0.5556 } },
                    "xilinx": { "tops": [ { "top": "t", "totals": { "lut": 10, "ff": 20, "dsp": 16, "bram": 2.5 } } ] },
                    "ice40": { "tops": [ { "top": "t", "totals": { "lut": 3000, "dsp": 0, "bram": 8 } } ] } } } },
            "fpga": [ { "source": "preset tiny", "device": "hx8k", "lc": { "used": 5000, "total": 7680 }, "lut": 4500, "bram": 8, "dsp": 0,
                        "fmax_mhz": 95.25, "seed": 2, "seeds": [ { "seed": 1, "fmax_mhz": 91.0 }, { "seed": 2, "fmax_mhz": 95.25 } ],
                        "critical_path": { "start": "a", "end": "b", "total_ns": 10.5, "logic_levels": 12 } } ]
        });
        let t = render(&r);
        for want in [
            "| tiny | 4x4 | 1,048,594 | 1.0000 | 0.0833 | 4 | 4.00 |",
            "| tiny | `t` | 123,456 | 789 | 2,048 | 10 | 20 | 16 | 2.5 | 3,000 | 0 | 8 |",
            "5,000 against 9,000 transistors (ratio 0.556)",
            "| preset tiny | hx8k | 5,000 / 7,680 (65 %) | 4,500 | 8 | 0 | 95.2 MHz (seed 2) | 1: 91.0, 2: 95.2 | `a` → `b`, 10.50 ns, 12 logic levels |",
        ] {
            assert!(t.contains(want), "missing {want:?} in:\n{t}");
        }
    }
}
