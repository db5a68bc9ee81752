//! Memories (block RAM: one synchronous write port, synchronous read ports)
//! and combinational ROMs.

use super::error::Result;
use super::expr::Expr;
use super::module::{prefix, Module, SigKind};
use super::names::check_identifier;
use super::ty::{Bit, Ty, UInt};

/// The widest ROM word.
pub const ROM_MAX_WIDTH: u32 = 127;

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

/// A memory: `depth` words of type `ty`, addressed by `UInt(addr_width)`.
#[derive(Clone, Debug)]
pub struct Memory {
    module: u64,
    name: String,
    pub ty: Ty,
    pub depth: u32,
    pub addr_width: u32,
}

impl Module {
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
}
