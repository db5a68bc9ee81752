//! Records: several named fields packed into one bit vector, so that a FIFO,
//! a register or a port can carry them as one word (an in-flight burst, a
//! descriptor, a completion entry).
//!
//! A [`Record`] is declared once, its fields least significant first. A packed
//! word is built from named values with [`Record::pack`] and read by field
//! name after [`Record::unpack`]. Both name what they make in the Verilog: the
//! packed word is a wire whose comment lists the fields, and every field read
//! is a wire whose comment says which record, which field and which bits, as in
//! `wire [15:0] inflight_tag; // burst.tag = inflight_out_data[31:16]`, rather
//! than a bare range at every use.
//!
//! Declaring a record never fails; a broken declaration (no field, a field
//! twice, a zero width) surfaces, naming the record and the field, when the
//! record is first used in a module, as every other rule of the core does.

use super::error::{HdlError, Result};
use super::expr::{cat, Expr};
use super::module::Module;
use super::ty::{Ty, UInt, MAX_WIDTH};

/// One field of a record: its name, type and least significant bit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordField {
    pub name: String,
    pub ty: Ty,
    pub lsb: u32,
}

impl RecordField {
    /// The most significant bit.
    pub fn msb(&self) -> u32 {
        self.lsb + self.ty.width() - 1
    }
}

/// A packed record type: a name (for comments and messages) and its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    name: String,
    fields: Vec<RecordField>,
    /// The first broken rule of the declaration, reported at first use.
    problem: Option<(Option<String>, String)>,
}

impl Record {
    /// A record called `name` with fields (name, type), least significant
    /// first: the first field is at bit 0. A signed field is stored as its
    /// bit pattern and read back as the same `SInt`.
    pub fn new(name: &str, fields: &[(&str, Ty)]) -> Record {
        let mut v: Vec<RecordField> = Vec::new();
        let mut problem = None;
        let mut lsb: u64 = 0;
        for &(f, ty) in fields {
            if problem.is_none() {
                if v.iter().any(|x| x.name == f) {
                    problem = Some((Some(f.to_string()), format!("field {f} is declared twice")));
                } else if let Err(e) = ty.check() {
                    problem = Some((Some(f.to_string()), format!("field {f}: {e}")));
                }
            }
            v.push(RecordField { name: f.to_string(), ty, lsb: lsb as u32 });
            lsb += ty.width() as u64;
        }
        if problem.is_none() && v.is_empty() {
            problem = Some((None, "has no field".to_string()));
        }
        if problem.is_none() && lsb > MAX_WIDTH as u64 {
            problem = Some((None, format!("is {lsb} bits wide, more than {MAX_WIDTH}")));
        }
        Record { name: name.to_string(), fields: v, problem }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fields, least significant first.
    pub fn fields(&self) -> &[RecordField] {
        &self.fields
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&RecordField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The packed width: the sum of the fields' widths.
    pub fn width(&self) -> u32 {
        self.fields.iter().map(|f| f.ty.width()).sum()
    }

    /// The packed word's type, `UInt(width)`.
    pub fn ty(&self) -> Ty {
        UInt(self.width())
    }

    fn err(&self, m: &Module, field: Option<&str>, message: String) -> HdlError {
        HdlError {
            module: m.name().to_string(),
            signal: field.map(|f| format!("{}.{f}", self.name)),
            message: format!("record {}: {message}", self.name),
        }
    }

    fn check(&self, m: &Module) -> Result<()> {
        match &self.problem {
            Some((f, msg)) => Err(self.err(m, f.as_deref(), msg.clone())),
            None => Ok(()),
        }
    }

    /// The packed word of `values` (every field exactly once, by name, in any
    /// order, each of its field's type), declared in `m` as wire `name`
    /// with a comment listing the fields most significant first.
    pub fn pack(&self, m: &mut Module, name: &str, values: &[(&str, &Expr)]) -> Result<Expr> {
        self.check(m)?;
        for (i, (f, _)) in values.iter().enumerate() {
            if self.field(f).is_none() {
                return Err(self.err(m, Some(f), format!("has no field {f}")));
            }
            if values[..i].iter().any(|(g, _)| g == f) {
                return Err(self.err(m, Some(f), format!("field {f} is given twice")));
            }
        }
        let mut parts = Vec::with_capacity(self.fields.len());
        for fd in self.fields.iter().rev() {
            let Some((_, v)) = values.iter().find(|(f, _)| *f == fd.name) else {
                return Err(self.err(m, Some(&fd.name), format!("field {} is not given", fd.name)));
            };
            let got = v.ty().map_err(|e| self.err(m, Some(&fd.name), e))?;
            if got != fd.ty {
                return Err(self.err(m, Some(&fd.name), format!("field {} is {}, the value is {got}", fd.name, fd.ty)));
            }
            parts.push(*v);
        }
        m.node_doc(name, cat(&parts), &self.layout_comment())
    }

    /// `burst {err, null, tag, ...}`, or only the field count when the list
    /// would make a long line.
    fn layout_comment(&self) -> String {
        let names: Vec<&str> = self.fields.iter().rev().map(|f| f.name.as_str()).collect();
        let full = format!("record {} {{{}}}", self.name, names.join(", "));
        if full.len() <= 90 {
            full
        } else {
            format!("record {}: {} fields, see its declaration", self.name, self.fields.len())
        }
    }

    /// Read every field of the packed `word`: a wire `prefix_field` each.
    pub fn unpack(&self, m: &mut Module, prefix: &str, word: &Expr) -> Result<Unpacked> {
        let all: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        self.unpack_only(m, prefix, word, &all)
    }

    /// Read only the fields `wanted` of `word` (a wire each, so a field the
    /// module never reads makes no unused wire).
    pub fn unpack_only(&self, m: &mut Module, prefix: &str, word: &Expr, wanted: &[&str]) -> Result<Unpacked> {
        self.check(m)?;
        let got = word.ty().map_err(|e| self.err(m, None, e))?;
        if got.width() != self.width() {
            return Err(self.err(m, None, format!("the packed word is {got}, the record is {} bits", self.width())));
        }
        let source = word.signal_name().map(str::to_string);
        let mut wires = Vec::new();
        for &f in wanted {
            let Some(fd) = self.field(f) else {
                return Err(self.err(m, Some(f), format!("has no field {f}")));
            };
            if wires.iter().any(|(n, _)| n == f) {
                return Err(self.err(m, Some(f), format!("field {f} is read twice")));
            }
            let bits = word.slice(fd.msb(), fd.lsb);
            let value = if fd.ty.is_signed() { bits.as_signed() } else { bits };
            let range = if fd.ty.width() == 1 { format!("[{}]", fd.lsb) } else { format!("[{}:{}]", fd.msb(), fd.lsb) };
            let doc = match &source {
                Some(s) => format!("{}.{f} = {s}{range}", self.name),
                None => format!("{}.{f}, bits {range}", self.name),
            };
            let w = m.node_doc(&format!("{prefix}_{f}"), value, &doc)?;
            wires.push((f.to_string(), w));
        }
        Ok(Unpacked { record: self.name.clone(), module: m.name().to_string(), wires })
    }
}

/// The fields read from a packed word, by name.
#[derive(Clone, Debug)]
pub struct Unpacked {
    record: String,
    module: String,
    wires: Vec<(String, Expr)>,
}

impl Unpacked {
    /// The wire carrying field `name`.
    pub fn get(&self, name: &str) -> Result<Expr> {
        match self.wires.iter().find(|(n, _)| n == name) {
            Some((_, e)) => Ok(e.clone()),
            None => Err(HdlError {
                module: self.module.clone(),
                signal: Some(format!("{}.{name}", self.record)),
                message: format!("record {}: field {name} was not unpacked", self.record),
            }),
        }
    }
}
