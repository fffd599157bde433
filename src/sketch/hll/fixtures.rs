//! Checks against bytes captured from a real Redis by
//! `tests/fixtures/hll/capture.sh` (see the README there), and the registers the
//! codec tests build.

use super::{Hll, REGISTERS, murmur};

/// Registers all zero except `set`'s (index, value) pairs.
pub(super) fn registers_with(set: &[(usize, u8)]) -> Box<[u8; REGISTERS]> {
    let mut registers = Box::new([0u8; REGISTERS]);
    for &(i, v) in set {
        registers[i] = v;
    }
    registers
}

const COUNTS: &str = include_str!("../../../tests/fixtures/hll/counts.txt");
const SINGLES: &str = include_str!("../../../tests/fixtures/hll/singles.txt");

/// (name, GET of the sketch as hex).
const SKETCHES: [(&str, &str); 8] = [
    (
        "empty",
        include_str!("../../../tests/fixtures/hll/empty.hex"),
    ),
    ("one", include_str!("../../../tests/fixtures/hll/one.hex")),
    ("ten", include_str!("../../../tests/fixtures/hll/ten.hex")),
    (
        "hundred",
        include_str!("../../../tests/fixtures/hll/hundred.hex"),
    ),
    (
        "thousand",
        include_str!("../../../tests/fixtures/hll/thousand.hex"),
    ),
    (
        "offset",
        include_str!("../../../tests/fixtures/hll/offset.hex"),
    ),
    (
        "dense",
        include_str!("../../../tests/fixtures/hll/dense.hex"),
    ),
    (
        "dense_counted",
        include_str!("../../../tests/fixtures/hll/dense_counted.hex"),
    ),
];

fn unhex(hex: &str) -> Vec<u8> {
    let hex = hex.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("fixture is hex"))
        .collect()
}

fn sketch_bytes(name: &str) -> Vec<u8> {
    let (_, hex) = SKETCHES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("fixture exists");
    unhex(hex)
}

/// A `counts.txt` line: name, ids `user:first..=user:last` (none for a
/// union line), Redis's PFCOUNT.
type Case = (&'static str, Option<(u32, u32)>, u64);

fn cases() -> Vec<Case> {
    COUNTS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let range = f[1].parse().ok().zip(f[2].parse().ok());
            (f[0], range, f[3].parse().expect("count"))
        })
        .collect()
}

fn built_from(first: u32, last: u32) -> Hll {
    let mut hll = Hll::new();
    for i in first..=last {
        hll.add(format!("user:{i}").as_bytes());
    }
    hll
}

#[test]
fn every_redis_fixture_loads_and_counts_what_redis_counted() {
    for (name, range, pfcount) in cases() {
        if range.is_none() {
            continue;
        }
        let loaded = Hll::from_redis_bytes(&sketch_bytes(name)).expect(name);
        assert_eq!(loaded.count(), pfcount, "{name}");
    }
}

#[test]
fn the_same_ids_give_exactly_the_bytes_redis_wrote() {
    for (name, range, pfcount) in cases() {
        let Some((first, last)) = range else { continue };
        let built = built_from(first, last);
        let redis = sketch_bytes(name);
        assert_eq!(
            built,
            Hll::from_redis_bytes(&redis).unwrap(),
            "{name} registers"
        );
        assert_eq!(built.count(), pfcount, "{name}");
        // Whole strings, header (stale cache) included: these fixtures have no
        // run of 5+ equal neighbouring registers, where Redis's sparse grouping
        // could differ from ours (see sparse.rs).
        assert_eq!(built.to_redis_bytes(), redis, "{name} bytes");
    }
}

#[test]
fn redis_caches_exactly_our_count_after_pfcount() {
    let counted = sketch_bytes("dense_counted");
    let (_, _, pfcount) = cases().into_iter().find(|c| c.0 == "dense").unwrap();
    let cached = u64::from_le_bytes(counted[8..16].try_into().unwrap());
    assert_eq!(cached, pfcount);
    assert_eq!(Hll::from_redis_bytes(&counted).unwrap().count(), pfcount);
    // Apart from the cache, the string is the one GET gave before PFCOUNT.
    assert_eq!(counted[16..], sketch_bytes("dense")[16..]);
}

#[test]
fn union_count_equals_redis_pfcount_of_two_keys() {
    let (_, _, pfcount) = cases()
        .into_iter()
        .find(|c| c.0 == "union:thousand+offset")
        .unwrap();
    let a = Hll::from_redis_bytes(&sketch_bytes("thousand")).unwrap();
    let b = Hll::from_redis_bytes(&sketch_bytes("offset")).unwrap();
    assert_eq!(Hll::union_count(&[&a, &b]), pfcount);
    assert_eq!(
        Hll::union_count(&[&built_from(1, 1000), &built_from(501, 1500)]),
        pfcount
    );
}

#[test]
fn each_id_lands_in_the_register_and_value_redis_chose() {
    for line in SINGLES.lines() {
        let (id_hex, sketch_hex) = line.split_once(' ').expect("two fields");
        let id = unhex(id_hex);
        let redis = Hll::from_redis_bytes(&unhex(sketch_hex)).unwrap();
        let set: Vec<(usize, u8)> = redis
            .registers
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0)
            .map(|(i, v)| (i, *v))
            .collect();
        let ours = murmur::place(murmur::hash(&id));
        assert_eq!(set, [ours], "id of length {}", id.len());
        let mut hll = Hll::new();
        hll.add(&id);
        assert_eq!(
            hll.to_redis_bytes(),
            unhex(sketch_hex),
            "id of length {}",
            id.len()
        );
    }
}
