//! GEMM and requantization: the specification of the systolic tile's results.
//!
//! * `C = A·B` for int8 `A` (M×K) and `B` (K×N): each `C[m][n]` is the sum of
//!   the exact int8 × int8 products, accumulated in int32 with two's-complement
//!   wrap (`wrapping_add`). The order of accumulation does not matter: wrapping
//!   addition is associative and commutative.
//! * Requantization to int8 (the gemmlowp/TFLite convention), per tensor or per
//!   output column:
//!   `y = saturate_int8(round_half_up((acc × multiplier) / 2^shift) + zero_point)`
//!   where `acc × multiplier` is the exact 64-bit product of two int32 values,
//!   `round_half_up(x / 2^s) = floor(x / 2^s + 1/2)` (ties towards +∞; equal to
//!   `((x >> (s − 1)) + 1) >> 1` with arithmetic shifts, and to `x` for `s = 0`),
//!   `shift` is 0..=62, `zero_point` an int8, and `saturate_int8` clamps to
//!   −128..=127. No intermediate step overflows 64 bits.

use std::fmt;

/// A row-major matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix<T> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<T>,
}

impl<T: Copy + Default> Matrix<T> {
    pub fn zeros(rows: usize, cols: usize) -> Matrix<T> {
        Matrix { rows, cols, data: vec![T::default(); rows * cols] }
    }

    /// A matrix from row-major data; `None` if the length is not rows × cols.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Option<Matrix<T>> {
        (data.len() == rows * cols).then_some(Matrix { rows, cols, data })
    }

    pub fn at(&self, r: usize, c: usize) -> T {
        self.data[r * self.cols + c]
    }

    /// The element, or zero outside the matrix (the padding of partial tiles).
    pub fn at_or_zero(&self, r: usize, c: usize) -> T {
        if r < self.rows && c < self.cols {
            self.at(r, c)
        } else {
            T::default()
        }
    }

    pub fn set(&mut self, r: usize, c: usize, v: T) {
        self.data[r * self.cols + c] = v;
    }
}

/// Inner dimensions that do not agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    pub a: (usize, usize),
    pub b: (usize, usize),
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shape mismatch: A is {}x{} and B is {}x{}; A's columns must equal B's rows",
            self.a.0, self.a.1, self.b.0, self.b.1
        )
    }
}

impl std::error::Error for ShapeError {}

/// `C = A·B` in int32 with two's-complement wrap.
pub fn gemm(a: &Matrix<i8>, b: &Matrix<i8>) -> Result<Matrix<i32>, ShapeError> {
    if a.cols != b.rows {
        return Err(ShapeError { a: (a.rows, a.cols), b: (b.rows, b.cols) });
    }
    let mut c = Matrix::zeros(a.rows, b.cols);
    for m in 0..a.rows {
        for n in 0..b.cols {
            let mut acc = 0i32;
            for k in 0..a.cols {
                acc = acc.wrapping_add(a.at(m, k) as i32 * b.at(k, n) as i32);
            }
            c.set(m, n, acc);
        }
    }
    Ok(c)
}

/// Requantization parameters of one tensor or one output column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    pub multiplier: i32,
    /// 0..=62.
    pub shift: u32,
    pub zero_point: i8,
}

/// The largest allowed `shift`.
pub const MAX_SHIFT: u32 = 62;

impl Requant {
    /// Check `shift`; the other fields are valid by their types.
    pub fn validate(&self) -> Result<(), String> {
        if self.shift > MAX_SHIFT {
            return Err(format!("requant shift = {}: must be between 0 and {MAX_SHIFT}", self.shift));
        }
        Ok(())
    }

    /// `saturate_int8(round_half_up((acc × multiplier) / 2^shift) + zero_point)`.
    pub fn apply(&self, acc: i32) -> i8 {
        let p = acc as i64 * self.multiplier as i64; // exact: |p| <= 2^62
        let r = round_half_up_shift(p, self.shift);
        (r + self.zero_point as i64).clamp(-128, 127) as i8
    }
}

/// `round_half_up(x / 2^s)`: floor(x / 2^s + 1/2), ties towards +∞.
pub fn round_half_up_shift(x: i64, s: u32) -> i64 {
    if s == 0 {
        x
    } else {
        ((x >> (s - 1)) + 1) >> 1
    }
}

/// Requantization of a whole result: one set of parameters, or one per column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requantization {
    PerTensor(Requant),
    PerColumn(Vec<Requant>),
}

impl Requantization {
    /// The parameters of column `n`.
    pub fn column(&self, n: usize) -> Requant {
        match self {
            Requantization::PerTensor(q) => *q,
            Requantization::PerColumn(v) => v[n],
        }
    }
}

/// Requantize every element of `c` (per column or per tensor).
pub fn requantize(c: &Matrix<i32>, q: &Requantization) -> Matrix<i8> {
    let mut y = Matrix::zeros(c.rows, c.cols);
    for m in 0..c.rows {
        for n in 0..c.cols {
            y.set(m, n, q.column(n).apply(c.at(m, n)));
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_wraps_in_int32() {
        // 2^31 / 16384 = 131072 products of -128 x -128 reach 2^31, which wraps.
        let k = 131_072;
        let a = Matrix::from_vec(1, k, vec![-128i8; k]).unwrap();
        let b = Matrix::from_vec(k, 1, vec![-128i8; k]).unwrap();
        assert_eq!(gemm(&a, &b).unwrap().at(0, 0), i32::MIN);
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let a = Matrix::<i8>::zeros(2, 3);
        let b = Matrix::<i8>::zeros(4, 5);
        assert_eq!(
            gemm(&a, &b).unwrap_err().to_string(),
            "shape mismatch: A is 2x3 and B is 4x5; A's columns must equal B's rows"
        );
    }

    #[test]
    fn round_half_up_ties_go_up() {
        assert_eq!(round_half_up_shift(5, 1), 3); // 2.5 -> 3
        assert_eq!(round_half_up_shift(-5, 1), -2); // -2.5 -> -2
        assert_eq!(round_half_up_shift(-6, 2), -1); // -1.5 -> -1
        assert_eq!(round_half_up_shift(-7, 2), -2); // -1.75 -> -2
        assert_eq!(round_half_up_shift(7, 0), 7);
        // Equal to the textbook definition over a range of values and shifts.
        for x in -1000i64..1000 {
            for s in 1..8 {
                let want = (x as f64 / (1u64 << s) as f64 + 0.5).floor() as i64;
                assert_eq!(round_half_up_shift(x, s), want, "x={x} s={s}");
            }
        }
    }

    #[test]
    fn requant_extremes_do_not_overflow() {
        let q = Requant { multiplier: i32::MIN, shift: 0, zero_point: 127 };
        assert_eq!(q.apply(i32::MIN), 127); // 2^62 saturates
        let q = Requant { multiplier: i32::MIN, shift: 62, zero_point: -128 };
        assert_eq!(q.apply(i32::MIN), -127); // 2^62 / 2^62 = 1, -128 + 1
        let q = Requant { multiplier: i32::MAX, shift: 62, zero_point: 0 };
        // (-2^62 + 2^31) / 2^62 = -1 + 2^-31; + 1/2, floored: -1.
        assert_eq!(q.apply(i32::MIN), -1);
    }
}
