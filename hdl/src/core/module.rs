//! The module builder: a [`Module`], its ports and wires, and the checks
//! every expression given to it passes. Registers (`reg.rs`), memories and
//! ROMs (`memory.rs`), instances (`instance.rs`) and hierarchy figures
//! (`stats.rs`) extend [`Module`] in files of their own; `names.rs` says
//! which names are legal.
//!
//! A block is a Rust function that makes a [`Module`]. Names are checked as they
//! are declared (legal Verilog identifiers, no `$`, no keyword, no clash), and
//! every expression is type-checked when it is given to the module, so a broken
//! rule is an [`HdlError`] naming the module and the signal.
//!
//! Clock and reset are implicit: a module with registers, memories or clocked
//! instances gets `clk` and (when a register has a reset value) `rst`, or `rst_n`
//! for [`ResetKind::AsyncLow`]; instances are wired to the parent's clock and reset.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{HdlError, Result};
use super::expr::{Expr, Kind};
use super::instance::InstDef;
use super::memory::{MemDef, RomDef};
use super::names::check_identifier;
use super::reg::RegDef;
use super::ty::{Bit, Ty};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How registers are reset.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ResetKind {
    /// Synchronous, active-high `rst` (the default).
    #[default]
    SyncHigh,
    /// Asynchronous assertion, active-low `rst_n`.
    AsyncLow,
}

impl ResetKind {
    pub fn port_name(self) -> &'static str {
        match self {
            ResetKind::SyncHigh => "rst",
            ResetKind::AsyncLow => "rst_n",
        }
    }
}

/// The clock port's name in every module.
pub const CLOCK: &str = "clk";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Input,
    Output,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SigKind {
    Input,
    Output,
    Wire,
    Reg,
    InstOut,
    /// The output of a combinational ROM (a `reg` driven by an `always @*` case).
    Rom,
}

#[derive(Clone, Debug)]
pub(crate) struct SigDecl {
    pub name: String,
    pub ty: Ty,
    pub kind: SigKind,
    pub doc: Option<String>,
    /// Why this signal is allowed to be (partly) unused, for a scoped lint waiver.
    pub unused_reason: Option<String>,
}

/// A hardware module under construction.
#[derive(Clone, Debug)]
pub struct Module {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) reset_kind: ResetKind,
    pub(crate) doc: Vec<String>,
    pub(crate) sigs: Vec<SigDecl>,
    pub(super) index: HashMap<String, usize>,
    /// Continuous assignments (wires and outputs), in the order made.
    pub(crate) assigns: Vec<(String, Expr)>,
    pub(crate) regs: Vec<RegDef>,
    pub(crate) mems: Vec<MemDef>,
    pub(crate) roms: Vec<RomDef>,
    pub(crate) insts: Vec<InstDef>,
    /// Bundle output ports declared but not yet driven (see `bundle.rs`).
    pub(crate) pending: Vec<String>,
}

/// `e` with `p` before its message (which part of a declaration is wrong).
pub(super) fn prefix(mut e: HdlError, p: &str) -> HdlError {
    e.message = format!("{p}{}", e.message);
    e
}

impl Module {
    /// A new module; `name` should be prefixed `serrano_` and carry its parameters.
    pub fn new(name: &str) -> Module {
        Module {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: name.to_string(),
            reset_kind: ResetKind::default(),
            doc: Vec::new(),
            sigs: Vec::new(),
            index: HashMap::new(),
            assigns: Vec::new(),
            regs: Vec::new(),
            mems: Vec::new(),
            roms: Vec::new(),
            insts: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Use another reset style for this module's registers.
    pub fn with_reset(mut self, kind: ResetKind) -> Module {
        self.reset_kind = kind;
        self
    }

    /// A line of the comment at the top of the module (what it is and why).
    pub fn doc(&mut self, line: &str) {
        self.doc.push(line.to_string());
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn reset_kind(&self) -> ResetKind {
        self.reset_kind
    }

    pub(crate) fn err(&self, signal: &str, message: &str) -> HdlError {
        HdlError { module: self.name.clone(), signal: Some(signal.to_string()), message: message.to_string() }
    }

    pub(super) fn declare(&mut self, name: &str, ty: Ty, kind: SigKind, doc: Option<String>) -> Result<Expr> {
        check_identifier(name).map_err(|e| self.err(name, &e))?;
        if name == CLOCK || name == "rst" || name == "rst_n" {
            return Err(self.err(name, "is reserved for the implicit clock and reset"));
        }
        ty.check().map_err(|e| self.err(name, &e))?;
        if self.index.contains_key(name) || (kind != SigKind::Output && self.pending.iter().any(|p| p == name)) {
            return Err(self.err(name, "is declared twice"));
        }
        self.index.insert(name.to_string(), self.sigs.len());
        self.sigs.push(SigDecl { name: name.to_string(), ty, kind, doc, unused_reason: None });
        Ok(Expr::sig(self.id, name, ty))
    }

    pub(super) fn decl(&self, name: &str) -> Option<&SigDecl> {
        self.index.get(name).map(|&i| &self.sigs[i])
    }

    /// An input port.
    pub fn input(&mut self, name: &str, ty: Ty) -> Result<Expr> {
        self.declare(name, ty, SigKind::Input, None)
    }

    /// An input port with a comment.
    pub fn input_doc(&mut self, name: &str, ty: Ty, doc: &str) -> Result<Expr> {
        self.declare(name, ty, SigKind::Input, Some(doc.to_string()))
    }

    /// An output port driven by `value`; its type is the value's type.
    pub fn output(&mut self, name: &str, value: impl Into<Expr>) -> Result<()> {
        self.output_impl(name, value.into(), None)
    }

    /// An output port with a comment.
    pub fn output_doc(&mut self, name: &str, value: impl Into<Expr>, doc: &str) -> Result<()> {
        self.output_impl(name, value.into(), Some(doc.to_string()))
    }

    fn output_impl(&mut self, name: &str, value: Expr, doc: Option<String>) -> Result<()> {
        let ty = self.check_expr(name, &value, None)?;
        self.declare(name, ty, SigKind::Output, doc)?;
        self.assigns.push((name.to_string(), value));
        Ok(())
    }

    /// A wire, to be driven exactly once with [`Module::assign`].
    pub fn wire(&mut self, name: &str, ty: Ty) -> Result<Expr> {
        self.declare(name, ty, SigKind::Wire, None)
    }

    /// A named wire carrying `value`: gives an intermediate result a readable name.
    pub fn node(&mut self, name: &str, value: impl Into<Expr>) -> Result<Expr> {
        let value = value.into();
        let ty = self.check_expr(name, &value, None)?;
        let w = self.declare(name, ty, SigKind::Wire, None)?;
        self.assigns.push((name.to_string(), value));
        Ok(w)
    }

    /// A named wire carrying `value`, with a comment on its declaration.
    pub fn node_doc(&mut self, name: &str, value: impl Into<Expr>, doc: &str) -> Result<Expr> {
        let value = value.into();
        let ty = self.check_expr(name, &value, None)?;
        let w = self.declare(name, ty, SigKind::Wire, Some(doc.to_string()))?;
        self.assigns.push((name.to_string(), value));
        Ok(w)
    }

    /// Drive wire `target` with `value` (same type).
    pub fn assign(&mut self, target: &Expr, value: impl Into<Expr>) -> Result<()> {
        let value = value.into();
        let name = self.own_signal(target, "assign")?;
        let decl = self.decl(&name).cloned().expect("own_signal checked it");
        if decl.kind != SigKind::Wire {
            return Err(self.err(&name, "only a wire can be assigned (registers take set_next, outputs a value)"));
        }
        if self.assigns.iter().any(|(n, _)| *n == name) {
            return Err(self.err(&name, "is driven twice"));
        }
        self.check_expr(&name, &value, Some(decl.ty))?;
        self.assigns.push((name, value));
        Ok(())
    }

    /// Mark a signal as intentionally (partly) unused; the emitter wraps its
    /// declaration in a Verilator `lint_off UNUSED` that gives `reason`.
    pub fn allow_unused(&mut self, signal: &Expr, reason: &str) -> Result<()> {
        let name = self.own_signal(signal, "allow_unused")?;
        let i = self.index[&name];
        self.sigs[i].unused_reason = Some(reason.to_string());
        Ok(())
    }

    pub(super) fn own_signal(&self, e: &Expr, what: &str) -> Result<String> {
        match e.kind() {
            Kind::Sig { module, name } if *module == self.id && self.index.contains_key(&**name) => {
                Ok(name.to_string())
            }
            Kind::Sig { name, .. } => Err(self.err(name, &format!("{what}: the signal belongs to another module"))),
            _ => Err(HdlError {
                module: self.name.clone(),
                signal: None,
                message: format!("{what} needs a signal declared in this module, not an expression"),
            }),
        }
    }

    /// Type-check `e` as the value of `target`: well-typed, of type `want` if
    /// given, and made only of this module's signals.
    pub(crate) fn check_expr(&self, target: &str, e: &Expr, want: Option<Ty>) -> Result<Ty> {
        let ty = e.ty().map_err(|m| self.err(target, &m))?;
        if let Some(w) = want {
            if w != ty {
                return Err(self.err(target, &format!("expected a value of type {w}, got {ty}")));
            }
        }
        self.check_refs(target, e)?;
        Ok(ty)
    }

    fn check_refs(&self, target: &str, e: &Expr) -> Result<()> {
        match e.kind() {
            Kind::Sig { module, name } => {
                if *module != self.id || !self.index.contains_key(&**name) {
                    return Err(self.err(target, &format!("uses signal {name}, which belongs to another module")));
                }
                Ok(())
            }
            Kind::Lit(_) | Kind::Invalid => Ok(()),
            Kind::Unary(_, a)
            | Kind::ShiftConst(_, a, _)
            | Kind::Slice(a, _, _)
            | Kind::Reduce(_, a)
            | Kind::Sext(a)
            | Kind::Zext(a)
            | Kind::Trunc(a)
            | Kind::AsSigned(a)
            | Kind::AsUnsigned(a)
            | Kind::Repeat(a, _) => self.check_refs(target, a),
            Kind::Binary(_, a, b) => {
                self.check_refs(target, a)?;
                self.check_refs(target, b)
            }
            Kind::Mux(s, a, b) => {
                self.check_refs(target, s)?;
                self.check_refs(target, a)?;
                self.check_refs(target, b)
            }
            Kind::Cat(parts) => parts.iter().try_for_each(|p| self.check_refs(target, p)),
        }
    }

    /// Check that the module is complete: every wire driven, every register
    /// given a next value, every memory written.
    pub fn check(&self) -> Result<()> {
        if let Some(p) = self.pending.first() {
            return Err(self.err(p, "bundle output port is never driven"));
        }
        for d in &self.sigs {
            if d.kind == SigKind::Wire && !self.assigns.iter().any(|(n, _)| *n == d.name) {
                return Err(self.err(&d.name, "wire is never driven"));
            }
        }
        for r in &self.regs {
            if r.d.is_none() {
                return Err(self.err(&r.name, "register has no next value (call set_next)"));
            }
        }
        for m in &self.mems {
            if m.write.is_none() {
                return Err(self.err(&m.name, "memory is never written"));
            }
        }
        Ok(())
    }

    /// Does this module (or anything under it) need the clock?
    pub fn uses_clock(&self) -> bool {
        !self.regs.is_empty() || !self.mems.is_empty() || self.insts.iter().any(|i| i.module.uses_clock())
    }

    /// Does this module (or anything under it) need the reset?
    pub fn uses_reset(&self) -> bool {
        self.regs.iter().any(|r| r.reset.is_some())
            || self.insts.iter().any(|i| i.reset.is_none() && i.module.uses_reset())
    }

    /// The ports in order, the implicit clock and reset first.
    pub fn ports(&self) -> Vec<PortDesc> {
        let mut v = Vec::new();
        if self.uses_clock() {
            v.push(PortDesc { name: CLOCK.into(), dir: Dir::Input, ty: Bit, doc: Some("clock".into()) });
        }
        if self.uses_reset() {
            let doc = match self.reset_kind {
                ResetKind::SyncHigh => "synchronous reset, active high",
                ResetKind::AsyncLow => "asynchronous reset, active low",
            };
            v.push(PortDesc {
                name: self.reset_kind.port_name().into(),
                dir: Dir::Input,
                ty: Bit,
                doc: Some(doc.into()),
            });
        }
        for d in &self.sigs {
            let dir = match d.kind {
                SigKind::Input => Dir::Input,
                SigKind::Output => Dir::Output,
                _ => continue,
            };
            v.push(PortDesc { name: d.name.clone(), dir, ty: d.ty, doc: d.doc.clone() });
        }
        v
    }
}

/// A port as seen from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortDesc {
    pub name: String,
    pub dir: Dir,
    pub ty: Ty,
    pub doc: Option<String>,
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}
