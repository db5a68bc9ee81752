//! The descriptor as one packed word inside the DMA (the word the descriptor
//! queue holds and the validator and legalizer take). Not a block: the
//! format and the functions that pack and unpack it.
//!
//! Fields, least significant first (`A` = `dma.addr_bits`):
//!
//! | field        | bits | meaning (see `golden::dma::Descriptor`) |
//! | ---          | ---  | --- |
//! | `tag`        | 16   | software's name for the descriptor |
//! | `table_base` | 16   | paged: page-table entry of logical page 0 |
//! | `page_shift` | 5    | paged: log2 of the page size |
//! | `kind`       | 3    | 0 linear, 1 2-D, 2 3-D, 3 paged, 4..=7 reserved |
//! | `count1`     | 16   | strided: rows |
//! | `count2`     | 16   | 3-D: planes |
//! | `len`        | 32   | bytes (linear, paged) or bytes per row (strided) |
//! | `addr`       | A    | first byte, or the paged logical offset |
//! | `stride1`    | A    | strided: row stride |
//! | `stride2`    | A    | 3-D: plane stride |

use crate::core::{Expr, Module, Record, Result, UInt};

/// The packed descriptor's layout for an address width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescLayout {
    pub addr_bits: u32,
}

/// The fields of a packed descriptor, as expressions.
pub struct DescFields {
    pub tag: Expr,
    pub table_base: Expr,
    pub page_shift: Expr,
    pub kind: Expr,
    pub count1: Expr,
    pub count2: Expr,
    pub len: Expr,
    pub addr: Expr,
    pub stride1: Expr,
    pub stride2: Expr,
}

impl DescLayout {
    pub fn new(addr_bits: u32) -> DescLayout {
        DescLayout { addr_bits }
    }

    /// The record, fields as in the table above.
    pub fn record(&self) -> Record {
        let a = UInt(self.addr_bits);
        Record::new(
            "desc",
            &[
                ("tag", UInt(16)),
                ("table_base", UInt(16)),
                ("page_shift", UInt(5)),
                ("kind", UInt(3)),
                ("count1", UInt(16)),
                ("count2", UInt(16)),
                ("len", UInt(32)),
                ("addr", a),
                ("stride1", a),
                ("stride2", a),
            ],
        )
    }

    pub fn width(&self) -> u32 {
        self.record().width()
    }

    /// Unpack a descriptor word into wires `prefix_field`.
    pub fn unpack(&self, m: &mut Module, prefix: &str, d: &Expr) -> Result<DescFields> {
        let f = self.record().unpack(m, prefix, d)?;
        Ok(DescFields {
            tag: f.get("tag")?,
            table_base: f.get("table_base")?,
            page_shift: f.get("page_shift")?,
            kind: f.get("kind")?,
            count1: f.get("count1")?,
            count2: f.get("count2")?,
            len: f.get("len")?,
            addr: f.get("addr")?,
            stride1: f.get("stride1")?,
            stride2: f.get("stride2")?,
        })
    }

    /// Pack fields (each of its exact width) into a descriptor word, wire `name`.
    pub fn pack(&self, m: &mut Module, name: &str, f: &DescFields) -> Result<Expr> {
        let v = [
            ("tag", &f.tag),
            ("table_base", &f.table_base),
            ("page_shift", &f.page_shift),
            ("kind", &f.kind),
            ("count1", &f.count1),
            ("count2", &f.count2),
            ("len", &f.len),
            ("addr", &f.addr),
            ("stride1", &f.stride1),
            ("stride2", &f.stride2),
        ];
        self.record().pack(m, name, &v)
    }
}
