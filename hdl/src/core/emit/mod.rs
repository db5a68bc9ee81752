//! The Verilog-2005 emitter.
//!
//! Output rules, each there so the Verilog means exactly what the Rust says:
//! * `` `default_nettype none `` at the top of every file (restored to `wire` at
//!   the end so it does not leak into other files of a user's build);
//! * every operation is parenthesized, so Verilog's precedence never applies;
//! * every operand of an operation has the operation's width, so Verilog's
//!   context-dependent width extension never applies; literals are sized;
//! * every node's Verilog signedness equals its `Ty` (slices and concatenations
//!   are unsigned in Verilog, so a signed one is wrapped in `$signed`);
//! * names come from the builder; a node used more than once is written once,
//!   under the builder's name for it if it has one, else as a wire `_s0`,
//!   `_s1`, ... (so a shared subexpression is neither duplicated text nor
//!   duplicated logic to review); temporaries needed where Verilog cannot
//!   slice an expression are `_t0`, `_t1`, ...; user names cannot start with `_`;
//! * no line longer than [`LINE_WIDTH`]: statements wrap between operands,
//!   only whitespace is added;
//! * one module per file, named after the module; each distinct module once;
//! * deterministic: the same module gives the same bytes.
//!
//! Files: this one writes modules (ports, wires, instances, registers,
//! memories); [`writer`] turns expressions into Verilog text and decides which
//! nodes become named wires; [`layout`] wraps statements to the line width.

mod layout;
mod writer;

use std::collections::HashMap;
use std::fmt::Write;

use super::error::{HdlError, Result};
use super::memory::{MemDef, RomDef};
use super::module::{Dir, Module, ResetKind, SigKind, CLOCK};
use super::reg::RegDef;
use super::ty::Ty;

use layout::{statement, text, Doc};
use writer::{pad, ExprWriter, Temp};

/// One emitted file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogFile {
    pub module: String,
    /// `<module>.v`
    pub file_name: String,
    pub text: String,
}

/// What goes into every file's header comment.
#[derive(Clone, Debug, Default)]
pub struct EmitOptions {
    /// Comment lines (without `//`), e.g. the generator version and the preset.
    pub header: Vec<String>,
}

/// Emit `top` and every module under it, one file per distinct module, the top
/// first and the rest in order of first instantiation.
pub fn emit(top: &Module, opts: &EmitOptions) -> Result<Vec<VerilogFile>> {
    let mut files: Vec<VerilogFile> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    emit_tree(top, opts, &mut files, &mut seen)?;
    Ok(files)
}

fn emit_tree(
    m: &Module,
    opts: &EmitOptions,
    files: &mut Vec<VerilogFile>,
    seen: &mut HashMap<String, usize>,
) -> Result<()> {
    let text = emit_module(m, opts)?;
    if let Some(&i) = seen.get(&m.name) {
        if files[i].text != text {
            return Err(HdlError {
                module: m.name.clone(),
                signal: None,
                message: "two different modules share this name; give each parameterization its own name".into(),
            });
        }
        return Ok(());
    }
    seen.insert(m.name.clone(), files.len());
    files.push(VerilogFile { module: m.name.clone(), file_name: format!("{}.v", m.name), text });
    for inst in &m.insts {
        emit_tree(&inst.module, opts, files, seen)?;
    }
    Ok(())
}

/// `signed [7:0]` / `[7:0]` / `` for one bit.
fn range(ty: Ty) -> String {
    let s = if ty.is_signed() { "signed " } else { "" };
    if ty.width() == 1 {
        s.trim_end().to_string()
    } else {
        format!("{s}[{}:0]", ty.width() - 1)
    }
}

/// A sized literal with the node's signedness: non-negative values in decimal
/// (hex when large), negative ones as a two's-complement hex pattern (or, wider
/// than 128 bits, as the negation of a positive literal of the full width).
fn literal(value: i128, ty: Ty) -> String {
    let w = ty.width();
    let s = if ty.is_signed() { "s" } else { "" };
    if value >= 0 {
        if value < 1 << 32 {
            format!("{w}'{s}d{value}")
        } else {
            format!("{w}'{s}h{value:x}")
        }
    } else if w <= 128 {
        let mask = if w == 128 { u128::MAX } else { (1u128 << w) - 1 };
        format!("{w}'{s}h{:x}", (value as u128) & mask)
    } else {
        format!("(-{w}'{s}d{})", value.unsigned_abs())
    }
}

fn bits_for(n: u32) -> u32 {
    (32 - n.leading_zeros()).max(1)
}

/// The longest line of code the emitter writes (except a single token longer
/// than this, such as a very wide literal; the builder's doc comments are
/// copied as written).
const LINE_WIDTH: usize = 150;

fn emit_module(m: &Module, opts: &EmitOptions) -> Result<String> {
    m.check()?;
    let mut w = ExprWriter::new(m);
    let rst = m.reset_kind.port_name();

    // Body first: expression emission discovers the temporaries to declare.
    let mut assigns = String::new();
    for (name, e) in &m.assigns {
        let v = w.assigned(name, e);
        statement(&mut assigns, 4, &format!("assign {name} = "), &v, ";");
    }

    let mut insts = String::new();
    for inst in &m.insts {
        let mut conns: Vec<(String, Doc)> = Vec::new();
        if inst.module.uses_clock() {
            conns.push((CLOCK.into(), text(CLOCK)));
        }
        if inst.module.uses_reset() {
            let driver = match &inst.reset {
                Some(e) => w.expr(e),
                None => text(rst),
            };
            conns.push((inst.module.reset_kind.port_name().into(), driver));
        }
        for (p, e) in &inst.inputs {
            conns.push((p.clone(), w.expr(e)));
        }
        for (p, wire) in &inst.outputs {
            conns.push((p.clone(), text(wire.clone())));
        }
        let pw = conns.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
        writeln!(insts, "    {} {} (", inst.module.name, inst.name).unwrap();
        let n = conns.len();
        for (i, (p, v)) in conns.iter().enumerate() {
            let comma = if i + 1 < n { "," } else { "" };
            statement(&mut insts, 8, &format!(".{} (", pad(p, pw)), v, &format!("){comma}"));
        }
        insts.push_str("    );\n");
    }

    let mut always = String::new();
    emit_regs(&mut w, m, &mut always);
    for mem in &m.mems {
        emit_mem(&mut w, mem, &mut always);
    }
    for rom in &m.roms {
        emit_rom(&mut w, rom, &mut always);
    }

    // Now the file, top to bottom.
    let mut out = String::new();
    for h in &opts.header {
        writeln!(out, "// {h}").unwrap();
    }
    if !opts.header.is_empty() {
        out.push_str("//\n");
    }
    writeln!(out, "// Module {}", m.name).unwrap();
    for d in &m.doc {
        writeln!(out, "//   {d}").unwrap();
    }
    out.push_str("\n`default_nettype none\n\n");

    let ports = m.ports();
    writeln!(out, "module {} (", m.name).unwrap();
    let tw = ports.iter().map(|p| range(p.ty).len()).max().unwrap_or(0);
    let nw = ports.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for (i, p) in ports.iter().enumerate() {
        let dir = match p.dir {
            Dir::Input => "input ",
            Dir::Output => "output",
        };
        let comma = if i + 1 < ports.len() { "," } else { "" };
        let line = format!("    {dir} wire {} {}", pad(&range(p.ty), tw), pad(&format!("{}{comma}", p.name), nw + 1));
        // An input declared unused (part of a standard bus) gets a scoped waiver.
        let reason = m.sigs.iter().find(|d| d.name == p.name).and_then(|d| d.unused_reason.as_ref());
        if let Some(r) = reason {
            writeln!(out, "    /* verilator lint_off UNUSED */ // {r}").unwrap();
        }
        match &p.doc {
            Some(d) => writeln!(out, "{line} // {d}").unwrap(),
            None => writeln!(out, "{}", line.trim_end()).unwrap(),
        }
        if reason.is_some() {
            writeln!(out, "    /* verilator lint_on UNUSED */").unwrap();
        }
    }
    out.push_str(");\n");

    // Declarations, aligned: keyword, type, name, comment.
    let mut decls = String::new();
    let locals: Vec<_> = m.sigs.iter().filter(|d| !matches!(d.kind, SigKind::Input | SigKind::Output)).collect();
    let tw =
        locals.iter().map(|d| range(d.ty).len()).chain(w.temps.iter().map(|t| range(t.ty).len())).max().unwrap_or(0);
    let nw = locals.iter().map(|d| d.name.len() + 1).max().unwrap_or(0);
    for d in &locals {
        let kw = if matches!(d.kind, SigKind::Reg | SigKind::Rom) { "reg " } else { "wire" };
        let decl = format!("    {kw} {} {}", pad(&range(d.ty), tw), pad(&format!("{};", d.name), nw));
        let line = match &d.doc {
            Some(doc) => format!("{decl} // {doc}"),
            None => decl.trim_end().to_string(),
        };
        if let Some(reason) = &d.unused_reason {
            writeln!(decls, "    /* verilator lint_off UNUSED */ // {reason}").unwrap();
            writeln!(decls, "{line}").unwrap();
            writeln!(decls, "    /* verilator lint_on UNUSED */").unwrap();
        } else {
            writeln!(decls, "{line}").unwrap();
        }
    }
    for mem in &m.mems {
        writeln!(decls, "    // {} x {} bits, no reset: inferred as block RAM", mem.depth, mem.ty.width()).unwrap();
        let r = range(mem.ty);
        let sp = if r.is_empty() { "" } else { " " };
        writeln!(decls, "    reg  {r}{sp}{} [0:{}];", mem.name, mem.depth - 1).unwrap();
    }
    for Temp { name, ty, used, .. } in &w.temps {
        let decl = format!("    wire {} {name};", pad(&range(*ty), tw));
        if used.iter().all(|&b| b) {
            writeln!(decls, "{decl}").unwrap();
        } else {
            writeln!(decls, "    /* verilator lint_off UNUSED */ // a temporary, so that part of it can be selected")
                .unwrap();
            writeln!(decls, "{decl}").unwrap();
            writeln!(decls, "    /* verilator lint_on UNUSED */").unwrap();
        }
    }
    let mut temps = String::new();
    for t in &w.temps {
        statement(&mut temps, 4, &format!("assign {} = ", t.name), &t.value, ";");
    }

    for section in [decls, temps, assigns, insts, always] {
        if !section.is_empty() {
            out.push('\n');
            out.push_str(&section);
        }
    }
    out.push_str("\nendmodule\n\n`default_nettype wire\n");
    Ok(out)
}

/// Registers, grouped into one always block per (reset?, enable) so that a
/// pipeline stage reads as one block.
fn emit_regs(w: &mut ExprWriter, m: &Module, out: &mut String) {
    // Enables compared by their text: equal text is the same condition.
    type Enable = Option<(String, Doc)>;
    let mut groups: Vec<(bool, Enable, Vec<&RegDef>)> = Vec::new();
    for r in &m.regs {
        let en = r.enable.as_ref().map(|e| {
            let d = w.expr(e);
            (d.flat(), d)
        });
        let has_reset = r.reset.is_some();
        let same = |e: &Enable| e.as_ref().map(|x| &x.0) == en.as_ref().map(|x| &x.0);
        match groups.iter_mut().find(|(hr, e, _)| *hr == has_reset && same(e)) {
            Some(g) => g.2.push(r),
            None => groups.push((has_reset, en, vec![r])),
        }
    }
    let (sens, cond) = match m.reset_kind {
        ResetKind::SyncHigh => ("posedge clk".to_string(), "rst".to_string()),
        ResetKind::AsyncLow => ("posedge clk or negedge rst_n".to_string(), "!rst_n".to_string()),
    };
    for (has_reset, en, regs) in groups {
        let nw = regs.iter().map(|r| r.name.len()).max().unwrap_or(0);
        let assigns: Vec<(String, Doc)> = regs
            .iter()
            .map(|r| (format!("{} <= ", pad(&r.name, nw)), w.expr(r.d.as_ref().expect("check() passed"))))
            .collect();
        if !out.is_empty() {
            out.push('\n');
        }
        if has_reset {
            writeln!(out, "    always @({sens}) begin").unwrap();
            writeln!(out, "        if ({cond}) begin").unwrap();
            for r in &regs {
                let v = literal(r.reset.expect("grouped by reset"), r.ty);
                writeln!(out, "            {} <= {v};", pad(&r.name, nw)).unwrap();
            }
            match &en {
                Some((_, e)) => statement(out, 8, "end else if (", e, ") begin"),
                None => writeln!(out, "        end else begin").unwrap(),
            }
            for (lhs, d) in &assigns {
                statement(out, 12, lhs, d, ";");
            }
            writeln!(out, "        end\n    end").unwrap();
        } else {
            writeln!(out, "    // data path only: no reset").unwrap();
            writeln!(out, "    always @(posedge clk) begin").unwrap();
            let ind = match &en {
                Some((_, e)) => {
                    statement(out, 8, "if (", e, ") begin");
                    12
                }
                None => 8,
            };
            for (lhs, d) in &assigns {
                statement(out, ind, lhs, d, ";");
            }
            if en.is_some() {
                writeln!(out, "        end").unwrap();
            }
            writeln!(out, "    end").unwrap();
        }
    }
}

/// A ROM: a `case` on the address in an `always @*`, every word a sized
/// literal, and a `default` (0) so that the block is combinational for every
/// address and never infers a latch.
fn emit_rom(w: &mut ExprWriter, rom: &RomDef, out: &mut String) {
    let addr = w.expr(&rom.addr);
    let aw = rom.addr.width();
    let width = rom.ty.width();
    // Words are bit patterns; a signed word with its top bit set is negative.
    let value = |bits: u128| -> i128 {
        if rom.ty.is_signed() && (bits >> (width - 1)) & 1 == 1 {
            bits as i128 - (1i128 << width)
        } else {
            bits as i128
        }
    };
    if !out.is_empty() {
        out.push('\n');
    }
    writeln!(out, "    // {}: ROM of {} words", rom.name, rom.words.len()).unwrap();
    writeln!(out, "    always @* begin").unwrap();
    statement(out, 8, "case (", &addr, ")");
    for (i, word) in rom.words.iter().enumerate() {
        let a = literal(i as i128, Ty::UInt(aw));
        statement(out, 12, &format!("{a}: {} = ", rom.name), &text(literal(value(*word), rom.ty)), ";");
    }
    writeln!(out, "            default: {} = {};", rom.name, literal(0, rom.ty)).unwrap();
    writeln!(out, "        endcase").unwrap();
    writeln!(out, "    end").unwrap();
}

fn emit_mem(w: &mut ExprWriter, mem: &MemDef, out: &mut String) {
    let wr = mem.write.as_ref().expect("check() passed");
    let (en, addr, data) = (w.expr(&wr.en), w.expr(&wr.addr), w.expr(&wr.data));
    if !out.is_empty() {
        out.push('\n');
    }
    writeln!(out, "    // {}: write port", mem.name).unwrap();
    writeln!(out, "    always @(posedge clk) begin").unwrap();
    statement(out, 8, "if (", &en, ") begin");
    statement(out, 12, &format!("{}[{}] <= ", mem.name, addr.flat()), &data, ";");
    writeln!(out, "        end\n    end").unwrap();
    for rd in &mem.reads {
        let (en, addr) = (w.expr(&rd.en), w.expr(&rd.addr));
        out.push('\n');
        writeln!(out, "    // {}: synchronous read port", mem.name).unwrap();
        writeln!(out, "    always @(posedge clk) begin").unwrap();
        statement(out, 8, "if (", &en, ") begin");
        statement(out, 12, &format!("{} <= {}[", rd.reg, mem.name), &addr, "];");
        writeln!(out, "        end\n    end").unwrap();
    }
}
