//! The SmolLM2-135M model file (installed by `make model`), the GGUF reader's
//! strictness on malformed files, the tokenizer against an independent
//! implementation, and the golden Q4_1/Q8_0 decoding against the `gguf`
//! Python package's.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use golden::llm::{q4_1, q8_0};
use runtime::llm::{model_path, resolve_model_path, Gguf, Tokenizer};

fn model() -> &'static Gguf {
    static MODEL: OnceLock<Gguf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = model_path().unwrap_or_else(|e| panic!("{e}"));
        Gguf::open(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn tokenizer() -> &'static Tokenizer {
    static TOK: OnceLock<Tokenizer> = OnceLock::new();
    TOK.get_or_init(|| Tokenizer::from_gguf(model()).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn real_file_architecture() {
    let g = model();
    assert_eq!(g.version(), 3);
    assert_eq!(g.alignment(), 32);
    assert_eq!(g.get_str("general.architecture").unwrap(), "llama");
    for (key, want) in [
        ("llama.block_count", 30),
        ("llama.embedding_length", 576),
        ("llama.attention.head_count", 9),
        ("llama.attention.head_count_kv", 3),
        ("llama.feed_forward_length", 1536),
        ("llama.vocab_size", 49152),
        ("llama.rope.dimension_count", 64),
        ("llama.context_length", 8192),
    ] {
        assert_eq!(g.get_u32(key).unwrap(), want, "{key}");
    }
    assert_eq!(g.get_f32("llama.rope.freq_base").unwrap(), 100000.0);
    assert_eq!(g.get_f32("llama.attention.layer_norm_rms_epsilon").unwrap(), 1e-5);
    // The typed getters name the key and both types.
    let e = g.get_u32("general.architecture").unwrap_err().to_string();
    assert!(e.ends_with("metadata 'general.architecture' is string, not uint32"), "{e}");
    let e = g.get_f32("llama.no_such_key").unwrap_err().to_string();
    assert!(e.ends_with("no metadata 'llama.no_such_key'"), "{e}");
}

#[test]
fn real_file_tensors() {
    let g = model();
    let mut by_type: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    let mut end = 0;
    for t in g.tensors() {
        let ty = t.ggml_type;
        assert_eq!(t.size, t.elements() / ty.block_len * ty.block_bytes, "{}", t.name);
        assert_eq!(g.tensor_data(&t.name).unwrap().len() as u64, t.size, "{}", t.name);
        assert_eq!(t.offset % g.alignment(), 0, "{}", t.name);
        let e = by_type.entry(ty.name).or_default();
        e.0 += 1;
        e.1 += t.size;
        end = end.max(g.data_start() + t.offset + t.size);
    }
    println!("{} tensors, data from byte {} to {end}:", g.tensors().len(), g.data_start());
    for (name, (n, bytes)) in &by_type {
        println!("  {name:5} {n:4} tensors {bytes:>10} bytes");
    }
    let counts: Vec<(&str, usize)> = by_type.iter().map(|(k, v)| (*k, v.0)).collect();
    assert_eq!(counts, [("F32", 61), ("Q4_1", 210), ("Q8_0", 1)]);
    assert_eq!(std::fs::metadata(model_path().unwrap()).unwrap().len(), end, "the last tensor ends the file");

    let check = |name: &str, ty: &str, dims: &[u64]| {
        let t = g.tensor(name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.ggml_type.name, t.dims.as_slice()), (ty, dims), "{name}");
    };
    // The output projection is tied to the token embedding: no output.weight.
    check("token_embd.weight", "Q8_0", &[576, 49152]);
    check("output_norm.weight", "F32", &[576]);
    assert!(g.tensor("output.weight").is_err());
    for l in 0..30 {
        check(&format!("blk.{l}.attn_norm.weight"), "F32", &[576]);
        check(&format!("blk.{l}.ffn_norm.weight"), "F32", &[576]);
        check(&format!("blk.{l}.attn_q.weight"), "Q4_1", &[576, 576]);
        check(&format!("blk.{l}.attn_k.weight"), "Q4_1", &[576, 192]);
        check(&format!("blk.{l}.attn_v.weight"), "Q4_1", &[576, 192]);
        check(&format!("blk.{l}.attn_output.weight"), "Q4_1", &[576, 576]);
        check(&format!("blk.{l}.ffn_gate.weight"), "Q4_1", &[576, 1536]);
        check(&format!("blk.{l}.ffn_up.weight"), "Q4_1", &[576, 1536]);
        check(&format!("blk.{l}.ffn_down.weight"), "Q4_1", &[1536, 576]);
    }
    assert_eq!(g.tensors().len(), 2 + 30 * 9);
}

/// Expected values from the `gguf` Python package (0.19.0, `gguf.quants.dequantize`
/// on the same file, in a scratch virtual environment): the f32 bit patterns
/// of elements 0, 1, 15, 16, 17, 31, 32, 63, and the sum of all the tensor's
/// f32 bit patterns as u64 (an order-free checksum of every value).
fn check_decoded(name: &str, w: &[f32], bits: [u32; 8], bit_sum: u64) {
    let got: Vec<u32> = [0, 1, 15, 16, 17, 31, 32, 63].iter().map(|&i| w[i].to_bits()).collect();
    assert_eq!(got, bits, "{name}: elements 0, 1, 15, 16, 17, 31, 32, 63");
    assert_eq!(w.iter().map(|x| x.to_bits() as u64).sum::<u64>(), bit_sum, "{name}: bit sum");
}

#[test]
fn real_file_q4_1_matches_gguf_py() {
    let g = model();
    let first = g.tensor_data("blk.0.attn_q.weight").unwrap();
    // The first block as stored: d = 0x300f, m = 0xb9d8, then the nibbles.
    let block = q4_1::BlockQ4_1::from_bytes(first[..20].try_into().unwrap());
    assert_eq!((block.d, block.m, block.qs[0]), (0x300f, 0xb9d8, 0x45));
    let w = q4_1::dequantize(first).unwrap();
    assert_eq!(w.len(), 576 * 576);
    let bits = [0xbdc54000, 0x3e212000, 0x3f09b000, 0xbe648000, 0x3e918000, 0xbdc54000, 0xbeb14000, 0xbf630000];
    check_decoded("blk.0.attn_q.weight", &w, bits, 699_172_363_944_448);
    let w = q4_1::dequantize(g.tensor_data("blk.29.ffn_down.weight").unwrap()).unwrap();
    let bits = [0xbe8bf000, 0x3e3ec000, 0xbe0ab000, 0x3ea5f800, 0x3d464000, 0xbe8bf000, 0x3cda0000, 0xbc8b4000];
    check_decoded("blk.29.ffn_down.weight", &w, bits, 1_865_154_043_482_624);
}

#[test]
fn real_file_q8_0_embedding_matches_gguf_py() {
    let w = q8_0::dequantize(model().tensor_data("token_embd.weight").unwrap()).unwrap();
    assert_eq!(w.len(), 576 * 49152);
    let bits = [0xbdda3400, 0x3d071400, 0x3ca64000, 0xbbf96000, 0x3dab7200, 0xbe4d3700, 0xbdbf7600, 0xbac28000];
    check_decoded("token_embd.weight", &w, bits, 58_597_194_097_596_096);
}

/// Token ids from an independent implementation: Hugging Face `tokenizers` 0.23.3
/// (Python package, scratch virtual environment) with a byte-level BPE model
/// built from this file's `tokenizer.ggml.tokens` and `merges`, the
/// pre-tokenizer SmolLM2's tokenizer.json declares (Digits with
/// individual_digits, then ByteLevel without a prefix space, with its regex),
/// and the 17 control tokens added as special tokens.
const KNOWN: &[(&str, &[u32])] = &[
    ("Once upon a time", &[6403, 1980, 253, 655]),
    (
        "Hello, world! It's 2024: 3.14159 apples cost $12.50 -- café déjà vu.",
        &[
            19556, 28, 905, 17, 657, 506, 216, 34, 32, 34, 36, 42, 216, 35, 30, 33, 36, 33, 37, 41, 13855, 1708, 1885,
            33, 34, 30, 37, 32, 3009, 37366, 32564, 90, 16739, 386, 101, 30,
        ],
    ),
    ("  leading spaces\n\nand\ttabs  ", &[216, 2899, 5600, 198, 198, 397, 197, 100, 7366, 256]),
    (
        "I'm sure they'll say \"we've\" and 'QUOTES' aren't OK.",
        &[57, 5248, 2090, 502, 3060, 1643, 476, 677, 3543, 18, 284, 637, 11745, 4515, 2097, 23, 4775, 982, 15310, 30],
    ),
    (
        "Grüße aus Zürich, 東京 und Ελλάδα 🚀!",
        &[
            27302, 7170, 34878, 85, 253, 376, 1777, 7170, 5130, 28, 17097, 247, 126, 16736, 122, 3423, 5664, 239,
            17162, 17162, 26112, 29589, 8998, 15107, 244, 218, 17,
        ],
    ),
];

#[test]
fn tokenizer_matches_known_ids() {
    let tok = tokenizer();
    assert_eq!((tok.vocab_size(), tok.bos(), tok.eos()), (49152, 1, 2));
    for (text, want) in KNOWN {
        assert_eq!(tok.encode(text), *want, "{text:?}");
        assert_eq!(tok.decode(want).unwrap(), *text, "decode of {text:?}");
        assert_eq!(tok.words(text).concat(), *text, "the words of {text:?} concatenate back");
    }
}

/// 411 texts against the same independent implementation as KNOWN (see the
/// fixture's header), and their round trip.
#[test]
fn tokenizer_matches_reference_corpus() {
    let tok = tokenizer();
    let fixture = include_str!("fixtures/smollm2_tokens.tsv");
    let mut checked = 0;
    for (n, line) in fixture.lines().enumerate().filter(|(_, l)| !l.starts_with('#')) {
        let (hex, ids) = line.split_once('\t').unwrap_or_else(|| panic!("fixture line {}: no tab", n + 1));
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let text = String::from_utf8(bytes).unwrap();
        let want: Vec<u32> = ids.split_whitespace().map(|x| x.parse().unwrap()).collect();
        let got = tok.encode_with_control(&text);
        assert_eq!(got, want, "fixture line {}: {text:?}, words {:?}", n + 1, tok.words(&text));
        assert_eq!(tok.decode(&got).unwrap(), text, "fixture line {}: round trip", n + 1);
        checked += 1;
    }
    assert_eq!(checked, 411);
}

#[test]
fn tokenizer_words_follow_the_smollm_split() {
    let tok = tokenizer();
    // Digits stand alone, a space before a number is its own word, and a run of
    // spaces leaves its last one to the next word.
    assert_eq!(tok.words("x 42  ab"), ["x", " ", "4", "2", " ", " ab"]);
    assert_eq!(tok.words("it's 'Tis"), ["it", "'s", " '", "Tis"]);
    assert_eq!(tok.words("a\n\nb  \n"), ["a", "\n", "\n", "b", "  \n"]);
    assert_eq!(tok.words("hi!?  "), ["hi", "!?", "  "]);
    // A vowel sign is alphabetic to Rust but not a letter (\p{L}).
    assert_eq!(tok.words("Aी've Ⓐb"), ["A", "ी'", "ve", " Ⓐ", "b"]);
}

#[test]
fn tokenizer_control_tokens() {
    let tok = tokenizer();
    let text = "<|im_start|>user\nHi<|im_end|>";
    // Same independent implementation as KNOWN.
    assert_eq!(tok.encode_with_control(text), [1, 4093, 198, 26843, 2]);
    assert_eq!(tok.decode(&[1, 4093, 198, 26843, 2]).unwrap(), text);
    // As plain text the spelling is ordinary characters.
    assert!(tok.encode(text).len() > 5);
    assert_eq!(tok.decode(&tok.encode(text)).unwrap(), text);
}

#[test]
fn tokenizer_round_trips_and_rejects_bad_ids() {
    let tok = tokenizer();
    let text = "Ünïcødé ½ Ⅻ 𝔘 \u{301}e \r\n\t x  9999 ' '' 's";
    assert_eq!(tok.decode(&tok.encode(text)).unwrap(), text);
    // A token can end inside a character: the bytes are exact, the text lossy.
    let ids = tok.encode("🚀");
    assert!(ids.len() > 1);
    assert_eq!(tok.decode_bytes(&ids[..1]).unwrap(), &"🚀".as_bytes()[..tok.decode_bytes(&ids[..1]).unwrap().len()]);
    assert_eq!(tok.decode(&ids[..1]).unwrap(), "\u{fffd}");
    // Bytes without a token are dropped before merging (same independent
    // implementation as KNOWN): the two '!' then merge into one token.
    assert_eq!(tok.unencodable().len(), 21);
    assert_eq!(tok.encode("!\u{4}!"), [10095]);
    assert_eq!(tok.encode("a\u{4}b"), [81, 82]);
    assert_eq!(tok.encode("ok\u{6}\u{13} x\u{1d}"), [2231, 1792]);
    // A long word without spaces or punctuation (one BPE run).
    let long: String = "abcdefghij".repeat(2000);
    let ids = tok.encode(&long);
    assert!(ids.len() < long.len() / 2, "{} tokens", ids.len());
    assert_eq!(tok.decode(&ids).unwrap(), long);
    let e = tok.decode(&[5, 49152]).unwrap_err().to_string();
    assert_eq!(e, "tokenizer: token id 49152 is not below the vocabulary size 49152");
}

#[test]
fn model_path_rule() {
    let dir = tempfile::tempdir().unwrap();
    let e = resolve_model_path(None, dir.path()).unwrap_err();
    assert!(e.contains(".tools/model.path cannot be read") && e.contains("run `make model`"), "{e}");
    std::fs::create_dir(dir.path().join(".tools")).unwrap();
    let file = dir.path().join("m.gguf");
    std::fs::write(dir.path().join(".tools/model.path"), format!("{}\n", file.display())).unwrap();
    let e = resolve_model_path(None, dir.path()).unwrap_err();
    assert!(e.contains("m.gguf recorded in") && e.contains("is missing"), "{e}");
    std::fs::write(&file, b"x").unwrap();
    assert_eq!(resolve_model_path(None, dir.path()).unwrap(), file);
    let other = dir.path().join("other.gguf");
    let e = resolve_model_path(Some(other.as_os_str()), dir.path()).unwrap_err();
    assert!(e.starts_with("SERRANO_MODEL=") && e.contains("is not a file"), "{e}");
    std::fs::write(&other, b"x").unwrap();
    assert_eq!(resolve_model_path(Some(other.as_os_str()), dir.path()).unwrap(), other);
}

/// A small GGUF file written field by field, to be broken on purpose.
struct Builder {
    version: u32,
    kvs: Vec<u8>,
    n_kv: u64,
    infos: Vec<u8>,
    n_tensors: u64,
    alignment: usize,
    data: Vec<u8>,
}

fn gguf_str(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

impl Builder {
    fn new() -> Self {
        Builder { version: 3, kvs: vec![], n_kv: 0, infos: vec![], n_tensors: 0, alignment: 32, data: vec![] }
    }

    /// A key of value type `ty` with its encoded value.
    fn kv(mut self, key: &str, ty: u32, value: &[u8]) -> Self {
        self.kvs.extend(gguf_str(key));
        self.kvs.extend(ty.to_le_bytes());
        self.kvs.extend_from_slice(value);
        self.n_kv += 1;
        self
    }

    fn tensor(mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> Self {
        self.infos.extend(gguf_str(name));
        self.infos.extend((dims.len() as u32).to_le_bytes());
        dims.iter().for_each(|d| self.infos.extend(d.to_le_bytes()));
        self.infos.extend(ty.to_le_bytes());
        self.infos.extend(offset.to_le_bytes());
        self.n_tensors += 1;
        self
    }

    fn data(mut self, bytes: &[u8]) -> Self {
        self.data.extend_from_slice(bytes);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut v = b"GGUF".to_vec();
        v.extend(self.version.to_le_bytes());
        v.extend(self.n_tensors.to_le_bytes());
        v.extend(self.n_kv.to_le_bytes());
        v.extend(&self.kvs);
        v.extend(&self.infos);
        v.resize(v.len().div_ceil(self.alignment) * self.alignment, 0);
        v.extend(&self.data);
        v
    }
}

/// Two F32 tensors of 4 and 8 values, a string array and a u32.
fn valid() -> Builder {
    // An array: element type 8 (string), count 2, the strings.
    let names = [8u32.to_le_bytes().to_vec(), 2u64.to_le_bytes().to_vec(), gguf_str("a"), gguf_str("bc")].concat();
    let data: Vec<u8> = (0..16u32).flat_map(|i| (i as f32).to_le_bytes()).collect();
    Builder::new()
        .kv("general.architecture", 8, &gguf_str("test"))
        .kv("test.count", 4, &7u32.to_le_bytes())
        .kv("test.names", 9, &names)
        .tensor("a", &[4], 0, 0)
        .tensor("b", &[4, 2], 0, 32)
        .data(&data)
}

fn parse_err(bytes: Vec<u8>) -> String {
    Gguf::parse(bytes).map(|_| ()).unwrap_err().to_string()
}

#[test]
fn synthetic_file_reads_back() {
    let g = Gguf::parse(valid().bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.get_u32("test.count").unwrap(), 7);
    assert_eq!(g.get_str_array("test.names").unwrap(), ["a", "bc"]);
    let b = g.tensor("b").unwrap();
    assert_eq!((b.ggml_type.name, b.dims.as_slice(), b.size), ("F32", &[4u64, 2][..], 32));
    let floats: Vec<f32> =
        g.tensor_data("b").unwrap().chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(floats, [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]);
    // A larger alignment moves the data section and is honoured.
    let mut b64 = Builder::new().kv("general.alignment", 4, &64u32.to_le_bytes()).tensor("c", &[2], 0, 64);
    b64.alignment = 64;
    let g = Gguf::parse(b64.data(&[0; 64]).data(&[1; 8]).bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((g.alignment(), g.data_start() % 64), (64, 0));
    assert_eq!(g.tensor_data("c").unwrap(), [1; 8]);
    let mut b32 = Builder::new().kv("general.alignment", 4, &64u32.to_le_bytes()).tensor("c", &[2], 0, 32);
    b32.alignment = 64;
    let e = parse_err(b32.data(&[0; 64]).bytes());
    assert!(e.ends_with("tensor 'c' at data offset 32 is not 64-byte aligned"), "{e}");
    assert_eq!(g.version(), 3);
}

#[test]
fn malformed_header() {
    let mut bad = valid().bytes();
    bad[3] = b'X';
    assert_eq!(parse_err(bad), "GGUF buffer: at byte 0: bad magic [47, 47, 55, 58]: a GGUF file starts with \"GGUF\"");
    let mut v1 = valid();
    v1.version = 1;
    assert_eq!(parse_err(v1.bytes()), "GGUF buffer: at byte 4: unsupported GGUF version 1: this reader reads 2 and 3");
    let mut be = valid();
    be.version = 3u32.swap_bytes();
    assert!(parse_err(be.bytes()).contains("(a big-endian file?)"));
    let mut v2 = valid();
    v2.version = 2;
    assert!(Gguf::parse(v2.bytes()).is_ok());
}

/// Every cut of a valid file is an error (truncation inside the header and
/// tables, or a tensor past the end), never a panic.
#[test]
fn malformed_truncated_anywhere() {
    let full = valid().bytes();
    for len in 0..full.len() {
        let e = parse_err(full[..len].to_vec());
        assert!(e.contains("file truncated") || e.contains("runs past the end of the file"), "cut at {len}: {e}");
    }
    assert_eq!(
        parse_err(full[..10].to_vec()),
        "GGUF buffer: at byte 8: file truncated: the tensor count needs 8 bytes, 2 left (file size 10)"
    );
}

#[test]
fn malformed_values() {
    let e = parse_err(valid().kv("x.odd", 13, &[0; 8]).bytes());
    assert!(e.ends_with("metadata 'x.odd': unknown value type 13 (known: 0..=12)"), "{e}");
    let e = parse_err(valid().kv("x.flag", 7, &[2]).bytes());
    assert!(e.ends_with("metadata 'x.flag': bool value 2 is neither 0 nor 1"), "{e}");
    let e = parse_err(valid().kv("test.count", 4, &[1, 0, 0, 0]).bytes());
    assert!(e.ends_with("metadata key 'test.count' appears twice"), "{e}");
    // An array claiming more elements than bytes left fails before allocating.
    let huge = [4u32.to_le_bytes().to_vec(), u64::MAX.to_le_bytes().to_vec()].concat();
    let e = parse_err(valid().kv("x.many", 9, &huge).bytes());
    assert!(e.contains("metadata 'x.many' claims 18446744073709551615 array elements"), "{e}");
    let e = parse_err(valid().kv("x.bad", 8, &[&2u64.to_le_bytes()[..], &[0xff, 0xfe]].concat()).bytes());
    assert!(e.contains("metadata 'x.bad' is not valid UTF-8"), "{e}");
    // Arrays of arrays read back; a deep nesting is refused, not recursed into.
    let nest = |levels: usize| {
        let mut v = [4u32.to_le_bytes().to_vec(), 1u64.to_le_bytes().to_vec(), 5u32.to_le_bytes().to_vec()].concat();
        for _ in 1..levels {
            v = [9u32.to_le_bytes().to_vec(), 1u64.to_le_bytes().to_vec(), v].concat();
        }
        valid().kv("x.nest", 9, &v).bytes()
    };
    let g = Gguf::parse(nest(3)).unwrap_or_else(|e| panic!("{e}"));
    let inner = runtime::llm::Value::Array(vec![runtime::llm::Value::U32(5)]);
    assert_eq!(g.get_array("x.nest").unwrap(), [runtime::llm::Value::Array(vec![inner])]);
    assert!(Gguf::parse(nest(8)).is_ok());
    let e = parse_err(nest(9));
    assert!(e.ends_with("metadata 'x.nest': arrays nested deeper than 8 (a malformed file?)"), "{e}");
    let e = parse_err(valid().kv("general.alignment", 4, &24u32.to_le_bytes()).bytes());
    assert!(e.contains("general.alignment must be a uint32 power of two, found U32(24)"), "{e}");
}

#[test]
fn malformed_tensors() {
    let e = parse_err(valid().tensor("far", &[8], 0, 4096).bytes());
    assert!(e.ends_with("tensor 'far' (F32 [8], 32 bytes) runs past the end of the file (size 320)"), "{e}");
    assert!(e.contains(": at byte 4352: "), "the offset is the file position: {e}");
    let e = parse_err(valid().tensor("odd", &[4], 0, 4).bytes());
    assert!(e.ends_with("tensor 'odd' at data offset 4 is not 32-byte aligned"), "{e}");
    let e = parse_err(valid().tensor("q", &[33, 2], 3, 0).bytes());
    assert!(e.ends_with("tensor 'q': its rows of 33 elements are not whole 32-element Q4_1 blocks"), "{e}");
    let e = parse_err(valid().tensor("t", &[4], 99, 0).bytes());
    assert!(e.contains("tensor 't' has unknown ggml type 99 (known: F32, F16, Q4_0, Q4_1"), "{e}");
    let e = parse_err(valid().tensor("a", &[4], 0, 64).bytes());
    assert!(e.ends_with("tensor 'a' appears twice"), "{e}");
    let e = parse_err(valid().tensor("c", &[4], 0, 32).bytes());
    assert!(e.contains("overlaps tensor") && e.contains("at data offset 32"), "{e}");
    let e = parse_err(valid().tensor("d5", &[1, 1, 1, 1, 1], 0, 0).bytes());
    assert!(e.ends_with("tensor 'd5' has 5 dimensions: must be 1..=4"), "{e}");
    let e = parse_err(valid().tensor("big", &[u64::MAX, 2], 0, 0).bytes());
    assert!(e.ends_with("tensor 'big': dims [18446744073709551615, 2] overflow 64 bits"), "{e}");
}

#[test]
fn ggml_type_sizes() {
    use runtime::llm::GgmlType;
    let size = |n: &str| GgmlType::from_name(n).map(|t| (t.block_len, t.block_bytes)).unwrap();
    assert_eq!(size("F32"), (1, 4));
    assert_eq!(size("F16"), (1, 2));
    assert_eq!(size("Q4_0"), (32, 18));
    assert_eq!(size("Q4_1"), (32, q4_1::BLOCK_BYTES as u64));
    assert_eq!(size("Q8_0"), (32, q8_0::BLOCK_BYTES as u64));
    assert_eq!(size("Q6_K"), (256, 210));
    assert_eq!(GgmlType::from_id(3).unwrap().name, "Q4_1");
}
