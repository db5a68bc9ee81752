//! ggml's Q4_1 block: 32 weights stored as an f16 scale `d`, an f16 minimum `m`
//! and 32 unsigned 4-bit quants, `value = d·q + m` (`docs/numerics.md`).
//!
//! Layout of the 20 bytes, little-endian:
//! `d` (bytes 0..2), `m` (bytes 2..4), then 16 bytes `qs` where byte `j` holds
//! element `j` in its low nibble and element `j + 16` in its high nibble (ggml
//! splits the block in halves rather than interleaving neighbours).

use super::f16::f16_to_f32;
use super::BlockError;

/// Weights per block.
pub const BLOCK_LEN: usize = 32;
/// Bytes per block: two f16 and 16 bytes of nibbles.
pub const BLOCK_BYTES: usize = 20;

/// One Q4_1 block, fields as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockQ4_1 {
    /// The scale, binary16 bits.
    pub d: u16,
    /// The minimum (the value of quant 0), binary16 bits.
    pub m: u16,
    /// The 4-bit quants, two per byte (see the module docs for the order).
    pub qs: [u8; 16],
}

impl BlockQ4_1 {
    /// The block stored in `bytes` (exactly [`BLOCK_BYTES`] of them).
    pub fn from_bytes(bytes: &[u8; BLOCK_BYTES]) -> Self {
        let mut qs = [0u8; 16];
        qs.copy_from_slice(&bytes[4..]);
        Self { d: u16::from_le_bytes([bytes[0], bytes[1]]), m: u16::from_le_bytes([bytes[2], bytes[3]]), qs }
    }

    /// Element `i`'s quant, 0..=15.
    pub fn quant(&self, i: usize) -> u8 {
        let byte = self.qs[i % 16];
        if i < 16 {
            byte & 0x0f
        } else {
            byte >> 4
        }
    }

    /// The 32 weights. `d·q` is exact in f32 (an 11-bit significand times a
    /// 4-bit integer), so the only rounding is the f32 addition of `m`
    /// (round to nearest even): a fused multiply-add, which ggml's C code may
    /// compile to, gives the same bits.
    pub fn decode(&self) -> [f32; BLOCK_LEN] {
        let d = f16_to_f32(self.d);
        let m = f16_to_f32(self.m);
        std::array::from_fn(|i| self.quant(i) as f32 * d + m)
    }
}

/// Decode a row (or any run) of Q4_1 blocks into `bytes.len() / 20 · 32`
/// weights, in storage order.
pub fn dequantize(bytes: &[u8]) -> Result<Vec<f32>, BlockError> {
    if !bytes.len().is_multiple_of(BLOCK_BYTES) {
        return Err(BlockError { format: "Q4_1", len: bytes.len(), block_bytes: BLOCK_BYTES });
    }
    let mut out = Vec::with_capacity(bytes.len() / BLOCK_BYTES * BLOCK_LEN);
    for chunk in bytes.chunks_exact(BLOCK_BYTES) {
        let block = BlockQ4_1::from_bytes(chunk.try_into().expect("chunks_exact gives whole blocks"));
        out.extend_from_slice(&block.decode());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made block: d = 0.5 (0x3800), m = −1.25 (0xbd00); byte j holds
    /// quant j in the low nibble and quant 15 − j in the high nibble.
    fn hand_made() -> [u8; BLOCK_BYTES] {
        let mut b = [0u8; BLOCK_BYTES];
        b[0..2].copy_from_slice(&0x3800u16.to_le_bytes());
        b[2..4].copy_from_slice(&0xbd00u16.to_le_bytes());
        for j in 0..16 {
            b[4 + j] = (j as u8) | ((15 - j as u8) << 4);
        }
        b
    }

    #[test]
    fn llm_q4_1_hand_made_block() {
        let block = BlockQ4_1::from_bytes(&hand_made());
        assert_eq!((block.d, block.m), (0x3800, 0xbd00));
        let w = block.decode();
        // Low nibbles are elements 0..16, high nibbles 16..32.
        for j in 0..16 {
            assert_eq!(w[j], 0.5 * j as f32 - 1.25, "element {j}");
            assert_eq!(w[16 + j], 0.5 * (15 - j) as f32 - 1.25, "element {}", 16 + j);
        }
        assert_eq!((w[0], w[1], w[15], w[16], w[31]), (-1.25, -0.75, 6.25, 6.25, -1.25));
    }

    /// The addition is the only rounding: 2^14 + q is exact, but
    /// 2^14 + 2^-24 (d the smallest subnormal half) rounds back to 2^14.
    #[test]
    fn llm_q4_1_rounds_the_sum_to_nearest_even() {
        let mut b = [0u8; BLOCK_BYTES];
        b[0..2].copy_from_slice(&0x3c00u16.to_le_bytes()); // 1.0
        b[2..4].copy_from_slice(&0x7400u16.to_le_bytes()); // 16384.0 = 2^14
        b[4] = 0x31; // element 0: q = 1, element 16: q = 3
        let w = BlockQ4_1::from_bytes(&b).decode();
        assert_eq!((w[0], w[16], w[1]), (16385.0, 16387.0, 16384.0)); // exact: 2^14 + q fits 24 bits
        let small_d = {
            let mut b2 = b;
            b2[0..2].copy_from_slice(&0x0001u16.to_le_bytes()); // 2^-24, subnormal
            BlockQ4_1::from_bytes(&b2).decode()
        };
        // 2^14 + 2^-24 is not representable: rounds back to 2^14.
        assert_eq!(small_d[0], 16384.0);
    }

    #[test]
    fn llm_q4_1_dequantize_checks_the_length() {
        let two: Vec<u8> = hand_made().iter().chain(hand_made().iter()).copied().collect();
        let w = dequantize(&two).unwrap();
        assert_eq!(w.len(), 64);
        assert_eq!(w[32..], w[..32]);
        let e = dequantize(&two[..39]).unwrap_err();
        assert_eq!(e.to_string(), "Q4_1 data of 39 bytes is not a whole number of 20-byte blocks");
    }
}
