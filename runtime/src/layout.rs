//! Where things go: a bump allocator for DRAM, and the scratchpad regions of
//! the GEMM lowering.

use golden::core::CoreParams;

/// Hands out DRAM ranges from `next` on, each aligned to 4 KiB (so no
/// operand row shares a page with another allocation).
#[derive(Clone, Debug)]
pub struct DramAlloc {
    next: u64,
    end: u64,
}

impl DramAlloc {
    /// Allocate within `[base, end)`.
    pub fn new(base: u64, end: u64) -> DramAlloc {
        DramAlloc { next: base, end }
    }

    pub fn alloc(&mut self, bytes: u64) -> Result<u64, String> {
        let a = self.next.div_ceil(4096) * 4096;
        if a.checked_add(bytes).is_none_or(|e| e > self.end) {
            return Err(format!("{bytes} bytes do not fit the address space (up to {:#x})", self.end));
        }
        self.next = a + bytes.max(1);
        Ok(a)
    }
}

/// A range of scratchpad lines `[start, start + lines)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u32,
    pub lines: u32,
}

/// The GEMM's six scratchpad regions: two buffers each for A, B and C,
/// alternated so that a load fills one while the tile reads the other and a
/// store drains one while the tile writes the other.
///
/// The scratchpad is cut into eight units: A0 and A1 get two each, B0, B1,
/// C0 and C1 one each. With eight banks or more every unit is whole banks,
/// so each buffer has its own banks; with fewer, buffers share a bank (which
/// is still correct, and a bank's write port and read port still work at
/// once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmRegions {
    pub a: [Region; 2],
    pub b: [Region; 2],
    pub c: [Region; 2],
}

impl GemmRegions {
    pub fn new(p: &CoreParams) -> GemmRegions {
        let unit = p.lines / 8;
        let r = |u: u32, n: u32| Region { start: u * unit, lines: n * unit };
        GemmRegions { a: [r(0, 2), r(2, 2)], b: [r(4, 1), r(5, 1)], c: [r(6, 1), r(7, 1)] }
    }
}
