//! The table rendered for software and for people: a C header, JSON, and the
//! Markdown field tables of `docs/isa.md`.

use std::fmt::Write;

use serde_json::{json, Value};

use super::table::*;

/// Upper-case C identifier part (`TILE_LOAD`, `B_LINE`).
fn up(s: &str) -> String {
    s.to_ascii_uppercase()
}

/// `serrano_core_isa.h`: the command size, every opcode, every field's LSB,
/// width and mask (a field is bits `[LSB, LSB + WIDTH)` of the 256-bit
/// little-endian command), and the error codes.
pub fn c_header() -> String {
    let mut s = String::new();
    s.push_str("/* Serrano core instruction set v0. Generated from golden::core::isa: do not edit. */\n");
    s.push_str("#ifndef SERRANO_CORE_ISA_H\n#define SERRANO_CORE_ISA_H\n\n");
    s.push_str("/* A command is 32 bytes, little-endian: bit i is bit (i % 8) of byte (i / 8). */\n");
    let _ = writeln!(s, "#define SERRANO_CORE_CMD_BYTES {COMMAND_BYTES}");
    s.push('\n');
    for op in OPS {
        let _ = writeln!(s, "/* {}: {} */", op.name, op.meaning);
        let _ = writeln!(s, "#define SERRANO_CORE_OP_{} 0x{:02x}", op.name, op.opcode);
        for fl in op.fields.iter().filter(|f| f.name != "opcode") {
            let p = format!("SERRANO_CORE_{}_{}", op.name, up(fl.name));
            let _ = writeln!(s, "#define {p}_LSB {}", fl.lsb);
            let _ = writeln!(s, "#define {p}_WIDTH {}", fl.width);
            let _ = writeln!(s, "#define {p}_MASK 0x{:x}ull", fl.max());
        }
        s.push('\n');
    }
    s.push_str("/* Error codes (the status register's error code). */\n");
    for e in ErrorCode::all() {
        let _ = writeln!(s, "#define SERRANO_CORE_ERR_{} 0x{:02x} /* {} */", e.name(), e.code(), e.meaning());
    }
    s.push_str("\n#endif /* SERRANO_CORE_ISA_H */\n");
    s
}

/// `serrano_core_isa.json`: `command_bytes`, `opcodes` (`name`, `opcode`,
/// `queue`, `meaning`, `fields` with `name`, `lsb`, `width`, `meaning`, and
/// `reserved` bit ranges with `lsb`, `width`) and `errors` (`code`, `name`,
/// `meaning`).
pub fn json() -> Value {
    let ops: Vec<Value> = OPS
        .iter()
        .map(|op| {
            json!({
                "name": op.name,
                "opcode": op.opcode,
                "queue": op.queue.name(),
                "meaning": op.meaning,
                "fields": op.fields.iter().map(|f| json!({
                    "name": f.name, "lsb": f.lsb, "width": f.width, "meaning": f.meaning,
                })).collect::<Vec<_>>(),
                "reserved": op.reserved().iter().map(|(l, w)| json!({"lsb": l, "width": w})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let errors: Vec<Value> =
        ErrorCode::all().iter().map(|e| json!({"code": e.code(), "name": e.name(), "meaning": e.meaning()})).collect();
    json!({
        "isa": "serrano_core",
        "version": 0,
        "command_bytes": COMMAND_BYTES,
        "byte_order": "little-endian: bit i is bit (i % 8) of byte (i / 8)",
        "opcodes": ops,
        "errors": errors,
    })
}

/// The Markdown tables of `docs/isa.md`: the opcodes, each opcode's fields
/// (reserved ranges included) and the error codes.
pub fn markdown() -> String {
    let mut s = String::new();
    s.push_str("| opcode | name | queue | meaning |\n| --- | --- | --- | --- |\n");
    for op in OPS {
        let _ = writeln!(s, "| `0x{:02x}` | `{}` | {} | {} |", op.opcode, op.name, op.queue.name(), op.meaning);
    }
    for op in OPS {
        let _ = writeln!(s, "\n#### `{}` (`0x{:02x}`)\n", op.name, op.opcode);
        s.push_str("| bits | field | width | meaning |\n| --- | --- | --- | --- |\n");
        let mut rows: Vec<(u32, String)> = op
            .fields
            .iter()
            .map(|f| (f.lsb, format!("| `[{}:{}]` | `{}` | {} | {} |", f.msb(), f.lsb, f.name, f.width, f.meaning)))
            .collect();
        rows.extend(
            op.reserved()
                .into_iter()
                .map(|(l, w)| (l, format!("| `[{}:{}]` | reserved | {w} | must be 0 |", l + w - 1, l))),
        );
        rows.sort();
        for (_, r) in rows {
            s.push_str(&r);
            s.push('\n');
        }
    }
    s.push_str("\n#### Error codes\n\n| code | name | meaning |\n| --- | --- | --- |\n");
    for e in ErrorCode::all() {
        let _ = writeln!(s, "| `0x{:02x}` | `{}` | {} |", e.code(), e.name(), e.meaning());
    }
    s
}
