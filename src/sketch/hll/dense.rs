//! Redis's dense encoding: 16384 six-bit registers packed as one
//! little-endian bit stream (register `i` starts at bit `6 * i`, low bits
//! first), which is what `HLL_DENSE_GET_REGISTER` / `SET_REGISTER` read and
//! write. Four registers fill exactly three bytes, so we work in those groups.

use super::error::HllError;
use super::{HEADER_LEN, MAX_REGISTER_VALUE, REGISTERS};

/// Bytes of packed registers after the header.
pub const BODY_LEN: usize = REGISTERS * 6 / 8;

/// Appends the packed registers to `out`.
pub fn encode(registers: &[u8; REGISTERS], out: &mut Vec<u8>) {
    out.reserve(BODY_LEN);
    for four in registers.chunks_exact(4) {
        let packed = u32::from(four[0] & 63)
            | u32::from(four[1] & 63) << 6
            | u32::from(four[2] & 63) << 12
            | u32::from(four[3] & 63) << 18;
        out.extend_from_slice(&packed.to_le_bytes()[..3]);
    }
}

/// Unpacks `body` (exactly [`BODY_LEN`] bytes) into `registers`, refusing
/// values no element hash can produce.
pub fn decode(body: &[u8], registers: &mut [u8; REGISTERS]) -> Result<(), HllError> {
    if body.len() != BODY_LEN {
        let got = HEADER_LEN + body.len();
        let expected = HEADER_LEN + BODY_LEN;
        return Err(if got < expected {
            HllError::Truncated { expected, got }
        } else {
            HllError::DenseLength { expected, got }
        });
    }
    for (three, four) in body.chunks_exact(3).zip(registers.chunks_exact_mut(4)) {
        let packed = u32::from_le_bytes([three[0], three[1], three[2], 0]);
        for (k, register) in four.iter_mut().enumerate() {
            *register = (packed >> (6 * k) & 63) as u8;
        }
    }
    match registers.iter().position(|&v| v > MAX_REGISTER_VALUE) {
        None => Ok(()),
        Some(index) => Err(HllError::RegisterOutOfRange {
            index,
            value: registers[index],
            max: MAX_REGISTER_VALUE,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::hll::fixtures::registers_with;

    #[test]
    fn registers_land_on_the_bits_redis_reads_them_from() {
        // (register, value, body byte offsets and the bytes they must hold).
        let cases: [(usize, u8, usize, [u8; 2]); 4] = [
            (0, 0b11_1111, 0, [0b0011_1111, 0]),
            (1, 0b10_0001, 0, [0b0100_0000, 0b0000_1000]),
            (2, 51, 1, [0b0011_0000, 0b0000_0011]),
            (16383, 51, BODY_LEN - 2, [0, 51 << 2]),
        ];
        for (index, value, at, bytes) in cases {
            let mut out = Vec::new();
            encode(&registers_with(&[(index, value)]), &mut out);
            assert_eq!(out.len(), BODY_LEN);
            assert_eq!(out[at..at + 2], bytes, "register {index}");
        }
    }

    #[test]
    fn encoding_then_decoding_gives_back_every_register() {
        let mut registers = Box::new([0u8; REGISTERS]);
        for (i, r) in registers.iter_mut().enumerate() {
            *r = (i * 7 % 52) as u8;
        }
        let mut body = Vec::new();
        encode(&registers, &mut body);
        let mut back = Box::new([0u8; REGISTERS]);
        decode(&body, &mut back).unwrap();
        assert_eq!(registers, back);
    }

    #[test]
    fn bodies_of_the_wrong_length_or_with_impossible_values_are_refused() {
        let mut scratch = Box::new([0u8; REGISTERS]);
        let mut impossible = vec![0u8; BODY_LEN];
        impossible[3] = 52; // register 4 = 52
        let cases: [(Vec<u8>, HllError); 3] = [
            (
                vec![0; BODY_LEN - 1],
                HllError::Truncated {
                    expected: 12304,
                    got: 12303,
                },
            ),
            (
                vec![0; BODY_LEN + 1],
                HllError::DenseLength {
                    expected: 12304,
                    got: 12305,
                },
            ),
            (
                impossible,
                HllError::RegisterOutOfRange {
                    index: 4,
                    value: 52,
                    max: 51,
                },
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(decode(&body, &mut scratch), Err(expected));
        }
    }
}
