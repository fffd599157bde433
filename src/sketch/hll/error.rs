//! Why a byte string is not a HyperLogLog we can load.
//!
//! Variants carry offsets, lengths and register values only: the ids that
//! built a sketch are not in it, so they can never be in an error either.

/// A byte string refused by [`super::Hll::from_redis_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HllError {
    /// The input ended before a complete header, dense register block or
    /// two-byte sparse `XZERO` opcode: `expected` bytes were needed.
    #[error("HyperLogLog bytes truncated: expected at least {expected} bytes, got {got}")]
    Truncated {
        /// How many bytes the structure being read needs.
        expected: usize,
        /// How many bytes there are.
        got: usize,
    },
    /// The first four bytes are not `HYLL`: this is some other string.
    #[error("not a HyperLogLog: the magic bytes are not HYLL")]
    WrongMagic,
    /// The encoding byte is neither 0 (dense) nor 1 (sparse). Redis refuses
    /// these too; 255 is only its in-memory "raw" form, never stored.
    #[error("unknown HyperLogLog encoding {0}")]
    UnknownEncoding(u8),
    /// A dense sketch must be exactly the header plus 12288 register bytes;
    /// Redis refuses any other length, and so do we.
    #[error("dense HyperLogLog must be {expected} bytes, got {got}")]
    DenseLength {
        /// The only valid dense length, 12304.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A dense register holds a value MurmurHash64A and `hllPatLen` can never
    /// produce (above 51). Redis would count it silently; we refuse it as
    /// corruption.
    #[error("register {index} holds {value}, above the maximum {max}")]
    RegisterOutOfRange {
        /// Register index, 0..16384.
        index: usize,
        /// The value found.
        value: u8,
        /// The largest possible value, 51.
        max: u8,
    },
    /// A sparse opcode at byte `offset` would cover registers up to `reaches`,
    /// past the 16384 that exist. Redis reports such sketches as corrupt.
    #[error("sparse opcode at byte {offset} runs to register {reaches}, past the last register")]
    SparseRunPastEnd {
        /// Byte offset of the opcode in the whole string (header included).
        offset: usize,
        /// One past the last register the opcode would cover.
        reaches: usize,
    },
    /// The sparse opcodes end before covering all 16384 registers. Redis
    /// reports such sketches as corrupt.
    #[error("sparse opcodes cover only {covered} of 16384 registers")]
    SparseTooShort {
        /// How many registers the opcodes cover.
        covered: usize,
    },
}
