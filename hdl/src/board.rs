//! The board top ("scan wrapper") that puts any top on the few pins of a small
//! FPGA package, for measurement and bring-up.
//!
//! A top such as the tile has hundreds of input and output bits; an iCE40
//! package has a few dozen pins. The wrapper gives every DUT input a register
//! loaded from a serial shift chain and captures every DUT output into a
//! register read back one byte at a time, so the DUT is timed
//! register-to-register (what nextpnr reports is the DUT's own Fmax) and no
//! DUT input or output can be optimized away.
//!
//! Pins (all synchronized to `clk` with two flip-flops, so a microcontroller
//! or an FTDI chip may drive them at any time):
//! - `reset`: active high; held for at least 4 clock cycles resets the DUT and the wrapper.
//! - `sck`, `sdi`: on each rising edge of `sck`, `sdi` is shifted into the scan chain.
//! - `update`: on its rising edge the scan chain is copied to the DUT inputs.
//!   One-bit inputs named `*valid` or `*ready` (the AXI handshakes) are
//!   strobes: high for exactly the one cycle after the update, so one update
//!   moves at most one beat; every other input holds its value until the next update.
//! - `capture`: on its rising edge every DUT output is copied into the capture register.
//! - `sel`: chooses the byte of the capture register shown on `dout` (byte 0 = bits 7..0).
//! - `dout`: the selected byte, registered; valid a few cycles after `sel` or a capture.

use crate::blocks::common::lanes::{index_bits, zeros};
use crate::blocks::common::params::check_range;
use crate::core::{cat, mux, Bit, Dir, Expr, Module, ResetKind, Result, Ty, UInt, MAX_WIDTH};

/// The board top's name in parameter errors.
const BOARD_BLOCK: &str = "serrano_board";

/// One DUT port's place in the scan chain or the capture register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub port: String,
    pub width: u32,
    /// The field's least significant bit in the chain (or capture) vector.
    pub lsb: u32,
    /// A one-cycle strobe (only for inputs).
    pub strobe: bool,
}

/// A generated board top and how its scan chain and capture register are laid out.
pub struct Board {
    pub top: Module,
    /// The DUT inputs in the scan chain; the chain's first bit shifted in ends at its MSB.
    pub inputs: Vec<Field>,
    pub scan_bits: u32,
    /// The DUT outputs in the capture register.
    pub outputs: Vec<Field>,
    pub capture_bits: u32,
    /// Bytes readable through `sel` (the capture register, zero-padded to whole bytes).
    pub out_bytes: u32,
    pub sel_bits: u32,
    /// Clock cycles from a change of `sel` (or a capture edge at the pin) to `dout`.
    pub read_latency: u32,
}

/// The name stem of the wrapper modules for `dut` (`serrano_tile_r4c4_d256` -> `tile_r4c4_d256`).
fn stem(dut: &Module) -> String {
    dut.name().strip_prefix("serrano_").unwrap_or(dut.name()).to_string()
}

/// Is this DUT input a handshake strobe (held for one cycle per update)?
fn is_strobe(name: &str, ty: Ty) -> bool {
    ty.width() == 1 && (name.ends_with("valid") || name.ends_with("ready"))
}

/// The board top for `dut`: `serrano_board_<stem>` (pins and synchronizers)
/// around `serrano_board_core_<stem>` (scan chain, capture, byte mux and the DUT).
pub fn board(dut: &Module) -> Result<Board> {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for p in dut.ports() {
        if p.name == crate::core::CLOCK || p.name == dut.reset_kind().port_name() {
            continue;
        }
        let f = Field { port: p.name.clone(), width: p.ty.width(), lsb: 0, strobe: false };
        match p.dir {
            Dir::Input => inputs.push(Field { strobe: is_strobe(&p.name, p.ty), ..f }),
            Dir::Output => outputs.push(f),
        }
    }
    // Port order, first port at the MSB, as `cat` lays out a vector.
    // Saturating: a DUT with more bits than a u32 counts is refused below,
    // not wrapped into a small width.
    let place = |fields: &mut Vec<Field>| -> u32 {
        let mut lsb: u32 = 0;
        for f in fields.iter_mut().rev() {
            f.lsb = lsb;
            lsb = lsb.saturating_add(f.width);
        }
        lsb
    };
    let scan_bits = place(&mut inputs);
    let capture_bits = place(&mut outputs);
    // The board's parameters are the DUT's port bits besides clock and
    // reset: the scan chain and the capture register are one vector each,
    // so each total must be a width the HDL has.
    check_range(BOARD_BLOCK, "input_bits", scan_bits, 1..=MAX_WIDTH)?;
    check_range(BOARD_BLOCK, "output_bits", capture_bits, 1..=MAX_WIDTH)?;
    let out_bytes = capture_bits.div_ceil(8);
    let sel_bits = index_bits(out_bytes as u64);
    let (core, mux_levels) = core(dut, &inputs, scan_bits, &outputs, capture_bits, sel_bits)?;

    let mut m = Module::new(&format!("serrano_board_{}", stem(dut)));
    m.doc(&format!(
        "Board top (scan wrapper) for {}: a measurement and bring-up harness, not a product interface.",
        dut.name()
    ));
    m.doc(&format!("{scan_bits} input bits through the sck/sdi chain, {capture_bits} output bits read as {out_bytes} bytes through sel/dout."));
    let reset = m.input_doc("reset", Bit, "reset, active high, asynchronous to clk (synchronized here)")?;
    let sck = m.input_doc("sck", Bit, "scan clock: sdi is shifted in on its rising edge")?;
    let sdi = m.input_doc("sdi", Bit, "scan data, the chain's MSB first")?;
    let update = m.input_doc("update", Bit, "rising edge: copy the scan chain to the DUT inputs")?;
    let capture = m.input_doc("capture", Bit, "rising edge: copy the DUT outputs to the capture register")?;
    let sel = m.input_doc("sel", UInt(sel_bits), "byte of the capture register shown on dout")?;

    // Two flip-flops per pin against metastability; no reset, so the reset
    // pin itself can go through the same synchronizer.
    let sync = |m: &mut Module, name: &str, pin: &Expr| -> Result<Expr> {
        let ty = pin.ty().map_err(|e| m_err(name, &e))?;
        let a = m.reg(&format!("{name}_meta"), ty).no_reset().d(pin)?;
        m.reg(&format!("{name}_sync"), ty).no_reset().d(&a)
    };
    let reset_s = sync(&mut m, "reset", &reset)?;
    let sck_s = sync(&mut m, "sck", &sck)?;
    let sdi_s = sync(&mut m, "sdi", &sdi)?;
    let update_s = sync(&mut m, "update", &update)?;
    let capture_s = sync(&mut m, "capture", &capture)?;
    let sel_s = sync(&mut m, "sel", &sel)?;
    let core_reset = match dut.reset_kind() {
        ResetKind::SyncHigh => reset_s,
        ResetKind::AsyncLow => !&reset_s,
    };
    let inst = m.instance_with_reset(
        "core",
        &core,
        &[("sck", &sck_s), ("sdi", &sdi_s), ("update", &update_s), ("capture", &capture_s), ("sel", &sel_s)],
        &core_reset,
    )?;
    m.output_doc("dout", &inst.out("dout")?, "the selected byte")?;
    Ok(Board {
        top: m,
        inputs,
        scan_bits,
        outputs,
        capture_bits,
        out_bytes,
        sel_bits,
        // 2 synchronizer stages, the mux pipeline, the dout register.
        read_latency: 2 + mux_levels + 1,
    })
}

fn m_err(signal: &str, message: &str) -> crate::core::HdlError {
    crate::core::HdlError { module: BOARD_BLOCK.into(), signal: Some(signal.into()), message: message.into() }
}

/// The wrapper's logic around the DUT, reset by the synchronized reset.
/// Returns the module and the number of registered byte-mux levels.
fn core(
    dut: &Module,
    inputs: &[Field],
    scan_bits: u32,
    outputs: &[Field],
    capture_bits: u32,
    sel_bits: u32,
) -> Result<(Module, u32)> {
    let mut m = Module::new(&format!("serrano_board_core_{}", stem(dut))).with_reset(dut.reset_kind());
    m.doc(&format!("Scan chain, capture register and byte multiplexer around {}.", dut.name()));
    let sck = m.input_doc("sck", Bit, "synchronized scan clock")?;
    let sdi = m.input_doc("sdi", Bit, "synchronized scan data")?;
    let update = m.input_doc("update", Bit, "synchronized update")?;
    let capture = m.input_doc("capture", Bit, "synchronized capture")?;
    let sel = m.input_doc("sel", UInt(sel_bits), "synchronized byte select")?;

    let rise = |m: &mut Module, name: &str, level: &Expr| -> Result<Expr> {
        let q = m.reg(&format!("{name}_q"), Bit).reset(0).d(level)?;
        m.node(&format!("{name}_rise"), level & !&q)
    };
    let sck_rise = rise(&mut m, "sck", &sck)?;
    let update_rise = rise(&mut m, "update", &update)?;
    let capture_rise = rise(&mut m, "capture", &capture)?;

    let scan = m.reg("scan", UInt(scan_bits)).reset(0).enable(&sck_rise).build()?;
    let shifted = if scan_bits == 1 { sdi.clone() } else { cat(&[&scan.q.slice(scan_bits - 2, 0), &sdi]) };
    m.set_next(&scan, shifted)?;

    // Each DUT input has its own register so that it is a clean, named
    // register-to-register start point in nextpnr's timing report.
    let mut conns: Vec<(String, Expr)> = Vec::new();
    for f in inputs {
        let bits = scan.q.slice(f.lsb + f.width - 1, f.lsb);
        let name = format!("in_{}", f.port);
        let q = if f.strobe {
            m.reg(&name, Bit).reset(0).d(&update_rise & &bits)?
        } else {
            // The register takes the port's own type: Yosys 0.23 asserts on a
            // `$signed(...)` expression in a port connection.
            let ty = dut.ports().into_iter().find(|p| p.name == f.port).map(|p| p.ty).unwrap_or(UInt(f.width));
            let d = if ty.is_signed() { bits.as_signed() } else { bits };
            m.reg(&name, ty).reset(0).enable(&update_rise).d(&d)?
        };
        conns.push((f.port.clone(), q));
    }
    let refs: Vec<(&str, &Expr)> = conns.iter().map(|(p, e)| (p.as_str(), e)).collect();
    let inst = m.instance("dut", dut, &refs)?;

    let outs: Vec<Expr> = outputs.iter().map(|f| inst.out(&f.port).map(|e| e.as_unsigned())).collect::<Result<_>>()?;
    let out_refs: Vec<&Expr> = outs.iter().collect();
    let all = if out_refs.len() == 1 { out_refs[0].clone() } else { cat(&out_refs) };
    let padded_bits = capture_bits.div_ceil(8) * 8;
    let all = if padded_bits == capture_bits { all } else { cat(&[&zeros(padded_bits - capture_bits), &all]) };
    let captured = m.reg("captured", UInt(padded_bits)).reset(0).enable(&capture_rise).d(&all)?;

    // The byte multiplexer as a tree of 4-to-1 stages, each registered, so
    // that it is never the critical path (sel is quasi-static: a few cycles
    // of latency cost nothing).
    let mut items: Vec<Expr> = (0..padded_bits / 8).map(|i| captured.slice(8 * i + 7, 8 * i)).collect();
    let mut used = 0;
    let mut level = 0;
    while items.len() > 1 {
        let b = (sel_bits - used).min(2);
        let group = 1usize << b;
        let s = sel.slice(used + b - 1, used);
        let mut next = Vec::new();
        for (g, chunk) in items.chunks(group).enumerate() {
            let pick = |i: usize| chunk.get(i).cloned().unwrap_or_else(|| zeros(8));
            let v = if b == 1 {
                mux(&s.bit(0), &pick(1), &pick(0))
            } else {
                let hi = mux(&s.bit(0), &pick(3), &pick(2));
                let lo = mux(&s.bit(0), &pick(1), &pick(0));
                mux(&s.bit(1), &hi, &lo)
            };
            next.push(m.reg(&format!("mux{level}_{g}"), UInt(8)).reset(0).d(v)?);
        }
        items = next;
        used += b;
        level += 1;
    }
    if used < sel_bits {
        // One byte only: sel has nothing to choose.
        m.allow_unused(&sel, "a single output byte: nothing to select")?;
    }
    let dout = if level == 0 { m.reg("dout_q", UInt(8)).reset(0).d(&items[0])? } else { items[0].clone() };
    m.output_doc("dout", &dout, "the selected byte")?;
    Ok((m, level.max(1)))
}
