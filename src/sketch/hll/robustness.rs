//! Random and mutated byte strings: loading never panics, and whatever loads
//! writes back to bytes that load to the same registers. The cargo-fuzz
//! target `fuzz/fuzz_targets/hll_deserialize.rs` does the same for longer.

use super::Hll;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn check(bytes: &[u8]) {
    if let Ok(hll) = Hll::from_redis_bytes(bytes) {
        let again = Hll::from_redis_bytes(&hll.to_redis_bytes()).expect("our bytes load");
        assert_eq!(hll, again);
        hll.count();
    }
}

fn valid_sketches() -> Vec<Vec<u8>> {
    [0u64, 1, 30, 800, 3_000, 40_000]
        .into_iter()
        .map(|n| {
            let mut hll = Hll::new();
            (0..n).for_each(|id| {
                hll.add_u64(id);
            });
            hll.to_redis_bytes()
        })
        .collect()
}

#[test]
fn random_byte_strings_are_refused_or_round_trip_without_panicking() {
    let mut rng = StdRng::seed_from_u64(0x4859_4c4c);
    for _ in 0..3_000 {
        let len = rng.random_range(0..64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        // Half of them get a real header so the body parsers are reached.
        if rng.random_bool(0.5) && bytes.len() >= 5 {
            bytes[..4].copy_from_slice(b"HYLL");
            bytes[4] = rng.random_range(0..2);
        }
        check(&bytes);
    }
}

#[test]
fn mutated_valid_sketches_are_refused_or_round_trip_without_panicking() {
    let mut rng = StdRng::seed_from_u64(7);
    let sketches = valid_sketches();
    let mut loaded = 0;
    for round in 0..3_000 {
        let mut bytes = sketches[round % sketches.len()].clone();
        match rng.random_range(0..4) {
            0 => bytes.truncate(rng.random_range(0..bytes.len())),
            1 => bytes.push(rng.random()),
            2 => {
                let at = rng.random_range(0..bytes.len());
                bytes.remove(at);
            }
            _ => {
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(0..bytes.len());
                    bytes[at] ^= 1 << rng.random_range(0..8);
                }
            }
        }
        check(&bytes);
        loaded += usize::from(Hll::from_redis_bytes(&bytes).is_ok());
    }
    // Bit flips inside dense registers mostly stay valid: both paths are hit.
    assert!(loaded > 100 && loaded < 3_000, "{loaded}");
}
