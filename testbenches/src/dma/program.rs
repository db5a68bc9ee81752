//! Register writes that program descriptors and page tables, as software
//! would.

use golden::dma::Descriptor;
use golden::DmaConfig;
use hdl::blocks::dma::regs;

use super::*;

/// The register writes that program `d` into `engine`'s shadow registers,
/// skipping those whose value `shadow` says is already there, then PUSH.
pub fn descriptor_writes(
    cfg: &DmaConfig,
    engine: Engine,
    d: &Descriptor,
    shadow: &mut [Option<u32>; 16],
) -> Vec<(u32, u32)> {
    let b = engine.base();
    let mut fields = vec![
        (regs::DESC_CTRL, d.kind as u32 | (d.page_shift as u32) << 8),
        (regs::ADDR_LO, d.addr as u32),
        (regs::LEN, d.len),
        (regs::COUNTS, d.count1 as u32 | (d.count2 as u32) << 16),
        (regs::STRIDE1_LO, d.stride1 as u32),
        (regs::STRIDE2_LO, d.stride2 as u32),
        (regs::TABLE_BASE, d.table_base as u32),
    ];
    if cfg.addr_bits == 64 {
        fields.push((regs::ADDR_HI, (d.addr >> 32) as u32));
        fields.push((regs::STRIDE1_HI, (d.stride1 >> 32) as u32));
        fields.push((regs::STRIDE2_HI, (d.stride2 >> 32) as u32));
    }
    let mut v = Vec::new();
    for (off, val) in fields {
        let slot = &mut shadow[(off / 4) as usize];
        if *slot != Some(val) {
            *slot = Some(val);
            v.push((b + off, val));
        }
    }
    v.push((b + regs::PUSH, d.tag as u32));
    v
}

/// The table writes for one engine's page table.
pub fn table_writes(cfg: &DmaConfig, engine: Engine, table: &[u64]) -> Vec<(u32, u32)> {
    let base = match engine {
        Engine::Read => regs::READ_TABLE_BASE,
        Engine::Write => regs::WRITE_TABLE_BASE,
    };
    let mut v = Vec::new();
    for (i, &e) in table.iter().enumerate() {
        let at = base + 8 * i as u32;
        if cfg.addr_bits == 64 {
            v.push((at + 4, (e >> 32) as u32));
        }
        v.push((at, e as u32));
    }
    v
}
