//! The module builder: ports, wires, registers, memories and instances.
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
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{HdlError, Result};
use super::expr::{Expr, Kind};
use super::ty::{Bit, Ty, UInt};

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

/// The widest ROM word.
pub const ROM_MAX_WIDTH: u32 = 127;

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

#[derive(Clone, Debug)]
pub(crate) struct RegDef {
    pub name: String,
    pub ty: Ty,
    /// The reset value; `None` marks a data-path-only register.
    pub reset: Option<i128>,
    pub enable: Option<Expr>,
    pub d: Option<Expr>,
}

#[derive(Clone, Debug)]
pub(crate) struct MemWrite {
    pub en: Expr,
    pub addr: Expr,
    pub data: Expr,
}

#[derive(Clone, Debug)]
pub(crate) struct MemRead {
    pub reg: String,
    pub en: Expr,
    pub addr: Expr,
}

#[derive(Clone, Debug)]
pub(crate) struct MemDef {
    pub name: String,
    pub ty: Ty,
    pub depth: u32,
    pub write: Option<MemWrite>,
    pub reads: Vec<MemRead>,
}

#[derive(Clone, Debug)]
pub(crate) struct RomDef {
    pub name: String,
    pub ty: Ty,
    pub addr: Expr,
    /// Word `i` is the bit pattern read at address `i`; other addresses read 0.
    pub words: Vec<u128>,
}

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

/// A hardware module under construction.
#[derive(Clone, Debug)]
pub struct Module {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) reset_kind: ResetKind,
    pub(crate) doc: Vec<String>,
    pub(crate) sigs: Vec<SigDecl>,
    index: HashMap<String, usize>,
    /// Continuous assignments (wires and outputs), in the order made.
    pub(crate) assigns: Vec<(String, Expr)>,
    pub(crate) regs: Vec<RegDef>,
    pub(crate) mems: Vec<MemDef>,
    pub(crate) roms: Vec<RomDef>,
    pub(crate) insts: Vec<InstDef>,
}

/// A memory: `depth` words of type `ty`, addressed by `UInt(addr_width)`.
#[derive(Clone, Debug)]
pub struct Memory {
    module: u64,
    name: String,
    pub ty: Ty,
    pub depth: u32,
    pub addr_width: u32,
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

/// The outputs of an instance, by port name.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    outputs: Vec<(String, Expr)>,
    module: String,
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

fn prefix(mut e: HdlError, p: &str) -> HdlError {
    e.message = format!("{p}{}", e.message);
    e
}

const VERILOG_KEYWORDS: &[&str] = &[
    "always",
    "and",
    "assign",
    "automatic",
    "begin",
    "buf",
    "bufif0",
    "bufif1",
    "case",
    "casex",
    "casez",
    "cell",
    "cmos",
    "config",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "edge",
    "else",
    "end",
    "endcase",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endmodule",
    "endprimitive",
    "endspecify",
    "endtable",
    "endtask",
    "event",
    "for",
    "force",
    "forever",
    "fork",
    "function",
    "generate",
    "genvar",
    "highz0",
    "highz1",
    "if",
    "ifnone",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "instance",
    "integer",
    "join",
    "large",
    "liblist",
    "library",
    "localparam",
    "macromodule",
    "medium",
    "module",
    "nand",
    "negedge",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "or",
    "output",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_onevent",
    "pulsestyle_ondetect",
    "rcmos",
    "real",
    "realtime",
    "reg",
    "release",
    "repeat",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "scalared",
    "showcancelled",
    "signed",
    "small",
    "specify",
    "specparam",
    "strong0",
    "strong1",
    "supply0",
    "supply1",
    "table",
    "task",
    "time",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "unsigned",
    "use",
    "uwire",
    "vectored",
    "wait",
    "wand",
    "weak0",
    "weak1",
    "while",
    "wire",
    "wor",
    "xnor",
    "xor", // SystemVerilog words that Verilator reserves too:
    "bit",
    "byte",
    "logic",
    "int",
    "shortint",
    "longint",
    "string",
    "type",
    "class",
    "interface",
    "package",
    "program",
    "property",
    "sequence",
    "final",
    "return",
    "break",
    "continue",
    "do",
    "enum",
    "struct",
    "union",
    "typedef",
    "void",
    "const",
    "static",
    "virtual",
    "local",
    "protected",
    "this",
    "super",
    "new",
    "null",
    "bind",
    "chandle",
    "context",
    "cover",
    "assert",
    "assume",
    "expect",
    "extends",
    "import",
    "export",
    "inside",
    "priority",
    "unique",
    "alias",
    "clocking",
    "constraint",
    "covergroup",
    "dist",
    "foreach",
    "forkjoin",
    "modport",
    "randcase",
    "randsequence",
    "ref",
    "solve",
    "tagged",
    "wildcard",
    "with",
    "within",
];

/// A legal, readable Verilog identifier: `[A-Za-z][A-Za-z0-9_]*`, not a keyword.
/// Names starting with `_` are reserved for the emitter's temporaries.
pub(crate) fn check_identifier(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let ok_rest = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok_first || !ok_rest {
        return Err(format!(
            "`{name}` is not a legal name: use a letter, then letters, digits and `_` (no `$`, no leading `_`)"
        ));
    }
    if VERILOG_KEYWORDS.contains(&name) {
        return Err(format!("`{name}` is a Verilog keyword"));
    }
    Ok(())
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

    fn declare(&mut self, name: &str, ty: Ty, kind: SigKind, doc: Option<String>) -> Result<Expr> {
        check_identifier(name).map_err(|e| self.err(name, &e))?;
        if name == CLOCK || name == "rst" || name == "rst_n" {
            return Err(self.err(name, "is reserved for the implicit clock and reset"));
        }
        ty.check().map_err(|e| self.err(name, &e))?;
        if self.index.contains_key(name) {
            return Err(self.err(name, "is declared twice"));
        }
        self.index.insert(name.to_string(), self.sigs.len());
        self.sigs.push(SigDecl { name: name.to_string(), ty, kind, doc, unused_reason: None });
        Ok(Expr::sig(self.id, name, ty))
    }

    fn decl(&self, name: &str) -> Option<&SigDecl> {
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

    fn own_signal(&self, e: &Expr, what: &str) -> Result<String> {
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

    /// A memory of `depth` words (>= 2) of type `ty`, in the form Yosys infers as
    /// block RAM: one synchronous write port, synchronous read ports, no reset.
    pub fn memory(&mut self, name: &str, ty: Ty, depth: u32) -> Result<Memory> {
        check_identifier(name).map_err(|e| self.err(name, &e))?;
        ty.check().map_err(|e| self.err(name, &e))?;
        if !(2..=1 << 24).contains(&depth) {
            return Err(self.err(name, &format!("memory depth {depth}: must be between 2 and {}", 1 << 24)));
        }
        if self.index.contains_key(name) || self.mems.iter().any(|m| m.name == name) {
            return Err(self.err(name, "is declared twice"));
        }
        let addr_width = 32 - (depth - 1).leading_zeros();
        self.mems.push(MemDef { name: name.to_string(), ty, depth, write: None, reads: Vec::new() });
        Ok(Memory { module: self.id, name: name.to_string(), ty, depth, addr_width })
    }

    fn mem_index(&self, mem: &Memory) -> Result<usize> {
        if mem.module != self.id {
            return Err(self.err(&mem.name, "memory belongs to another module"));
        }
        Ok(self.mems.iter().position(|m| m.name == mem.name).expect("declared by memory()"))
    }

    /// The write port: on a clock edge with `en` = 1, `mem[addr] <= data`.
    pub fn mem_write(&mut self, mem: &Memory, en: &Expr, addr: &Expr, data: &Expr) -> Result<()> {
        let i = self.mem_index(mem)?;
        if self.mems[i].write.is_some() {
            return Err(self.err(&mem.name, "has a write port already (block RAM has one)"));
        }
        self.check_expr(&mem.name, en, Some(Bit)).map_err(|e| prefix(e, "write enable: "))?;
        self.check_expr(&mem.name, addr, Some(UInt(mem.addr_width))).map_err(|e| prefix(e, "write address: "))?;
        self.check_expr(&mem.name, data, Some(mem.ty)).map_err(|e| prefix(e, "write data: "))?;
        self.mems[i].write = Some(MemWrite { en: en.clone(), addr: addr.clone(), data: data.clone() });
        Ok(())
    }

    /// A synchronous read port: on a clock edge with `en` = 1, register `name`
    /// takes `mem[addr]` (read-before-write when the write hits the same address).
    pub fn mem_read(&mut self, mem: &Memory, name: &str, en: &Expr, addr: &Expr) -> Result<Expr> {
        let i = self.mem_index(mem)?;
        self.check_expr(name, en, Some(Bit)).map_err(|e| prefix(e, "read enable: "))?;
        self.check_expr(name, addr, Some(UInt(mem.addr_width))).map_err(|e| prefix(e, "read address: "))?;
        let q = self.declare(name, mem.ty, SigKind::Reg, Some(format!("read port of {}", mem.name)))?;
        self.mems[i].reads.push(MemRead { reg: name.to_string(), en: en.clone(), addr: addr.clone() });
        Ok(q)
    }

    /// A combinational ROM (a constant table): the signal `name` of type `ty`
    /// reads `words[addr]`, and 0 at addresses past the last word. `words` are
    /// bit patterns of `ty` (at most 127 bits); `addr` is a `UInt` wide enough to
    /// address every word. Emitted as a `case` in an `always @*` with a
    /// `default`, so it never makes a latch.
    pub fn rom(&mut self, name: &str, ty: Ty, words: &[u128], addr: &Expr) -> Result<Expr> {
        ty.check().map_err(|e| self.err(name, &e))?;
        if ty.width() > ROM_MAX_WIDTH {
            return Err(self.err(name, &format!("ROM words of {ty} are wider than {ROM_MAX_WIDTH} bits")));
        }
        if words.is_empty() {
            return Err(self.err(name, "a ROM needs at least one word"));
        }
        let at = self.check_expr(name, addr, None).map_err(|e| prefix(e, "ROM address: "))?;
        let aw = match at {
            UInt(w) => w,
            t => return Err(self.err(name, &format!("ROM address must be UInt, got {t}"))),
        };
        if aw < 64 && (words.len() as u128) > 1u128 << aw {
            return Err(self.err(name, &format!("{} words cannot be addressed by a UInt({aw}) address", words.len())));
        }
        let mask = (1u128 << ty.width()) - 1;
        if let Some((i, w)) = words.iter().enumerate().find(|(_, w)| **w & !mask != 0) {
            return Err(self.err(name, &format!("ROM word {i} = {w:#x} does not fit {ty}")));
        }
        let q = self.declare(name, ty, SigKind::Rom, None)?;
        self.roms.push(RomDef { name: name.to_string(), ty, addr: addr.clone(), words: words.to_vec() });
        Ok(q)
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
            | Kind::AsUnsigned(a) => self.check_refs(target, a),
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

    /// Flip-flop bits in this module alone (registers and memory read ports).
    fn own_flops(&self) -> u64 {
        self.sigs.iter().filter(|d| d.kind == SigKind::Reg).map(|d| d.ty.width() as u64).sum()
    }

    /// Figures of the whole hierarchy under this module.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            flip_flops: self.own_flops(),
            memory_bits: self.mems.iter().map(|m| m.depth as u64 * m.ty.width() as u64).sum(),
            instances: self.insts.len() as u64,
        };
        for i in &self.insts {
            let c = i.module.stats();
            s.flip_flops += c.flip_flops;
            s.memory_bits += c.memory_bits;
            s.instances += c.instances;
        }
        s
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

/// Figures of a hierarchy: flip-flop bits, memory bits and instances (all levels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub flip_flops: u64,
    pub memory_bits: u64,
    pub instances: u64,
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

impl From<&Reg> for Expr {
    fn from(r: &Reg) -> Expr {
        r.q.clone()
    }
}
