//! 2-D int8/int32 matrices as NumPy `.npy` files for `serrano sim gemm`, on
//! top of `testbenches::npy`. Every problem is a [`UsageError`] (exit code 2)
//! naming the flag and the file.
//!
//! Reading is in two steps, so that a command can weigh an input's size
//! against its memory budget from the header before the data is read:
//! [`open_i8_matrix`] checks the header, [`I8MatrixFile::read`] the data.

use std::path::Path;

use anyhow::Result;
use golden::tile::gemm::Matrix;
use testbenches::npy::{shape_str, write_values, DType, NpyReader};

use crate::error::usage;

/// An int8 `.npy` matrix whose header has been checked.
pub struct I8MatrixFile {
    flag: String,
    reader: NpyReader,
    pub rows: usize,
    pub cols: usize,
}

/// Open the int8 matrix (`[rows, cols]`, C order, neither empty) given with `flag`.
pub fn open_i8_matrix(flag: &str, path: &Path) -> Result<I8MatrixFile> {
    let reader = NpyReader::open(path).map_err(|e| usage(format!("{flag}: {e}")))?;
    let h = reader.header();
    let shown = path.display();
    if h.dtype != DType::I8 {
        return Err(usage(format!("{flag} {shown}: dtype {}, expected int8", h.dtype.name())));
    }
    let [rows, cols] = h.shape[..] else {
        return Err(usage(format!("{flag} {shown}: shape {}, expected a 2-D matrix", shape_str(&h.shape))));
    };
    if rows == 0 || cols == 0 {
        return Err(usage(format!("{flag} {shown}: shape {} is empty", shape_str(&h.shape))));
    }
    Ok(I8MatrixFile { flag: flag.to_string(), reader, rows, cols })
}

impl I8MatrixFile {
    /// Read the data.
    pub fn read(self) -> Result<Matrix<i8>> {
        let flag = self.flag;
        let bytes = self.reader.read_bytes().map_err(|e| usage(format!("{flag}: {e}")))?;
        Ok(Matrix { rows: self.rows, cols: self.cols, data: bytes.into_iter().map(|b| b as i8).collect() })
    }
}

/// Write `m` as int8 values (each already in range, e.g. requantized).
pub fn write_i8_matrix(path: &Path, m: &Matrix<i32>) -> Result<()> {
    write_values(path, DType::I8, &[m.rows, m.cols], m.data.iter().map(|&v| v as i64))
        .map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn write_i32_matrix(path: &Path, m: &Matrix<i32>) -> Result<()> {
    write_values(path, DType::I32, &[m.rows, m.cols], m.data.iter().map(|&v| v as i64))
        .map_err(|e| anyhow::anyhow!("{e}"))
}
