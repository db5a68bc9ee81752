//! The streaming softmax unit: `lanes` logits per cycle in, probabilities out
//! after each row ends.
//!
//! Behaviour is specified by `golden::softmax` (and the "Softmax" section of
//! `docs/numerics.md`); the interface, timing and latency are in
//! `docs/softmax.md`. The unit has three parts that work on different rows at
//! once:
//!
//! * **Accumulate (A)**: a pipeline without stalls that takes one beat per
//!   cycle, keeps the exact running max and, eleven stages later, the online
//!   sum `S = floor(S / 2^(M − M_prev)) + beat sum` (a shift and an add: the
//!   only loop). Every accepted beat is also written into the row buffer.
//! * **Reciprocal (B)**: a two-entry queue of finished rows' statistics, the
//!   normalization of S and a restoring divider (one quotient bit per cycle).
//! * **Output (C)**: reads a finished row back from the buffer, recomputes
//!   each element's exp2 against the row's final reference, multiplies by the
//!   reciprocal, rounds, saturates and streams the row out. Its pipeline
//!   moves when the output register is empty or taken (one enable).
//!
//! The row buffer is a block RAM used as a FIFO of beats, `max_len / lanes`
//! deep plus enough slack to hide the time from a row's last beat to its
//! first output, so long rows stream in while the previous row streams out.
//!
//! This file declares the ports and wires the parts, which live in their
//! own files of this folder in data path order: `input.rs`, `accumulate.rs`,
//! `divide.rs`, `output.rs`.

use golden::softmax::SoftmaxParams;
use golden::SoftmaxConfig;

use crate::blocks::common::params::config;
use crate::core::{Bundle, Module, Result, Role, UInt};

use super::accumulate::accumulate;
use super::divide::{divider, row_queue};
use super::input::{accept, InPorts};
use super::output::output;
use super::pipe::Widths;
pub use super::units::{exp2_unit, recip_unit};

/// Stages from the input register to the running-sum register (A0..A10).
pub const ACC_STAGES: u32 = 11;
/// Stages of the output pipeline from the buffer read to the output register.
pub const OUT_STAGES: u32 = 9;

/// The module name, which carries the parameters:
/// `serrano_softmax_l16_n4096_i8_o8_t5`.
pub fn softmax_name(cfg: &SoftmaxConfig) -> String {
    format!("serrano_softmax_l{}_n{}_i{}_o{}_t{}", cfg.lanes, cfg.max_len, cfg.in_bits, cfg.out_bits, cfg.table_bits)
}

/// Beats the row buffer holds: `max_len / lanes` (one longest row) plus the
/// slack that covers a row's trip through the accumulator, the queue and the
/// divider, so that a longest row can be written while the one before it is
/// still waiting for its reciprocal.
pub fn buffer_depth(p: &SoftmaxParams) -> u32 {
    p.max_beats as u32 + ACC_STAGES + p.recip_frac + 8
}

/// `s_axis`: `lanes` logits a beat; `tkeep` and `tuser` have a bit per lane
/// (an element is not a byte), `tuser` masking a lane out of the row.
pub fn in_bundle(cfg: &SoftmaxConfig) -> Bundle {
    Bundle::axis_lanes(cfg.lanes * cfg.in_bits, cfg.lanes, true, cfg.lanes)
        .ordered(&["tvalid", "tdata", "tkeep", "tuser"])
        .doc("tdata", "logits, lane i in bits [i*in_bits +: in_bits], two's complement")
        .doc("tkeep", "lane i holds an element of the row")
        .doc("tlast", "last beat of the row")
        .doc("tuser", "mask: lane i is excluded (output 0)")
        .doc("tvalid", "input beat valid")
        .doc("tready", "the unit takes the input beat")
}

/// `m_axis`: `lanes` probabilities a beat, the input beat's `tkeep`.
pub fn out_bundle(cfg: &SoftmaxConfig) -> Bundle {
    Bundle::axis_lanes(cfg.lanes * cfg.out_bits, cfg.lanes, true, 0)
        .doc("tdata", "probabilities, lane i in bits [i*out_bits +: out_bits], UQ0.out_bits")
        .doc("tkeep", "the input beat's tkeep")
        .doc("tlast", "last beat of the row")
        .doc("tvalid", "output beat valid")
        .doc("tready", "output beat taken")
}

/// The softmax unit (see the module comment and `docs/softmax.md`).
pub fn softmax(cfg: &SoftmaxConfig) -> Result<Module> {
    // Before SoftmaxParams::new, which divides by lanes.
    config("serrano_softmax", cfg.validate())?;
    let p = SoftmaxParams::new(cfg);
    let w = Widths::new(&p);
    let lanes = p.lanes as u32;
    let (b, kb) = (p.in_bits, p.k_bits);

    let exp2_mod = exp2_unit(&p)?;
    let recip_mod = recip_unit(&p)?;

    let mut m = Module::new(&softmax_name(cfg));
    m.doc(&format!(
        "Streaming integer softmax: {lanes} lanes of int{b} logits per cycle, rows of up to {} elements, UQ0.{} probabilities.",
        p.max_len, p.out_bits
    ));
    m.doc("Specified by golden::softmax (docs/numerics.md, Softmax); interface and timing in docs/softmax.md.");

    // ---- ports ----
    let s_axis = m.bundle_ports("s_axis", &in_bundle(cfg), Role::Slave)?;
    let s = InPorts {
        valid: s_axis.get("tvalid")?,
        data: s_axis.get("tdata")?,
        keep: s_axis.get("tkeep")?,
        user: s_axis.get("tuser")?,
        last: s_axis.get("tlast")?,
        scale_k: m.input_doc("scale_k", UInt(kb), "K = s*log2(e), UQ8.kf; sampled with a row's first beat")?,
    };
    let m_axis = m.bundle_ports("m_axis", &out_bundle(cfg), Role::Master)?;
    let m_ready = m_axis.get("tready")?;

    // ---- the data path, top to bottom ----
    let (accepted, buf) = accept(&mut m, &p, &w, &s)?;
    let rows = accumulate(&mut m, &p, &w, &exp2_mod, &accepted, &s)?;
    let head = row_queue(&mut m, &p, &w, &rows, &accepted)?;
    let recip = divider(&mut m, &p, &recip_mod, &head)?;
    let out = output(&mut m, &p, &w, &exp2_mod, &recip, &buf, &accepted, &head.pending, &m_ready)?;

    s_axis.drive(&mut m, "tready", &accepted.tready)?;
    m_axis.drive(&mut m, "tvalid", &out.valid)?;
    m_axis.drive(&mut m, "tdata", &out.data)?;
    m_axis.drive(&mut m, "tkeep", &out.keep)?;
    m_axis.drive(&mut m, "tlast", &out.last)?;
    m.output_doc("overflow", &accepted.overflow, "sticky: a row longer than max_len was cut")?;
    Ok(m)
}
