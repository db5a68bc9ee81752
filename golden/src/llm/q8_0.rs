//! ggml's Q8_0 block: 32 weights stored as an f16 scale `d` and 32 int8
//! quants, `value = d·q`. SmolLM2-135M's file stores its token embedding (the
//! tied output projection too) this way.
//!
//! Layout of the 34 bytes, little-endian: `d` (bytes 0..2), then the quants of
//! elements 0..32 in order.

use super::f16::f16_to_f32;
use super::BlockError;

/// Weights per block.
pub const BLOCK_LEN: usize = 32;
/// Bytes per block: one f16 and 32 int8.
pub const BLOCK_BYTES: usize = 34;

/// The 32 weights of the block in `bytes`. `d·q` is exact in f32 (an 11-bit
/// significand times an 8-bit integer): no rounding at all.
pub fn decode_block(bytes: &[u8; BLOCK_BYTES]) -> [f32; BLOCK_LEN] {
    let d = f16_to_f32(u16::from_le_bytes([bytes[0], bytes[1]]));
    std::array::from_fn(|i| bytes[2 + i] as i8 as f32 * d)
}

/// Decode a run of Q8_0 blocks into `bytes.len() / 34 · 32` weights, in
/// storage order.
pub fn dequantize(bytes: &[u8]) -> Result<Vec<f32>, BlockError> {
    if !bytes.len().is_multiple_of(BLOCK_BYTES) {
        return Err(BlockError { format: "Q8_0", len: bytes.len(), block_bytes: BLOCK_BYTES });
    }
    let mut out = Vec::with_capacity(bytes.len() / BLOCK_BYTES * BLOCK_LEN);
    for chunk in bytes.chunks_exact(BLOCK_BYTES) {
        out.extend_from_slice(&decode_block(chunk.try_into().expect("chunks_exact gives whole blocks")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_q8_0_hand_made_block() {
        let mut b = [0u8; BLOCK_BYTES];
        b[0..2].copy_from_slice(&0xb400u16.to_le_bytes()); // −0.25
        for i in 0..32 {
            b[2 + i] = (i as i32 * 8 - 128) as i8 as u8; // −128, −120, …, 120
        }
        let w = decode_block(&b);
        for (i, &x) in w.iter().enumerate() {
            assert_eq!(x, (i as f32 * 8.0 - 128.0) * -0.25, "element {i}");
        }
        assert_eq!((w[0], w[31]), (32.0, -30.0));
        assert_eq!(dequantize(&b).unwrap(), w.to_vec());
        assert_eq!(
            dequantize(&b[..33]).unwrap_err().to_string(),
            "Q8_0 data of 33 bytes is not a whole number of 34-byte blocks"
        );
    }
}
