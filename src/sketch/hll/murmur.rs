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
/// Written for short keys (ids are 8 to 40 bytes): whole 8-byte blocks are read
/// as unaligned little-endian words, and the 1 to 7 tail bytes with at most two
/// loads and no loop (see [`tail`]). Ids of exactly 8 bytes (a `u64` id as
/// little-endian bytes) take a path with the length folded into a constant.
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
#[inline(always)]
fn hash_any(key: &[u8]) -> u64 {
    let mut h = SEED ^ (key.len() as u64).wrapping_mul(M);
    let (blocks, rest) = key.as_chunks::<8>();
    for block in blocks {
        h = mix(h, u64::from_le_bytes(*block));
    }
    if !rest.is_empty() {
        // Redis xors the tail bytes in, low byte first, then multiplies once:
        // the same as xoring in the zero-padded little-endian word.
        h = (h ^ tail(key, rest.len())).wrapping_mul(M);
    }
    finish(h)
}

/// The last `n` bytes of `key` (1 to 7 of them) as a zero-padded
/// little-endian word, without a byte loop: from the key's last 8 bytes when
/// it has that many, else from two overlapping loads.
#[inline(always)]
fn tail(key: &[u8], n: usize) -> u64 {
    debug_assert!((1..8).contains(&n) && n <= key.len());
    if let Some((_, last)) = key.split_last_chunk::<8>() {
        // The tail is the high `n` bytes of the last word.
        return u64::from_le_bytes(*last) >> (64 - 8 * n);
    }
    // The key is the tail: 1 to 7 bytes.
    if n >= 4 {
        // Bytes 0..4 and n-4..n; where they overlap they hold the same bytes.
        let low = u32_at(key, 0);
        let high = u32_at(key, n - 4);
        u64::from(low) | u64::from(high) << (8 * (n - 4))
    } else {
        // Bytes 0, n/2 and n-1 cover 1, 2 or 3 bytes, repeats landing on themselves.
        u64::from(key[0])
            | u64::from(key[n / 2]) << (8 * (n / 2))
            | u64::from(key[n - 1]) << (8 * (n - 1))
    }
}

/// The 4 bytes of `key` at `at` as a little-endian `u32`.
#[inline(always)]
fn u32_at(key: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&key[at..at + 4]);
    u32::from_le_bytes(word)
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

    /// MurmurHash64A as the C reference writes it: blocks assembled byte by
    /// byte, the tail xored in by the `switch` that falls through.
    fn reference(key: &[u8]) -> u64 {
        let mut h = SEED ^ (key.len() as u64).wrapping_mul(M);
        let blocks = key.len() / 8;
        for b in 0..blocks {
            let mut k = 0u64;
            for j in 0..8 {
                k |= u64::from(key[8 * b + j]) << (8 * j);
            }
            k = k.wrapping_mul(M);
            k ^= k >> R;
            k = k.wrapping_mul(M);
            h ^= k;
            h = h.wrapping_mul(M);
        }
        let tail = &key[8 * blocks..];
        for (j, &byte) in tail.iter().enumerate().rev() {
            h ^= u64::from(byte) << (8 * j);
        }
        if !tail.is_empty() {
            h = h.wrapping_mul(M);
        }
        h ^= h >> R;
        h = h.wrapping_mul(M);
        h ^ (h >> R)
    }

    #[test]
    fn the_reference_gives_the_reference_vectors() {
        let key = b"abcdefghijklmnopq";
        for (len, expected) in VECTORS {
            assert_eq!(reference(&key[..len]), expected, "length {len}");
        }
    }

    #[test]
    fn the_fast_hash_equals_the_reference_on_random_keys_of_every_length_and_alignment() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        let mut buffer = [0u8; 128];
        for _ in 0..200 {
            rng.fill(&mut buffer[..]);
            for len in 0..100 {
                for start in 0..8 {
                    let key = &buffer[start..start + len];
                    assert_eq!(hash(key), reference(key), "length {len} at offset {start}");
                }
            }
        }
    }

    #[test]
    fn a_sketch_fed_string_ids_has_the_registers_the_reference_hash_gives() {
        let ids: Vec<String> = (0..20_000u64)
            .map(|i| match i % 4 {
                0 => (1_000_000_000 + i * 797).to_string(),
                1 => format!("user:{i:024}"),
                2 => format!("{i:08x}-0000-4000-8000-{i:012x}"),
                _ => format!("{i}"),
            })
            .collect();
        let mut fast = super::super::Hll::new();
        fast.add_many(ids.iter().map(String::as_bytes));
        let mut expected = [0u8; REGISTERS];
        for id in &ids {
            let (index, value) = place(reference(id.as_bytes()));
            expected[index] = expected[index].max(value);
        }
        assert_eq!(*fast.registers, expected);
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
