//! Bundles: a bus (AXI4, AXI4-Lite, AXI-Stream, valid/ready) described once
//! as an ordered list of fields, each with a type and a [`Flow`] relative to
//! the master. A module declares a bundle as prefixed ports
//! (`prefix_field`) for a [`Role`]; the role flips which fields are inputs.
//!
//! Inputs are declared at once, in field order; outputs are declared when
//! driven ([`BundleSig::drive`], [`BundleSig::connect`]), so a module can
//! list all its inputs before its outputs. A bundle output never driven is
//! an error at [`Module::check`].

use super::error::{HdlError, Result};
use super::expr::Expr;
use super::instance::Instance;
use super::module::Module;
use super::ty::{Ty, UInt};

/// Which side of a bundle drives a field.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flow {
    /// Driven by the master (`awaddr`, `tdata`, `valid`).
    Forward,
    /// Driven by the slave (`awready`, `rdata`, `tready`).
    Backward,
}

/// Which side of a bundle a module is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Master,
    Slave,
}

impl Role {
    /// The other side.
    pub fn flip(self) -> Role {
        match self {
            Role::Master => Role::Slave,
            Role::Slave => Role::Master,
        }
    }

    /// Does this side drive a field of flow `flow`?
    pub fn drives(self, flow: Flow) -> bool {
        matches!((self, flow), (Role::Master, Flow::Forward) | (Role::Slave, Flow::Backward))
    }
}

/// One signal of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    pub flow: Flow,
    /// The port's comment, when the bundle gives one ([`Bundle::doc`]).
    pub doc: Option<String>,
}

/// A bus description: a kind (for messages) and ordered fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub kind: String,
    pub fields: Vec<Field>,
    /// Fields named by [`Bundle::doc`] or [`Bundle::typed`] that the bundle
    /// does not have: an error when the bundle is declared on a module.
    unknown: Vec<String>,
}

use Flow::{Backward as B, Forward as F};

fn axi_addr_channel(p: &str, addr: u32, id: u32) -> Vec<(String, u32, Flow)> {
    let f = |n: &str, w, d| (format!("{p}{n}"), w, d);
    vec![
        f("id", id, F),
        f("addr", addr, F),
        f("len", 8, F),
        f("size", 3, F),
        f("burst", 2, F),
        f("lock", 1, F),
        f("cache", 4, F),
        f("prot", 3, F),
        f("valid", 1, F),
        f("ready", 1, B),
    ]
}

fn owned(list: &[(&str, u32, Flow)]) -> Vec<(String, u32, Flow)> {
    list.iter().map(|&(n, w, d)| (n.to_string(), w, d)).collect()
}

impl Bundle {
    /// A bundle of `kind` with fields (name, width, flow), in port order.
    pub fn new(kind: &str, fields: &[(&str, u32, Flow)]) -> Bundle {
        Bundle::from_owned(kind, owned(fields))
    }

    fn from_owned(kind: &str, fields: Vec<(String, u32, Flow)>) -> Bundle {
        let fields = fields.into_iter().map(|(name, w, flow)| Field { name, ty: UInt(w), flow, doc: None }).collect();
        Bundle { kind: kind.to_string(), fields, unknown: Vec::new() }
    }

    /// AXI4 read half: AR then R (`arid` … `arready`, `rid` … `rready`).
    pub fn axi4_read(addr_bits: u32, data_bits: u32, id_bits: u32) -> Bundle {
        let mut v = axi_addr_channel("ar", addr_bits, id_bits);
        v.extend(owned(&[
            ("rid", id_bits, B),
            ("rdata", data_bits, B),
            ("rresp", 2, B),
            ("rlast", 1, B),
            ("rvalid", 1, B),
            ("rready", 1, F),
        ]));
        Bundle::from_owned("AXI4 read", v)
    }

    /// AXI4 write half: AW, W then B.
    pub fn axi4_write(addr_bits: u32, data_bits: u32, id_bits: u32) -> Bundle {
        let mut v = axi_addr_channel("aw", addr_bits, id_bits);
        v.extend(owned(&[
            ("wdata", data_bits, F),
            ("wstrb", data_bits / 8, F),
            ("wlast", 1, F),
            ("wvalid", 1, F),
            ("wready", 1, B),
            ("bid", id_bits, B),
            ("bresp", 2, B),
            ("bvalid", 1, B),
            ("bready", 1, F),
        ]));
        Bundle::from_owned("AXI4 write", v)
    }

    /// AXI4 (no QoS, region or user signals): the read half, then the write half.
    pub fn axi4(addr_bits: u32, data_bits: u32, id_bits: u32) -> Bundle {
        let mut b = Bundle::axi4_read(addr_bits, data_bits, id_bits);
        b.fields.extend(Bundle::axi4_write(addr_bits, data_bits, id_bits).fields);
        b.kind = "AXI4".into();
        b
    }

    /// AXI4-Lite: AW, W, B, AR, R.
    pub fn axi4_lite(addr_bits: u32, data_bits: u32) -> Bundle {
        Bundle::new(
            "AXI4-Lite",
            &[
                ("awaddr", addr_bits, F),
                ("awprot", 3, F),
                ("awvalid", 1, F),
                ("awready", 1, B),
                ("wdata", data_bits, F),
                ("wstrb", data_bits / 8, F),
                ("wvalid", 1, F),
                ("wready", 1, B),
                ("bresp", 2, B),
                ("bvalid", 1, B),
                ("bready", 1, F),
                ("araddr", addr_bits, F),
                ("arprot", 3, F),
                ("arvalid", 1, F),
                ("arready", 1, B),
                ("rdata", data_bits, B),
                ("rresp", 2, B),
                ("rvalid", 1, B),
                ("rready", 1, F),
            ],
        )
    }

    /// AXI-Stream: `tdata`, optional `tkeep` and `tlast`, `tuser` when
    /// `user_bits > 0`, then `tvalid`, `tready`.
    pub fn axis(data_bits: u32, keep: bool, last: bool, user_bits: u32) -> Bundle {
        Bundle::axis_lanes(data_bits, if keep { data_bits / 8 } else { 0 }, last, user_bits)
    }

    /// AXI-Stream whose `tkeep` has `keep_bits` bits (none when 0): one per
    /// lane rather than per byte, for a stream of elements that are not bytes.
    pub fn axis_lanes(data_bits: u32, keep_bits: u32, last: bool, user_bits: u32) -> Bundle {
        let mut v = vec![("tdata".to_string(), data_bits, F)];
        if keep_bits > 0 {
            v.push(("tkeep".into(), keep_bits, F));
        }
        if last {
            v.push(("tlast".into(), 1, F));
        }
        if user_bits > 0 {
            v.push(("tuser".into(), user_bits, F));
        }
        v.push(("tvalid".into(), 1, F));
        v.push(("tready".into(), 1, B));
        Bundle::from_owned("AXI-Stream", v)
    }

    /// A valid/ready handshake carrying `payload` (name, width) fields.
    pub fn valid_ready(payload: &[(&str, u32)]) -> Bundle {
        let mut v: Vec<_> = payload.iter().map(|&(n, w)| (n.to_string(), w, F)).collect();
        v.push(("valid".into(), 1, F));
        v.push(("ready".into(), 1, B));
        Bundle::from_owned("valid/ready", v)
    }

    /// The same bundle with a comment on field `field`'s port.
    pub fn doc(mut self, field: &str, doc: &str) -> Bundle {
        match self.fields.iter_mut().find(|f| f.name == field) {
            Some(f) => f.doc = Some(doc.to_string()),
            None => self.unknown.push(field.to_string()),
        }
        self
    }

    /// The same bundle with field `field` of type `ty` (a signed payload).
    pub fn typed(mut self, field: &str, ty: Ty) -> Bundle {
        match self.fields.iter_mut().find(|f| f.name == field) {
            Some(f) => f.ty = ty,
            None => self.unknown.push(field.to_string()),
        }
        self
    }

    /// The same bundle with fields `first` moved to the front, in that
    /// order: the port order of a block whose ports were declared one by one
    /// before it had bundles, kept so that its Verilog ports do not move.
    pub fn ordered(mut self, first: &[&str]) -> Bundle {
        let mut front = Vec::new();
        for &name in first {
            match self.fields.iter().position(|f| f.name == name) {
                Some(i) => front.push(self.fields.remove(i)),
                None => self.unknown.push(name.to_string()),
            }
        }
        front.append(&mut self.fields);
        self.fields = front;
        self
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Port names `prefix_field`, in field order: what a testbench looks up.
    pub fn port_names(&self, prefix: &str) -> Vec<String> {
        self.fields.iter().map(|f| format!("{prefix}_{}", f.name)).collect()
    }
}

/// A bundle declared on a module: its input ports, and the output ports
/// still to drive.
#[derive(Clone, Debug)]
pub struct BundleSig {
    module: u64,
    module_name: String,
    prefix: String,
    bundle: Bundle,
    role: Role,
    inputs: Vec<(String, Expr)>,
}

impl BundleSig {
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    fn err(&self, field: &str, message: String) -> HdlError {
        HdlError {
            module: self.module_name.clone(),
            signal: Some(format!("{}_{field}", self.prefix)),
            message: format!("bundle {} ({}): {message}", self.prefix, self.bundle.kind),
        }
    }

    /// The input port for `field` (a field the other side drives).
    pub fn get(&self, field: &str) -> Result<Expr> {
        if let Some((_, e)) = self.inputs.iter().find(|(n, _)| n == field) {
            return Ok(e.clone());
        }
        match self.bundle.field(field) {
            Some(_) => Err(self.err(field, format!("field {field} is an output of this side; drive it"))),
            None => Err(self.err(field, format!("has no field {field}"))),
        }
    }

    /// The input ports, by field name, in field order.
    pub fn inputs(&self) -> &[(String, Expr)] {
        &self.inputs
    }

    /// A child instance's input connections for its bundle `child_prefix`
    /// (same bundle, same role): `child_prefix_field` → this module's input.
    pub fn inputs_for(&self, child_prefix: &str) -> Vec<(String, Expr)> {
        self.inputs.iter().map(|(f, e)| (format!("{child_prefix}_{f}"), e.clone())).collect()
    }

    /// Drive the output port of `field` with `value`, whose type must be the field's.
    pub fn drive(&self, m: &mut Module, field: &str, value: impl Into<Expr>) -> Result<()> {
        if m.id != self.module {
            return Err(self.err(field, format!("belongs to module {}, not {}", self.module_name, m.name)));
        }
        let f = self.bundle.field(field).ok_or_else(|| self.err(field, format!("has no field {field}")))?;
        if !self.role.drives(f.flow) {
            return Err(self.err(field, format!("field {field} is an input of this side")));
        }
        let value = value.into();
        let port = format!("{}_{field}", self.prefix);
        let got = value.ty().map_err(|e| self.err(field, e))?;
        if got != f.ty {
            return Err(self.err(field, format!("field {field} is {}, the value is {got}", f.ty)));
        }
        let Some(i) = m.pending.iter().position(|p| *p == port) else {
            return Err(self.err(field, format!("field {field} is driven twice")));
        };
        m.pending.remove(i);
        match &f.doc {
            Some(d) => m.output_doc(&port, value, d),
            None => m.output(&port, value),
        }
    }

    /// Drive every output field from instance `inst`'s outputs
    /// `child_prefix_field`, checking each width: a child's bundle forwarded
    /// to this module's bundle in one call.
    pub fn connect(&self, m: &mut Module, inst: &Instance, child_prefix: &str) -> Result<()> {
        for f in self.bundle.fields.iter().filter(|f| self.role.drives(f.flow)) {
            let port = format!("{child_prefix}_{}", f.name);
            let e = inst.out(&port).map_err(|_| {
                self.err(&f.name, format!("instance {} has no output {port} for field {}", inst.name, f.name))
            })?;
            let got = e.ty().map_err(|e| self.err(&f.name, e))?;
            if got != f.ty {
                return Err(self.err(
                    &f.name,
                    format!("field {} is {}, instance {} gives {got} on {port}", f.name, f.ty, inst.name),
                ));
            }
            self.drive(m, &f.name, e)?;
        }
        Ok(())
    }
}

impl Module {
    /// Declare `bundle` as ports `prefix_field` for `role`: the fields the
    /// other side drives become inputs now (in field order); the fields this
    /// side drives become outputs when driven with [`BundleSig::drive`] or
    /// [`BundleSig::connect`], and must all be driven before [`Module::check`].
    pub fn bundle_ports(&mut self, prefix: &str, bundle: &Bundle, role: Role) -> Result<BundleSig> {
        if let Some(f) = bundle.unknown.first() {
            return Err(
                self.err(&format!("{prefix}_{f}"), &format!("bundle {prefix} ({}) has no field {f}", bundle.kind))
            );
        }
        let mut inputs = Vec::new();
        let mut outs = Vec::new();
        for f in &bundle.fields {
            let port = format!("{prefix}_{}", f.name);
            if self.pending.contains(&port) {
                return Err(self.err(&port, "is declared twice"));
            }
            if role.drives(f.flow) {
                if self.decl(&port).is_some() {
                    return Err(self.err(&port, "is declared twice"));
                }
                super::names::check_identifier(&port).map_err(|e| self.err(&port, &e))?;
                f.ty.check().map_err(|e| self.err(&port, &e))?;
                outs.push(port);
            } else {
                let e = match &f.doc {
                    Some(d) => self.input_doc(&port, f.ty, d)?,
                    None => self.input(&port, f.ty)?,
                };
                inputs.push((f.name.clone(), e));
            }
        }
        self.pending.extend(outs);
        Ok(BundleSig {
            module: self.id,
            module_name: self.name.clone(),
            prefix: prefix.to_string(),
            bundle: bundle.clone(),
            role,
            inputs,
        })
    }
}

impl Instance {
    /// Child to child: this instance's outputs of its bundle `prefix` (the
    /// fields `role` drives) as input connections `to_prefix_field` of
    /// another instance that is the other side, each width checked. The
    /// other direction goes the same way from the other instance (through
    /// wires when the instances feed each other).
    pub fn bundle_feed(
        &self,
        prefix: &str,
        bundle: &Bundle,
        role: Role,
        to_prefix: &str,
    ) -> Result<Vec<(String, Expr)>> {
        let err = |field: &str, message: String| HdlError {
            module: self.module.clone(),
            signal: Some(format!("{}.{prefix}_{field}", self.name)),
            message: format!("bundle {prefix} ({}) of instance {}: {message}", bundle.kind, self.name),
        };
        let mut v = Vec::new();
        for f in bundle.fields.iter().filter(|f| role.drives(f.flow)) {
            let port = format!("{prefix}_{}", f.name);
            let e = self.out(&port).map_err(|_| err(&f.name, format!("no output {port} for field {}", f.name)))?;
            let got = e.ty().map_err(|m| err(&f.name, m))?;
            if got != f.ty {
                return Err(err(&f.name, format!("field {} is {}, the instance gives {got}", f.name, f.ty)));
            }
            v.push((format!("{to_prefix}_{}", f.name), e));
        }
        Ok(v)
    }
}
