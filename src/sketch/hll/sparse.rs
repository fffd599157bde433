//! Redis's sparse encoding: run-length opcodes over the registers.
//!
//! - `ZERO`  `00xxxxxx`: 1..=64 zero registers.
//! - `XZERO` `01xxxxxx xxxxxxxx`: 1..=16384 zero registers.
//! - `VAL`   `1vvvvvxx`: 1..=4 registers holding value 1..=32.
//!
//! We write the canonical form: a zero run is one `ZERO` if it has at most 64
//! registers, else one `XZERO` (exactly what Redis's `hllSparseSet` writes
//! when it splits a run); equal non-zero neighbours are grouped four at a time
//! from the left. Redis merges `VAL`s incrementally in insertion order, so for
//! a run of five or more equal neighbouring registers its grouping can differ
//! (say 1+4 instead of 4+1). Both decode to the same registers and the same
//! count; see `fixtures.rs` for how often that happens on real data.

use super::error::HllError;
use super::{HEADER_LEN, REGISTERS};

/// The largest value a `VAL` opcode holds; a larger register forces dense.
pub const MAX_VALUE: u8 = 32;
const ZERO_MAX_RUN: usize = 64;
const VAL_MAX_RUN: usize = 4;

/// Appends the canonical sparse opcodes for `registers` to `out`, or returns
/// `false` (leaving `out` partly written) if some register exceeds
/// [`MAX_VALUE`] or the whole string would exceed `max_len` bytes.
pub fn encode(registers: &[u8; REGISTERS], max_len: usize, out: &mut Vec<u8>) -> bool {
    let mut i = 0;
    while i < REGISTERS {
        let value = registers[i];
        let run_end = registers[i..]
            .iter()
            .position(|&r| r != value)
            .map_or(REGISTERS, |n| i + n);
        if value == 0 {
            let run = run_end - i;
            if run > ZERO_MAX_RUN {
                let n = run - 1;
                out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
            } else {
                out.push((run - 1) as u8);
            }
            i = run_end;
        } else {
            if value > MAX_VALUE {
                return false;
            }
            while i < run_end {
                let run = (run_end - i).min(VAL_MAX_RUN);
                out.push(0x80 | (value - 1) << 2 | (run - 1) as u8);
                i += run;
            }
        }
        if out.len() > max_len {
            return false;
        }
    }
    true
}

/// Sets `registers` (all zero on entry) from the sparse opcodes in `body`,
/// refusing opcodes that run past the last register, a cut-off `XZERO`, or
/// opcodes that stop short. `HEADER_LEN` is added to offsets in errors so they
/// point into the whole string.
pub fn decode(body: &[u8], registers: &mut [u8; REGISTERS]) -> Result<(), HllError> {
    let mut index = 0;
    let mut p = 0;
    while p < body.len() {
        let op = body[p];
        let (run, value, width) = match op >> 6 {
            0b00 => (usize::from(op & 0x3f) + 1, 0, 1),
            0b01 => {
                let Some(&low) = body.get(p + 1) else {
                    return Err(HllError::Truncated {
                        expected: HEADER_LEN + p + 2,
                        got: HEADER_LEN + body.len(),
                    });
                };
                ((usize::from(op & 0x3f) << 8 | usize::from(low)) + 1, 0, 2)
            }
            _ => (usize::from(op & 3) + 1, (op >> 2 & 0x1f) + 1, 1),
        };
        let reaches = index + run;
        if reaches > REGISTERS {
            return Err(HllError::SparseRunPastEnd {
                offset: HEADER_LEN + p,
                reaches,
            });
        }
        if value != 0 {
            registers[index..reaches].fill(value);
        }
        index = reaches;
        p += width;
    }
    if index != REGISTERS {
        return Err(HllError::SparseTooShort { covered: index });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::hll::fixtures::registers_with;

    #[test]
    fn registers_encode_to_the_opcodes_redis_writes() {
        type Case = (&'static [(usize, u8)], &'static [u8]);
        let cases: [Case; 6] = [
            // Empty: one XZERO over everything, as Redis's createHLLObject.
            (&[], &[0x7f, 0xff]),
            // First register 1, then XZERO(16383).
            (&[(0, 1)], &[0x80, 0x7f, 0xfe]),
            // Last register 32: XZERO(16383), VAL(32, 1).
            (&[(16383, 32)], &[0x7f, 0xfe, 0xfc]),
            // A zero run of exactly 64 is a ZERO, 65 an XZERO.
            (
                &[(64, 2), (130, 2)],
                &[0x3f, 0x84, 0x40, 0x40, 0x84, 0x7f, 0x7c],
            ),
            // Five equal neighbours: VAL(3, 4) then VAL(3, 1).
            (
                &[(0, 3), (1, 3), (2, 3), (3, 3), (4, 3)],
                &[0x8b, 0x88, 0x7f, 0xfa],
            ),
            // Different neighbours stay separate.
            (&[(0, 1), (1, 2)], &[0x80, 0x84, 0x7f, 0xfd]),
        ];
        for (set, expected) in cases {
            let mut out = Vec::new();
            assert!(encode(&registers_with(set), usize::MAX, &mut out));
            assert_eq!(out, expected, "{set:?}");
            let mut back = Box::new([0u8; REGISTERS]);
            decode(&out, &mut back).unwrap();
            assert_eq!(back, registers_with(set), "{set:?}");
        }
    }

    #[test]
    fn registers_above_32_or_too_many_bytes_cannot_be_sparse() {
        let mut out = Vec::new();
        assert!(!encode(&registers_with(&[(7, 33)]), usize::MAX, &mut out));
        out.clear();
        assert!(!encode(&registers_with(&[(0, 1), (100, 1)]), 3, &mut out));
    }

    #[test]
    fn malformed_opcodes_are_refused_with_where_they_went_wrong() {
        let cases: [(&[u8], HllError); 4] = [
            (&[], HllError::SparseTooShort { covered: 0 }),
            (
                &[0x7f],
                HllError::Truncated {
                    expected: 18,
                    got: 17,
                },
            ),
            (
                &[0x7f, 0xff, 0x80],
                HllError::SparseRunPastEnd {
                    offset: 18,
                    reaches: 16385,
                },
            ),
            (
                &[0x7f, 0xfe, 0x83],
                HllError::SparseRunPastEnd {
                    offset: 18,
                    reaches: 16387,
                },
            ),
        ];
        let mut scratch = Box::new([0u8; REGISTERS]);
        for (body, expected) in cases {
            scratch.fill(0);
            assert_eq!(decode(body, &mut scratch), Err(expected), "{body:x?}");
        }
    }
}
