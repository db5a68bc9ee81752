//! The systolic tile at the level of its commands: what each command does to
//! the tile's state and what it sends out. The RTL must produce exactly the
//! output rows this model produces for the same program and streams.
//!
//! A [`Program`] is three in-order streams, as the tile's interfaces see them:
//! * `cmds`: LOAD, COMPUTE, READ and QPARAM commands;
//! * `b_rows`: weight rows, `cols` int8 values each; each LOAD takes `rows` of
//!   them (row `i` of the fold first);
//! * `a_rows`: activation rows, `rows` int8 values each; a COMPUTE of `m`
//!   rows takes `m` of them.
//!
//! The C stream carries `cols` int32 values per row: accumulator values, or,
//! for a READ with `requant`, the requantized int8 values sign-extended to 32
//! bits.
//!
//! [`gemm_program`] tiles a whole GEMM into such a program (the schedule the
//! tile is built for: weight folds double-buffered, results read out while the
//! next output block computes).

use std::fmt;

use crate::config::SystolicConfig;
use crate::tile::gemm::{Matrix, Requant, Requantization};

/// One command of the tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Load the next weight fold (`rows` rows from the B stream) into the shadow weights.
    Load,
    /// Make the loaded fold active and stream `rows` activation rows through it:
    /// `acc[m] = (accumulate ? acc[m] : 0) + a[m] · W` for `m < rows` (int32, wrapping).
    Compute { rows: u32, accumulate: bool },
    /// Send `acc[0..rows]` out on the C stream, requantized or not.
    Read { rows: u32, requant: bool },
    /// Set the requantization parameters of column `col`, or of all columns (`None`).
    QParam { col: Option<u32>, q: Requant },
}

/// A command program with its operand streams.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub cmds: Vec<Command>,
    pub a_rows: Vec<Vec<i8>>,
    pub b_rows: Vec<Vec<i8>>,
}

/// A program the tile cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramError(pub String);

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProgramError {}

/// Why a program that requantizes fails on a tile built without requantization.
pub const NO_REQUANT: &str =
    "this tile has no requantization hardware (systolic.requant = false): READ returns int32 only";

/// The tile's architectural state.
#[derive(Clone, Debug)]
pub struct TileModel {
    cfg: SystolicConfig,
    /// Shadow weights: `rows` × `cols`, `None` until a LOAD.
    shadow: Option<Vec<Vec<i8>>>,
    acc: Vec<Vec<i32>>,
    qparams: Vec<Requant>,
}

/// Requantization parameters after reset: multiplier 0, so every output is the
/// zero point, 0.
pub const RESET_QPARAM: Requant = Requant { multiplier: 0, shift: 0, zero_point: 0 };

impl TileModel {
    pub fn new(cfg: &SystolicConfig) -> TileModel {
        TileModel {
            cfg: *cfg,
            shadow: None,
            acc: vec![vec![0; cfg.cols as usize]; cfg.acc_depth as usize],
            qparams: vec![RESET_QPARAM; cfg.cols as usize],
        }
    }

    /// Run a whole program; returns the rows sent on the C stream.
    pub fn run(&mut self, p: &Program) -> Result<Vec<Vec<i32>>, ProgramError> {
        let (r, c, depth) = (self.cfg.rows as usize, self.cfg.cols as usize, self.cfg.acc_depth);
        let (mut a_next, mut b_next) = (0usize, 0usize);
        let mut out = Vec::new();
        for (i, cmd) in p.cmds.iter().enumerate() {
            let err = |m: String| ProgramError(format!("command {i} ({cmd:?}): {m}"));
            match *cmd {
                Command::Load => {
                    let rows = p.b_rows.get(b_next..b_next + r).ok_or_else(|| err("the B stream ran out".into()))?;
                    if rows.iter().any(|row| row.len() != c) {
                        return Err(err(format!("a B row must have {c} values")));
                    }
                    self.shadow = Some(rows.to_vec());
                    b_next += r;
                }
                Command::Compute { rows, accumulate } => {
                    if rows == 0 || rows > depth {
                        return Err(err(format!("rows = {rows}: must be between 1 and {depth}")));
                    }
                    let w = self.shadow.take().ok_or_else(|| err("no weight fold was loaded".into()))?;
                    let m_rows = p
                        .a_rows
                        .get(a_next..a_next + rows as usize)
                        .ok_or_else(|| err("the A stream ran out".into()))?;
                    for (m, a) in m_rows.iter().enumerate() {
                        if a.len() != r {
                            return Err(err(format!("an A row must have {r} values")));
                        }
                        for (j, acc) in self.acc[m].iter_mut().enumerate() {
                            let dot =
                                a.iter().zip(&w).fold(0i32, |s, (&x, wk)| s.wrapping_add(x as i32 * wk[j] as i32));
                            let base = if accumulate { *acc } else { 0 };
                            *acc = base.wrapping_add(dot);
                        }
                    }
                    a_next += rows as usize;
                }
                Command::Read { rows, requant } => {
                    if rows == 0 || rows > depth {
                        return Err(err(format!("rows = {rows}: must be between 1 and {depth}")));
                    }
                    if requant && !self.cfg.requant {
                        return Err(err(NO_REQUANT.into()));
                    }
                    for m in 0..rows as usize {
                        let row = (0..c)
                            .map(
                                |j| if requant { self.qparams[j].apply(self.acc[m][j]) as i32 } else { self.acc[m][j] },
                            )
                            .collect();
                        out.push(row);
                    }
                }
                Command::QParam { col, q } => {
                    if !self.cfg.requant {
                        return Err(err(NO_REQUANT.into()));
                    }
                    q.validate().map_err(err)?;
                    match col {
                        None => self.qparams.iter_mut().for_each(|p| *p = q),
                        Some(j) if (j as usize) < c => self.qparams[j as usize] = q,
                        Some(j) => return Err(err(format!("col = {j}: must be below {c}"))),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A GEMM tiled into a tile program, and where its output rows go.
#[derive(Clone, Debug)]
pub struct GemmPlan {
    pub program: Program,
    /// For each output row of the program: (row of C, first column of C).
    pub out_map: Vec<(usize, usize)>,
    pub m: usize,
    pub n: usize,
}

/// Tile `A·B` (optionally requantized) for the tile `cfg`.
///
/// Schedule: M is cut into passes of at most `acc_depth` rows and N into
/// blocks of `cols` columns; for each (pass, block), every K-fold of `rows` is
/// loaded and computed (the first overwrites, the rest accumulate), then the
/// block is read out. Partial folds are padded with zeros, which add nothing.
pub fn gemm_program(
    cfg: &SystolicConfig,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    requant: Option<&Requantization>,
) -> Result<GemmPlan, ProgramError> {
    if a.cols != b.rows {
        return Err(ProgramError(
            crate::tile::gemm::ShapeError { a: (a.rows, a.cols), b: (b.rows, b.cols) }.to_string(),
        ));
    }
    let (r, c, depth) = (cfg.rows as usize, cfg.cols as usize, cfg.acc_depth as usize);
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || k == 0 || n == 0 {
        return Err(ProgramError(format!("empty GEMM: M={m}, K={k}, N={n}; each must be at least 1")));
    }
    if requant.is_some() && !cfg.requant {
        return Err(ProgramError(NO_REQUANT.into()));
    }
    if let Some(Requantization::PerColumn(v)) = requant {
        if v.len() != n {
            return Err(ProgramError(format!("{} per-column requant parameters for N = {n} columns", v.len())));
        }
    }
    let mut p = Program::default();
    let mut out_map = Vec::new();
    if let Some(Requantization::PerTensor(q)) = requant {
        p.cmds.push(Command::QParam { col: None, q: *q });
    }
    for m0 in (0..m).step_by(depth) {
        let rows = (m - m0).min(depth);
        for n0 in (0..n).step_by(c) {
            for (f, k0) in (0..k).step_by(r).enumerate() {
                p.cmds.push(Command::Load);
                for i in 0..r {
                    p.b_rows.push((0..c).map(|j| b.at_or_zero(k0 + i, n0 + j)).collect());
                }
                p.cmds.push(Command::Compute { rows: rows as u32, accumulate: f > 0 });
                for mm in 0..rows {
                    p.a_rows.push((0..r).map(|i| a.at_or_zero(m0 + mm, k0 + i)).collect());
                }
            }
            // Per-column parameters go right before the READ that uses them:
            // the tile takes a QPARAM once the previous READ has drained.
            if let Some(Requantization::PerColumn(v)) = requant {
                for j in 0..c.min(n - n0) {
                    p.cmds.push(Command::QParam { col: Some(j as u32), q: v[n0 + j] });
                }
            }
            p.cmds.push(Command::Read { rows: rows as u32, requant: requant.is_some() });
            out_map.extend((0..rows).map(|mm| (m0 + mm, n0)));
        }
    }
    Ok(GemmPlan { program: p, out_map, m, n })
}

impl GemmPlan {
    /// Assemble the C stream's rows into the M×N result.
    pub fn assemble(&self, out_rows: &[Vec<i32>]) -> Matrix<i32> {
        let mut cm = Matrix::zeros(self.m, self.n);
        for (row, &(mm, n0)) in out_rows.iter().zip(&self.out_map) {
            for (j, &v) in row.iter().enumerate() {
                if n0 + j < self.n {
                    cm.set(mm, n0 + j, v);
                }
            }
        }
        cm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::gemm::{gemm, requantize};

    fn lcg(seed: &mut u64) -> i8 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 56) as i8
    }

    fn matrix(rows: usize, cols: usize, seed: &mut u64) -> Matrix<i8> {
        Matrix::from_vec(rows, cols, (0..rows * cols).map(|_| lcg(seed)).collect()).unwrap()
    }

    #[test]
    fn tiled_program_computes_the_gemm() {
        let cfg = SystolicConfig { rows: 4, cols: 3, acc_depth: 5, requant: true };
        let mut seed = 1;
        for (m, k, n) in [(1, 1, 1), (7, 9, 5), (5, 4, 3), (11, 13, 7), (3, 1, 8)] {
            let (a, b) = (matrix(m, k, &mut seed), matrix(k, n, &mut seed));
            let plan = gemm_program(&cfg, &a, &b, None).unwrap();
            let out = TileModel::new(&cfg).run(&plan.program).unwrap();
            assert_eq!(plan.assemble(&out), gemm(&a, &b).unwrap(), "M={m} K={k} N={n}");
        }
    }

    #[test]
    fn tiled_program_requantizes_per_column_and_per_tensor() {
        let cfg = SystolicConfig { rows: 2, cols: 2, acc_depth: 4, requant: true };
        let mut seed = 9;
        let (a, b) = (matrix(6, 5, &mut seed), matrix(5, 3, &mut seed));
        let want_c = gemm(&a, &b).unwrap();
        let cols = Requantization::PerColumn(vec![
            Requant { multiplier: 1 << 30, shift: 36, zero_point: 3 },
            Requant { multiplier: -(1 << 29), shift: 33, zero_point: -7 },
            Requant { multiplier: 123_456_789, shift: 40, zero_point: 0 },
        ]);
        let tensor = Requantization::PerTensor(Requant { multiplier: 1_518_500_250, shift: 38, zero_point: -1 });
        for q in [cols, tensor] {
            let plan = gemm_program(&cfg, &a, &b, Some(&q)).unwrap();
            let out = TileModel::new(&cfg).run(&plan.program).unwrap();
            let got = plan.assemble(&out);
            let want = requantize(&want_c, &q);
            assert_eq!(got.data, want.data.iter().map(|&v| v as i32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn bad_programs_are_errors() {
        let cfg = SystolicConfig { rows: 2, cols: 2, acc_depth: 4, requant: true };
        let mut t = TileModel::new(&cfg);
        let p = Program { cmds: vec![Command::Compute { rows: 1, accumulate: false }], ..Default::default() };
        assert!(t.run(&p).unwrap_err().to_string().contains("no weight fold was loaded"));
        let p = Program { cmds: vec![Command::Read { rows: 5, requant: false }], ..Default::default() };
        assert!(t.run(&p).unwrap_err().to_string().contains("rows = 5: must be between 1 and 4"));
        let a = Matrix::<i8>::zeros(2, 3);
        assert!(gemm_program(&cfg, &a, &a, None).unwrap_err().to_string().contains("shape mismatch"));
    }
}
