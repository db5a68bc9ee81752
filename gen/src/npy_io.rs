//! Reading and writing 2-D NumPy `.npy` matrices (format version 1.0/2.0,
//! little-endian, C order) for `serrano sim`. Every way a file can be wrong
//! is a [`UsageError`] that says what was expected.

use std::path::Path;

use anyhow::{bail, Result};
use golden::gemm::Matrix;

use crate::UsageError;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The header's `descr`, `fortran_order` and `shape`.
fn parse_header(path: &Path, bytes: &[u8]) -> Result<(String, bool, Vec<usize>, usize)> {
    let bad = |why: &str| UsageError(format!("{}: not a valid .npy file: {why}", path.display()));
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        bail!(bad("missing the \\x93NUMPY magic"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => bail!(bad(&format!("unsupported format version {v}"))),
    };
    let header = bytes.get(start..start + len).ok_or_else(|| bad("truncated header"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text"))?;
    let field = |key: &str| -> Option<&str> {
        let i = header.find(&format!("'{key}'"))?;
        let rest = header[i + key.len() + 2..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr").and_then(|r| r.strip_prefix('\'')).and_then(|r| r.split('\'').next());
    let descr = descr.ok_or_else(|| bad("no 'descr' in the header"))?.to_string();
    let fortran = field("fortran_order").ok_or_else(|| bad("no 'fortran_order' in the header"))?.starts_with("True");
    let shape = field("shape").and_then(|r| r.strip_prefix('(')).and_then(|r| r.split(')').next());
    let shape = shape.ok_or_else(|| bad("no 'shape' in the header"))?;
    let dims: Result<Vec<usize>, _> =
        shape.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse::<usize>).collect();
    let dims = dims.map_err(|_| bad("a shape entry is not a number"))?;
    Ok((descr, fortran, dims, start + len))
}

fn read_matrix(path: &Path, want: &[&str], size: usize) -> Result<(usize, usize, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let (descr, fortran, dims, off) = parse_header(path, &bytes)?;
    if !want.contains(&descr.as_str()) {
        bail!(UsageError(format!("{}: dtype {descr:?}, expected {}", path.display(), want.join(" or "))));
    }
    if fortran {
        bail!(UsageError(format!("{}: Fortran order; save it in C order (np.ascontiguousarray)", path.display())));
    }
    let [rows, cols] = dims[..] else {
        bail!(UsageError(format!("{}: shape {dims:?}, expected a 2-D matrix", path.display())));
    };
    if rows == 0 || cols == 0 {
        bail!(UsageError(format!("{}: shape [{rows}, {cols}] is empty", path.display())));
    }
    let data = &bytes[off..];
    if data.len() != rows * cols * size {
        bail!(UsageError(format!(
            "{}: {} data bytes for shape [{rows}, {cols}], expected {}",
            path.display(),
            data.len(),
            rows * cols * size
        )));
    }
    Ok((rows, cols, data.to_vec()))
}

/// An int8 matrix (`|i1` or `<i1`).
pub fn read_i8_matrix(path: &Path) -> Result<Matrix<i8>> {
    let (rows, cols, data) = read_matrix(path, &["|i1", "<i1", "i1"], 1)?;
    Ok(Matrix { rows, cols, data: data.into_iter().map(|b| b as i8).collect() })
}

fn write(path: &Path, descr: &str, rows: usize, cols: usize, data: &[u8]) -> Result<()> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Pad so that the data starts on a multiple of 64 bytes, ending in a newline.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    std::fs::write(path, out).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())).into())
}

pub fn write_i8_matrix(path: &Path, m: &Matrix<i8>) -> Result<()> {
    let data: Vec<u8> = m.data.iter().map(|&v| v as u8).collect();
    write(path, "|i1", m.rows, m.cols, &data)
}

pub fn write_i32_matrix(path: &Path, m: &Matrix<i32>) -> Result<()> {
    let data: Vec<u8> = m.data.iter().flat_map(|v| v.to_le_bytes()).collect();
    write(path, "<i4", m.rows, m.cols, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let m = Matrix::from_vec(2, 3, vec![-128i8, 0, 127, 1, -1, 5]).unwrap();
        write_i8_matrix(&p, &m).unwrap();
        assert_eq!(std::fs::read(&p).unwrap().len() % 64, 6); // 64-byte header + 6 data bytes
        assert_eq!(read_i8_matrix(&p).unwrap(), m);
        let q = dir.path().join("c.npy");
        write_i32_matrix(&q, &Matrix::from_vec(1, 2, vec![i32::MIN, 7]).unwrap()).unwrap();
        let e = read_i8_matrix(&q).unwrap_err().to_string();
        assert!(e.contains("dtype \"<i4\", expected"), "{e}");
        std::fs::write(&q, b"not numpy").unwrap();
        assert!(read_i8_matrix(&q).unwrap_err().to_string().contains("magic"));
    }
}
