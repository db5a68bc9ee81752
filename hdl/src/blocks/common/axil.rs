//! The pieces of an AXI4-Lite register slave (16-bit addresses, 32-bit
//! data) that the DMA's and the core's register blocks share: the ports,
//! the write channel (AW and W taken together), the read handshake, a
//! read-write register with byte strobes, and a page-table window's write
//! port. Each register block keeps its own decode, write response and read
//! data, because what may hold a write (the DMA's `PUSH`) differs.

use crate::blocks::common::lanes::{bytes_of, index_bits, lit, merge, zeros};
use crate::core::{cat, mux, Bit, Bundle, BundleSig, Expr, Module, Reg, Result, Role, UInt};

/// AXI4-Lite address width of both register blocks.
pub const AXIL_ADDR_BITS: u32 = 16;

/// The AXI4-Lite slave's input ports (the ones the block reads).
pub struct LiteIn {
    /// The AXI4-Lite slave bundle, whose outputs are driven last.
    pub bus: BundleSig,
    pub awaddr: Expr,
    pub awvalid: Expr,
    pub wdata: Expr,
    pub wstrb: Expr,
    pub wvalid: Expr,
    pub bready: Expr,
    pub araddr: Expr,
    pub arvalid: Expr,
    pub rready: Expr,
}

/// Declare the slave's ports `s_axil_*`; AxPROT and the byte-select address
/// bits are declared unused (every access is allowed, accesses are words).
pub fn lite_ports(m: &mut Module) -> Result<LiteIn> {
    let bus = m.bundle_ports("s_axil", &Bundle::axi4_lite(AXIL_ADDR_BITS, 32), Role::Slave)?;
    let g = |field: &str| bus.get(field);
    let (awaddr, awprot, awvalid) = (g("awaddr")?, g("awprot")?, g("awvalid")?);
    let (wdata, wstrb, wvalid, bready) = (g("wdata")?, g("wstrb")?, g("wvalid")?, g("bready")?);
    let (araddr, arprot, arvalid, rready) = (g("araddr")?, g("arprot")?, g("arvalid")?, g("rready")?);
    m.allow_unused(&awprot, "AXI4-Lite AWPROT: every access is allowed")?;
    m.allow_unused(&arprot, "AXI4-Lite ARPROT: every access is allowed")?;
    m.allow_unused(&awaddr, "AXI4-Lite address: bits 1..0 select bytes within a word")?;
    m.allow_unused(&araddr, "AXI4-Lite address: bits 1..0 select bytes within a word")?;
    Ok(LiteIn { bus, awaddr, awvalid, wdata, wstrb, wvalid, bready, araddr, arvalid, rready })
}

/// The write channel: AW and W taken together in the cycle `wfire` is high.
pub struct WriteChannel {
    pub bvalid: Reg,
    pub bresp: Reg,
    /// AW, W and a free B slot are all there (the block may still hold the write).
    pub both: Expr,
    /// The write happens this cycle (a wire, driven by the block's write response).
    pub wfire: Expr,
    /// The written word's address (`awaddr[15:2]`).
    pub wa: Expr,
    pub wmask: Expr,
    pub wdata: Expr,
    pub wstrb: Expr,
}

impl WriteChannel {
    /// A read-write register at byte address `addr`: the bits of `mask` are
    /// stored (up to its highest bit), reset to `reset`, and updated with
    /// byte strobes when a write hits it; the other bits do not exist, so
    /// reserved bits read 0.
    pub fn rw_reg(&self, m: &mut Module, name: &str, mask: u32, reset: u32, addr: u32) -> Result<Reg> {
        let width = 32 - mask.leading_zeros();
        let r = m.reg(name, UInt(width)).reset(reset as i128).build()?;
        let old = if width < 32 { r.q.zext(32) } else { r.q.clone() };
        let new = (merge(&self.wmask, &self.wdata, &old) & lit(mask as u128, 32)).trunc(width);
        let hit = &self.wfire & self.wa.cmp_eq(word(addr));
        m.set_next(&r, mux(&hit, &new, &r.q))?;
        Ok(r)
    }

    /// Bit `bit` of a write to `addr` this cycle (its byte strobe honoured).
    pub fn bit_written(&self, addr: u32, bit: u32) -> Expr {
        &self.wfire & self.wa.cmp_eq(word(addr)) & self.wdata.bit(bit) & self.wstrb.bit(bit / 8)
    }
}

/// The write channel. In: AW, W and BREADY. Out: the B registers, `both`
/// (AW, W and a free B slot) and the `wfire` wire, which the block's write
/// response drives.
pub fn write_channel(m: &mut Module, lite: &LiteIn) -> Result<WriteChannel> {
    let bvalid = m.reg("bvalid_q", Bit).reset(0).build()?;
    let bresp = m.reg("bresp_q", UInt(2)).reset(0).build()?;
    let b_free = m.node("b_free", !&bvalid.q | &lite.bready)?;
    let both = m.node("aw_w", &lite.awvalid & &lite.wvalid & &b_free)?;
    let wmask = bytes_of(&lite.wstrb);
    let wfire = m.wire("wfire", Bit)?;
    Ok(WriteChannel {
        bvalid,
        bresp,
        both,
        wfire,
        wa: lite.awaddr.slice(AXIL_ADDR_BITS - 1, 2),
        wmask,
        wdata: lite.wdata.clone(),
        wstrb: lite.wstrb.clone(),
    })
}

/// The read channel's handshake: a read is taken in the cycle `ar_fire` is high.
pub struct ReadChannel {
    pub rvalid: Reg,
    pub arready: Expr,
    pub ar_fire: Expr,
    /// The read word's address (`araddr[15:2]`).
    pub ra: Expr,
}

/// The read channel's handshake. In: ARVALID, RREADY. Out: RVALID's register,
/// ARREADY (the R slot is free or being emptied) and `ar_fire`; the data
/// comes from the block's read data stage.
pub fn read_handshake(m: &mut Module, lite: &LiteIn) -> Result<ReadChannel> {
    let rvalid = m.reg("rvalid_q", Bit).reset(0).build()?;
    let arready = m.node("arready_w", !&rvalid.q | &lite.rready)?;
    let ar_fire = m.node("ar_fire", &lite.arvalid & &arready)?;
    Ok(ReadChannel { rvalid, arready, ar_fire, ra: lite.araddr.slice(AXIL_ADDR_BITS - 1, 2) })
}

/// A register's word address, as compared with `awaddr[15:2]`/`araddr[15:2]`.
pub fn word(off: u32) -> Expr {
    lit((off >> 2) as u128, AXIL_ADDR_BITS - 2)
}

/// Whether byte address `full` is in a page-table window at `tbase` (a
/// multiple of 0x4000) with `entries` entries of 8 bytes.
pub fn in_table(full: &Expr, tbase: u32, entries: u32) -> Expr {
    full.slice(15, 14).cmp_eq(lit((tbase >> 14) as u128, 2))
        & full.slice(13, 3).zext(12).cmp_lt(lit(entries as u128, 12))
}

/// A page table's write port. In: writes to the window at `tbase` (entry
/// `i` at `tbase + 8·i`). Out: a registered (we, index, base address) for a
/// page-table RAM of `entries` entries of `addr_bits` bits, named
/// `{p}_tbl_*`. With 64-bit addresses the high word (`+4`) is staged and
/// stored together with the low word (`+0`).
pub fn page_table_port(
    m: &mut Module,
    wr: &WriteChannel,
    lite: &LiteIn,
    p: &str,
    tbase: u32,
    (addr_bits, entries): (u32, u32),
) -> Result<(Expr, Expr, Expr)> {
    let a = addr_bits;
    let tb = index_bits(entries as u64);
    let awaddr = &lite.awaddr;
    let sel = awaddr.slice(15, 14).cmp_eq(lit((tbase >> 14) as u128, 2));
    let index = awaddr.slice(13, 3);
    let in_range = index.zext(12).cmp_lt(lit(entries as u128, 12));
    let is_hi = awaddr.bit(2);
    let hit = &wr.wfire & &sel & &in_range;
    let we = m.reg(&format!("{p}_tbl_we_q"), Bit).reset(0).d(&hit & !&is_hi)?;
    let waddr = m.reg(&format!("{p}_tbl_waddr_q"), UInt(tb)).reset(0).d(mux(&hit, &index.trunc(tb), &lit(0, tb)))?;
    let data = if a == 64 {
        let stage = m.reg(&format!("{p}_tbl_hi"), UInt(32)).reset(0).build()?;
        m.set_next(&stage, mux(&(&hit & &is_hi), &wr.wdata, &stage.q))?;
        cat(&[&stage.q, &wr.wdata])
    } else {
        wr.wdata.clone()
    };
    let wd = m.reg(&format!("{p}_tbl_wdata_q"), UInt(a)).reset(0).d(mux(&hit, &data, &zeros(a)))?;
    Ok((we, waddr, wd))
}
