//! The systolic array: `rows` × `cols` PEs, weight-stationary.
//!
//! Row `i` of the array receives element `i` of each activation row, delayed
//! by `i` cycles (the skew that makes a row's products meet its partial sum as
//! it flows south), and the swap flag one cycle ahead of the first row of a
//! new fold, skewed the same way. Partial sums enter the top as
//! zeros and leave the bottom: column `j`'s sum for the activation row that
//! entered at cycle `t` is on `psum_out` lane `j` at cycle
//! `t + rows + j + PSUM_EXTRA` (each PE registers its product before adding).
//! Weights load one array row per cycle into the shadow registers of the row
//! selected by the one-hot `w_load`, skewed like the swap flag: column `j`'s
//! weight bus and row `i`'s write enable reach PE (i, j) `j` cycles after
//! they enter the array. Each column's shadow weights are then rewritten
//! right after that column swapped, so the next fold may stream in as soon
//! as the current fold's swap has entered the array (see `docs/tile.md`).

use golden::config::ARRAY_DIM;
use golden::SystolicConfig;

use crate::blocks::common::params::check_range;
use crate::core::{cat, Bit, Expr, Module, Result, SInt, UInt};

use super::pe::pe;

/// Cycles the bottom sums come later than one per PE row: the PE's product register.
pub const PSUM_EXTRA: u32 = 1;

/// `serrano_array_r16c16`.
pub fn array_name(cfg: &SystolicConfig) -> String {
    format!("serrano_array_r{}c{}", cfg.rows, cfg.cols)
}

pub fn array(cfg: &SystolicConfig) -> Result<Module> {
    check_range("serrano_array", "systolic.rows", cfg.rows, ARRAY_DIM)?;
    check_range("serrano_array", "systolic.cols", cfg.cols, ARRAY_DIM)?;
    let (r, c) = (cfg.rows, cfg.cols);
    let pe_cfg = cfg.pe();
    let acc_bits = pe_cfg.acc_bits;
    let pe_mod = pe(&pe_cfg)?;
    let mut m = Module::new(&array_name(cfg));
    m.doc(&format!("Weight-stationary systolic array of {r} x {c} int8 PEs with {acc_bits}-bit partial sums."));
    m.doc("Activation element i enters row i skewed by i cycles; column j's sum of the activation row");
    m.doc("that entered at cycle t leaves the bottom on lane j at cycle t + rows + j + 1. Weight writes are");
    m.doc("skewed like the swap flag: row i's write reaches column j j cycles after it entered.");

    let a_in = m.input_doc("a_in", UInt(8 * r), "activation row: element i (bits 8i+7:8i) feeds array row i")?;
    let swap_in = m.input_doc("swap_in", Bit, "the next cycle's a_in is the first row of a new weight fold")?;
    let w_data = m.input_doc("w_data", UInt(8 * c), "weight row: element j feeds column j's bus, j cycles later")?;
    let w_load = m.input_doc("w_load", UInt(r), "one-hot: write w_data into array row i's shadow weights (skewed)")?;

    // West edge: delay row i by i cycles. The flag must be reset (it swaps
    // weights); the activations are data, qualified by the control that
    // travels beside them, so their delay lines need no reset.
    let mut west_a: Vec<Expr> = Vec::new();
    let mut west_swap: Vec<Expr> = Vec::new();
    for i in 0..r {
        let mut a = a_in.slice(8 * i + 7, 8 * i).as_signed();
        let mut s = swap_in.clone();
        for d in 0..i {
            a = m.reg(&format!("skew_a_r{i}_{d}"), SInt(8)).no_reset().d(&a)?;
            s = m.reg(&format!("skew_swap_r{i}_{d}"), Bit).reset(0).d(&s)?;
        }
        west_a.push(a);
        west_swap.push(s);
    }

    // North edge: column j's weight bus is w_data's element j delayed by j
    // cycles (data only: the write enables beside it are reset).
    let mut col_w: Vec<Expr> = Vec::new();
    for j in 0..c {
        let mut w = w_data.slice(8 * j + 7, 8 * j).as_signed();
        for d in 0..j {
            w = m.reg(&format!("skew_w_c{j}_{d}"), SInt(8)).no_reset().d(&w)?;
        }
        col_w.push(w);
    }

    let zero = Expr::lit(0, SInt(acc_bits));
    let mut north: Vec<Expr> = vec![zero; c as usize];
    for i in 0..r {
        let mut a = west_a[i as usize].clone();
        let mut s = west_swap[i as usize].clone();
        // Row i's write enable travels east one PE per cycle, beside the
        // swap flag, so that it meets column j's delayed weight bus.
        let mut load = w_load.bit(i);
        for j in 0..c {
            if j > 0 {
                load = m.reg(&format!("skew_wl_r{i}_{}", j - 1), Bit).reset(0).d(&load)?;
            }
            let w = &col_w[j as usize];
            let u = m.instance(
                &format!("pe_r{i}_c{j}"),
                &pe_mod,
                &[("a_in", &a), ("psum_in", &north[j as usize]), ("w_in", w), ("w_load", &load), ("w_swap", &s)],
            )?;
            a = u.out("a_out")?;
            s = u.out("swap_out")?;
            north[j as usize] = u.out("psum_out")?;
            if j == c - 1 {
                m.allow_unused(&a, "the east edge: activations leave the array here")?;
                m.allow_unused(&s, "the east edge: the swap flag leaves the array here")?;
            }
        }
    }
    let lanes: Vec<Expr> = north.iter().rev().map(|p| p.as_unsigned()).collect();
    let lane_refs: Vec<&Expr> = lanes.iter().collect();
    m.output_doc("psum_out", cat(&lane_refs), "bottom partial sums: column j on bits 32j+31:32j (skewed by j)")?;
    Ok(m)
}
