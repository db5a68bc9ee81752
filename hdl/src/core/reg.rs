//! Registers: their declaration ([`RegBuilder`]), their handle ([`Reg`]) and
//! their next value ([`Module::set_next`]).

use super::error::Result;
use super::expr::Expr;
use super::module::{prefix, Module, SigKind};
use super::ty::{Bit, Ty};

/// A register as the emitter sees it.
#[derive(Clone, Debug)]
pub(crate) struct RegDef {
    pub name: String,
    pub ty: Ty,
    /// The reset value; `None` marks a data-path-only register.
    pub reset: Option<i128>,
    pub enable: Option<Expr>,
    pub d: Option<Expr>,
}

/// A register's handle: its output `q`, to be read anywhere, and its name, to
/// give it a next value once with [`Module::set_next`].
#[derive(Clone, Debug)]
pub struct Reg {
    pub q: Expr,
    name: String,
}

impl std::ops::Deref for Reg {
    type Target = Expr;
    fn deref(&self) -> &Expr {
        &self.q
    }
}

/// Builds a register: `m.reg("acc", SInt(32)).reset(0).enable(&en).d(&next)?`.
pub struct RegBuilder<'m> {
    m: &'m mut Module,
    name: String,
    ty: Ty,
    reset: Option<Option<i128>>,
    enable: Option<Expr>,
    doc: Option<String>,
}

impl RegBuilder<'_> {
    /// The value the register takes while reset is asserted.
    pub fn reset(mut self, value: i128) -> Self {
        self.reset = Some(Some(value));
        self
    }

    /// A data-path-only register: no reset (its contents are don't-care until
    /// written, e.g. a pipeline stage whose valid bit is reset).
    pub fn no_reset(mut self) -> Self {
        self.reset = Some(None);
        self
    }

    /// Load only when `en` is 1.
    pub fn enable(mut self, en: &Expr) -> Self {
        self.enable = Some(en.clone());
        self
    }

    /// A comment for the declaration.
    pub fn doc(mut self, text: &str) -> Self {
        self.doc = Some(text.to_string());
        self
    }

    /// Declare the register; give it its next value later with [`Module::set_next`].
    pub fn build(self) -> Result<Reg> {
        self.finish(None)
    }

    /// Declare the register with next value `d` in one step; returns its output.
    pub fn d(self, d: impl Into<Expr>) -> Result<Expr> {
        self.finish(Some(d.into())).map(|r| r.q)
    }

    fn finish(self, d: Option<Expr>) -> Result<Reg> {
        let RegBuilder { m, name, ty, reset, enable, doc } = self;
        let reset = reset.ok_or_else(|| {
            m.err(
                &name,
                "register has no declared reset value: call .reset(v), or .no_reset() for a data-path-only register",
            )
        })?;
        if let Some(v) = reset {
            ty.check_literal(v).map_err(|e| m.err(&name, &format!("reset value: {e}")))?;
        }
        if let Some(en) = &enable {
            m.check_expr(&name, en, Some(Bit)).map_err(|e| prefix(e, "enable: "))?;
        }
        let q = m.declare(&name, ty, SigKind::Reg, doc)?;
        m.regs.push(RegDef { name: name.clone(), ty, reset, enable, d: None });
        let reg = Reg { q, name };
        if let Some(d) = d {
            m.set_next(&reg, d)?;
        }
        Ok(reg)
    }
}

impl Module {
    /// Start a register declaration.
    pub fn reg(&mut self, name: &str, ty: Ty) -> RegBuilder<'_> {
        RegBuilder { m: self, name: name.to_string(), ty, reset: None, enable: None, doc: None }
    }

    /// Give register `reg` its next value (once).
    pub fn set_next(&mut self, reg: &Reg, d: impl Into<Expr>) -> Result<()> {
        let d = d.into();
        let name = self.own_signal(&reg.q, "set_next")?;
        debug_assert_eq!(name, reg.name);
        let i = self.regs.iter().position(|r| r.name == name).ok_or_else(|| self.err(&name, "is not a register"))?;
        if self.regs[i].d.is_some() {
            return Err(self.err(&name, "already has a next value"));
        }
        self.check_expr(&name, &d, Some(self.regs[i].ty))?;
        self.regs[i].d = Some(d);
        Ok(())
    }
}

impl From<&Reg> for Expr {
    fn from(r: &Reg) -> Expr {
        r.q.clone()
    }
}
