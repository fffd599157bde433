//! `Hll::from_redis_bytes` on arbitrary bytes: it never panics, and whatever
//! it accepts writes back (`to_redis_bytes`) to bytes that load to the same
//! registers and count.
//!
//! ```text
//! cd fuzz && cargo +nightly fuzz run hll_deserialize corpus/hll_deserialize seeds/hll_deserialize
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../src/sketch/hll/mod.rs"]
mod hll;

fuzz_target!(|data: &[u8]| {
    if let Ok(sketch) = hll::Hll::from_redis_bytes(data) {
        let bytes = sketch.to_redis_bytes();
        let again = hll::Hll::from_redis_bytes(&bytes).expect("our own bytes load");
        assert_eq!(sketch, again);
        assert_eq!(sketch.count(), again.count());
    }
});
