//! Expressions over signals.
//!
//! An [`Expr`] is an immutable tree. Building one never fails: a broken rule
//! (operands of different types, a literal that does not fit, a slice out of
//! range) makes a node whose type is an error, and the error surfaces, with the
//! module and signal named, when the expression is given to the module
//! (`assign`, `output`, a register's `d`, an instance port). So Rust's operators
//! can be used directly on signal handles.
//!
//! Rules, chosen so that the Verilog the emitter writes has exactly the meaning
//! of the Rust:
//! * `+ - * & | ^` need operands of the same type and give that type (modular:
//!   the carry out of the top bit is dropped, as Verilog does at that width).
//! * Comparisons need operands of the same type and give one bit; they are
//!   signed when the operands are `SInt`.
//! * `>>` is arithmetic on `SInt`, logical on `UInt` (as in Rust); `<<` fills with
//!   zeros. A shift by `width` or more gives 0 (or all sign bits for `SInt >>`).
//! * Width changes are explicit: `sext`, `zext`, `trunc`; signedness changes are
//!   explicit: `as_signed`, `as_unsigned`. Slices, `cat` and `rep` give `UInt`.

use std::ops;
use std::rc::Rc;

use super::ty::{Bit, SInt, Ty, UInt};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
}

impl BinOp {
    pub(crate) fn verilog(self, signed: bool) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::And => "&",
            BinOp::Or => "|",
            BinOp::Xor => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Shl => "<<",
            BinOp::Shr if signed => ">>>",
            BinOp::Shr => ">>",
        }
    }

    fn is_compare(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    fn is_shift(self) -> bool {
        matches!(self, BinOp::Shl | BinOp::Shr)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RedOp {
    And,
    Or,
    Xor,
}

#[derive(Debug)]
pub(crate) enum Kind {
    /// A named signal of module `module` (a port, wire, register or instance output).
    Sig {
        module: u64,
        name: Rc<str>,
    },
    /// A literal value (it fits the node's type).
    Lit(i128),
    Unary(UnOp, Expr),
    Binary(BinOp, Expr, Expr),
    /// Shift by a constant amount.
    ShiftConst(BinOp, Expr, u32),
    Mux(Expr, Expr, Expr),
    Cat(Vec<Expr>),
    /// `n` copies of the operand, concatenated (Verilog `{n{x}}`).
    Repeat(Expr, u32),
    Slice(Expr, u32, u32),
    Reduce(RedOp, Expr),
    Sext(Expr),
    Zext(Expr),
    Trunc(Expr),
    AsSigned(Expr),
    AsUnsigned(Expr),
    /// A broken rule; the message is in the node's type.
    Invalid,
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) ty: Result<Ty, String>,
}

/// A hardware expression: a signal, a literal, or an operation on expressions.
#[derive(Clone, Debug)]
pub struct Expr(pub(crate) Rc<Node>);

impl Expr {
    pub(crate) fn new(kind: Kind, ty: Result<Ty, String>) -> Expr {
        Expr(Rc::new(Node { kind, ty }))
    }

    fn invalid(msg: String) -> Expr {
        Expr::new(Kind::Invalid, Err(msg))
    }

    pub(crate) fn sig(module: u64, name: &str, ty: Ty) -> Expr {
        Expr::new(Kind::Sig { module, name: name.into() }, Ok(ty))
    }

    /// A literal of type `ty`; `value` must fit (e.g. -128..=127 for `SInt(8)`).
    pub fn lit(value: i128, ty: Ty) -> Expr {
        match ty.check().and_then(|_| ty.check_literal(value)) {
            Ok(()) => Expr::new(Kind::Lit(value), Ok(ty)),
            Err(e) => Expr::invalid(e),
        }
    }

    /// The type, or the first broken rule found in this expression.
    pub fn ty(&self) -> Result<Ty, String> {
        self.0.ty.clone()
    }

    /// The width in bits (0 if the expression is invalid).
    pub fn width(&self) -> u32 {
        self.0.ty.as_ref().map(|t| t.width()).unwrap_or(0)
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.0.kind
    }

    /// The signal name if this expression is a plain signal.
    pub fn signal_name(&self) -> Option<&str> {
        match &self.0.kind {
            Kind::Sig { name, .. } => Some(name),
            _ => None,
        }
    }

    fn binary(op: BinOp, a: &Expr, b: &Expr) -> Expr {
        let ty = (|| {
            let (ta, tb) = (a.ty()?, b.ty()?);
            let sym = op.verilog(ta.is_signed());
            if op.is_shift() {
                if tb.is_signed() {
                    return Err(format!("the shift amount of `{sym}` must be UInt, got {tb}"));
                }
                return Ok(ta);
            }
            if ta != tb {
                return Err(format!(
                    "`{sym}` needs operands of the same type, got {ta} and {tb} \
                     (use sext/zext/trunc/as_signed to convert)"
                ));
            }
            Ok(if op.is_compare() { Bit } else { ta })
        })();
        Expr::new(Kind::Binary(op, a.clone(), b.clone()), ty)
    }

    /// A literal with the type of `self`, for `expr + 1` and the like.
    fn lit_like(&self, value: i128) -> Expr {
        match self.ty() {
            Ok(t) => Expr::lit(value, t),
            Err(e) => Expr::invalid(e),
        }
    }

    fn cmp(&self, op: BinOp, other: impl Into<Operand>) -> Expr {
        let o = other.into().resolve(self);
        Expr::binary(op, self, &o)
    }

    /// `self == other`, one bit.
    pub fn cmp_eq(&self, other: impl Into<Operand>) -> Expr {
        self.cmp(BinOp::Eq, other)
    }
    /// `self != other`, one bit.
    pub fn cmp_ne(&self, other: impl Into<Operand>) -> Expr {
        self.cmp(BinOp::Ne, other)
    }
    /// `self < other`, one bit; signed for `SInt`.
    pub fn cmp_lt(&self, other: impl Into<Operand>) -> Expr {
        self.cmp(BinOp::Lt, other)
    }
    /// `self <= other`, one bit; signed for `SInt`.
    pub fn cmp_le(&self, other: impl Into<Operand>) -> Expr {
        self.cmp(BinOp::Le, other)
    }
    /// `self > other`, one bit; signed for `SInt`.
    pub fn cmp_gt(&self, other: impl Into<Operand>) -> Expr {
        self.cmp(BinOp::Gt, other)
    }
    /// `self >= other`, one bit; signed for `SInt`.
    pub fn cmp_ge(&self, other: impl Into<Operand>) -> Expr {
        self.cmp(BinOp::Ge, other)
    }

    /// The full-width product: `SInt(a) × SInt(b)` gives `SInt(a + b)`, likewise
    /// for `UInt`. Both operands are extended first, so no bit is lost.
    pub fn mul_wide(&self, other: &Expr) -> Expr {
        match (self.ty(), other.ty()) {
            (Ok(ta), Ok(tb)) if ta.is_signed() == tb.is_signed() => {
                let w = ta.width() + tb.width();
                if ta.is_signed() {
                    &self.sext(w) * &other.sext(w)
                } else {
                    &self.zext(w) * &other.zext(w)
                }
            }
            (Ok(ta), Ok(tb)) => {
                Expr::invalid(format!("mul_wide needs operands of the same signedness, got {ta} and {tb}"))
            }
            (Err(e), _) | (_, Err(e)) => Expr::invalid(e),
        }
    }

    /// Sign-extend an `SInt` to `width` bits (>= its width).
    pub fn sext(&self, width: u32) -> Expr {
        self.extend(width, true)
    }

    /// Zero-extend a `UInt` to `width` bits (>= its width).
    pub fn zext(&self, width: u32) -> Expr {
        self.extend(width, false)
    }

    fn extend(&self, width: u32, signed: bool) -> Expr {
        let name = if signed { "sext" } else { "zext" };
        let ty = self.ty().and_then(|t| {
            if t.is_signed() != signed {
                return Err(format!("{name} applies to {} values, got {t}", if signed { "SInt" } else { "UInt" }));
            }
            if width < t.width() {
                return Err(format!("{name} to {width} bits would narrow {t}; use trunc"));
            }
            let nt = t.with_width(width);
            nt.check()?;
            Ok(nt)
        });
        if ty.as_ref().map(|t| t.width()) == Ok(self.width()) {
            return self.clone();
        }
        let kind = if signed { Kind::Sext(self.clone()) } else { Kind::Zext(self.clone()) };
        Expr::new(kind, ty)
    }

    /// Keep the low `width` bits (<= its width), same signedness.
    pub fn trunc(&self, width: u32) -> Expr {
        let ty = self.ty().and_then(|t| {
            if width == 0 || width > t.width() {
                return Err(format!("trunc to {width} bits of {t}: must be between 1 and {}", t.width()));
            }
            Ok(t.with_width(width))
        });
        if ty.as_ref().map(|t| t.width()) == Ok(self.width()) {
            return self.clone();
        }
        Expr::new(Kind::Trunc(self.clone()), ty)
    }

    /// Reinterpret the bits as `SInt` of the same width.
    pub fn as_signed(&self) -> Expr {
        match self.ty() {
            Ok(SInt(_)) => self.clone(),
            Ok(UInt(w)) => Expr::new(Kind::AsSigned(self.clone()), Ok(SInt(w))),
            Err(e) => Expr::invalid(e),
        }
    }

    /// Reinterpret the bits as `UInt` of the same width.
    pub fn as_unsigned(&self) -> Expr {
        match self.ty() {
            Ok(UInt(_)) => self.clone(),
            Ok(SInt(w)) => Expr::new(Kind::AsUnsigned(self.clone()), Ok(UInt(w))),
            Err(e) => Expr::invalid(e),
        }
    }

    /// Bits `hi..=lo` (Verilog `[hi:lo]`), as `UInt(hi - lo + 1)`.
    pub fn slice(&self, hi: u32, lo: u32) -> Expr {
        let ty = self.ty().and_then(|t| {
            if hi < lo || hi >= t.width() {
                return Err(format!("slice [{hi}:{lo}] of {t}: need {} >= hi >= lo", t.width() - 1));
            }
            Ok(UInt(hi - lo + 1))
        });
        Expr::new(Kind::Slice(self.clone(), hi, lo), ty)
    }

    /// Bit `i`, as one bit.
    pub fn bit(&self, i: u32) -> Expr {
        self.slice(i, i)
    }

    /// The most significant bit (the sign bit of an `SInt`).
    pub fn msb(&self) -> Expr {
        let w = self.width().max(1);
        self.bit(w - 1)
    }

    fn reduce(&self, op: RedOp) -> Expr {
        let ty = self.ty().map(|_| Bit);
        Expr::new(Kind::Reduce(op, self.clone()), ty)
    }
    /// AND of all bits.
    pub fn all(&self) -> Expr {
        self.reduce(RedOp::And)
    }
    /// OR of all bits.
    pub fn any(&self) -> Expr {
        self.reduce(RedOp::Or)
    }
    /// XOR of all bits (parity).
    pub fn parity(&self) -> Expr {
        self.reduce(RedOp::Xor)
    }

    /// `n` copies of `self` concatenated; see [`rep`].
    pub fn repeat(&self, n: u32) -> Expr {
        rep(self, n)
    }

    /// Shift left by a constant, filling with zeros.
    pub fn shl_const(&self, n: u32) -> Expr {
        let ty = self.ty();
        Expr::new(Kind::ShiftConst(BinOp::Shl, self.clone(), n), ty)
    }

    /// Shift right by a constant: arithmetic for `SInt`, logical for `UInt`.
    pub fn shr_const(&self, n: u32) -> Expr {
        let ty = self.ty();
        Expr::new(Kind::ShiftConst(BinOp::Shr, self.clone(), n), ty)
    }

    /// Shift left by a `UInt` amount, filling with zeros.
    pub fn shl(&self, amount: &Expr) -> Expr {
        Expr::binary(BinOp::Shl, self, amount)
    }

    /// Shift right by a `UInt` amount: arithmetic for `SInt`, logical for `UInt`.
    pub fn shr(&self, amount: &Expr) -> Expr {
        Expr::binary(BinOp::Shr, self, amount)
    }
}

/// `sel ? a : b`. `sel` must be one bit; `a` and `b` of the same type.
pub fn mux(sel: &Expr, a: &Expr, b: &Expr) -> Expr {
    let ty = (|| {
        let (ts, ta, tb) = (sel.ty()?, a.ty()?, b.ty()?);
        if ts != Bit {
            return Err(format!("mux select must be one bit (UInt(1)), got {ts}"));
        }
        if ta != tb {
            return Err(format!("mux arms must have the same type, got {ta} and {tb}"));
        }
        Ok(ta)
    })();
    Expr::new(Kind::Mux(sel.clone(), a.clone(), b.clone()), ty)
}

/// Concatenation, most significant part first (Verilog `{a, b}`); gives `UInt`.
pub fn cat(parts: &[&Expr]) -> Expr {
    let ty = (|| {
        if parts.is_empty() {
            return Err("cat of no parts".to_string());
        }
        let mut w = 0;
        for p in parts {
            w += p.ty()?.width();
        }
        let t = UInt(w);
        t.check()?;
        Ok(t)
    })();
    Expr::new(Kind::Cat(parts.iter().map(|p| (*p).clone()).collect()), ty)
}

/// `n` copies of `x` concatenated (Verilog `{n{x}}`); gives `UInt`. A byte
/// mask from a strobe is `cat` of `rep(&strb.bit(i), 8)`; a copy of a signed
/// value is its bit pattern.
pub fn rep(x: &Expr, n: u32) -> Expr {
    let ty = x.ty().and_then(|t| {
        if n == 0 {
            return Err("rep of zero copies".to_string());
        }
        let w = (t.width() as u64) * (n as u64);
        if w > u32::MAX as u64 {
            return Err(format!("rep of {n} copies of {t} is too wide"));
        }
        let t = UInt(w as u32);
        t.check()?;
        Ok(t)
    });
    Expr::new(Kind::Repeat(x.clone(), n), ty)
}

/// The right-hand side of a comparison: another expression or an integer
/// literal that takes the type of the left-hand side.
pub enum Operand {
    Expr(Expr),
    Int(i128),
}

impl Operand {
    fn resolve(self, like: &Expr) -> Expr {
        match self {
            Operand::Expr(e) => e,
            Operand::Int(v) => like.lit_like(v),
        }
    }
}

impl From<&Expr> for Operand {
    fn from(e: &Expr) -> Self {
        Operand::Expr(e.clone())
    }
}
impl From<Expr> for Operand {
    fn from(e: Expr) -> Self {
        Operand::Expr(e)
    }
}
impl From<i64> for Operand {
    fn from(v: i64) -> Self {
        Operand::Int(v as i128)
    }
}

macro_rules! binop {
    ($trait:ident, $method:ident, $op:expr) => {
        impl ops::$trait<&Expr> for &Expr {
            type Output = Expr;
            fn $method(self, rhs: &Expr) -> Expr {
                Expr::binary($op, self, rhs)
            }
        }
        impl ops::$trait<Expr> for &Expr {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                Expr::binary($op, self, &rhs)
            }
        }
        impl ops::$trait<&Expr> for Expr {
            type Output = Expr;
            fn $method(self, rhs: &Expr) -> Expr {
                Expr::binary($op, &self, rhs)
            }
        }
        impl ops::$trait<Expr> for Expr {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                Expr::binary($op, &self, &rhs)
            }
        }
        /// The literal takes the type of the expression and must fit it.
        impl ops::$trait<i64> for &Expr {
            type Output = Expr;
            fn $method(self, rhs: i64) -> Expr {
                Expr::binary($op, self, &self.lit_like(rhs as i128))
            }
        }
        impl ops::$trait<i64> for Expr {
            type Output = Expr;
            fn $method(self, rhs: i64) -> Expr {
                let l = self.lit_like(rhs as i128);
                Expr::binary($op, &self, &l)
            }
        }
    };
}

binop!(Add, add, BinOp::Add);
binop!(Sub, sub, BinOp::Sub);
binop!(Mul, mul, BinOp::Mul);
binop!(BitAnd, bitand, BinOp::And);
binop!(BitOr, bitor, BinOp::Or);
binop!(BitXor, bitxor, BinOp::Xor);

/// `a << n` and `a >> n` by a constant number of bits.
macro_rules! shiftop {
    ($trait:ident, $method:ident, $f:ident) => {
        impl ops::$trait<u32> for &Expr {
            type Output = Expr;
            fn $method(self, n: u32) -> Expr {
                self.$f(n)
            }
        }
        impl ops::$trait<u32> for Expr {
            type Output = Expr;
            fn $method(self, n: u32) -> Expr {
                self.$f(n)
            }
        }
    };
}
shiftop!(Shl, shl, shl_const);
shiftop!(Shr, shr, shr_const);

impl ops::Not for &Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::new(Kind::Unary(UnOp::Not, self.clone()), self.ty())
    }
}
impl ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        !&self
    }
}
impl ops::Neg for &Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::new(Kind::Unary(UnOp::Neg, self.clone()), self.ty())
    }
}
impl ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        -&self
    }
}
