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

use std::collections::HashMap;
use std::fmt::Write;

use super::error::{HdlError, Result};
use super::expr::{Expr, Kind, RedOp, UnOp};
use super::memory::{MemDef, RomDef};
use super::module::{Dir, Module, ResetKind, SigKind, CLOCK};
use super::reg::RegDef;
use super::ty::Ty;

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

/// An expression laid out as nested lists, so that a line too long can be
/// broken between items at any depth.
#[derive(Clone)]
enum Doc {
    Text(String),
    /// `open item0 sep0 item1 sep1 ... close`. A separator that starts with a
    /// space is an operator (` + `, ` ? `) and leads the continuation line; any
    /// other (`, `) ends the line it breaks.
    List {
        open: String,
        items: Vec<Doc>,
        seps: Vec<&'static str>,
        close: &'static str,
    },
}

fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

fn list(open: impl Into<String>, items: Vec<Doc>, sep: &'static str, close: &'static str) -> Doc {
    let seps = vec![sep; items.len().saturating_sub(1)];
    Doc::List { open: open.into(), items, seps, close }
}

impl Doc {
    fn flat_len(&self) -> usize {
        match self {
            Doc::Text(t) => t.len(),
            Doc::List { open, items, seps, close } => {
                open.len()
                    + items.iter().map(Doc::flat_len).sum::<usize>()
                    + seps.iter().map(|s| s.len()).sum::<usize>()
                    + close.len()
            }
        }
    }

    fn write_flat(&self, out: &mut String) {
        match self {
            Doc::Text(t) => out.push_str(t),
            Doc::List { open, items, seps, close } => {
                out.push_str(open);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(seps[i - 1]);
                    }
                    item.write_flat(out);
                }
                out.push_str(close);
            }
        }
    }

    fn flat(&self) -> String {
        let mut s = String::new();
        self.write_flat(&mut s);
        s
    }
}

/// Text being laid out, and the column its last line has reached.
struct Lines {
    s: String,
    col: usize,
}

impl Lines {
    fn push(&mut self, t: &str) {
        self.s.push_str(t);
        self.col += t.len();
    }

    fn newline(&mut self, indent: usize) {
        // No trailing blanks: a line broken after a leading-operator item ends clean.
        while self.s.ends_with(' ') {
            self.s.pop();
        }
        self.s.push('\n');
        self.s.push_str(&" ".repeat(indent));
        self.col = indent;
    }

    /// Lay `d` out from the current column: flat if it fits with `trail`
    /// characters after it, else broken between items. Continuation lines are
    /// indented `indent + 4`. A list's first item continues the list's line
    /// and its last item continues at the list's own indent, so that chains
    /// (`((a | b) | c) | d`, `s0 ? v0 : s1 ? v1 : ...`) stay at one indent
    /// however deep they nest.
    fn layout(&mut self, d: &Doc, indent: usize, trail: usize) {
        if self.col + d.flat_len() + trail <= LINE_WIDTH {
            d.write_flat(&mut self.s);
            self.col += d.flat_len();
            return;
        }
        let Doc::List { open, items, seps, close } = d else {
            d.write_flat(&mut self.s);
            self.col += d.flat_len();
            return;
        };
        self.push(open);
        let cont = indent + 4;
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == n;
            let item_trail = if last {
                close.len() + trail
            } else if seps[i].starts_with(' ') {
                0
            } else {
                seps[i].trim_end().len()
            };
            if i == 0 {
                self.layout(item, indent, item_trail);
                continue;
            }
            let sep = seps[i - 1];
            let leads = sep.starts_with(' ');
            if self.col + sep.len() + item.flat_len() + item_trail <= LINE_WIDTH {
                self.push(sep);
            } else if leads {
                self.newline(cont);
                self.push(sep.trim_start());
            } else {
                self.push(sep.trim_end());
                self.newline(cont);
            }
            self.layout(item, if last { indent } else { cont }, item_trail);
        }
        if self.col + close.len() > LINE_WIDTH {
            self.newline(indent);
        }
        self.push(close);
    }
}

/// `prefix`, `d` and `suffix` as one statement whose first line is indented
/// `indent`, broken so that no line is longer than [`LINE_WIDTH`].
fn statement(out: &mut String, indent: usize, prefix: &str, d: &Doc, suffix: &str) {
    let mut l = Lines { s: " ".repeat(indent), col: indent };
    l.push(prefix);
    l.layout(d, indent, suffix.len());
    l.push(suffix);
    out.push_str(&l.s);
    out.push('\n');
}

/// A wire the emitter adds to the module.
struct Temp {
    name: String,
    ty: Ty,
    value: Doc,
    /// Which bits are read, for the lint waiver of a partly read temporary.
    used: Vec<bool>,
}

type NodeKey = *const ();

fn key(e: &Expr) -> NodeKey {
    std::rc::Rc::as_ptr(&e.0) as NodeKey
}

fn children(e: &Expr) -> Vec<&Expr> {
    match e.kind() {
        Kind::Sig { .. } | Kind::Lit(_) | Kind::Invalid => vec![],
        Kind::Unary(_, a)
        | Kind::ShiftConst(_, a, _)
        | Kind::Slice(a, _, _)
        | Kind::Reduce(_, a)
        | Kind::Sext(a)
        | Kind::Zext(a)
        | Kind::Trunc(a)
        | Kind::AsSigned(a)
        | Kind::AsUnsigned(a)
        | Kind::Repeat(a, _) => vec![a],
        Kind::Binary(_, a, b) => vec![a, b],
        Kind::Mux(s, a, b) => vec![s, a, b],
        Kind::Cat(parts) => parts.iter().collect(),
    }
}

/// Short enough to repeat wherever it is used: a signal, a literal, a cast or
/// inversion of one, or a bit select (always of a name: `x[7:0]`). Anything
/// else used twice gets a wire.
fn is_trivial(e: &Expr) -> bool {
    let leaf = |a: &Expr| matches!(a.kind(), Kind::Sig { .. } | Kind::Lit(_));
    match e.kind() {
        Kind::Sig { .. } | Kind::Lit(_) => true,
        // Of a scalar, a select is the scalar's own text, however long.
        Kind::Slice(a, _, _) | Kind::Trunc(a) => leaf(a) || a.width() > 1,
        Kind::AsSigned(a) | Kind::AsUnsigned(a) | Kind::Unary(UnOp::Not, a) => leaf(a),
        _ => false,
    }
}

struct ExprWriter {
    temps: Vec<Temp>,
    /// Expression node → the wire that holds it (a builder-named wire or
    /// output, or a temporary), so that each node is written out once.
    named: HashMap<NodeKey, String>,
    /// How many times each node is referenced in the module (by parents or as
    /// the value of a statement).
    uses: HashMap<NodeKey, u32>,
    /// Numbers of the next `_s` (shared node) and `_t` (sliced node) wires.
    next_shared: usize,
    next_temp: usize,
}

impl ExprWriter {
    /// A writer for module `m`: counts the references to every node (a node
    /// is counted once per parent, not once per path, so a DAG costs its size)
    /// and takes the names the builder gave to values (`node`, `output`, a
    /// wire's `assign`).
    fn new(m: &Module) -> ExprWriter {
        let mut w =
            ExprWriter { temps: Vec::new(), named: HashMap::new(), uses: HashMap::new(), next_shared: 0, next_temp: 0 };
        let mut roots: Vec<&Expr> = Vec::new();
        for (name, e) in &m.assigns {
            roots.push(e);
            if !is_trivial(e) {
                w.named.entry(key(e)).or_insert_with(|| name.clone());
            }
        }
        for inst in &m.insts {
            roots.extend(inst.reset.iter());
            roots.extend(inst.inputs.iter().map(|(_, e)| e));
        }
        for r in &m.regs {
            roots.extend(r.enable.iter());
            roots.extend(r.d.iter());
        }
        for mem in &m.mems {
            if let Some(wr) = &mem.write {
                roots.extend([&wr.en, &wr.addr, &wr.data]);
            }
            for rd in &mem.reads {
                roots.extend([&rd.en, &rd.addr]);
            }
        }
        for rom in &m.roms {
            roots.push(&rom.addr);
        }
        let mut stack = roots;
        while let Some(e) = stack.pop() {
            let n = w.uses.entry(key(e)).or_insert(0);
            *n += 1;
            if *n == 1 {
                stack.extend(children(e));
            }
        }
        w
    }

    fn ty(&self, e: &Expr) -> Ty {
        e.ty().expect("checked when given to the module")
    }

    /// A name for `e`: itself if it is a signal, else the wire that holds it
    /// (made now if there is none yet).
    fn named(&mut self, e: &Expr) -> String {
        if let Some(n) = e.signal_name() {
            return n.to_string();
        }
        if let Some(n) = self.named.get(&key(e)) {
            return n.clone();
        }
        let value = self.inline(e);
        let ty = self.ty(e);
        // `_s`: written once because used more than once; `_t`: named only
        // so that bits of it can be selected.
        let name = if self.has_wire(e) {
            self.next_shared += 1;
            format!("_s{}", self.next_shared - 1)
        } else {
            self.next_temp += 1;
            format!("_t{}", self.next_temp - 1)
        };
        self.temps.push(Temp { name: name.clone(), ty, value, used: vec![false; ty.width() as usize] });
        self.named.insert(key(e), name.clone());
        name
    }

    /// Note that bits `hi..=lo` of signal or temporary `name` are read.
    fn mark(&mut self, name: &str, hi: u32, lo: u32) {
        if let Some(t) = self.temps.iter_mut().find(|t| t.name == name) {
            t.used[lo as usize..=hi as usize].iter_mut().for_each(|b| *b = true);
        }
    }

    /// `e` by name (hoisting it if needed), every bit read.
    fn whole(&mut self, e: &Expr) -> String {
        let n = self.named(e);
        self.mark(&n, self.ty(e).width() - 1, 0);
        n
    }

    /// Bits `hi..=lo` of `e` as an unsigned Verilog expression.
    fn part(&mut self, e: &Expr, hi: u32, lo: u32) -> Doc {
        let ty = self.ty(e);
        if ty.width() == 1 {
            // A scalar has no bit-select in Verilog-2005.
            let n = self.expr(e);
            return if ty.is_signed() { list("$unsigned(", vec![n], "", ")") } else { n };
        }
        let n = self.named(e);
        self.mark(&n, hi, lo);
        if hi == lo {
            text(format!("{n}[{hi}]"))
        } else {
            text(format!("{n}[{hi}:{lo}]"))
        }
    }

    /// The value of statement `target` (an `assign`): written out in full
    /// there, even though the node is known by that name elsewhere.
    fn assigned(&mut self, target: &str, e: &Expr) -> Doc {
        if self.named.get(&key(e)).is_some_and(|n| n == target) {
            self.inline(e)
        } else {
            self.expr(e)
        }
    }

    /// Whether `e` is (to be) held in a wire of its own: it was given a name
    /// by the builder, or it is not trivial and used more than once.
    fn has_wire(&self, e: &Expr) -> bool {
        if is_trivial(e) {
            return false;
        }
        self.named.contains_key(&key(e)) || self.uses.get(&key(e)).copied().unwrap_or(0) > 1
    }

    /// `e` where it is used: by name if it has a wire, else written out.
    fn expr(&mut self, e: &Expr) -> Doc {
        if self.has_wire(e) {
            return text(self.whole(e));
        }
        self.inline(e)
    }

    /// `e` written out (its operands by [`Self::expr`]).
    fn inline(&mut self, e: &Expr) -> Doc {
        let ty = self.ty(e);
        match e.kind() {
            Kind::Sig { name, .. } => text(name.to_string()),
            Kind::Lit(value) => text(literal(*value, ty)),
            Kind::Unary(op, a) => {
                let a = self.expr(a);
                match op {
                    UnOp::Not => list("(~", vec![a], "", ")"),
                    UnOp::Neg => list("(-", vec![a], "", ")"),
                }
            }
            Kind::Binary(op, a, b) => {
                let signed = self.ty(a).is_signed();
                let (a, b) = (self.expr(a), self.expr(b));
                let sep = op_sep(op.verilog(signed));
                list("(", vec![a, b], sep, ")")
            }
            Kind::ShiftConst(op, a, n) => {
                let signed = self.ty(a).is_signed();
                let a = self.expr(a);
                let amount = text(format!("{}'d{n}", bits_for(*n)));
                list("(", vec![a, amount], op_sep(op.verilog(signed)), ")")
            }
            Kind::Mux(s, a, b) => {
                let items = vec![self.expr(s), self.expr(a), self.expr(b)];
                Doc::List { open: "(".into(), items, seps: vec![" ? ", " : "], close: ")" }
            }
            Kind::Cat(parts) => {
                let docs: Vec<Doc> = parts.iter().map(|p| self.expr(p)).collect();
                let mut items = replicate_runs(docs);
                if items.len() == 1 && matches!(&items[0], Doc::List { open, .. } if open.ends_with('{')) {
                    // `{{8{x}}}` is `{8{x}}`.
                    return items.pop().expect("one item");
                }
                list("{", items, ", ", "}")
            }
            Kind::Repeat(a, n) => {
                let a = self.expr(a);
                list(format!("{{{n}{{"), vec![a], "", "}}")
            }
            Kind::Slice(a, hi, lo) => self.part(a, *hi, *lo),
            Kind::Reduce(op, a) => {
                let a = self.expr(a);
                let o = match op {
                    RedOp::And => "(&",
                    RedOp::Or => "(|",
                    RedOp::Xor => "(^",
                };
                list(o, vec![a], "", ")")
            }
            Kind::Sext(a) => {
                let n = self.ty(a).width();
                let k = ty.width() - n;
                let sign = self.part(a, n - 1, n - 1);
                let body = if n == 1 { self.expr(a) } else { text(self.whole(a)) };
                let fill = list(format!("{{{k}{{"), vec![sign], "", "}}");
                list("$signed({", vec![fill, body], ", ", "})")
            }
            Kind::Zext(a) => {
                let k = ty.width() - self.ty(a).width();
                let body = self.expr(a);
                list("{", vec![text(format!("{k}'d0")), body], ", ", "}")
            }
            Kind::Trunc(a) => {
                let p = self.part(a, ty.width() - 1, 0);
                if ty.is_signed() {
                    list("$signed(", vec![p], "", ")")
                } else {
                    p
                }
            }
            Kind::AsSigned(a) => {
                let a = self.expr(a);
                list("$signed(", vec![a], "", ")")
            }
            Kind::AsUnsigned(a) => {
                let a = self.expr(a);
                list("$unsigned(", vec![a], "", ")")
            }
            Kind::Invalid => {
                unreachable!("invalid expressions are rejected when given to the module")
            }
        }
    }
}

/// Runs of three or more equal parts of a concatenation (a byte mask made of
/// eight copies of a strobe bit) as replications `{n{x}}`. Equal text is the
/// same value: every name in it denotes one signal and expressions have no
/// side effects.
fn replicate_runs(docs: Vec<Doc>) -> Vec<Doc> {
    let mut out: Vec<Doc> = Vec::new();
    let mut run: Option<(String, Doc, u32)> = None;
    let flush = |run: Option<(String, Doc, u32)>, out: &mut Vec<Doc>| {
        if let Some((_, d, n)) = run {
            if n >= 3 {
                out.push(list(format!("{{{n}{{"), vec![d], "", "}}"));
            } else {
                out.extend(std::iter::repeat_n(d, n as usize));
            }
        }
    };
    for d in docs {
        let f = d.flat();
        match &mut run {
            Some((rf, _, n)) if *rf == f => *n += 1,
            _ => {
                flush(run.take(), &mut out);
                run = Some((f, d, 1));
            }
        }
    }
    flush(run, &mut out);
    out
}

/// A binary operator between spaces, as a separator of a [`Doc::List`].
fn op_sep(sym: &str) -> &'static str {
    match sym {
        "+" => " + ",
        "-" => " - ",
        "*" => " * ",
        "&" => " & ",
        "|" => " | ",
        "^" => " ^ ",
        "==" => " == ",
        "!=" => " != ",
        "<" => " < ",
        "<=" => " <= ",
        ">" => " > ",
        ">=" => " >= ",
        "<<" => " << ",
        ">>>" => " >>> ",
        ">>" => " >> ",
        _ => unreachable!("not a binary operator: {sym}"),
    }
}

fn pad(s: &str, w: usize) -> String {
    format!("{s:<w$}")
}

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
