//! A HyperLogLog byte-compatible with Redis's (`src/hyperloglog.c`).
//!
//! Layout: [`murmur`] hashes an id and says which register it lands in and
//! with which value; [`estimator`] turns registers into Redis's `PFCOUNT`;
//! [`codec`] reads and writes the `HYLL` string Redis stores, with the
//! register encodings in [`dense`] and [`sparse`]; [`error`] says why bytes
//! were refused. `fixtures.rs` checks all of it against bytes captured from a
//! real Redis (`tests/fixtures/hll/`).
//!
//! In memory a sketch is one byte per register (16 KiB): adding an id is a
//! hash, a shift and a byte max, with no packing, no bounds check (the index is
//! masked to the array size) and no branch on the encoding. The hash reads an
//! id in unaligned 8-byte words and its tail in at most two loads (see
//! [`murmur`]), which is what string ids of 10 to 40 bytes spend their time on. Packing into
//! Redis's 6-bit or sparse form happens only in [`Hll::to_redis_bytes`].
//!
//! Ids are hashed into registers and forgotten: nothing here stores, logs or
//! reports them.

mod codec;
mod dense;
mod error;
mod estimator;
#[cfg(test)]
mod fixtures;
mod murmur;
#[cfg(test)]
mod robustness;
mod sparse;

pub use codec::SPARSE_MAX_BYTES;
pub use error::HllError;

use codec::HEADER_LEN;

/// Number of registers, 2^[`P`] (Redis's `HLL_REGISTERS`).
pub const REGISTERS: usize = 1 << P;
/// Bits of the hash that pick a register (Redis's `HLL_P`).
pub const P: u32 = 14;
/// Bits of the hash left for the run length (Redis's `HLL_Q`).
pub const Q: u32 = 64 - P;
/// The largest value a register can hold, `Q + 1`.
pub const MAX_REGISTER_VALUE: u8 = Q as u8 + 1;
/// Relative standard error of a count, 1.04 / sqrt(16384) ≈ 0.81 %.
pub const STANDARD_ERROR: f64 = 1.04 / 128.0;

/// A HyperLogLog sketch with Redis's parameters, hash and estimator.
#[derive(Clone, PartialEq, Eq)]
pub struct Hll {
    /// One byte per register (values 0..=51), so that adding is a plain byte
    /// max; Redis's 6-bit packing would cost shifts and masks on every add.
    registers: Box<[u8; REGISTERS]>,
}

impl Hll {
    /// An empty sketch: every register zero, count 0.
    pub fn new() -> Self {
        let registers = vec![0u8; REGISTERS].into_boxed_slice();
        Hll {
            registers: registers.try_into().expect("exactly REGISTERS bytes"),
        }
    }

    /// Adds one id (any bytes, as Redis's `PFADD` element). Returns whether a
    /// register changed, which is what `PFADD` answers for one element on an
    /// existing key.
    #[inline]
    pub fn add(&mut self, id: &[u8]) -> bool {
        let (index, value) = murmur::place(murmur::hash(id));
        let register = &mut self.registers[index];
        let changed = value > *register;
        if changed {
            *register = value;
        }
        changed
    }

    /// Adds an integer id as its 8 little-endian bytes: the same register as
    /// `PFADD key <those 8 bytes>`.
    #[inline]
    pub fn add_u64(&mut self, id: u64) -> bool {
        let (index, value) = murmur::place(murmur::hash8(id));
        let register = &mut self.registers[index];
        let changed = value > *register;
        if changed {
            *register = value;
        }
        changed
    }

    /// Adds many ids; returns how many of them changed a register. The same
    /// as [`Hll::add`] in a loop (measured: a branch-free unconditional store
    /// was slower once registers fill up, since the branch then always goes
    /// the same way and no store happens; and `filter(..).count()` was 10 %
    /// slower than this loop on 36-byte ids).
    pub fn add_many<'a>(&mut self, ids: impl IntoIterator<Item = &'a [u8]>) -> usize {
        let mut changed = 0;
        for id in ids {
            changed += usize::from(self.add(id));
        }
        changed
    }

    /// Makes this sketch the union of itself and `other` (register-wise max,
    /// as Redis's `PFMERGE`).
    pub fn merge(&mut self, other: &Hll) {
        for (mine, theirs) in self.registers.iter_mut().zip(other.registers.iter()) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// The estimated number of distinct ids added: exactly Redis's `PFCOUNT`
    /// for the same ids.
    pub fn count(&self) -> u64 {
        estimator::estimate(&estimator::histogram(&self.registers))
    }

    /// The estimated number of distinct ids in the union of `sketches`:
    /// exactly Redis's `PFCOUNT k1 .. kN` (0 for no sketches).
    pub fn union_count(sketches: &[&Hll]) -> u64 {
        let Some((first, rest)) = sketches.split_first() else {
            return 0;
        };
        let mut union = (*first).clone();
        for sketch in rest {
            union.merge(sketch);
        }
        union.count()
    }

    /// Whether no id was ever added (every register zero).
    pub fn is_empty(&self) -> bool {
        self.registers.iter().all(|&r| r == 0)
    }

    /// The string Redis would store for this sketch, valid for `SET` into
    /// Redis: sparse when it fits Redis's sparse limits, else dense, with the
    /// cached cardinality marked stale (see `codec.rs` for why).
    pub fn to_redis_bytes(&self) -> Vec<u8> {
        codec::encode(&self.registers)
    }

    /// Loads a Redis `HYLL` string of either encoding, as `GET` returns it.
    /// Invalid bytes are refused with the reason, never a panic.
    pub fn from_redis_bytes(bytes: &[u8]) -> Result<Hll, HllError> {
        let mut hll = Hll::new();
        codec::decode(bytes, &mut hll.registers)?;
        Ok(hll)
    }
}

impl Default for Hll {
    fn default() -> Self {
        Hll::new()
    }
}

/// Registers are a digest of ids, but printing 16384 of them helps nobody:
/// show how many are set.
impl std::fmt::Debug for Hll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.registers.iter().filter(|&&r| r != 0).count();
        f.debug_struct("Hll").field("registers_set", &set).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_sketch_is_empty_and_counts_zero() {
        let hll = Hll::new();
        assert!(hll.is_empty());
        assert_eq!(hll.count(), 0);
    }

    #[test]
    fn adding_reports_a_change_only_the_first_time() {
        let mut hll = Hll::new();
        assert!(hll.add(b"user:1"));
        assert!(!hll.add(b"user:1"));
        assert!(!hll.is_empty());
        assert_eq!(hll.count(), 1);
    }

    #[test]
    fn add_many_add_u64_and_add_fill_the_same_registers() {
        let ids: Vec<[u8; 8]> = (0..5000u64).map(u64::to_le_bytes).collect();
        let mut one_by_one = Hll::new();
        ids.iter().for_each(|id| {
            one_by_one.add(id);
        });
        let mut many = Hll::new();
        let changed = many.add_many(ids.iter().map(|id| id.as_slice()));
        let mut ints = Hll::new();
        (0..5000u64).for_each(|id| {
            ints.add_u64(id);
        });
        assert_eq!(one_by_one, many);
        assert_eq!(one_by_one, ints);
        assert!(changed > 0 && changed <= ids.len());
    }

    #[test]
    fn union_count_equals_the_count_of_the_merged_sketch() {
        let mut days: Vec<Hll> = (0..3).map(|_| Hll::new()).collect();
        for (day, hll) in days.iter_mut().enumerate() {
            for id in day * 100..day * 100 + 150 {
                hll.add_u64(id as u64);
            }
        }
        let refs: Vec<&Hll> = days.iter().collect();
        let mut merged = Hll::new();
        days.iter().for_each(|d| merged.merge(d));
        assert_eq!(Hll::union_count(&refs), merged.count());
        assert_eq!(Hll::union_count(&[]), 0);
        let estimate = merged.count() as f64;
        assert!((estimate - 350.0).abs() < 350.0 * 5.0 * STANDARD_ERROR);
    }

    #[test]
    fn bytes_round_trip_in_both_encodings() {
        for n in [0u64, 1, 100, 2_000, 50_000] {
            let mut hll = Hll::new();
            (0..n).for_each(|id| {
                hll.add_u64(id);
            });
            let bytes = hll.to_redis_bytes();
            let dense = bytes.len() == HEADER_LEN + dense::BODY_LEN;
            assert_eq!(bytes[4], u8::from(!dense), "n = {n}");
            assert_eq!(Hll::from_redis_bytes(&bytes).unwrap(), hll, "n = {n}");
        }
    }

    #[test]
    fn debug_output_shows_no_registers() {
        let mut hll = Hll::new();
        hll.add(b"secret-user");
        assert_eq!(format!("{hll:?}"), "Hll { registers_set: 1 }");
    }
}
