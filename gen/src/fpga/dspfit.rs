//! Fitting a design's multipliers to the device's DSPs: which `$mul` cells
//! stay in DSPs (SB_MAC16, MULT18X18D) and which go to LUTs when the design
//! needs more DSPs than the device has.
//!
//! The design is elaborated and flattened once ([`prep_script`]) and saved as
//! a checkpoint, so the cell names the selection lists are the names the
//! synthesis script marks: nothing is elaborated twice. [`choose`] keeps in
//! DSPs the multipliers that would cost the most LUTs per DSP they take; the
//! others are typed `$__soft_mul`, the type synth_ice40 and synth_ecp5 give a
//! multiplier their DSP mapping must pass by (turned back into `$mul` right
//! after it, so it becomes LUT logic).

use anyhow::{anyhow, bail, Context, Result};

use super::device::Family;

/// The checkpoint the fitting synthesis starts from (Yosys RTLIL).
pub const CHECKPOINT: &str = "muls.il";
/// The listing of the checkpoint's `$mul` cells (Yosys `dump`).
pub const LISTING: &str = "muls.txt";

/// One `$mul` cell of the flattened design, with its widths after `wreduce`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mul {
    /// The cell's name in the top module, as Yosys prints it.
    pub name: String,
    pub a: u32,
    pub b: u32,
    pub y: u32,
    pub a_signed: bool,
    pub b_signed: bool,
}

/// How a family's synthesis cuts a `$mul` into DSP blocks: the `DSP_*`
/// parameters synth_ice40 and synth_ecp5 give Yosys's `mul2dsp` techmap.
/// Neither sets `DSP_SIGNEDONLY`, so signedness never costs a bit of
/// headroom and does not change the count.
#[derive(Clone, Copy, Debug)]
pub struct DspShape {
    pub max_a: u32,
    pub max_b: u32,
    pub min_a: u32,
    pub min_b: u32,
    pub min_y: u32,
}

pub fn shape(family: Family) -> DspShape {
    match family {
        // SB_MAC16: 16 x 16; products narrower than 11 bits stay in LUTs.
        Family::Ice40 => DspShape { max_a: 16, max_b: 16, min_a: 2, min_b: 2, min_y: 11 },
        // MULT18X18D: 18 x 18.
        Family::Ecp5 => DspShape { max_a: 18, max_b: 18, min_a: 2, min_b: 2, min_y: 0 },
    }
}

/// DSP blocks one multiplier takes, as `mul2dsp` cuts it: the wider operand
/// first, A in slices of `max_a` (then each slice's B in slices of
/// `max_b`); a slice below the minimum widths stays in LUTs, and a partial
/// product shifted wholly above the result's width is optimised away (a
/// 32 x 32 multiply truncated to 32 bits takes 3 MULT18X18D, not 4).
pub fn dsps(m: &Mul, s: &DspShape) -> u64 {
    let (a, b) = if m.a < m.b { (m.b, m.a) } else { (m.a, m.b) };
    leaves(a, b, m.y, 0, m.y, s)
}

/// The DSP leaves of one (partial) product `a` x `b` to `y` bits placed
/// `shift` bits up in a result of `y_top` bits.
fn leaves(a: u32, b: u32, y: u32, shift: u32, y_top: u32, s: &DspShape) -> u64 {
    if shift >= y_top || a < s.min_a || b < s.min_b || y < s.min_y {
        return 0;
    }
    let split = |w: u32, max: u32| {
        let n = (w - 1) / max;
        (n, w - n * max)
    };
    if a > s.max_a {
        let (n, last) = split(a, s.max_a);
        let part_y = y.min(b + s.max_a);
        let full: u64 = (0..n).map(|i| leaves(s.max_a, b, part_y, shift + i * s.max_a, y_top, s)).sum();
        full + leaves(last, b, b + last, shift + n * s.max_a, y_top, s)
    } else if b > s.max_b {
        let (n, last) = split(b, s.max_b);
        let part_y = y.min(a + s.max_b);
        let full: u64 = (0..n).map(|i| leaves(a, s.max_b, part_y, shift + i * s.max_b, y_top, s)).sum();
        full + leaves(a, last, a + last, shift + n * s.max_b, y_top, s)
    } else {
        1
    }
}

/// What a multiplier costs in logic, up to a factor: its partial-product
/// bits. Only the ranking matters, and it holds: synth_ecp5 -nodsp (Yosys
/// 0.23) maps a registered 8 x 8 to 277 LUT4, 20 x 10 to 864, 18 x 18 to
/// 1,736 (4 to 6 per bit, plus a short carry chain).
fn lut_cost(m: &Mul) -> u64 {
    u64::from(m.a) * u64::from(m.b)
}

/// Which multipliers keep their DSPs.
#[derive(Debug, PartialEq, Eq)]
pub struct Choice {
    /// Kept in DSPs, and the DSPs they take by the model.
    pub hard: Vec<String>,
    pub hard_dsps: u64,
    /// Marked `$__soft_mul`: mapped to LUTs.
    pub soft: Vec<String>,
    /// Too small for a DSP: in LUTs whatever the budget.
    pub small: usize,
}

/// Greedy: the multipliers that save the most LUTs per DSP keep theirs
/// while `budget` DSPs last; one that does not fit what is left goes to
/// LUTs, and a smaller one after it may still fit. Ties go by name, so the
/// choice is deterministic (the first names keep their DSPs). On the tiny
/// core and the LFE5U-25F (52 MULT18X18D needed, 28 there) this moves the
/// 16 PEs, 2 of the 8 exp2 and the decoder's 3 multipliers to LUTs: 22,598
/// LUT4, against 25,550 with the softmax's wide multipliers moved instead
/// and 31,144 with no DSP at all (Yosys 0.23).
pub fn choose(muls: &[Mul], s: &DspShape, budget: u64) -> Choice {
    let mut cands: Vec<(&Mul, u64, u64)> = muls.iter().map(|m| (m, dsps(m, s), lut_cost(m))).collect();
    let small = cands.iter().filter(|c| c.1 == 0).count();
    cands.retain(|c| c.1 > 0);
    // lut/dsp descending, compared without division.
    cands.sort_by(|x, y| {
        (u128::from(y.2) * u128::from(x.1)).cmp(&(u128::from(x.2) * u128::from(y.1))).then(x.0.name.cmp(&y.0.name))
    });
    let mut left = budget;
    let mut c = Choice { hard: Vec::new(), hard_dsps: 0, soft: Vec::new(), small };
    for (m, d, _) in cands {
        if d <= left {
            left -= d;
            c.hard_dsps += d;
            c.hard.push(m.name.clone());
        } else {
            c.soft.push(m.name.clone());
        }
    }
    c
}

/// The Yosys script that elaborates and flattens `top` from `files`
/// (`proc; flatten`, as synthesis starts) and saves it as [`CHECKPOINT`],
/// then narrows every operator (`opt -fast; wreduce`) and lists its `$mul`
/// cells with their real widths in [`LISTING`]. The checkpoint is saved
/// before the narrowing: synthesis must run its own passes in its own order
/// (run first, they cost the tiny core 4,555 more LUT4 on the LFE5U-25F,
/// 22,543 against 17,988, all 52 multipliers in MULT18X18D). Neither pass renames a multiplier, so the
/// listing's names are the checkpoint's.
pub fn prep_script(files: &[String], top: &str) -> String {
    let mut s: String = files.iter().map(|f| format!("read_verilog {f}\n")).collect();
    // flatten leaves the submodules in the design; only the top is synthesized.
    s += &format!("hierarchy -check -top {top}\nproc\nflatten\nhierarchy -top {top}\nwrite_rtlil {CHECKPOINT}\n");
    s += &format!("opt -fast\nwreduce\ntee -q -o {LISTING} dump {top}/t:$mul\n");
    s
}

/// Script lines, after reading [`CHECKPOINT`], that type the cells `soft`
/// of `top` `$__soft_mul`, each checked to name exactly one cell.
pub fn soft_lines(top: &str, soft: &[String]) -> String {
    let mut s = String::new();
    for name in soft {
        let sel = format!("{top}/{}", pattern(name));
        s += &format!("select -assert-count 1 {sel}\nchtype -set $__soft_mul {sel}\n");
    }
    s
}

/// A cell name as a Yosys selection pattern: the pattern characters
/// (`*`, `?`, `[`) and the escape itself are escaped with a backslash.
fn pattern(name: &str) -> String {
    let mut p = String::with_capacity(name.len() + 8);
    for ch in name.chars() {
        if matches!(ch, '\\' | '*' | '?' | '[') {
            p.push('\\');
        }
        p.push(ch);
    }
    p
}

/// The `$mul` cells of a Yosys `dump` (RTLIL text): `cell $mul NAME`, its
/// `parameter` lines, `end`.
pub fn parse_listing(text: &str) -> Result<Vec<Mul>> {
    let mut muls = Vec::new();
    let mut cur: Option<(String, [Option<u32>; 5])> = None;
    const PARAMS: [&str; 5] = ["\\A_WIDTH", "\\B_WIDTH", "\\Y_WIDTH", "\\A_SIGNED", "\\B_SIGNED"];
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match (w.as_slice(), cur.as_mut()) {
            (["cell", "$mul", name], None) => {
                // A name the script cannot quote (Yosys never makes one) is refused here, not misread later.
                if name.contains([';', '#', '"']) {
                    bail!("multiplier cell {name}: its name cannot be selected in a Yosys script");
                }
                cur = Some((name.to_string(), [None; 5]));
            }
            (["parameter", p, v], Some((name, vals))) => {
                if let Some(i) = PARAMS.iter().position(|x| x == p) {
                    vals[i] = Some(param(v).with_context(|| format!("cell {name}: parameter {p} {v}"))?);
                }
            }
            (["end"], Some(_)) => {
                let (name, v) = cur.take().unwrap_or_default();
                let get = |i: usize| v[i].ok_or_else(|| anyhow!("cell {name}: no {} in the listing", PARAMS[i]));
                muls.push(Mul {
                    a: get(0)?,
                    b: get(1)?,
                    y: get(2)?,
                    a_signed: get(3)? != 0,
                    b_signed: get(4)? != 0,
                    name,
                });
            }
            _ => {}
        }
    }
    if let Some((name, _)) = cur {
        bail!("the multiplier listing ends inside cell {name}");
    }
    Ok(muls)
}

/// An RTLIL parameter value: decimal (`8`) or sized binary (`32'00001000`).
fn param(v: &str) -> Result<u32> {
    match v.split_once('\'') {
        Some((_, bits)) => Ok(u32::from_str_radix(bits, 2)?),
        None => Ok(v.parse()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mul(name: &str, a: u32, b: u32, signed: bool) -> Mul {
        Mul { name: name.into(), a, b, y: a + b, a_signed: signed, b_signed: signed }
    }

    #[test]
    fn dsps_per_multiplier_follow_mul2dsp() {
        let ecp5 = shape(Family::Ecp5);
        let ice40 = shape(Family::Ice40);
        assert_eq!(dsps(&mul("pe", 8, 8, true), &ecp5), 1);
        assert_eq!(dsps(&mul("pe", 8, 8, true), &ice40), 1);
        assert_eq!(dsps(&mul("r", 18, 18, false), &ecp5), 1);
        // Cut into 16 + 2 bits each way, the 2 x 2 corner too narrow a product for SB_MAC16.
        assert_eq!(dsps(&mul("r", 18, 18, false), &ice40), 3);
        assert_eq!(dsps(&mul("r", 17, 17, false), &ice40), 1);
        // The requantizer's 32 x 32: 4 MULT18X18D for the full product...
        assert_eq!(dsps(&mul("rq", 32, 32, true), &ecp5), 4);
        // ...3 when only 32 bits are kept (the top partial lies above them).
        assert_eq!(dsps(&Mul { y: 32, ..mul("rq", 32, 32, true) }, &ecp5), 3);
        assert_eq!(dsps(&mul("w", 40, 9, false), &ecp5), 3);
        assert_eq!(dsps(&mul("w", 9, 40, false), &ecp5), 3, "the wider operand is cut first");
        // A slice of one bit is below the minimum width: it stays in LUTs.
        assert_eq!(dsps(&mul("odd", 19, 8, false), &ecp5), 1);
        assert_eq!(dsps(&mul("bit", 1, 16, false), &ecp5), 0);
        // SB_MAC16 takes no product narrower than 11 bits.
        assert_eq!(dsps(&mul("tiny", 5, 5, false), &ice40), 0);
        assert_eq!(dsps(&mul("tiny", 5, 5, false), &ecp5), 1);
        // Signedness does not change the count on either family.
        assert_eq!(dsps(&mul("s", 36, 36, true), &ecp5), dsps(&mul("u", 36, 36, false), &ecp5));
    }

    #[test]
    fn the_multipliers_that_save_the_most_luts_per_dsp_keep_their_dsps() {
        let s = shape(Family::Ecp5);
        let muls = vec![
            mul("pe0", 8, 8, true),    // 64 LUTs, 1 DSP
            mul("exp", 16, 18, false), // 288 LUTs, 1 DSP: the best
            mul("rq", 32, 32, true),   // 1024 LUTs, 4 DSPs: 256 per DSP
            mul("pe1", 8, 8, true),    // ties with pe0: by name
            mul("k", 3, 4, false),     // 12 LUTs, 1 DSP: the worst
            mul("flag", 1, 12, false), // no DSP at all
        ];
        let c = choose(&muls, &s, 6);
        assert_eq!(c.hard, ["exp", "rq", "pe0"]);
        assert_eq!(c.hard_dsps, 6);
        assert_eq!(c.soft, ["pe1", "k"]);
        assert_eq!(c.small, 1);
        // A multiplier too big for what is left goes to LUTs; smaller ones after it still fit.
        let c = choose(&muls, &s, 4);
        assert_eq!(c.hard, ["exp", "pe0", "pe1", "k"]);
        assert_eq!((c.hard_dsps, c.soft.as_slice()), (4, ["rq".to_string()].as_slice()));
        // Budget for all: nothing moves; none: everything that could use a DSP moves.
        assert!(choose(&muls, &s, 100).soft.is_empty());
        let none = choose(&muls, &s, 0);
        assert_eq!((none.hard.len(), none.soft.len(), none.hard_dsps), (0, 5, 0));
    }

    #[test]
    fn sixteen_pes_on_eight_sb_mac16_keep_the_first_eight() {
        // The tiny tile on the UP5K: all equal, so the first 8 names keep an SB_MAC16.
        let muls: Vec<Mul> = (0..16).map(|i| mul(&format!("pe_r{}_c{}", i / 4, i % 4), 8, 8, true)).collect();
        let c = choose(&muls, &shape(Family::Ice40), 8);
        assert_eq!(c.hard, muls[..8].iter().map(|m| m.name.clone()).collect::<Vec<_>>());
        assert_eq!(c.soft.len(), 8);
    }

    /// Yosys 0.23 `dump top/t:$mul` of a small design, one width given as a sized constant.
    const DUMP: &str = r#"
  attribute \src "rtl/t.v:6.8-6.25|rtl/t.v:2.30-2.35"
  cell $mul $flatten\u1.$mul$rtl/t.v:2$2
    parameter \A_SIGNED 1
    parameter \A_WIDTH 8
    parameter \B_SIGNED 1
    parameter \B_WIDTH 8
    parameter \Y_WIDTH 16
    connect \A \b
    connect \B \a
    connect \Y $flatten\u0.$0\y[15:0]
  end

  attribute \src "rtl/t.v:7.14-7.19"
  cell $mul $mul$rtl/t.v:7$3
    parameter \A_SIGNED 0
    parameter \A_WIDTH 32'00000000000000000000000000100000
    parameter \B_SIGNED 0
    parameter \B_WIDTH 32
    parameter \Y_WIDTH 32
    connect \A \c
    connect \B \d
    connect \Y \z
  end
"#;

    #[test]
    fn listing_and_script_lines() {
        let muls = parse_listing(DUMP).unwrap();
        assert_eq!(muls.len(), 2);
        let first =
            Mul { name: r"$flatten\u1.$mul$rtl/t.v:2$2".into(), a: 8, b: 8, y: 16, a_signed: true, b_signed: true };
        assert_eq!(muls[0], first);
        assert_eq!((muls[1].a, muls[1].b, muls[1].y, muls[1].a_signed), (32, 32, 32, false));
        let missing = parse_listing("cell $mul m\nparameter \\A_WIDTH 3\nend\n").unwrap_err();
        assert!(missing.to_string().contains("B_WIDTH"), "{missing}");
        assert!(parse_listing("cell $mul m\nparameter \\A_WIDTH 3\n").is_err(), "a cut listing is an error");
        // Selection patterns escape the backslash and the wildcard characters.
        let s = soft_lines("top", &[muls[0].name.clone(), "a*b?[0]".into()]);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], r"select -assert-count 1 top/$flatten\\u1.$mul$rtl/t.v:2$2");
        assert_eq!(lines[1], r"chtype -set $__soft_mul top/$flatten\\u1.$mul$rtl/t.v:2$2");
        assert_eq!(lines[3], r"chtype -set $__soft_mul top/a\*b\?\[0]");
        let p = prep_script(&["a.v".into()], "top");
        let order = ["read_verilog a.v", "proc", "flatten", "write_rtlil muls.il", "opt -fast", "wreduce"];
        let at: Vec<usize> = order.iter().map(|l| p.find(l).unwrap_or_else(|| panic!("no {l} in {p}"))).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{p}");
        assert!(p.ends_with("tee -q -o muls.txt dump top/t:$mul\n"), "{p}");
    }
}
