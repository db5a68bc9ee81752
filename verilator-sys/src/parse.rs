//! Parsing of Verilator's generated files: the model header (ports) and the
//! `.mk` fragments (file lists and switches).

use std::collections::HashMap;

use crate::Direction;

/// How a port's value is stored in the model (Verilator's C++ types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Storage {
    /// `CData` (`uint8_t`).
    U8,
    /// `SData` (`uint16_t`).
    U16,
    /// `IData` (`uint32_t`).
    U32,
    /// `QData` (`uint64_t`).
    U64,
    /// `WData[words]` (`uint32_t` array, `VlWide<words>`).
    Wide,
}

impl Storage {
    /// Code used in the shim's port table.
    pub fn code(self) -> u32 {
        match self {
            Storage::U8 => 1,
            Storage::U16 => 2,
            Storage::U32 => 4,
            Storage::U64 => 8,
            Storage::Wide => 0,
        }
    }

    pub fn from_code(code: u32) -> Option<Storage> {
        Some(match code {
            1 => Storage::U8,
            2 => Storage::U16,
            4 => Storage::U32,
            8 => Storage::U64,
            0 => Storage::Wide,
            _ => return None,
        })
    }
}

/// One port declaration from `V<top>.h`, e.g. `VL_INW(&wide,99,0,4);` or
/// `VL_IN8((&arr)[4],7,0);`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderPort {
    /// The C++ member name (Verilator-escaped).
    pub cpp_name: String,
    /// Unpacked array dimensions (empty for plain ports).
    pub dims: Vec<u32>,
    pub msb: i64,
    pub lsb: i64,
    pub dir: Direction,
    pub storage: Storage,
    /// Number of 32-bit words for `Wide` storage; 1 or 2 otherwise.
    pub words: u32,
}

impl HeaderPort {
    pub fn width(&self) -> u32 {
        ((self.msb - self.lsb).unsigned_abs() + 1) as u32
    }

    /// Size in bytes of one element's storage.
    pub fn elem_bytes(&self) -> u32 {
        match self.storage {
            Storage::U8 => 1,
            Storage::U16 => 2,
            Storage::U32 => 4,
            Storage::U64 => 8,
            Storage::Wide => 4 * self.words,
        }
    }

    /// All scalar elements: (Verilog-level name, C++ access suffix).
    /// For a plain port this is one element with an empty suffix; for an
    /// unpacked array `arr[4]` it is `arr[0]`..`arr[3]` with suffixes `[0]`..`[3]`.
    pub fn elements(&self) -> Vec<(String, String)> {
        let base = decode_name(&self.cpp_name);
        let mut out = vec![(base, String::new())];
        for &d in &self.dims {
            let mut next = Vec::with_capacity(out.len() * d as usize);
            for (name, suffix) in &out {
                for i in 0..d {
                    next.push((format!("{name}[{i}]"), format!("{suffix}[{i}]")));
                }
            }
            out = next;
        }
        out
    }
}

/// Parses all port declarations of a Verilator 5 model header.
pub(crate) fn parse_header_ports(text: &str) -> Result<Vec<HeaderPort>, String> {
    let mut ports = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let t = line.trim();
        let Some(rest) = t.strip_prefix("VL_") else {
            continue;
        };
        let Some(paren) = rest.find('(') else {
            continue;
        };
        let macro_name = rest[..paren].trim();
        let (dir, suffix) = if let Some(s) = macro_name.strip_prefix("INOUT") {
            (Direction::InOut, s)
        } else if let Some(s) = macro_name.strip_prefix("IN") {
            (Direction::Input, s)
        } else if let Some(s) = macro_name.strip_prefix("OUT") {
            (Direction::Output, s)
        } else {
            continue;
        };
        let storage = match suffix {
            "8" => Storage::U8,
            "16" => Storage::U16,
            "" => Storage::U32,
            "64" => Storage::U64,
            "W" => Storage::Wide,
            _ => continue, // e.g. VL_INOUT_SC..., not a port macro we know
        };
        let err = |m: &str| format!("line {}: {m}: `{t}`", lineno + 1);
        let body = &rest[paren + 1..];
        let Some(close) = body.rfind(')') else {
            return Err(err("unterminated port declaration"));
        };
        let args: Vec<&str> = body[..close].split(',').map(str::trim).collect();
        let want = if storage == Storage::Wide { 4 } else { 3 };
        if args.len() != want {
            return Err(err("unexpected number of macro arguments"));
        }
        let (cpp_name, dims) = parse_decl(args[0]).ok_or_else(|| err("cannot parse port name"))?;
        let num = |s: &str| s.parse::<i64>().map_err(|_| err("bad number"));
        let msb = num(args[1])?;
        let lsb = num(args[2])?;
        let width = ((msb - lsb).unsigned_abs() + 1) as u32;
        let words = match storage {
            Storage::Wide => {
                let w = num(args[3])?;
                if w <= 0 || w as u64 != u64::from(width.div_ceil(32)) {
                    return Err(err("word count does not match the width"));
                }
                w as u32
            }
            Storage::U64 => 2,
            _ => 1,
        };
        let max = match storage {
            Storage::U8 => 8,
            Storage::U16 => 16,
            Storage::U32 => 32,
            Storage::U64 => 64,
            Storage::Wide => u32::MAX,
        };
        if width > max {
            return Err(err("width exceeds the storage type"));
        }
        ports.push(HeaderPort { cpp_name, dims, msb, lsb, dir, storage, words });
    }
    Ok(ports)
}

/// Parses `&name`, `& name`, `(&name)[4]`, `(&name)[4][2]`.
fn parse_decl(s: &str) -> Option<(String, Vec<u32>)> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (name_part, dims_part) = if let Some(r) = s.strip_prefix("(&") {
        let close = r.find(')')?;
        (&r[..close], &r[close + 1..])
    } else {
        (s.strip_prefix('&')?, "")
    };
    if name_part.is_empty() || !name_part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let mut dims = Vec::new();
    let mut rest = dims_part;
    while !rest.is_empty() {
        let r = rest.strip_prefix('[')?;
        let close = r.find(']')?;
        let d: u32 = r[..close].parse().ok()?;
        if d == 0 {
            return None;
        }
        dims.push(d);
        rest = &r[close + 1..];
    }
    Some((name_part.to_string(), dims))
}

/// Undoes Verilator's name escaping: `__0HH` encodes the character with hex
/// code `HH` (e.g. `weird__024name` is `weird$name`, `a___05Fb` is `a__b`).
pub(crate) fn decode_name(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if i + 5 <= b.len() && &b[i..i + 3] == b"__0" {
            let hex = std::str::from_utf8(&b[i + 3..i + 5]).ok();
            if let Some(c) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(c);
                i += 5;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// A minimal reader for the variable assignments in Verilator's generated
/// makefiles (`VAR = a b`, `VAR += \` with continuation lines, comments).
pub(crate) fn parse_make_vars(text: &str) -> HashMap<String, Vec<String>> {
    let mut vars: HashMap<String, Vec<String>> = HashMap::new();
    // Join continuation lines first.
    let mut logical = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let line = match line.find('#') {
            Some(p) => &line[..p],
            None => line,
        };
        if let Some(stripped) = line.trim_end().strip_suffix('\\') {
            cur.push_str(stripped);
            cur.push(' ');
        } else {
            cur.push_str(line);
            logical.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        logical.push(cur);
    }
    for line in logical {
        let (name, op_append, value) = if let Some(p) = line.find("+=") {
            (&line[..p], true, &line[p + 2..])
        } else if let Some(p) = line.find("?=") {
            (&line[..p], false, &line[p + 2..])
        } else if let Some(p) = line.find(":=") {
            (&line[..p], false, &line[p + 2..])
        } else if let Some(p) = line.find('=') {
            (&line[..p], false, &line[p + 1..])
        } else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        let words = value.split_whitespace().map(str::to_string);
        let entry = vars.entry(name.to_string()).or_default();
        if !op_append {
            entry.clear();
        }
        entry.extend(words);
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_ports() {
        let h = r#"
    VL_IN8(&clk,0,0);
    VL_IN8( & a_in , 7 , 0 );
    VL_INOUT8(&io,0,0);
    VL_IN16(&b,15,0);
    VL_INW(&w,99,0,4);
    VL_OUT(&cnt,31,0);
    VL_OUTW(&r,64,0,3);
    VL_IN64(&c,32,0);
    VL_OUT64(&q,63,0);
    VL_IN8(&x,8,1);
    VL_OUT8(&weird__024name,0,0);
    VL_IN8((&arr)[4],7,0);
    VL_UNCOPYABLE(Vu);  ///< Copying not allowed
"#;
        let p = parse_header_ports(h).unwrap();
        assert_eq!(p.len(), 12);
        assert_eq!(p[0].cpp_name, "clk");
        assert_eq!(p[1].cpp_name, "a_in");
        assert_eq!(p[1].width(), 8);
        assert_eq!(p[2].dir, Direction::InOut);
        assert_eq!(p[4].storage, Storage::Wide);
        assert_eq!(p[4].words, 4);
        assert_eq!(p[4].width(), 100);
        assert_eq!(p[5].storage, Storage::U32);
        assert_eq!(p[5].dir, Direction::Output);
        assert_eq!(p[7].width(), 33);
        assert_eq!(p[9].width(), 8);
        assert_eq!(p[10].elements()[0].0, "weird$name");
        assert_eq!(p[11].dims, vec![4]);
        assert_eq!(p[11].elements()[3], ("arr[3]".to_string(), "[3]".to_string()));
    }

    #[test]
    fn names() {
        assert_eq!(decode_name("a___05Fb"), "a__b");
        assert_eq!(decode_name("plain_name"), "plain_name");
        assert_eq!(decode_name("x__024y"), "x$y");
    }

    #[test]
    fn make_vars() {
        let mk = "# c\nVM_TRACE = 1\nVM_CLASSES_FAST += \\\n\tVt \\\n\tVt_x \\\n\n# Global\nVM_GLOBAL_SLOW += \\\n\n\nVM_USER_LDLIBS = \\\n\t-lz \\\n\n";
        let v = parse_make_vars(mk);
        assert_eq!(v["VM_TRACE"], vec!["1"]);
        assert_eq!(v["VM_CLASSES_FAST"], vec!["Vt", "Vt_x"]);
        assert!(v["VM_GLOBAL_SLOW"].is_empty());
        assert_eq!(v["VM_USER_LDLIBS"], vec!["-lz"]);
    }
}
