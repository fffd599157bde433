//! MurmurHash64A with Redis's seed, and where a hash lands in the sketch.
//!
//! The register an id lands in is part of Redis's format: hash differently and
//! the sketch is still a valid sketch, but no longer the one Redis would hold.
//! Redis reads 8-byte blocks little-endian on every platform ("endian
//! neutral"), which is what `u64::from_le_bytes` does here.

use super::{P, Q, REGISTERS};

/// Redis's seed for element hashes (`hllPatLen`).
pub const SEED: u64 = 0xadc8_3b19;
/// MurmurHash64A's multiplier.
const M: u64 = 0xc6a4_a793_5bd1_e995;
/// MurmurHash64A's shift.
const R: u32 = 47;

/// MurmurHash64A of `key` with Redis's seed.
///
/// Ids of exactly 8 bytes (a `u64` id as little-endian bytes) take a path
/// with the length folded into a constant, since that is the hot case.
#[inline(always)]
pub fn hash(key: &[u8]) -> u64 {
    match <[u8; 8]>::try_from(key) {
        Ok(block) => hash8(u64::from_le_bytes(block)),
        Err(_) => hash_any(key),
    }
}

/// MurmurHash64A of an 8-byte key given as its little-endian `u64`.
#[inline(always)]
pub fn hash8(block: u64) -> u64 {
    const H0: u64 = SEED ^ 8u64.wrapping_mul(M);
    finish(mix(H0, block))
}

/// MurmurHash64A of a key of any length.
#[inline]
fn hash_any(key: &[u8]) -> u64 {
    let mut h = SEED ^ (key.len() as u64).wrapping_mul(M);
    let mut blocks = key.chunks_exact(8);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        h = mix(h, u64::from_le_bytes(word));
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // Redis xors the tail bytes in, low byte first, then multiplies once:
        // the same as xoring in the zero-padded little-endian word.
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(M);
    }
    finish(h)
}

/// Folds one 8-byte block into the running hash.
#[inline(always)]
fn mix(h: u64, block: u64) -> u64 {
    let mut k = block.wrapping_mul(M);
    k ^= k >> R;
    k = k.wrapping_mul(M);
    (h ^ k).wrapping_mul(M)
}

/// The final avalanche.
#[inline(always)]
fn finish(mut h: u64) -> u64 {
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// The register a hash addresses and the value it offers there, as Redis's
/// `hllPatLen`: the low `P` bits pick the register; the value is the position
/// of the first set bit in the remaining bits, counting from 1, with bit `Q`
/// forced on so it is at most `Q + 1` = 51.
#[inline(always)]
pub fn place(hash: u64) -> (usize, u8) {
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values computed by the original (public domain) MurmurHash64A
    /// C code, compiled separately, with seed 0xadc83b19, for the key
    /// "abcdefghijklmnopq" cut to each length 0..=17. Their low 14 bits and
    /// first-set-bit position are also checked against real Redis sketches in
    /// `fixtures.rs`.
    const VECTORS: [(usize, u64); 18] = include!("../../../tests/fixtures/hll/murmur_vectors.in");

    #[test]
    fn murmurhash64a_matches_the_reference_for_every_tail_length() {
        let key = b"abcdefghijklmnopq";
        for (len, expected) in VECTORS {
            assert_eq!(hash(&key[..len]), expected, "length {len}");
        }
    }

    #[test]
    fn the_8_byte_fast_path_equals_the_general_path() {
        for block in [0u64, 1, u64::MAX, 0x0123_4567_89ab_cdef, 42 << 40] {
            assert_eq!(hash8(block), hash_any(&block.to_le_bytes()));
        }
    }

    #[test]
    fn place_splits_index_and_run_length_like_hllpatlen() {
        let cases: [(u64, usize, u8); 5] = [
            // No bit set above the index: the forced bit Q gives Q + 1.
            (0, 0, 51),
            (16383, 16383, 51),
            // Lowest bit after the index set: run length 1.
            (1 << 14, 0, 1),
            ((1 << 16) | 5, 5, 3),
            // The top hash bit alone is the last real bit: run length Q.
            (1 << 63, 0, 50),
        ];
        for (hash, index, value) in cases {
            assert_eq!(place(hash), (index, value), "hash {hash:#x}");
        }
    }
}
