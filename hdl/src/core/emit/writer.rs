//! Expressions to Verilog text: which nodes become named wires (shared
//! subexpressions, temporaries for slicing), and each node's operator,
//! operands, widths and signedness.

use std::collections::HashMap;

use crate::core::expr::{Expr, Kind, RedOp, UnOp};
use crate::core::module::Module;
use crate::core::ty::Ty;

use super::layout::{list, text, Doc};
use super::{bits_for, literal};

/// A wire the emitter adds to the module.
pub(super) struct Temp {
    pub(super) name: String,
    pub(super) ty: Ty,
    pub(super) value: Doc,
    /// Which bits are read, for the lint waiver of a partly read temporary.
    pub(super) used: Vec<bool>,
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

pub(super) struct ExprWriter {
    pub(super) temps: Vec<Temp>,
    /// Expression node → the wire that holds it (a builder-named wire or
    /// output, or a temporary), so that each node is written out once.
    pub(super) named: HashMap<NodeKey, String>,
    /// How many times each node is referenced in the module (by parents or as
    /// the value of a statement).
    pub(super) uses: HashMap<NodeKey, u32>,
    /// Numbers of the next `_s` (shared node) and `_t` (sliced node) wires.
    pub(super) next_shared: usize,
    pub(super) next_temp: usize,
}

impl ExprWriter {
    /// A writer for module `m`: counts the references to every node (a node
    /// is counted once per parent, not once per path, so a DAG costs its size)
    /// and takes the names the builder gave to values (`node`, `output`, a
    /// wire's `assign`).
    pub(super) fn new(m: &Module) -> ExprWriter {
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

    pub(super) fn ty(&self, e: &Expr) -> Ty {
        e.ty().expect("checked when given to the module")
    }

    /// A name for `e`: itself if it is a signal, else the wire that holds it
    /// (made now if there is none yet).
    pub(super) fn named(&mut self, e: &Expr) -> String {
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
    pub(super) fn mark(&mut self, name: &str, hi: u32, lo: u32) {
        if let Some(t) = self.temps.iter_mut().find(|t| t.name == name) {
            t.used[lo as usize..=hi as usize].iter_mut().for_each(|b| *b = true);
        }
    }

    /// `e` by name (hoisting it if needed), every bit read.
    pub(super) fn whole(&mut self, e: &Expr) -> String {
        let n = self.named(e);
        self.mark(&n, self.ty(e).width() - 1, 0);
        n
    }

    /// Bits `hi..=lo` of `e` as an unsigned Verilog expression.
    pub(super) fn part(&mut self, e: &Expr, hi: u32, lo: u32) -> Doc {
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
    pub(super) fn assigned(&mut self, target: &str, e: &Expr) -> Doc {
        if self.named.get(&key(e)).is_some_and(|n| n == target) {
            self.inline(e)
        } else {
            self.expr(e)
        }
    }

    /// Whether `e` is (to be) held in a wire of its own: it was given a name
    /// by the builder, or it is not trivial and used more than once.
    pub(super) fn has_wire(&self, e: &Expr) -> bool {
        if is_trivial(e) {
            return false;
        }
        self.named.contains_key(&key(e)) || self.uses.get(&key(e)).copied().unwrap_or(0) > 1
    }

    /// `e` where it is used: by name if it has a wire, else written out.
    pub(super) fn expr(&mut self, e: &Expr) -> Doc {
        if self.has_wire(e) {
            return text(self.whole(e));
        }
        self.inline(e)
    }

    /// `e` written out (its operands by [`Self::expr`]).
    pub(super) fn inline(&mut self, e: &Expr) -> Doc {
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

pub(super) fn pad(s: &str, w: usize) -> String {
    format!("{s:<w$}")
}
