//! A strict reader of GGUF files (versions 2 and 3, little-endian), the format
//! ggml and llama.cpp store models in (`docs/llm.md`).
//!
//! The whole file is read into memory (the SmolLM2-135M file is 93 MB) and
//! every structure is checked before it is used: a malformed file is an error
//! naming what is wrong and at which byte offset, never a panic or a read past
//! the end. Tensor data is handed out as raw bytes; decoding the block formats
//! is the golden model's job (`golden::llm`).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// The first four bytes of every GGUF file.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// The data section's alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Arrays of arrays are allowed; a deeper nesting than this is refused
/// rather than recursed into (a hostile file could exhaust the stack).
const MAX_ARRAY_NESTING: u32 = 8;
/// ggml tensors have at most four dimensions.
const MAX_DIMS: u32 = 4;

/// What went wrong, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufError {
    /// The file (or "GGUF buffer" for bytes not read from a file).
    pub source: String,
    /// The byte offset of the offending structure, when there is one.
    pub offset: Option<u64>,
    pub message: String,
}

impl fmt::Display for GgufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{}: at byte {o}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for GgufError {}

/// A ggml tensor type: how many elements a block holds and its byte size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GgmlType {
    /// The id stored in the file.
    pub id: u32,
    /// ggml's name, e.g. `Q4_1`.
    pub name: &'static str,
    /// Elements per block (1 for the plain types).
    pub block_len: u64,
    /// Bytes per block.
    pub block_bytes: u64,
}

/// The types this reader knows the sizes of (ggml's `type_traits` table; the
/// ids are fixed by the file format).
const GGML_TYPES: &[(u32, &str, u64, u64)] = &[
    (0, "F32", 1, 4),
    (1, "F16", 1, 2),
    (2, "Q4_0", 32, 18),    // f16 d, 16 bytes of nibbles
    (3, "Q4_1", 32, 20),    // f16 d, f16 m, 16 bytes of nibbles
    (6, "Q5_0", 32, 22),    // f16 d, 4 bytes of high bits, 16 bytes of nibbles
    (7, "Q5_1", 32, 24),    // f16 d, f16 m, 4 + 16 bytes
    (8, "Q8_0", 32, 34),    // f16 d, 32 int8
    (9, "Q8_1", 32, 36),    // f16 d, f16 s, 32 int8
    (10, "Q2_K", 256, 84),  // 16 scales, 64 bytes of 2-bit quants, f16 d, f16 dmin
    (11, "Q3_K", 256, 110), // 32 bytes of high bits, 64 of quants, 12 of scales, f16 d
    (12, "Q4_K", 256, 144), // f16 d, f16 dmin, 12 of scales, 128 of nibbles
    (13, "Q5_K", 256, 176), // f16 d, f16 dmin, 12 of scales, 32 of high bits, 128 of nibbles
    (14, "Q6_K", 256, 210), // 128 of low nibbles, 64 of high bits, 16 int8 scales, f16 d
    (24, "I8", 1, 1),
    (25, "I16", 1, 2),
    (26, "I32", 1, 4),
    (27, "I64", 1, 8),
    (28, "F64", 1, 8),
    (30, "BF16", 1, 2),
];

impl GgmlType {
    /// The type with file id `id`, if this reader knows it.
    pub fn from_id(id: u32) -> Option<GgmlType> {
        GGML_TYPES.iter().find(|t| t.0 == id).map(|&(id, name, block_len, block_bytes)| GgmlType {
            id,
            name,
            block_len,
            block_bytes,
        })
    }

    /// The type named `name` (ggml's spelling, e.g. `Q6_K`).
    pub fn from_name(name: &str) -> Option<GgmlType> {
        GGML_TYPES.iter().find(|t| t.1 == name).and_then(|t| Self::from_id(t.0))
    }
}

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    /// An array of values of one type (never of arrays in practice, but the
    /// format allows it and so does this reader).
    Array(Vec<Value>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Value {
    /// The format's name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::U8(_) => "uint8",
            Value::I8(_) => "int8",
            Value::U16(_) => "uint16",
            Value::I16(_) => "int16",
            Value::U32(_) => "uint32",
            Value::I32(_) => "int32",
            Value::F32(_) => "float32",
            Value::Bool(_) => "bool",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::U64(_) => "uint64",
            Value::I64(_) => "int64",
            Value::F64(_) => "float64",
        }
    }
}

/// One tensor's description from the file's tensor table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the innermost (contiguous) dimension.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// The offset of its data from the data section's start.
    pub offset: u64,
    /// Its data's byte size, from the dims and the type.
    pub size: u64,
}

impl TensorInfo {
    /// The number of elements.
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// A parsed GGUF file, holding its bytes.
#[derive(Debug)]
pub struct Gguf {
    source: String,
    bytes: Vec<u8>,
    version: u32,
    metadata: Vec<(String, Value)>,
    keys: HashMap<String, usize>,
    tensors: Vec<TensorInfo>,
    names: HashMap<String, usize>,
    alignment: u64,
    data_start: u64,
}

/// A bounds-checked little-endian cursor over the file.
struct Cursor<'a> {
    source: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, offset: usize, message: impl Into<String>) -> GgufError {
        GgufError { source: self.source.to_string(), offset: Some(offset as u64), message: message.into() }
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], GgufError> {
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(self.err(
                self.pos,
                format!("file truncated: {what} needs {n} bytes, {left} left (file size {})", self.bytes.len()),
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        Ok(self.take(N as u64, what)?.try_into().expect("take returns N bytes"))
    }

    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let at = self.pos;
        let len = self.u64(what)?;
        let raw = self.take(len, what)?;
        String::from_utf8(raw.to_vec()).map_err(|e| self.err(at, format!("{what} is not valid UTF-8 ({e})")))
    }

    /// A value of type `ty`, its type id read at `type_at`, inside `depth`
    /// enclosing arrays.
    fn value(&mut self, ty: u32, type_at: usize, what: &str, depth: u32) -> Result<Value, GgufError> {
        Ok(match ty {
            0 => Value::U8(u8::from_le_bytes(self.array(what)?)),
            1 => Value::I8(i8::from_le_bytes(self.array(what)?)),
            2 => Value::U16(u16::from_le_bytes(self.array(what)?)),
            3 => Value::I16(i16::from_le_bytes(self.array(what)?)),
            4 => Value::U32(self.u32(what)?),
            5 => Value::I32(i32::from_le_bytes(self.array(what)?)),
            6 => Value::F32(f32::from_le_bytes(self.array(what)?)),
            7 => {
                let at = self.pos;
                match self.array::<1>(what)?[0] {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    b => return Err(self.err(at, format!("{what}: bool value {b} is neither 0 nor 1"))),
                }
            }
            8 => Value::String(self.string(what)?),
            9 => {
                let elem_at = self.pos;
                if depth >= MAX_ARRAY_NESTING {
                    return Err(self.err(
                        type_at,
                        format!("{what}: arrays nested deeper than {MAX_ARRAY_NESTING} (a malformed file?)"),
                    ));
                }
                let elem_ty = self.u32(what)?;
                let count_at = self.pos;
                let count = self.u64(what)?;
                // Every element takes at least one byte: a count beyond the
                // bytes left is a malformed (or hostile) file, caught before
                // allocating for it.
                let left = (self.bytes.len() - self.pos) as u64;
                if count > left {
                    return Err(self.err(
                        count_at,
                        format!("file truncated: {what} claims {count} array elements, only {left} bytes left"),
                    ));
                }
                let mut items = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    items.push(self.value(elem_ty, elem_at, what, depth + 1)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64(what)?),
            11 => Value::I64(i64::from_le_bytes(self.array(what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(what)?)),
            _ => return Err(self.err(type_at, format!("{what}: unknown value type {ty} (known: 0..=12)"))),
        })
    }
}

impl Gguf {
    /// Read and parse the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Gguf, GgufError> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| GgufError {
            source: source.clone(),
            offset: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse_named(bytes, source)
    }

    /// Parse a GGUF file held in memory.
    pub fn parse(bytes: Vec<u8>) -> Result<Gguf, GgufError> {
        Self::parse_named(bytes, "GGUF buffer".to_string())
    }

    fn parse_named(bytes: Vec<u8>, source: String) -> Result<Gguf, GgufError> {
        let mut c = Cursor { source: &source, bytes: &bytes, pos: 0 };
        let magic: [u8; 4] = c.array("the magic")?;
        if magic != MAGIC {
            return Err(c.err(0, format!("bad magic {magic:02x?}: a GGUF file starts with \"GGUF\"")));
        }
        let version = c.u32("the version")?;
        if !(2..=3).contains(&version) {
            let hint =
                if version.swap_bytes() == 3 || version.swap_bytes() == 2 { " (a big-endian file?)" } else { "" };
            return Err(c.err(4, format!("unsupported GGUF version {version}{hint}: this reader reads 2 and 3")));
        }
        let tensor_count = c.u64("the tensor count")?;
        let kv_count = c.u64("the metadata count")?;

        let mut metadata = Vec::new();
        let mut keys = HashMap::new();
        for i in 0..kv_count {
            let at = c.pos;
            let key = c.string(&format!("metadata key {i}"))?;
            let type_at = c.pos;
            let ty = c.u32(&format!("the type of metadata '{key}'"))?;
            let value = c.value(ty, type_at, &format!("metadata '{key}'"), 0)?;
            if keys.insert(key.clone(), metadata.len()).is_some() {
                return Err(c.err(at, format!("metadata key '{key}' appears twice")));
            }
            metadata.push((key, value));
        }

        let alignment = match metadata.iter().find(|(k, _)| k == "general.alignment").map(|(_, v)| v) {
            None => DEFAULT_ALIGNMENT,
            Some(&Value::U32(a)) if a > 0 && a.is_power_of_two() => a as u64,
            Some(v) => {
                return Err(GgufError {
                    source: source.clone(),
                    offset: None,
                    message: format!("general.alignment must be a uint32 power of two, found {v:?}"),
                })
            }
        };

        let mut tensors = Vec::new();
        let mut names = HashMap::new();
        for i in 0..tensor_count {
            let at = c.pos;
            let info = Self::tensor_info(&mut c, i)?;
            if names.insert(info.name.clone(), tensors.len()).is_some() {
                return Err(c.err(at, format!("tensor '{}' appears twice", info.name)));
            }
            tensors.push(info);
        }
        let data_start = (c.pos as u64).div_ceil(alignment) * alignment;
        let gguf = Gguf { source, bytes, version, metadata, keys, tensors, names, alignment, data_start };
        gguf.check_tensor_data()?;
        Ok(gguf)
    }

    fn tensor_info(c: &mut Cursor<'_>, i: u64) -> Result<TensorInfo, GgufError> {
        let name = c.string(&format!("the name of tensor {i}"))?;
        let what = format!("tensor '{name}'");
        let dims_at = c.pos;
        let n_dims = c.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(c.err(dims_at, format!("{what} has {n_dims} dimensions: must be 1..={MAX_DIMS}")));
        }
        let mut dims = Vec::new();
        for _ in 0..n_dims {
            dims.push(c.u64(&what)?);
        }
        let type_at = c.pos;
        let type_id = c.u32(&what)?;
        let ggml_type = GgmlType::from_id(type_id).ok_or_else(|| {
            let known: Vec<&str> = GGML_TYPES.iter().map(|t| t.1).collect();
            c.err(type_at, format!("{what} has unknown ggml type {type_id} (known: {})", known.join(", ")))
        })?;
        let offset = c.u64(&what)?;
        if dims[0] % ggml_type.block_len != 0 {
            return Err(c.err(
                dims_at,
                format!(
                    "{what}: its rows of {} elements are not whole {}-element {} blocks",
                    dims[0], ggml_type.block_len, ggml_type.name
                ),
            ));
        }
        let size = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .and_then(|n| (n / ggml_type.block_len).checked_mul(ggml_type.block_bytes))
            .ok_or_else(|| c.err(dims_at, format!("{what}: dims {dims:?} overflow 64 bits")))?;
        Ok(TensorInfo { name, dims, ggml_type, offset, size })
    }

    /// Every tensor is aligned, inside the file and clear of the others.
    fn check_tensor_data(&self) -> Result<(), GgufError> {
        let len = self.bytes.len() as u64;
        let err =
            |offset: u64, message: String| GgufError { source: self.source.clone(), offset: Some(offset), message };
        for t in &self.tensors {
            let at = self.data_start.saturating_add(t.offset);
            if t.offset % self.alignment != 0 {
                let msg =
                    format!("tensor '{}' at data offset {} is not {}-byte aligned", t.name, t.offset, self.alignment);
                return Err(err(at, msg));
            }
            if at.checked_add(t.size).is_none_or(|end| end > len) {
                let msg = format!(
                    "tensor '{}' ({} {:?}, {} bytes) runs past the end of the file (size {len})",
                    t.name, t.ggml_type.name, t.dims, t.size
                );
                return Err(err(at, msg));
            }
        }
        let mut order: Vec<&TensorInfo> = self.tensors.iter().collect();
        order.sort_by_key(|t| t.offset);
        for pair in order.windows(2) {
            if pair[0].offset + pair[0].size > pair[1].offset {
                let msg = format!(
                    "tensor '{}' ({} bytes at data offset {}) overlaps tensor '{}' at data offset {}",
                    pair[0].name, pair[0].size, pair[0].offset, pair[1].name, pair[1].offset
                );
                return Err(err(self.data_start + pair[1].offset, msg));
            }
        }
        Ok(())
    }

    /// The format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The data section's alignment.
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// The byte offset where the data section starts.
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// The metadata in file order.
    pub fn metadata(&self) -> &[(String, Value)] {
        &self.metadata
    }

    fn err(&self, message: String) -> GgufError {
        GgufError { source: self.source.clone(), offset: None, message }
    }

    /// The value of metadata `key`.
    pub fn get(&self, key: &str) -> Result<&Value, GgufError> {
        self.keys.get(key).map(|&i| &self.metadata[i].1).ok_or_else(|| self.err(format!("no metadata '{key}'")))
    }

    fn wrong_type(&self, key: &str, want: &str, v: &Value) -> GgufError {
        self.err(format!("metadata '{key}' is {}, not {want}", v.type_name()))
    }

    pub fn get_u32(&self, key: &str) -> Result<u32, GgufError> {
        match self.get(key)? {
            Value::U32(x) => Ok(*x),
            v => Err(self.wrong_type(key, "uint32", v)),
        }
    }

    pub fn get_f32(&self, key: &str) -> Result<f32, GgufError> {
        match self.get(key)? {
            Value::F32(x) => Ok(*x),
            v => Err(self.wrong_type(key, "float32", v)),
        }
    }

    pub fn get_bool(&self, key: &str) -> Result<bool, GgufError> {
        match self.get(key)? {
            Value::Bool(x) => Ok(*x),
            v => Err(self.wrong_type(key, "bool", v)),
        }
    }

    pub fn get_str(&self, key: &str) -> Result<&str, GgufError> {
        match self.get(key)? {
            Value::String(x) => Ok(x),
            v => Err(self.wrong_type(key, "string", v)),
        }
    }

    pub fn get_array(&self, key: &str) -> Result<&[Value], GgufError> {
        match self.get(key)? {
            Value::Array(x) => Ok(x),
            v => Err(self.wrong_type(key, "array", v)),
        }
    }

    /// An array of strings.
    pub fn get_str_array(&self, key: &str) -> Result<Vec<&str>, GgufError> {
        self.get_array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                v => Err(self.err(format!("metadata '{key}'[{i}] is {}, not string", v.type_name()))),
            })
            .collect()
    }

    /// The tensor table in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Result<&TensorInfo, GgufError> {
        self.names.get(name).map(|&i| &self.tensors[i]).ok_or_else(|| self.err(format!("no tensor '{name}'")))
    }

    /// The raw bytes of tensor `name` (checked against the file when parsed).
    pub fn tensor_data(&self, name: &str) -> Result<&[u8], GgufError> {
        let t = self.tensor(name)?;
        let start = (self.data_start + t.offset) as usize;
        Ok(&self.bytes[start..start + t.size as usize])
    }
}
