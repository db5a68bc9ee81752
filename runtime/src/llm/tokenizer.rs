//! GPT-2 style byte-level BPE, built from a GGUF file's `tokenizer.ggml.*`
//! metadata (`docs/llm.md`).
//!
//! Encoding: (1) control tokens written in the text (`<|im_start|>`) are cut
//! out and kept whole when asked for; (2) the SmolLM pre-tokenizer splits the
//! rest into words: every number character on its own, then GPT-2's pattern
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
//! (hand-written below: no regex engine); (3) each word's UTF-8 bytes become
//! the byte-level alphabet's 256 single-character tokens; (4) the adjacent
//! pair with the lowest merge rank is merged until no listed merge applies.
//! Decoding maps each token's characters back to bytes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;

use super::gguf::{Gguf, GgufError, Value};
use super::unicode::is_letter;

/// A tokenizer that cannot be built, or an id that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerError {
    /// The metadata is missing, mistyped or inconsistent.
    Gguf(GgufError),
    Invalid(String),
}

impl fmt::Display for TokenizerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenizerError::Gguf(e) => write!(f, "{e}"),
            TokenizerError::Invalid(m) => write!(f, "tokenizer: {m}"),
        }
    }
}

impl std::error::Error for TokenizerError {}

impl From<GgufError> for TokenizerError {
    fn from(e: GgufError) -> Self {
        TokenizerError::Gguf(e)
    }
}

/// `tokenizer.ggml.token_type` of a control token (kept whole, never merged).
const TOKEN_TYPE_CONTROL: i32 = 3;

/// The pre-tokenizers this implementation knows (`tokenizer.ggml.pre`).
/// `smollm`: digits split one by one, then GPT-2's pattern; `gpt2`: the
/// pattern alone.
const PRE_TOKENIZERS: &[&str] = &["smollm", "gpt2"];

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    /// For a pair of adjacent token ids: the merge's rank and the merged id.
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// The token id of each byte's single-character token, when the
    /// vocabulary has one (SmolLM2's lacks 21 bytes: six control characters
    /// and bytes that valid UTF-8 never or almost never holds).
    byte_token: [Option<u32>; 256],
    /// Each byte-level character back to its byte.
    char_byte: HashMap<char, u8>,
    /// Control tokens by text, longest first (so a longer one wins a tie).
    control: Vec<(String, u32)>,
    split_digits: bool,
    bos: u32,
    eos: u32,
}

/// GPT-2's byte-to-character map: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes for U+0100 upwards in byte order, so every
/// token is printable text without spaces (a space is `Ġ`, U+0120).
fn byte_chars() -> [char; 256] {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xa1..=0xac).contains(&b) || b >= 0xae;
    let mut next = 0x100u32;
    std::array::from_fn(|b| {
        let b = b as u8;
        if printable(b) {
            b as char
        } else {
            let c = char::from_u32(next).expect("U+0100..U+0143 are characters");
            next += 1;
            c
        }
    })
}

/// The end (exclusive, in chars) of the pattern's match starting at `i`.
fn match_end(c: &[char], i: usize) -> usize {
    let n = c.len();
    let run = |from: usize, pred: &dyn Fn(char) -> bool| (from..n).find(|&k| !pred(c[k])).unwrap_or(n);
    if c[i] == '\'' {
        for suffix in ["s", "t", "re", "ve", "m", "ll", "d"] {
            if suffix.chars().enumerate().all(|(k, x)| c.get(i + 1 + k) == Some(&x)) {
                return i + 1 + suffix.len();
            }
        }
    }
    let j = if c[i] == ' ' { i + 1 } else { i };
    if j < n {
        let x = c[j];
        if is_letter(x) {
            return run(j, &is_letter);
        }
        if x.is_numeric() {
            return run(j, &char::is_numeric);
        }
        if !x.is_whitespace() {
            return run(j, &|y: char| !y.is_whitespace() && !is_letter(y) && !y.is_numeric());
        }
    }
    // Whitespace: `\s+(?!\S)` leaves the run's last character to start the
    // next word when a non-space follows; a single one falls to `\s+`.
    let e = run(i, &char::is_whitespace);
    if e < n && e - i >= 2 {
        e - 1
    } else {
        e
    }
}

/// Split `text` into GPT-2 pattern words, appending them to `out`.
fn pattern_words<'t>(text: &'t str, out: &mut Vec<&'t str>) {
    let idx: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let e = match_end(&chars, i);
        out.push(&text[idx[i]..idx[e]]);
        i = e;
    }
}

impl Tokenizer {
    /// The tokenizer stored in `gguf`'s metadata.
    pub fn from_gguf(gguf: &Gguf) -> Result<Tokenizer, TokenizerError> {
        let model = gguf.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(TokenizerError::Invalid(format!(
                "tokenizer.ggml.model is '{model}': only 'gpt2' (byte-level BPE) is implemented"
            )));
        }
        let pre = gguf.get_str("tokenizer.ggml.pre")?;
        if !PRE_TOKENIZERS.contains(&pre) {
            return Err(TokenizerError::Invalid(format!(
                "tokenizer.ggml.pre is '{pre}': implemented are {}",
                PRE_TOKENIZERS.join(", ")
            )));
        }
        let tokens: Vec<String> = gguf.get_str_array("tokenizer.ggml.tokens")?.into_iter().map(String::from).collect();
        let types: Vec<i32> = match gguf.get("tokenizer.ggml.token_type") {
            Ok(_) => gguf
                .get_array("tokenizer.ggml.token_type")?
                .iter()
                .map(|v| match v {
                    Value::I32(t) => Ok(*t),
                    v => Err(TokenizerError::Invalid(format!("token_type holds {}, not int32", v.type_name()))),
                })
                .collect::<Result<_, _>>()?,
            Err(_) => vec![1; tokens.len()],
        };
        if types.len() != tokens.len() {
            return Err(TokenizerError::Invalid(format!("{} token types for {} tokens", types.len(), tokens.len())));
        }
        let merges = gguf.get_str_array("tokenizer.ggml.merges")?;
        let bos = gguf.get_u32("tokenizer.ggml.bos_token_id")?;
        let eos = gguf.get_u32("tokenizer.ggml.eos_token_id")?;
        Self::new(tokens, &types, &merges, pre == "smollm", bos, eos)
    }

    /// A tokenizer from its parts: `merges[r]` is "left right", rank `r`.
    pub fn new(
        tokens: Vec<String>,
        types: &[i32],
        merges: &[&str],
        split_digits: bool,
        bos: u32,
        eos: u32,
    ) -> Result<Tokenizer, TokenizerError> {
        let invalid = |m: String| TokenizerError::Invalid(m);
        let mut ids: HashMap<&str, u32> = HashMap::new();
        for (i, t) in tokens.iter().enumerate() {
            if ids.insert(t, i as u32).is_some() {
                return Err(invalid(format!("token {i} '{t}' appears twice in the vocabulary")));
            }
        }
        for (what, id) in [("bos", bos), ("eos", eos)] {
            if id as usize >= tokens.len() {
                return Err(invalid(format!("{what} token id {id} is not below the vocabulary size {}", tokens.len())));
            }
        }
        let chars = byte_chars();
        let byte_token = chars.map(|c| ids.get(c.to_string().as_str()).copied());
        let mut merge_map = HashMap::new();
        for (rank, m) in merges.iter().enumerate() {
            let parts = m.split_once(' ').filter(|(l, r)| !l.is_empty() && !r.is_empty() && !r.contains(' '));
            let (l, r) = parts.ok_or_else(|| invalid(format!("merge {rank} '{m}' is not two tokens and a space")))?;
            let id = |t: &str| {
                ids.get(t)
                    .copied()
                    .ok_or_else(|| invalid(format!("merge {rank} '{m}': '{t}' is not in the vocabulary")))
            };
            let key = (id(l)?, id(r)?);
            let merged = id(&format!("{l}{r}"))?;
            // The first listing of a pair wins, as its rank is the lowest.
            merge_map.entry(key).or_insert((rank as u32, merged));
        }
        let mut control: Vec<(String, u32)> = (0..tokens.len())
            .filter(|&i| types[i] == TOKEN_TYPE_CONTROL && !tokens[i].is_empty())
            .map(|i| (tokens[i].clone(), i as u32))
            .collect();
        control.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        let char_byte = chars.iter().enumerate().map(|(b, &c)| (c, b as u8)).collect();
        Ok(Tokenizer { tokens, merges: merge_map, byte_token, char_byte, control, split_digits, bos, eos })
    }

    /// The bytes the vocabulary has no single-byte token for: `encode` drops
    /// them, so text holding them does not round-trip.
    pub fn unencodable(&self) -> Vec<u8> {
        (0..=255u8).filter(|&b| self.byte_token[b as usize].is_none()).collect()
    }

    /// The vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The beginning-of-sequence token id.
    pub fn bos(&self) -> u32 {
        self.bos
    }

    /// The end-of-sequence token id.
    pub fn eos(&self) -> u32 {
        self.eos
    }

    /// Token `id`'s text as stored (byte-level characters).
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The pre-tokenizer's words of `text`, in order; they concatenate back to
    /// `text`.
    pub fn words<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        if !self.split_digits {
            pattern_words(text, &mut out);
            return out;
        }
        let mut start = 0;
        for (b, c) in text.char_indices() {
            if c.is_numeric() {
                pattern_words(&text[start..b], &mut out);
                out.push(&text[b..b + c.len_utf8()]);
                start = b + c.len_utf8();
            }
        }
        pattern_words(&text[start..], &mut out);
        out
    }

    /// The tokens of `text`, all of it read as plain text (a control token's
    /// spelling in it is encoded like any other characters). Bytes the
    /// vocabulary has no token for are left out (see [`Tokenizer::unencodable`]).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        for w in self.words(text) {
            self.bpe(w, &mut ids);
        }
        ids
    }

    /// The tokens of `text` where the spellings of control tokens
    /// (`<|im_start|>`, `<|endoftext|>`...) become those tokens.
    pub fn encode_with_control(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            // The earliest control spelling; the longest one at that place.
            let found = self.control.iter().filter_map(|(s, id)| rest.find(s.as_str()).map(|at| (at, s.len(), *id)));
            match found.min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len))) {
                Some((at, len, id)) => {
                    ids.extend(self.encode(&rest[..at]));
                    ids.push(id);
                    rest = &rest[at + len..];
                }
                None => {
                    ids.extend(self.encode(rest));
                    break;
                }
            }
        }
        ids
    }

    /// Byte-pair merging of one word, appending its token ids: the adjacent
    /// pair with the lowest merge rank is merged first, the leftmost on a
    /// tie. A heap of candidate pairs over a linked list of symbols keeps a
    /// long word at n·log n rather than a rescan per merge.
    fn bpe(&self, word: &str, out: &mut Vec<u32>) {
        // A byte without a token is dropped before merging, as Hugging Face's
        // BPE does without an unknown token (llama.cpp drops it too).
        let mut id: Vec<u32> = word.bytes().filter_map(|b| self.byte_token[b as usize]).collect();
        let n = id.len();
        let mut next: Vec<usize> = (1..=n).collect(); // n: none
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect(); // usize::MAX: none
        let mut alive = vec![true; n];
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<_>, i: usize, j: usize, id: &[u32]| {
            if let Some(&(rank, merged)) = self.merges.get(&(id[i], id[j])) {
                heap.push(Reverse((rank, i, id[i], id[j], merged)));
            }
        };
        for i in 1..n {
            push(&mut heap, i - 1, i, &id);
        }
        while let Some(Reverse((_, i, left, right, merged))) = heap.pop() {
            // A stale entry: one side has merged since it was pushed.
            let j = next[i];
            if !alive[i] || j >= n || id[i] != left || id[j] != right {
                continue;
            }
            id[i] = merged;
            alive[j] = false;
            next[i] = next[j];
            if next[i] < n {
                prev[next[i]] = i;
                push(&mut heap, i, next[i], &id);
            }
            if prev[i] < n {
                push(&mut heap, prev[i], i, &id);
            }
        }
        out.extend((0..n).filter(|&i| alive[i]).map(|i| id[i]));
    }

    /// The bytes `ids` stand for. A token may end inside a UTF-8 character,
    /// so a stream of generated tokens should be decoded as bytes.
    pub fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        let mut out = Vec::new();
        for &id in ids {
            let t = self.token(id).ok_or_else(|| {
                TokenizerError::Invalid(format!("token id {id} is not below the vocabulary size {}", self.tokens.len()))
            })?;
            for c in t.chars() {
                let b = self.char_byte.get(&c).ok_or_else(|| {
                    TokenizerError::Invalid(format!("token {id} '{t}' holds '{c}', outside the byte-level alphabet"))
                })?;
                out.push(*b);
            }
        }
        Ok(out)
    }

    /// The text `ids` stand for: lossless when their bytes are valid UTF-8;
    /// an invalid sequence becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        Ok(String::from_utf8_lossy(&self.decode_bytes(ids)?).into_owned())
    }
}
