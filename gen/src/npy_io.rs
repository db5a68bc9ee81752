//! 2-D int8/int32 matrices as NumPy `.npy` files for `serrano sim gemm`, on
//! top of `testbenches::npy`. Every problem is a [`UsageError`] (exit code 2)
//! naming the file.

use std::path::Path;

use anyhow::{bail, Result};
use golden::tile::gemm::Matrix;
use testbenches::npy::{shape_str, Array, DType};

use crate::error::UsageError;

/// An int8 matrix, `[rows, cols]`, C order.
pub fn read_i8_matrix(path: &Path) -> Result<Matrix<i8>> {
    let arr = Array::read(path).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if arr.dtype != DType::I8 {
        bail!(UsageError(format!("{}: dtype {}, expected int8", path.display(), arr.dtype.name())));
    }
    let [rows, cols] = arr.shape[..] else {
        bail!(UsageError(format!("{}: shape {}, expected a 2-D matrix", path.display(), shape_str(&arr.shape))));
    };
    if rows == 0 || cols == 0 {
        bail!(UsageError(format!("{}: shape {} is empty", path.display(), shape_str(&arr.shape))));
    }
    Ok(Matrix { rows, cols, data: arr.data.iter().map(|&v| v as i8).collect() })
}

fn write(path: &Path, dtype: DType, rows: usize, cols: usize, data: Vec<i64>) -> Result<()> {
    let arr = Array::new(dtype, vec![rows, cols], data).map_err(|e| anyhow::anyhow!("{e}"))?;
    arr.write(path).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

pub fn write_i8_matrix(path: &Path, m: &Matrix<i8>) -> Result<()> {
    write(path, DType::I8, m.rows, m.cols, m.data.iter().map(|&v| v as i64).collect())
}

pub fn write_i32_matrix(path: &Path, m: &Matrix<i32>) -> Result<()> {
    write(path, DType::I32, m.rows, m.cols, m.data.iter().map(|&v| v as i64).collect())
}
