//! The embedded store's memory: day sketches by (metric, day), which of them hold
//! adds not yet flushed, and which stored version each one has already merged in.
//!
//! Pure bookkeeping, no I/O: the store decides when to read and write the database.
//! Because a HyperLogLog union is idempotent (register-wise max), merging the same
//! stored sketch twice is harmless, which keeps every step here simple. What is kept
//! per counted window (a fingerprint of its rows, the union of its closed days) is
//! in [`windows`].

mod windows;

use super::hll::Hll;
use crate::vocab::MetricName;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
pub(super) use windows::{Fingerprint, Versions, WindowKey};
use windows::{Windows, window_of};

pub(super) type Key = (MetricName, NaiveDate);

struct Entry {
    /// Everything known for this day: the stored sketch (at `version`) and local adds.
    hll: Hll,
    /// The `updated_at` of the stored row merged in; `None` if never read, `Some(0)`
    /// when the row did not exist.
    version: Option<i64>,
    /// Logical clock of the last use, for evicting the least recently used.
    used: u64,
    /// Changes on every change to `hll` (never repeats, even for a new entry of the
    /// same day), so a union built from it can tell it is out of date.
    generation: u64,
}

pub(super) struct Cache {
    entries: HashMap<Key, Entry>,
    /// Keys with adds the database has not seen yet; never evicted.
    dirty: HashSet<Key>,
    /// Advances on every touch; orders entries for eviction.
    clock: u64,
    /// How many sketches (16 KiB each) to keep before evicting clean ones.
    capacity: usize,
    /// The last generation handed to an entry.
    generations: u64,
    /// What repeated counts of the same window reuse.
    windows: Windows,
}

impl Cache {
    pub(super) fn new(capacity: usize) -> Self {
        Cache {
            entries: HashMap::new(),
            dirty: HashSet::new(),
            clock: 0,
            capacity: capacity.max(1),
            generations: 0,
            windows: Windows::new(),
        }
    }

    /// The day's entry, created if needed, about to change.
    fn touch(&mut self, key: &Key) -> &mut Entry {
        self.clock += 1;
        self.generations += 1;
        let (clock, generation) = (self.clock, self.generations);
        let entry = self.entries.entry(key.clone()).or_insert_with(|| Entry {
            hll: Hll::new(),
            version: None,
            used: clock,
            generation,
        });
        entry.used = clock;
        entry.generation = generation;
        entry
    }

    /// Adds ids to the day's sketch and marks it for the next flush.
    pub(super) fn add<'a>(&mut self, key: &Key, ids: impl IntoIterator<Item = &'a [u8]>) {
        self.touch(key).hll.add_many(ids);
        self.dirty.insert(key.clone());
        self.evict();
    }

    /// Merges a whole sketch in (an import) and marks it for the next flush.
    pub(super) fn merge(&mut self, key: &Key, sketch: &Hll) {
        self.touch(key).hll.merge(sketch);
        self.dirty.insert(key.clone());
        self.evict();
    }

    /// The dirty sketches, copied, with the dirty set cleared: what a flush writes.
    pub(super) fn take_dirty(&mut self) -> Vec<(Key, Hll)> {
        let keys: Vec<Key> = self.dirty.drain().collect();
        keys.into_iter()
            .filter_map(|key| {
                let hll = self.entries.get(&key)?.hll.clone();
                Some((key, hll))
            })
            .collect()
    }

    /// A flush failed: these sketches still need writing. They are merged back (the
    /// entry may have been evicted while it counted as clean during the write), so no
    /// acknowledged id is lost.
    pub(super) fn restore_dirty(&mut self, batch: Vec<(Key, Hll)>) {
        for (key, hll) in batch {
            self.touch(&key).hll.merge(&hll);
            self.dirty.insert(key);
        }
    }

    /// Records that the database holds `stored` at `version` for this day.
    pub(super) fn stored(&mut self, key: &Key, stored: &Hll, version: i64) {
        let entry = self.touch(key);
        entry.hll.merge(stored);
        entry.version = Some(entry.version.unwrap_or(0).max(version));
        self.evict();
    }

    /// Whether the cached sketch already includes the stored row at `version` (0 for
    /// no row): if not, the caller reads the row and calls [`Cache::stored`].
    pub(super) fn is_current(&mut self, key: &Key, version: i64) -> bool {
        match self.entries.get_mut(key) {
            Some(entry) if entry.version.is_some_and(|v| v >= version) => true,
            Some(entry) if version == 0 => {
                entry.version = Some(0);
                true
            }
            Some(_) => false,
            None => version == 0,
        }
    }

    /// Whether any of these days has a sketch in memory.
    pub(super) fn holds_any(&self, keys: &[Key]) -> bool {
        keys.iter().any(|key| self.entries.contains_key(key))
    }

    /// The day versions remembered for `window` if its rows still have `fingerprint`.
    pub(super) fn window_versions(
        &mut self,
        window: &WindowKey,
        fingerprint: Fingerprint,
    ) -> Option<Versions> {
        self.windows.versions(window, fingerprint)
    }

    /// Remembers the day versions read after the window's rows had `fingerprint`.
    pub(super) fn remember_window_versions(
        &mut self,
        window: &WindowKey,
        fingerprint: Fingerprint,
        versions: Versions,
    ) {
        self.windows
            .remember_versions(window, fingerprint, versions);
    }

    /// Merges the cached sketches of `keys` (one metric's window, oldest day first)
    /// into `into`; returns how many there were. The union of all days but the last
    /// is kept, and reused while none of those days changes in the cache.
    pub(super) fn union_into(&mut self, keys: &[Key], into: &mut Hll) -> usize {
        let (Some(window), Some((last, closed))) = (window_of(keys), keys.split_last()) else {
            return 0;
        };
        self.clock += 1;
        let clock = self.clock;
        let generations: Vec<Option<u64>> = closed
            .iter()
            .map(|key| {
                let entry = self.entries.get_mut(key)?;
                entry.used = clock;
                Some(entry.generation)
            })
            .collect();
        let mut found = match self.windows.closed_union(&window, &generations) {
            Some((union, found)) => {
                into.merge(union);
                found
            }
            None => {
                let mut union = Hll::new();
                let mut found = 0;
                for entry in closed.iter().filter_map(|key| self.entries.get(key)) {
                    union.merge(&entry.hll);
                    found += 1;
                }
                into.merge(&union);
                self.windows
                    .keep_closed_union(&window, union, generations, found);
                found
            }
        };
        if let Some(entry) = self.entries.get_mut(last) {
            entry.used = clock;
            into.merge(&entry.hll);
            found += 1;
        }
        found
    }

    #[cfg(test)]
    pub(super) fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    /// Drops the least recently used clean sketches beyond the capacity.
    fn evict(&mut self) {
        while self.entries.len() > self.capacity {
            let oldest = self
                .entries
                .iter()
                .filter(|(key, _)| !self.dirty.contains(*key))
                .min_by_key(|(_, entry)| entry.used)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => self.entries.remove(&key),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(metric: &str, day: u32) -> Key {
        (
            MetricName::parse(metric).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        )
    }

    fn ids(range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
        range.map(|i| format!("user-{i}").into_bytes()).collect()
    }

    #[test]
    fn adds_are_dirty_until_taken_and_taken_only_once() {
        let mut cache = Cache::new(8);
        let ids = ids(0..100);
        cache.add(&key("mau", 1), ids.iter().map(Vec::as_slice));
        let batch = cache.take_dirty();
        assert_eq!(batch.len(), 1);
        assert!((98..=102).contains(&batch[0].1.count()));
        assert!(cache.take_dirty().is_empty());
    }

    #[test]
    fn a_failed_flush_leaves_the_keys_dirty() {
        let mut cache = Cache::new(8);
        cache.add(&key("mau", 1), [b"a".as_slice()]);
        let batch = cache.take_dirty();
        cache.restore_dirty(batch);
        assert_eq!(cache.dirty_len(), 1);
    }

    #[test]
    fn a_failed_flush_keeps_ids_even_if_the_day_was_evicted_meanwhile() {
        let mut cache = Cache::new(1);
        cache.add(&key("mau", 1), [b"a".as_slice(), b"b".as_slice()]);
        let batch = cache.take_dirty();
        // While the write runs, another day pushes the (now clean) first one out.
        cache.add(&key("mau", 2), [b"c".as_slice()]);
        cache.restore_dirty(batch);
        let again = cache.take_dirty();
        let first = again
            .iter()
            .find(|(k, _)| *k == key("mau", 1))
            .expect("still to write");
        assert_eq!(first.1.count(), 2);
    }

    #[test]
    fn a_cached_day_is_current_only_for_the_version_it_merged() {
        let mut cache = Cache::new(8);
        let k = key("mau", 1);
        assert!(
            cache.is_current(&k, 0),
            "no row and no entry: nothing to read"
        );
        assert!(!cache.is_current(&k, 5), "a row we never read");
        cache.stored(&k, &Hll::new(), 5);
        assert!(cache.is_current(&k, 5));
        assert!(!cache.is_current(&k, 6), "someone else wrote since");
    }

    #[test]
    fn a_window_union_follows_every_change_to_any_of_its_days() {
        let mut cache = Cache::new(64);
        let keys: Vec<Key> = (1..=30).map(|d| key("mau", d)).collect();
        for (i, k) in keys.iter().enumerate() {
            let ids = ids(i as u32 * 100..i as u32 * 100 + 150);
            cache.add(k, ids.iter().map(Vec::as_slice));
        }
        let union_of = |cache: &mut Cache| {
            let mut union = Hll::new();
            let found = cache.union_into(&keys, &mut union);
            (union, found)
        };
        let merged_by_hand = |cache: &Cache| {
            let mut union = Hll::new();
            keys.iter()
                .filter_map(|k| cache.entries.get(k))
                .for_each(|e| union.merge(&e.hll));
            union
        };
        let (first, found) = union_of(&mut cache);
        assert_eq!((&first, found), (&merged_by_hand(&cache), 30));
        assert_eq!(union_of(&mut cache).0, first, "the same union again");

        // A closed day and the last day change, one after the other.
        for (day, id) in [(3, b"late".as_slice()), (30, b"today".as_slice())] {
            cache.add(&key("mau", day), [id]);
            let (union, found) = union_of(&mut cache);
            assert_eq!((&union, found), (&merged_by_hand(&cache), 30), "day {day}");
            assert_ne!(union, first, "day {day}");
        }
        // A closed day is read from the database: merged in.
        let mut stored = Hll::new();
        stored.add(b"from another process");
        cache.stored(&key("mau", 7), &stored, 9);
        let (union, _) = union_of(&mut cache);
        let mut expected = merged_by_hand(&cache);
        assert_eq!(union, expected);
        expected.merge(&stored);
        assert_eq!(union, expected, "the stored day is in the union");
    }

    #[test]
    fn a_window_union_forgets_an_evicted_day() {
        let mut cache = Cache::new(2);
        let keys = [key("mau", 1), key("mau", 2), key("mau", 3)];
        cache.stored(&keys[0], &Hll::new(), 1);
        cache.add(&keys[1], [b"b".as_slice()]);
        let mut union = Hll::new();
        assert_eq!(cache.union_into(&keys, &mut union), 2);
        // Day 3 pushes the clean day 1 out; the next union has two days again.
        cache.add(&keys[2], [b"c".as_slice()]);
        let mut union = Hll::new();
        assert_eq!(cache.union_into(&keys, &mut union), 2);
        assert_eq!(union.count(), 2);
    }

    #[test]
    fn eviction_drops_the_least_recently_used_clean_sketch_never_a_dirty_one() {
        let mut cache = Cache::new(2);
        cache.add(&key("mau", 1), [b"a".as_slice()]);
        cache.stored(&key("mau", 2), &Hll::new(), 1);
        cache.stored(&key("mau", 3), &Hll::new(), 1);
        let mut union = Hll::new();
        let found = cache.union_into(&[key("mau", 1), key("mau", 2), key("mau", 3)], &mut union);
        assert_eq!(found, 2);
        assert!(cache.is_current(&key("mau", 3), 1));
        assert!(!cache.is_current(&key("mau", 2), 1), "day 2 was evicted");
        assert_eq!(union.count(), 1, "the dirty day 1 stayed");
    }
}
