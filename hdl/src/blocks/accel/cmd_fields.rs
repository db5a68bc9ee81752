//! A command's fields as the instruction-set table defines them
//! (`golden::core::isa::table`): the engines of the core slice the raw
//! 256-bit command they carry through this one function, so no bit position
//! is written twice. Not a block.

use golden::core::isa::table::op_info;

use crate::blocks::dma::desc::{DescFields, DescLayout};
use crate::core::{Expr, Module, Result};

/// Field `name` of opcode `opcode` in the command `data`, as a wire
/// `<prefix>_<name>` with a comment naming the bits.
pub fn cmd_field(m: &mut Module, prefix: &str, data: &Expr, opcode: u8, name: &str) -> Result<Expr> {
    let op = op_info(opcode).unwrap_or_else(|| panic!("opcode {opcode:#x} is not in the table"));
    let f = op.field(name);
    m.node_doc(
        &format!("{prefix}_{name}"),
        data.slice(f.msb(), f.lsb),
        &format!("{}.{name} = command[{}:{}]", op.name, f.msb(), f.lsb),
    )
}

/// The low `width` bits of field `name` (at most its width), as a wire
/// `<prefix>_<name>`: for fields whose upper bits the decoder has checked to
/// be zero (a slice offset, a line inside the scratchpad) or that wrap with
/// the scratchpad (a line stride).
pub fn cmd_field_low(m: &mut Module, prefix: &str, data: &Expr, opcode: u8, name: &str, width: u32) -> Result<Expr> {
    let op = op_info(opcode).unwrap_or_else(|| panic!("opcode {opcode:#x} is not in the table"));
    let f = op.field(name);
    let w = width.min(f.width);
    m.node_doc(
        &format!("{prefix}_{name}"),
        data.slice(f.lsb + w - 1, f.lsb).zext(width),
        &format!("{}.{name} = command[{}:{}] (low {w} of {} bits)", op.name, f.lsb + w - 1, f.lsb, f.width),
    )
}

/// The DMA descriptor word of a DMA_LOAD or DMA_STORE command `data`
/// (`opcode` picks the table entry; both have the same fields), with `tag`
/// (16 bits): the address and strides cut or widened to `addr_bits`, as the
/// DMA's registers take them.
pub fn dma_desc(m: &mut Module, prefix: &str, data: &Expr, opcode: u8, addr_bits: u32, tag: &Expr) -> Result<Expr> {
    let mut g = |name: &str| cmd_field(m, prefix, data, opcode, name);
    let (kind, page_shift, table_base) = (g("kind")?, g("page_shift")?, g("table_base")?);
    let (addr, len, count1, count2) = (g("addr")?, g("len")?, g("count1")?, g("count2")?);
    let (stride1, stride2) = (g("stride1")?, g("stride2")?);
    if addr_bits < addr.width() {
        m.allow_unused(&addr, "address bits at and above dma.addr_bits are ignored (docs/isa.md)")?;
    }
    let fit = |e: &Expr| if e.width() >= addr_bits { e.trunc(addr_bits) } else { e.zext(addr_bits) };
    let f = DescFields {
        tag: tag.clone(),
        table_base,
        page_shift,
        kind,
        count1,
        count2,
        len,
        addr: fit(&addr),
        stride1: fit(&stride1),
        stride2: fit(&stride2),
    };
    DescLayout::new(addr_bits).pack(m, &format!("{prefix}_desc"), &f)
}

/// A raw 256-bit command of opcode `opcode`, as a wire `<name>`: each
/// `(field, value)` at the field's bits (`value` at most the field's width,
/// zero-extended), the opcode in its field, every other bit zero.
pub fn cmd_pack(m: &mut Module, name: &str, opcode: u8, values: &[(&str, Expr)]) -> Result<Expr> {
    let op = op_info(opcode).unwrap_or_else(|| panic!("opcode {opcode:#x} is not in the table"));
    let mut placed: Vec<(u32, u32, Expr)> = vec![(0, 8, crate::blocks::common::lanes::lit(opcode as u128, 8))];
    for (n, v) in values {
        let f = op.field(n);
        assert!(v.width() <= f.width, "{}.{n}: a {}-bit value in a {}-bit field", op.name, v.width(), f.width);
        placed.push((f.lsb, f.width, v.zext(f.width)));
    }
    placed.sort_by_key(|p| p.0);
    // Most significant first, zeros in the gaps.
    let mut parts: Vec<Expr> = Vec::new();
    let mut top = golden::core::isa::table::COMMAND_BITS;
    for (lsb, w, v) in placed.iter().rev() {
        assert!(lsb + w <= top, "{}: fields overlap", op.name);
        if lsb + w < top {
            parts.push(crate::blocks::common::lanes::zeros(top - lsb - w));
        }
        parts.push(v.clone());
        top = *lsb;
    }
    let refs: Vec<&Expr> = parts.iter().collect();
    m.node_doc(name, crate::core::cat(&refs), &format!("a raw {} command", op.name))
}
