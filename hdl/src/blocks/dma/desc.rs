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

use crate::blocks::common::lanes::field;
use crate::core::{cat, Expr};

/// Bit offsets of the packed descriptor for an address width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescLayout {
    pub addr_bits: u32,
}

pub const TAG: (u32, u32) = (0, 16);
pub const TABLE_BASE: (u32, u32) = (16, 16);
pub const PAGE_SHIFT: (u32, u32) = (32, 5);
pub const KIND: (u32, u32) = (37, 3);
pub const COUNT1: (u32, u32) = (40, 16);
pub const COUNT2: (u32, u32) = (56, 16);
pub const LEN: (u32, u32) = (72, 32);

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

    pub fn width(&self) -> u32 {
        104 + 3 * self.addr_bits
    }

    pub fn addr(&self) -> (u32, u32) {
        (104, self.addr_bits)
    }
    pub fn stride1(&self) -> (u32, u32) {
        (104 + self.addr_bits, self.addr_bits)
    }
    pub fn stride2(&self) -> (u32, u32) {
        (104 + 2 * self.addr_bits, self.addr_bits)
    }

    /// Unpack a descriptor word.
    pub fn unpack(&self, d: &Expr) -> DescFields {
        let f = |(lsb, w): (u32, u32)| field(d, lsb, w);
        DescFields {
            tag: f(TAG),
            table_base: f(TABLE_BASE),
            page_shift: f(PAGE_SHIFT),
            kind: f(KIND),
            count1: f(COUNT1),
            count2: f(COUNT2),
            len: f(LEN),
            addr: f(self.addr()),
            stride1: f(self.stride1()),
            stride2: f(self.stride2()),
        }
    }

    /// Pack fields (each of its exact width) into a descriptor word.
    pub fn pack(&self, f: &DescFields) -> Expr {
        cat(&[
            &f.stride2,
            &f.stride1,
            &f.addr,
            &f.len,
            &f.count2,
            &f.count1,
            &f.kind,
            &f.page_shift,
            &f.table_base,
            &f.tag,
        ])
    }
}
