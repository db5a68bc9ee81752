//! TILE_MATMUL: `folds` TILE_LOAD + TILE_COMPUTE pairs in one command, so a
//! stream of weight folds costs one 32-byte fetch per several folds instead
//! of two per fold (a decode GEMV's folds take R cycles each; at two commands
//! per fold the command fetch alone is a quarter of the bus's bytes).
//!
//! The core expands it before dispatch (`hdl::blocks::accel::core_expand`):
//! each pair is an ordinary command with the macro's ring index, checked,
//! dispatched, ordered by the scoreboard and retired like any other; the
//! macro counts as one retired command when its last pair retires, and a
//! fault in fold `f` stops the core at the macro's index after folds `0..f`
//! have run (their MACs counted), exactly as the pairs would.

use super::check::{CoreParams, Fault};
use super::isa::{Command, ErrorCode, MatmulCmd, LINE_BITS};

/// A computed line number is saturated at `2^LINE_BITS − 1`, past the end of
/// every scratchpad, so a fold beyond the line fields faults SPAD_RANGE.
fn line(v: u64) -> u32 {
    v.min((1u64 << LINE_BITS) - 1) as u32
}

impl MatmulCmd {
    /// The macro's own checks (before any fold runs): `folds ≥ 1`,
    /// `1 ≤ k_last ≤ R`, `a_off < L/R`; BAD_FIELD otherwise. The pairs'
    /// fields are checked as each pair's.
    pub fn check(&self, p: &CoreParams) -> Result<(), Fault> {
        let (l, r) = (p.line, p.systolic.rows);
        if self.folds >= 1 && (1..=r).contains(&self.k_last) && self.a_off < l / r {
            Ok(())
        } else {
            Err(Fault { code: ErrorCode::BadField, dma_status: crate::dma::Status::Ok })
        }
    }

    /// Fold `f`: `TILE_LOAD(b_line + f·b_fold_stride, b_stride, b_off, k_rows)`
    /// with `k_rows = R`, or `k_last` for the last fold; then, with slice
    /// `s = a_off + f` and `n = L/R` slices per line,
    /// `TILE_COMPUTE(a_line + (s / n)·a_slice_stride, a_stride, s mod n, rows,
    /// accumulate or f > 0)`.
    pub fn fold(&self, p: &CoreParams, f: u32) -> [Command; 2] {
        let (r, n) = (p.systolic.rows, p.line / p.systolic.rows);
        let s = self.a_off as u64 + f as u64;
        let load = Command::TileLoad {
            b_line: line(self.b_line as u64 + f as u64 * self.b_fold_stride as u64),
            b_stride: self.b_stride,
            b_off: self.b_off,
            k_rows: if f + 1 == self.folds { self.k_last } else { r },
        };
        let compute = Command::TileCompute {
            a_line: line(self.a_line as u64 + (s / n as u64) * self.a_slice_stride as u64),
            a_stride: self.a_stride,
            a_off: (s % n as u64) as u32,
            rows: self.rows,
            accumulate: self.accumulate || f > 0,
        };
        [load, compute]
    }

    /// Every pair, in order.
    pub fn expand(&self, p: &CoreParams) -> Vec<Command> {
        (0..self.folds).flat_map(|f| self.fold(p, f)).collect()
    }
}

/// A program with every TILE_MATMUL replaced by its pairs: what the core
/// dispatches.
pub fn expand_all(cmds: &[Command], p: &CoreParams) -> Vec<Command> {
    cmds.iter()
        .flat_map(|c| match c {
            Command::TileMatmul(m) => m.expand(p),
            other => vec![*other],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn params() -> CoreParams {
        let path = format!("{}/../configs/default.toml", env!("CARGO_MANIFEST_DIR"));
        CoreParams::new(&Config::from_file(std::path::Path::new(&path)).unwrap()).unwrap()
    }

    #[test]
    fn folds_walk_the_slices_and_lines() {
        let p = params(); // L = 16, R = C = 16: one slice per line
        let m = MatmulCmd {
            b_line: 100,
            b_stride: 4,
            b_off: 0,
            b_fold_stride: 64,
            k_last: 5,
            a_line: 7,
            a_stride: 4,
            a_off: 0,
            a_slice_stride: 1,
            rows: 3,
            folds: 3,
            accumulate: false,
        };
        let e = m.expand(&p);
        assert_eq!(e.len(), 6);
        assert_eq!(e[4], Command::TileLoad { b_line: 228, b_stride: 4, b_off: 0, k_rows: 5 });
        assert_eq!(e[5], Command::TileCompute { a_line: 9, a_stride: 4, a_off: 0, rows: 3, accumulate: true });
        assert_eq!(e[1], Command::TileCompute { a_line: 7, a_stride: 4, a_off: 0, rows: 3, accumulate: false });
        assert!(MatmulCmd { folds: 0, ..m }.check(&p).is_err());
        assert!(MatmulCmd { k_last: 17, ..m }.check(&p).is_err());
        assert!(MatmulCmd { a_off: 1, ..m }.check(&p).is_err());
        assert!(m.check(&p).is_ok());
        // Lines past the fields saturate (and fault SPAD_RANGE when checked).
        let far = MatmulCmd { b_fold_stride: (1 << 20) - 1, folds: 4, ..m }.expand(&p);
        assert_eq!(far[6], Command::TileLoad { b_line: (1 << 20) - 1, b_stride: 4, b_off: 0, k_rows: 5 });
    }
}
