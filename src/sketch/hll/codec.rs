//! The `HYLL` string Redis stores: a 16-byte header, then dense or sparse
//! registers.
//!
//! ```text
//! bytes 0..4   "HYLL"
//! byte  4      encoding: 0 dense, 1 sparse
//! bytes 5..8   unused (zero)
//! bytes 8..16  cached cardinality, little-endian; the top bit of byte 15
//!              set means "stale, recompute"
//! ```
//!
//! We always write the cache as stale (`00 .. 00 80`), which is what Redis's
//! own `GET` shows after a `PFADD` and before any `PFCOUNT`. A valid cache
//! would save Redis one register scan, but Redis trusts it blindly: any
//! disagreement between our estimator and the Redis reading the bytes (an older
//! Redis with another estimator, say) would be served forever without a trace.
//! A stale cache makes Redis compute its own answer. When loading we ignore the
//! cache for the same reason and count from the registers.

use super::error::HllError;
use super::{REGISTERS, dense, sparse};

/// Length of the `HYLL` header.
pub const HEADER_LEN: usize = 16;
/// Redis's default `hll-sparse-max-bytes`: a sparse string (header included)
/// that would grow past this many bytes is promoted to dense.
pub const SPARSE_MAX_BYTES: usize = 3000;
const MAGIC: &[u8; 4] = b"HYLL";
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Cached cardinality 0 with the "stale" bit set.
const STALE_CACHE: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x80];

/// The Redis string for `registers`: sparse if every register fits a sparse
/// `VAL` (at most 32) and the result is at most [`SPARSE_MAX_BYTES`], as
/// Redis would keep it, else dense.
pub fn encode(registers: &[u8; REGISTERS]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SPARSE_MAX_BYTES);
    out.extend_from_slice(&header(SPARSE));
    if sparse::encode(registers, SPARSE_MAX_BYTES, &mut out) {
        return out;
    }
    out.clear();
    out.reserve_exact(HEADER_LEN + dense::BODY_LEN);
    out.extend_from_slice(&header(DENSE));
    dense::encode(registers, &mut out);
    out
}

fn header(encoding: u8) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4] = encoding;
    header[8..].copy_from_slice(&STALE_CACHE);
    header
}

/// Reads a Redis string of either encoding into `registers` (all zero on
/// entry). Checks what Redis's `isHLLObjectOrReply` checks (length of the
/// header, magic, encoding, exact dense length), plus what Redis only finds
/// while counting (sparse runs covering exactly 16384 registers) and register
/// values no hash can produce.
pub fn decode(bytes: &[u8], registers: &mut [u8; REGISTERS]) -> Result<(), HllError> {
    let Some((header, body)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(HllError::Truncated {
            expected: HEADER_LEN,
            got: bytes.len(),
        });
    };
    if &header[..4] != MAGIC {
        return Err(HllError::WrongMagic);
    }
    match header[4] {
        DENSE => dense::decode(body, registers),
        SPARSE => sparse::decode(body, registers),
        other => Err(HllError::UnknownEncoding(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(encoding: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = header(encoding).to_vec();
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn an_empty_sketch_encodes_as_redis_creates_one() {
        let bytes = encode(&[0; REGISTERS]);
        assert_eq!(bytes, with_header(SPARSE, &[0x7f, 0xff]));
        assert_eq!(&bytes[..5], b"HYLL\x01");
    }

    #[test]
    fn headers_redis_would_refuse_are_refused() {
        let mut dense_short = with_header(DENSE, &[0; dense::BODY_LEN]);
        dense_short.pop();
        let cases: [(Vec<u8>, HllError); 5] = [
            (
                b"HYLL".to_vec(),
                HllError::Truncated {
                    expected: 16,
                    got: 4,
                },
            ),
            (
                Vec::new(),
                HllError::Truncated {
                    expected: 16,
                    got: 0,
                },
            ),
            (
                b"HYLM\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff".to_vec(),
                HllError::WrongMagic,
            ),
            (with_header(2, &[0x7f, 0xff]), HllError::UnknownEncoding(2)),
            (
                dense_short,
                HllError::Truncated {
                    expected: 12304,
                    got: 12303,
                },
            ),
        ];
        for (bytes, expected) in cases {
            let mut registers = [0u8; REGISTERS];
            assert_eq!(decode(&bytes, &mut registers), Err(expected));
        }
    }

    #[test]
    fn the_cached_cardinality_is_ignored_when_loading() {
        let mut bytes = with_header(SPARSE, &[0x80, 0x7f, 0xfe]);
        bytes[8..16].copy_from_slice(&12345u64.to_le_bytes());
        let mut registers = [0u8; REGISTERS];
        decode(&bytes, &mut registers).unwrap();
        assert_eq!(registers[0], 1);
    }
}
