//! The JSON manifest of a top: what a tool needs to drive the module without
//! reading its Verilog (ports, clock and reset, the files, the config).

use serde_json::{json, Value};

use super::emit::VerilogFile;
use super::module::{Dir, Module, ResetKind, CLOCK};

/// The manifest of `top`, whose emitted files are `files`: ports, clock and
/// reset, files and figures. The generator adds what it was made from.
pub fn manifest(top: &Module, files: &[VerilogFile]) -> Value {
    let ports: Vec<Value> = top
        .ports()
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "direction": match p.dir { Dir::Input => "input", Dir::Output => "output" },
                "width": p.ty.width(),
                "signed": p.ty.is_signed(),
                "doc": p.doc,
            })
        })
        .collect();
    let reset = if top.uses_reset() {
        let (kind, active) = match top.reset_kind() {
            ResetKind::SyncHigh => ("synchronous", "high"),
            ResetKind::AsyncLow => ("asynchronous", "low"),
        };
        json!({ "name": top.reset_kind().port_name(), "kind": kind, "active": active })
    } else {
        Value::Null
    };
    let stats = top.stats();
    json!({
        "top": top.name(),
        "clock": if top.uses_clock() { json!(CLOCK) } else { Value::Null },
        "reset": reset,
        "ports": ports,
        "files": files.iter().map(|f| f.file_name.clone()).collect::<Vec<_>>(),
        "stats": {
            "modules": files.len(),
            "instances": stats.instances,
            "flip_flops": stats.flip_flops,
            "memory_bits": stats.memory_bits,
        },
    })
}
