//! Instances of a module in another: ports connected by name, clock and
//! reset implicitly, each output a wire of the parent.

use std::rc::Rc;

use super::error::{HdlError, Result};
use super::expr::Expr;
use super::module::{Module, SigKind};
use super::names::check_identifier;
use super::ty::Bit;

#[derive(Clone, Debug)]
pub(crate) struct InstDef {
    pub name: String,
    pub module: Rc<Module>,
    /// Input port name → driving expression, in the child's port order.
    pub inputs: Vec<(String, Expr)>,
    /// Output port name → parent wire name.
    pub outputs: Vec<(String, String)>,
    /// What drives the child's reset port, when not the parent's own reset.
    pub reset: Option<Expr>,
}

/// The outputs of an instance, by port name.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    outputs: Vec<(String, Expr)>,
    pub(crate) module: String,
}

impl Instance {
    /// The parent-side signal of output port `port`.
    pub fn out(&self, port: &str) -> Result<Expr> {
        self.outputs.iter().find(|(p, _)| p == port).map(|(_, e)| e.clone()).ok_or_else(|| HdlError {
            module: self.module.clone(),
            signal: Some(port.to_string()),
            message: format!("instance {} has no output port named {port}", self.name),
        })
    }
}

impl Module {
    /// The module's instances: (instance name, the child module), in the order made.
    pub fn instances(&self) -> Vec<(&str, &Module)> {
        self.insts.iter().map(|i| (i.name.as_str(), i.module.as_ref())).collect()
    }

    /// Instantiate `child` as `name`, connecting every input port by name
    /// (clock and reset are connected implicitly). Each output appears in this
    /// module as a wire `<name>_<port>`, returned in the [`Instance`].
    pub fn instance(&mut self, name: &str, child: &Module, inputs: &[(&str, &Expr)]) -> Result<Instance> {
        self.instance_impl(name, child, inputs, None)
    }

    /// Like [`Module::instance`], but the child's reset port is driven by
    /// `reset` (a `Bit`, e.g. the output of a reset synchronizer) instead of
    /// this module's own reset, which this instance then does not need.
    pub fn instance_with_reset(
        &mut self,
        name: &str,
        child: &Module,
        inputs: &[(&str, &Expr)],
        reset: &Expr,
    ) -> Result<Instance> {
        if !child.uses_reset() {
            return Err(self.err(name, &format!("module {} has no reset to drive", child.name)));
        }
        let target = format!("{name}.{}", child.reset_kind.port_name());
        self.check_expr(&target, reset, Some(Bit))?;
        self.instance_impl(name, child, inputs, Some(reset.clone()))
    }

    fn instance_impl(
        &mut self,
        name: &str,
        child: &Module,
        inputs: &[(&str, &Expr)],
        reset: Option<Expr>,
    ) -> Result<Instance> {
        check_identifier(name).map_err(|e| self.err(name, &e))?;
        child.check().map_err(|e| self.err(name, &format!("instance of an invalid module: {e}")))?;
        if reset.is_none() && child.uses_reset() && child.reset_kind != self.reset_kind {
            return Err(self.err(name, "child module uses another reset style"));
        }
        if self.insts.iter().any(|i| i.name == name) {
            return Err(self.err(name, "instance name used twice"));
        }
        for (port, _) in inputs {
            match child.decl(port) {
                Some(d) if d.kind == SigKind::Input => {}
                _ => {
                    return Err(self.err(name, &format!("module {} has no input port named {port}", child.name)));
                }
            }
        }
        let mut conns = Vec::new();
        let mut outs = Vec::new();
        let mut out_exprs = Vec::new();
        for d in child.sigs.iter().filter(|d| d.kind == SigKind::Input) {
            let given: Vec<_> = inputs.iter().filter(|(p, _)| *p == d.name).collect();
            match given.as_slice() {
                [(_, e)] => {
                    let sig = format!("{name}.{}", d.name);
                    self.check_expr(&sig, e, Some(d.ty))?;
                    conns.push((d.name.clone(), (*e).clone()));
                }
                [] => return Err(self.err(name, &format!("input port {} is not connected", d.name))),
                _ => return Err(self.err(name, &format!("input port {} is connected twice", d.name))),
            }
        }
        for d in child.sigs.iter().filter(|d| d.kind == SigKind::Output) {
            let wire = format!("{name}_{}", d.name);
            let e = self.declare(&wire, d.ty, SigKind::InstOut, None)?;
            outs.push((d.name.clone(), wire));
            out_exprs.push((d.name.clone(), e));
        }
        self.insts.push(InstDef {
            name: name.to_string(),
            module: Rc::new(child.clone()),
            inputs: conns,
            outputs: outs,
            reset,
        });
        Ok(Instance { name: name.to_string(), outputs: out_exprs, module: self.name.clone() })
    }
}
