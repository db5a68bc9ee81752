//! A small, strict reader and writer of NumPy `.npy` files: integer arrays
//! of one or two dimensions, C order, little-endian.
//!
//! Supported dtypes: `i1 u1 i2 u2 i4 u4` (`|i1`, `<i1`, `|u1`, `<u1`, `<i2`,
//! `<u2`, `<i4`, `<u4`). Format versions 1.0, 2.0 and 3.0 are read; 1.0 is
//! written. Anything else (another dtype, big-endian data, Fortran order, a
//! 0-D or 3-D shape, a malformed header, a data size that does not match the
//! shape) is an error that says what was found and what is allowed.

use std::fmt;
use std::path::Path;

/// An element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 => 4,
        }
    }

    /// The `descr` written to a header.
    pub fn descr(self) -> &'static str {
        match self {
            DType::I8 => "|i1",
            DType::U8 => "|u1",
            DType::I16 => "<i2",
            DType::U16 => "<u2",
            DType::I32 => "<i4",
            DType::U32 => "<u4",
        }
    }

    /// NumPy's name: `int8`, `uint16`, ...
    pub fn name(self) -> &'static str {
        match self {
            DType::I8 => "int8",
            DType::U8 => "uint8",
            DType::I16 => "int16",
            DType::U16 => "uint16",
            DType::I32 => "int32",
            DType::U32 => "uint32",
        }
    }

    /// The range of values.
    pub fn range(self) -> (i64, i64) {
        match self {
            DType::I8 => (i8::MIN as i64, i8::MAX as i64),
            DType::U8 => (0, u8::MAX as i64),
            DType::I16 => (i16::MIN as i64, i16::MAX as i64),
            DType::U16 => (0, u16::MAX as i64),
            DType::I32 => (i32::MIN as i64, i32::MAX as i64),
            DType::U32 => (0, u32::MAX as i64),
        }
    }

    fn from_descr(d: &str) -> Result<DType, NpyError> {
        let t = match d {
            "|i1" | "<i1" | "i1" => DType::I8,
            "|u1" | "<u1" | "u1" => DType::U8,
            "<i2" => DType::I16,
            "<u2" => DType::U16,
            "<i4" => DType::I32,
            "<u4" => DType::U32,
            _ if d.starts_with('>') => {
                return Err(NpyError::Unsupported(format!(
                    "dtype '{d}' is big-endian; only little-endian data is supported"
                )))
            }
            _ => {
                return Err(NpyError::Unsupported(format!(
                    "dtype '{d}' is not supported; allowed: int8, uint8, int16, uint16, int32, \
                     uint32 (|i1 |u1 <i2 <u2 <i4 <u4)"
                )))
            }
        };
        Ok(t)
    }
}

/// An integer array of one or two dimensions, C order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Array {
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<i64>,
}

/// What can go wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NpyError {
    /// The file could not be read or written.
    Io(String),
    /// Not an .npy file, or a header that cannot be parsed.
    Format(String),
    /// A valid .npy file this reader does not take (dtype, order, rank).
    Unsupported(String),
    /// An array that does not fit its dtype or shape.
    Value(String),
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io(m) | NpyError::Format(m) | NpyError::Unsupported(m) | NpyError::Value(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for NpyError {}

const MAGIC: &[u8] = b"\x93NUMPY";

/// The longest header read. NumPy itself refuses headers over 10,000 bytes
/// unless told otherwise; a version 2.0 header may claim up to 4 GiB, which
/// must not turn into an allocation.
pub const MAX_HEADER_BYTES: usize = 1 << 16;

/// What an .npy header says: the dtype, the shape and where the data starts.
/// A header is only made once the shape's size is known to fit in memory
/// arithmetic (no overflow) and the rank and order are supported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Bytes before the data (magic, version, length and header text).
    pub data_offset: usize,
}

impl Header {
    /// Elements of the array.
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    /// Bytes of data the shape needs.
    pub fn data_bytes(&self) -> usize {
        self.elements() * self.dtype.size()
    }

    /// Parse the start of an .npy file from `bytes`, which may hold only a
    /// prefix of it: [`Prefix::Need`] says how many bytes the header needs.
    fn parse(bytes: &[u8]) -> Result<Prefix, NpyError> {
        let n = bytes.len().min(MAGIC.len());
        if bytes[..n] != MAGIC[..n] {
            return Err(NpyError::Format("not an .npy file (no \\x93NUMPY magic)".into()));
        }
        if bytes.len() < 10 {
            return Ok(Prefix::Need(10));
        }
        let (major, minor) = (bytes[6], bytes[7]);
        let (hlen, start) = match major {
            1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
            2 | 3 => {
                if bytes.len() < 12 {
                    return Ok(Prefix::Need(12));
                }
                (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
            }
            _ => {
                return Err(NpyError::Unsupported(format!(
                    ".npy format version {major}.{minor} is not supported (1.0, 2.0, 3.0 are)"
                )))
            }
        };
        if hlen > MAX_HEADER_BYTES {
            return Err(NpyError::Format(format!(
                "the .npy header says it is {hlen} bytes long; at most {MAX_HEADER_BYTES} are accepted"
            )));
        }
        if bytes.len() < start + hlen {
            return Ok(Prefix::Need(start + hlen));
        }
        let text = std::str::from_utf8(&bytes[start..start + hlen])
            .map_err(|_| NpyError::Format("the .npy header is not text".into()))?;
        let h = parse_header(text)?;
        if h.fortran_order {
            return Err(NpyError::Unsupported(
                "the array is in Fortran order; only C order is supported (use np.ascontiguousarray)".into(),
            ));
        }
        checked_size(&h.shape, h.dtype)?;
        Ok(Prefix::Header(Header { dtype: h.dtype, shape: h.shape, data_offset: start + hlen }))
    }

    /// The checks that need the data's length: it matches the shape, and the rank is supported.
    fn check_body(&self, body_len: u64) -> Result<(), NpyError> {
        let want = self.data_bytes() as u64;
        if body_len != want {
            return Err(NpyError::Format(format!(
                "shape {} of {} needs {want} bytes of data, the file has {body_len}",
                shape_str(&self.shape),
                self.dtype.name(),
            )));
        }
        check_rank(&self.shape)
    }
}

/// The error for a file that ends after `bytes` when its header needs `need`.
fn short_header(bytes: &[u8], need: usize) -> NpyError {
    if bytes.len() < MAGIC.len() {
        NpyError::Format("not an .npy file (no \\x93NUMPY magic)".into())
    } else if need <= 12 {
        NpyError::Format("truncated .npy header".into())
    } else {
        let start = if bytes[6] == 1 { 10 } else { 12 };
        NpyError::Format(format!(
            "truncated .npy header: it says {} bytes, the file has {}",
            need - start,
            bytes.len() - start
        ))
    }
}

enum Prefix {
    /// At least this many bytes are needed to parse the header.
    Need(usize),
    /// The header; its data size is known not to overflow.
    Header(Header),
}

/// The data size of `shape` in bytes, or an error if it overflows.
fn checked_size(shape: &[usize], dtype: DType) -> Result<usize, NpyError> {
    shape.iter().try_fold(dtype.size(), |acc, &d| acc.checked_mul(d)).ok_or_else(|| {
        NpyError::Value(format!(
            "shape {} of {} is too large: its size in bytes overflows {} bits",
            shape_str(shape),
            dtype.name(),
            usize::BITS
        ))
    })
}

fn check_rank(shape: &[usize]) -> Result<(), NpyError> {
    if shape.is_empty() || shape.len() > 2 {
        return Err(NpyError::Unsupported(format!(
            "shape {} has {} dimensions; only 1-D and 2-D arrays are supported",
            shape_str(shape),
            shape.len()
        )));
    }
    Ok(())
}

fn decode(dtype: DType, body: &[u8]) -> Vec<i64> {
    body.chunks_exact(dtype.size())
        .map(|c| match dtype {
            DType::I8 => c[0] as i8 as i64,
            DType::U8 => c[0] as i64,
            DType::I16 => i16::from_le_bytes([c[0], c[1]]) as i64,
            DType::U16 => u16::from_le_bytes([c[0], c[1]]) as i64,
            DType::I32 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            DType::U32 => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
        })
        .collect()
}

/// The header bytes of an array (format 1.0, padded so the data starts at a
/// multiple of 64).
fn header_bytes(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let shape = match shape {
        [n] => format!("({n},)"),
        s => format!("({})", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}", dtype.descr());
    // magic (6) + version (2) + length (2) + header + '\n' = multiple of 64
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

fn encode(dtype: DType, v: i64, out: &mut Vec<u8>) {
    match dtype {
        DType::I8 | DType::U8 => out.push(v as u8),
        DType::I16 | DType::U16 => out.extend_from_slice(&(v as u16).to_le_bytes()),
        DType::I32 | DType::U32 => out.extend_from_slice(&(v as u32).to_le_bytes()),
    }
}

fn with_path(path: &Path, e: NpyError) -> NpyError {
    match e {
        NpyError::Io(m) => NpyError::Io(m),
        NpyError::Format(m) => NpyError::Format(format!("{}: {m}", path.display())),
        NpyError::Unsupported(m) => NpyError::Unsupported(format!("{}: {m}", path.display())),
        NpyError::Value(m) => NpyError::Value(format!("{}: {m}", path.display())),
    }
}

/// An .npy file whose header has been read and checked, before its data is:
/// a caller can see the shape and refuse an array too large for its memory
/// before anything of that size is allocated.
#[derive(Debug)]
pub struct NpyReader {
    header: Header,
    file: std::fs::File,
    path: std::path::PathBuf,
}

impl NpyReader {
    /// Open `path` and read its header. For a regular file, the data's length
    /// is checked against the shape here, from the file's size.
    pub fn open(path: &Path) -> Result<NpyReader, NpyError> {
        use std::io::Read;
        let io = |e: std::io::Error| NpyError::Io(format!("cannot read {}: {e}", path.display()));
        let mut file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(NpyError::Io(format!("cannot read {}: it is a directory", path.display())));
        }
        let mut buf = Vec::new();
        let header = loop {
            match Header::parse(&buf).map_err(|e| with_path(path, e))? {
                Prefix::Header(h) => break h,
                Prefix::Need(n) => {
                    (&mut file).take((n - buf.len()) as u64).read_to_end(&mut buf).map_err(io)?;
                    if buf.len() < n {
                        // A short file that is not even a prefix of an .npy file says so.
                        Header::parse(&buf).map_err(|e| with_path(path, e))?;
                        return Err(with_path(path, short_header(&buf, n)));
                    }
                }
            }
        };
        if meta.is_file() {
            let body = meta.len().saturating_sub(header.data_offset as u64);
            header.check_body(body).map_err(|e| with_path(path, e))?;
        } else {
            check_rank(&header.shape).map_err(|e| with_path(path, e))?;
        }
        Ok(NpyReader { header, file, path: path.to_path_buf() })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The data, little-endian as stored. The buffer grows with what is read,
    /// so a file shorter than its shape (a pipe) never reserves the shape's size.
    pub fn read_bytes(self) -> Result<Vec<u8>, NpyError> {
        use std::io::Read;
        let want = self.header.data_bytes();
        let mut body = Vec::new();
        self.file
            .take(want as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| NpyError::Io(format!("cannot read {}: {e}", self.path.display())))?;
        if body.len() != want {
            // Only a file that is not a regular one (a pipe) gets here: a
            // regular file's length was checked when it was opened.
            let more = if body.len() > want { "more than that" } else { "less" };
            return Err(with_path(
                &self.path,
                NpyError::Format(format!(
                    "shape {} of {} needs {want} bytes of data, the file has {more}",
                    shape_str(&self.header.shape),
                    self.header.dtype.name()
                )),
            ));
        }
        Ok(body)
    }

    /// The whole array.
    pub fn read_array(self) -> Result<Array, NpyError> {
        let (dtype, shape) = (self.header.dtype, self.header.shape.clone());
        let body = self.read_bytes()?;
        Ok(Array { data: decode(dtype, &body), dtype, shape })
    }
}

/// Write an .npy file of `shape` from `values`, streamed (no copy of the data
/// is made). Every value must fit `dtype`, and there must be exactly as many
/// as the shape holds; otherwise the file is removed and the error says why.
pub fn write_values(
    path: &Path,
    dtype: DType,
    shape: &[usize],
    values: impl IntoIterator<Item = i64>,
) -> Result<(), NpyError> {
    use std::io::Write;
    check_rank(shape)?;
    checked_size(shape, dtype)?;
    let n = shape.iter().product::<usize>();
    let io = |e: std::io::Error| NpyError::Io(format!("cannot write {}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    let result = (|| {
        w.write_all(&header_bytes(dtype, shape)).map_err(io)?;
        let (lo, hi) = dtype.range();
        let mut buf = Vec::with_capacity(4);
        let mut count = 0usize;
        for v in values {
            if v < lo || v > hi {
                return Err(NpyError::Value(format!(
                    "element {count} = {v} does not fit {} ({lo}..={hi})",
                    dtype.name()
                )));
            }
            count += 1;
            if count > n {
                break;
            }
            buf.clear();
            encode(dtype, v, &mut buf);
            w.write_all(&buf).map_err(io)?;
        }
        if count != n {
            return Err(NpyError::Value(format!(
                "shape {} holds {n} elements, got {}",
                shape_str(shape),
                if count > n { "more".to_string() } else { count.to_string() }
            )));
        }
        w.flush().map_err(io)
    })();
    if result.is_err() {
        drop(w);
        let _ = std::fs::remove_file(path);
    }
    result
}

impl Array {
    /// An array, checked: 1 or 2 dimensions, `data` matches the shape and
    /// every value fits the dtype.
    pub fn new(dtype: DType, shape: Vec<usize>, data: Vec<i64>) -> Result<Array, NpyError> {
        check_rank(&shape)?;
        checked_size(&shape, dtype)?;
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(NpyError::Value(format!("shape {} holds {n} elements, got {}", shape_str(&shape), data.len())));
        }
        let (lo, hi) = dtype.range();
        if let Some((i, v)) = data.iter().enumerate().find(|(_, v)| **v < lo || **v > hi) {
            return Err(NpyError::Value(format!("element {i} = {v} does not fit {} ({lo}..={hi})", dtype.name())));
        }
        Ok(Array { dtype, shape, data })
    }

    /// `(rows, cols)` of a 2-D array; a 1-D array is one row.
    pub fn rows_cols(&self) -> (usize, usize) {
        match self.shape.as_slice() {
            [n] => (1, *n),
            [r, c] => (*r, *c),
            _ => unreachable!("checked at construction"),
        }
    }

    /// Row `r` of a 2-D array.
    pub fn row(&self, r: usize) -> &[i64] {
        let (_, c) = self.rows_cols();
        &self.data[r * c..(r + 1) * c]
    }

    /// Parse the bytes of an .npy file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Array, NpyError> {
        let h = match Header::parse(bytes)? {
            Prefix::Header(h) => h,
            Prefix::Need(n) => return Err(short_header(bytes, n)),
        };
        let body = &bytes[h.data_offset..];
        h.check_body(body.len() as u64)?;
        Ok(Array { data: decode(h.dtype, body), dtype: h.dtype, shape: h.shape })
    }

    /// The bytes of an .npy file (format 1.0, header padded to 64 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(self.dtype, &self.shape);
        out.reserve(self.data.len() * self.dtype.size());
        for &v in &self.data {
            encode(self.dtype, v, &mut out);
        }
        out
    }

    /// Read an .npy file.
    pub fn read(path: &Path) -> Result<Array, NpyError> {
        NpyReader::open(path)?.read_array()
    }

    /// Write an .npy file.
    pub fn write(&self, path: &Path) -> Result<(), NpyError> {
        write_values(path, self.dtype, &self.shape, self.data.iter().copied())
    }
}

/// `(3, 4)` / `(5,)`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        s => format!("({})", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

struct RawHeader {
    dtype: DType,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A strict parser of the header: a Python dict literal with exactly the
/// keys `descr`, `fortran_order` and `shape`.
fn parse_header(text: &str) -> Result<RawHeader, NpyError> {
    let bad = |m: &str| NpyError::Format(format!("bad .npy header ({m}): {}", text.trim_end()));
    let mut p = Parser { s: text.trim_end_matches(['\n', ' ']).as_bytes(), i: 0 };
    p.ws();
    p.eat(b'{').map_err(|_| bad("expected '{'"))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.ws();
        if p.peek() == Some(b'}') {
            p.i += 1;
            break;
        }
        let key = p.string().map_err(|m| bad(&m))?;
        p.ws();
        p.eat(b':').map_err(|_| bad("expected ':'"))?;
        p.ws();
        match key.as_str() {
            "descr" if descr.is_none() => descr = Some(p.string().map_err(|m| bad(&m))?),
            "fortran_order" if fortran.is_none() => {
                fortran = Some(if p.word("True") {
                    true
                } else if p.word("False") {
                    false
                } else {
                    return Err(bad("fortran_order must be True or False"));
                })
            }
            "shape" if shape.is_none() => shape = Some(p.tuple().map_err(|m| bad(&m))?),
            "descr" | "fortran_order" | "shape" => return Err(bad(&format!("key '{key}' twice"))),
            _ => return Err(bad(&format!("unknown key '{key}'"))),
        }
        p.ws();
        match p.peek() {
            Some(b',') => p.i += 1,
            Some(b'}') => {}
            _ => return Err(bad("expected ',' or '}'")),
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(bad("text after the dict"));
    }
    let descr = descr.ok_or_else(|| bad("no 'descr'"))?;
    Ok(RawHeader {
        dtype: DType::from_descr(&descr)?,
        fortran_order: fortran.ok_or_else(|| bad("no 'fortran_order'"))?,
        shape: shape.ok_or_else(|| bad("no 'shape'"))?,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), ()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(())
        }
    }
    fn word(&mut self, w: &str) -> bool {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            true
        } else {
            false
        }
    }
    fn string(&mut self) -> Result<String, String> {
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err("expected a quoted string".into()),
        };
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == q {
                let s = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                return Ok(s);
            }
            if c == b'\\' {
                return Err("escapes in strings are not supported".into());
            }
            self.i += 1;
        }
        Err("unterminated string".into())
    }
    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.eat(b'(').map_err(|_| "shape must be a tuple".to_string())?;
        let mut dims = Vec::new();
        loop {
            self.ws();
            if self.eat(b')').is_ok() {
                return Ok(dims);
            }
            let start = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            let num = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
            let d: usize = match num.parse() {
                Ok(d) => d,
                Err(_) if !num.is_empty() => return Err(format!("shape entry {num} is too large")),
                Err(_) => return Err("shape entries must be non-negative integers".into()),
            };
            dims.push(d);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    // (n) without a comma is not a 1-tuple in Python.
                    if dims.len() == 1 {
                        return Err("a 1-D shape is written (n,)".into());
                    }
                }
                _ => return Err("expected ',' or ')' in the shape".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes exactly as NumPy 1.x writes them for np.array([[1, -2, 3], [4, 5, -128]], np.int8).
    fn numpy_int8() -> Vec<u8> {
        let mut v = b"\x93NUMPY\x01\x00v\x00".to_vec();
        let mut h = "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }".to_string();
        h.push_str(&" ".repeat(128 - 10 - h.len() - 1));
        h.push('\n');
        assert_eq!(h.len(), 0x76);
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(&[1, 0xfe, 3, 4, 5, 0x80]);
        v
    }

    #[test]
    fn reads_what_numpy_writes() {
        let a = Array::from_bytes(&numpy_int8()).unwrap();
        assert_eq!(a.dtype, DType::I8);
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.data, vec![1, -2, 3, 4, 5, -128]);
        assert_eq!(a.rows_cols(), (2, 3));
        assert_eq!(a.row(1), &[4, 5, -128]);
        // And writes the same bytes back.
        assert_eq!(a.to_bytes(), numpy_int8());
    }

    #[test]
    fn round_trips_every_dtype_and_rank() {
        let cases = [
            (DType::I8, vec![-128, 0, 127]),
            (DType::U8, vec![0, 1, 255]),
            (DType::I16, vec![-32768, -1, 32767]),
            (DType::U16, vec![0, 65535, 300]),
            (DType::I32, vec![i32::MIN as i64, -5, i32::MAX as i64]),
            (DType::U32, vec![0, u32::MAX as i64, 7]),
        ];
        for (t, data) in cases {
            for shape in [vec![3], vec![1, 3], vec![3, 1]] {
                let a = Array::new(t, shape.clone(), data.clone()).unwrap();
                let b = a.to_bytes();
                assert_eq!(b[8] as usize + 10 + (b[9] as usize) * 256, b.len() - 3 * t.size());
                assert_eq!((b.len() - 3 * t.size()) % 64, 0, "header aligned to 64");
                assert_eq!(Array::from_bytes(&b).unwrap(), a);
            }
        }
        let a = Array::new(DType::U8, vec![0, 4], vec![]).unwrap();
        assert_eq!(Array::from_bytes(&a.to_bytes()).unwrap(), a);
    }

    #[test]
    fn accepts_header_variants() {
        let mk = |h: &str, major: u8, body: &[u8]| {
            let mut v = MAGIC.to_vec();
            v.push(major);
            v.push(0);
            if major == 1 {
                v.extend_from_slice(&(h.len() as u16).to_le_bytes());
            } else {
                v.extend_from_slice(&(h.len() as u32).to_le_bytes());
            }
            v.extend_from_slice(h.as_bytes());
            v.extend_from_slice(body);
            v
        };
        // Keys in another order, double quotes, version 2.0, <i1.
        let b = mk("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<i1\"}\n", 2, &[1, 2]);
        assert_eq!(Array::from_bytes(&b).unwrap().data, vec![1, 2]);
        let b = mk("{'descr': '<u2', 'fortran_order': False, 'shape': (1,)}", 3, &[1, 2]);
        assert_eq!(Array::from_bytes(&b).unwrap().data, vec![0x201]);
    }

    fn err(h: &str, body: &[u8]) -> String {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(h.len() as u16).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(body);
        Array::from_bytes(&v).unwrap_err().to_string()
    }

    #[test]
    fn rejects_what_it_does_not_support_with_clear_errors() {
        let e = err("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &[0; 4]);
        assert!(e.contains("dtype '<f4' is not supported; allowed: int8"), "{e}");
        let e = err("{'descr': '>i2', 'fortran_order': False, 'shape': (1,), }", &[0; 2]);
        assert!(e.contains("big-endian"), "{e}");
        let e = err("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", &[0; 8]);
        assert!(e.contains("'<i8' is not supported"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': True, 'shape': (2, 2), }", &[0; 4]);
        assert!(e.contains("Fortran order"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 2), }", &[0; 8]);
        assert!(e.contains("3 dimensions; only 1-D and 2-D"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': False, 'shape': (), }", &[0; 1]);
        assert!(e.contains("0 dimensions"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", &[0; 5]);
        assert!(e.contains("needs 6 bytes of data, the file has 5"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", &[0; 7]);
        assert!(e.contains("needs 6 bytes"), "{e}");
    }

    #[test]
    fn rejects_malformed_headers() {
        for (h, want) in [
            ("{'descr': '|i1', 'shape': (1,), }", "no 'fortran_order'"),
            ("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unknown key 'x'"),
            ("{'descr': '|i1', 'fortran_order': false, 'shape': (1,)}", "True or False"),
            ("{'descr': '|i1', 'fortran_order': False, 'shape': (1)}", "written (n,)"),
            ("{'descr': '|i1', 'fortran_order': False, 'shape': (-1,)}", "non-negative"),
            ("{'descr': '|i1', 'fortran_order': False, 'shape': [1]}", "must be a tuple"),
            ("{'descr': '|i1' 'fortran_order': False}", "expected ',' or '}'"),
            ("['descr']", "expected '{'"),
            ("{'descr': '|i1', 'descr': '|i1'}", "twice"),
            ("{'descr': '|i1', 'fortran_order': False, 'shape': (1,)} x", "text after"),
            ("{'descr: '|i1'}", "expected ':'"),
        ] {
            let e = err(h, &[0]);
            assert!(e.contains("bad .npy header") && e.contains(want), "{h}: {e}");
        }
        assert!(Array::from_bytes(b"PK\x03\x04 not npy").unwrap_err().to_string().contains("no \\x93NUMPY magic"));
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[1, 0, 200, 0, b'{']);
        assert!(Array::from_bytes(&v).unwrap_err().to_string().contains("truncated"));
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[4, 0, 0, 0]);
        assert!(Array::from_bytes(&v).unwrap_err().to_string().contains("version 4.0"));
    }

    #[test]
    fn arrays_are_checked_on_construction() {
        assert!(Array::new(DType::I8, vec![2], vec![1, 200])
            .unwrap_err()
            .to_string()
            .contains("element 1 = 200 does not fit int8 (-128..=127)"));
        assert!(Array::new(DType::U8, vec![2, 2], vec![1])
            .unwrap_err()
            .to_string()
            .contains("holds 4 elements, got 1"));
        assert!(Array::new(DType::U8, vec![], vec![]).unwrap_err().to_string().contains("0 dimensions"));
    }

    #[test]
    fn file_round_trip_and_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let a = Array::new(DType::I16, vec![2, 2], vec![1, -1, 300, -300]).unwrap();
        a.write(&p).unwrap();
        assert_eq!(Array::read(&p).unwrap(), a);
        let e = Array::read(&dir.path().join("missing.npy")).unwrap_err().to_string();
        assert!(e.starts_with("cannot read"), "{e}");
        std::fs::write(&p, b"junk").unwrap();
        let e = Array::read(&p).unwrap_err().to_string();
        assert!(e.contains("a.npy: not an .npy file"), "{e}");
    }

    fn file_with(dir: &Path, name: &str, h: &str, body: &[u8]) -> std::path::PathBuf {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(h.len() as u16).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(body);
        let p = dir.join(name);
        std::fs::write(&p, v).unwrap();
        p
    }

    /// Shapes whose size overflows, or that a short file cannot hold, are
    /// errors from the header alone: nothing of the shape's size is allocated.
    #[test]
    fn absurd_shapes_are_errors_not_panics_or_allocations() {
        let h = "{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
        let e = err(h, &[0; 4]);
        assert!(e.contains("too large: its size in bytes overflows"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': False, 'shape': (18446744073709551615, 2), }", &[0]);
        assert!(e.contains("overflows"), "{e}");
        let e = err("{'descr': '|i1', 'fortran_order': False, 'shape': (99999999999999999999999,), }", &[0]);
        assert!(e.contains("shape entry 99999999999999999999999 is too large"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        // 2^40 elements claimed, 3 bytes present: refused when opened.
        let p = file_with(
            dir.path(),
            "big.npy",
            "{'descr': '|i1', 'fortran_order': False, 'shape': (1048576, 1048576), }",
            &[1, 2, 3],
        );
        let e = NpyReader::open(&p).unwrap_err().to_string();
        assert!(e.contains("needs 1099511627776 bytes of data, the file has 3"), "{e}");
        let p = file_with(
            dir.path(),
            "ovf.npy",
            "{'descr': '<u2', 'fortran_order': False, 'shape': (9223372036854775807, 3), }",
            &[],
        );
        let e = Array::read(&p).unwrap_err().to_string();
        assert!(e.contains("ovf.npy: shape (9223372036854775807, 3) of uint16 is too large"), "{e}");
        // A version 2.0 header that claims 4 GiB.
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[2, 0, 0xff, 0xff, 0xff, 0xff, b'{']);
        assert!(Array::from_bytes(&v).unwrap_err().to_string().contains("at most 65536 are accepted"));
        let p = dir.path().join("long.npy");
        std::fs::write(&p, &v).unwrap();
        assert!(NpyReader::open(&p).unwrap_err().to_string().contains("at most 65536 are accepted"));
    }

    #[test]
    fn reader_checks_the_header_before_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = file_with(
            dir.path(),
            "a.npy",
            "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }",
            &[1, 0, 2, 0, 3, 0, 0xff, 0xff],
        );
        let r = NpyReader::open(&p).unwrap();
        assert_eq!(r.header().shape, vec![2, 2]);
        assert_eq!(r.header().dtype, DType::I16);
        assert_eq!(r.header().data_bytes(), 8);
        assert_eq!(r.read_array().unwrap().data, vec![1, 2, 3, -1]);
        assert_eq!(NpyReader::open(&p).unwrap().read_bytes().unwrap(), vec![1, 0, 2, 0, 3, 0, 0xff, 0xff]);
        // Every kind of short file.
        for (bytes, want) in [
            (&b""[..], "no \\x93NUMPY magic"),
            (&b"\x93NUM"[..], "no \\x93NUMPY magic"),
            (&b"garbage\n"[..], "no \\x93NUMPY magic"),
            (&b"\x93NUMPY\x02\x00\x10"[..], "truncated .npy header"),
            (&b"\x93NUMPY\x01\x00\x40\x00{'descr'"[..], "truncated .npy header: it says 64 bytes, the file has 8"),
        ] {
            let p = dir.path().join("short.npy");
            std::fs::write(&p, bytes).unwrap();
            let e = NpyReader::open(&p).unwrap_err().to_string();
            assert!(e.contains(want), "{bytes:?}: {e}");
            assert_eq!(Array::from_bytes(bytes).unwrap_err().to_string(), e.split_once(": ").unwrap().1);
        }
        let e = NpyReader::open(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn streamed_writes_check_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.npy");
        write_values(&p, DType::U16, &[2, 3], (0..6).map(|i| i * 1000)).unwrap();
        assert_eq!(Array::read(&p).unwrap().data, vec![0, 1000, 2000, 3000, 4000, 5000]);
        let e = write_values(&p, DType::U8, &[2, 3], 0..5).unwrap_err().to_string();
        assert!(e.contains("holds 6 elements, got 5"), "{e}");
        assert!(!p.exists(), "a failed write leaves no file");
        let e = write_values(&p, DType::U8, &[2], 0..3).unwrap_err().to_string();
        assert!(e.contains("holds 2 elements, got more"), "{e}");
        let e = write_values(&p, DType::I8, &[2], [1, 300]).unwrap_err().to_string();
        assert!(e.contains("element 1 = 300 does not fit int8"), "{e}");
        let e = write_values(&p, DType::I8, &[usize::MAX, 2], []).unwrap_err().to_string();
        assert!(e.contains("overflows"), "{e}");
        let e = write_values(&dir.path().join("no/such/dir.npy"), DType::I8, &[1], [1]).unwrap_err().to_string();
        assert!(e.starts_with("cannot write"), "{e}");
    }
}
