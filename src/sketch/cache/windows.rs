//! What the embedded store remembers per counted window (a metric and a range of
//! days), so that a repeated count neither lists every day's version nor merges
//! every day again.
//!
//! - The rows' **fingerprint** (how many rows, and the sum of their
//!   `updated_at`) with the per-day versions read at that fingerprint. Rows are
//!   never deleted and every write moves a row's `updated_at` strictly forward,
//!   so any write to the window changes the fingerprint: while it is unchanged,
//!   the versions read then are still the database's.
//! - The **union of the window's days but the last** (for the usual count at
//!   today: the closed days), with the generation of each day's cached sketch it
//!   was built from. Any change to one of those days (an add, a merge, a re-read,
//!   an eviction) changes its generation, and the union is rebuilt.
//!
//! Pure bookkeeping like the rest of the cache; at most [`WINDOWS`] windows (16 KiB
//! each) are kept, the least recently used dropped first.

use super::Key;
use crate::sketch::hll::Hll;
use crate::vocab::MetricName;
use chrono::NaiveDate;
use std::collections::HashMap;

/// How many windows are remembered: a few metrics counted at a few dates.
pub const WINDOWS: usize = 64;

/// A metric and the first and last day of a window.
pub(in crate::sketch) type WindowKey = (MetricName, NaiveDate, NaiveDate);

/// How many rows a window has in the database, and the sum of their `updated_at`.
pub(in crate::sketch) type Fingerprint = (i64, i64);

/// The stored days of a window and their `updated_at`.
pub(in crate::sketch) type Versions = HashMap<NaiveDate, i64>;

/// The window of `keys` (one metric, days oldest first); `None` if empty.
pub(super) fn window_of(keys: &[Key]) -> Option<WindowKey> {
    let ((metric, first), (_, last)) = (keys.first()?, keys.last()?);
    Some((metric.clone(), *first, *last))
}

struct Window {
    /// The versions of the stored days, read at `fingerprint`.
    versions: Option<(Fingerprint, Versions)>,
    /// The union of every day but the last, as cached when it was built.
    closed: Option<ClosedUnion>,
    /// Logical clock of the last use, for dropping the least recently used.
    used: u64,
}

struct ClosedUnion {
    hll: Hll,
    /// Per day but the last: the generation of its cached sketch, `None` if none.
    generations: Vec<Option<u64>>,
    /// How many of those days had a cached sketch.
    found: usize,
}

pub(super) struct Windows {
    map: HashMap<WindowKey, Window>,
    clock: u64,
}

impl Windows {
    pub(super) fn new() -> Self {
        Windows {
            map: HashMap::new(),
            clock: 0,
        }
    }

    fn touch(&mut self, window: &WindowKey) -> &mut Window {
        self.clock += 1;
        if !self.map.contains_key(window) && self.map.len() >= WINDOWS {
            let oldest = self.map.iter().min_by_key(|(_, w)| w.used);
            if let Some(oldest) = oldest.map(|(key, _)| key.clone()) {
                self.map.remove(&oldest);
            }
        }
        let window = self.map.entry(window.clone()).or_insert(Window {
            versions: None,
            closed: None,
            used: 0,
        });
        window.used = self.clock;
        window
    }

    /// The versions remembered for `window` if they were read at `fingerprint`.
    pub(super) fn versions(
        &mut self,
        window: &WindowKey,
        fingerprint: Fingerprint,
    ) -> Option<Versions> {
        self.clock += 1;
        let window = self.map.get_mut(window)?;
        window.used = self.clock;
        let (read_at, versions) = window.versions.as_ref()?;
        (*read_at == fingerprint).then(|| versions.clone())
    }

    /// Remembers the versions read after `fingerprint` was taken.
    pub(super) fn remember_versions(
        &mut self,
        window: &WindowKey,
        fingerprint: Fingerprint,
        versions: Versions,
    ) {
        self.touch(window).versions = Some((fingerprint, versions));
    }

    /// The union of the window's days but the last, if it was built from cached
    /// sketches of exactly these `generations`; with how many days it holds.
    pub(super) fn closed_union(
        &mut self,
        window: &WindowKey,
        generations: &[Option<u64>],
    ) -> Option<(&Hll, usize)> {
        let window = self.touch(window);
        let closed = window.closed.as_ref()?;
        (closed.generations == generations).then_some((&closed.hll, closed.found))
    }

    pub(super) fn keep_closed_union(
        &mut self,
        window: &WindowKey,
        hll: Hll,
        generations: Vec<Option<u64>>,
        found: usize,
    ) {
        self.touch(window).closed = Some(ClosedUnion {
            hll,
            generations,
            found,
        });
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(metric: &str, last: u32) -> WindowKey {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        (MetricName::parse(metric).unwrap(), day(1), day(last))
    }

    #[test]
    fn versions_are_given_back_only_at_the_fingerprint_they_were_read_at() {
        let mut windows = Windows::new();
        let w = window("mau", 30);
        assert_eq!(windows.versions(&w, (1, 5)), None);
        let versions: Versions = [(w.1, 5)].into();
        windows.remember_versions(&w, (1, 5), versions.clone());
        assert_eq!(windows.versions(&w, (1, 5)), Some(versions));
        assert_eq!(windows.versions(&w, (1, 6)), None, "a row was rewritten");
        assert_eq!(windows.versions(&w, (2, 5)), None, "a row was added");
        assert_eq!(windows.versions(&window("mau", 29), (1, 5)), None);
    }

    #[test]
    fn a_closed_union_is_given_back_only_for_the_generations_it_was_built_from() {
        let mut windows = Windows::new();
        let w = window("mau", 30);
        let mut hll = Hll::new();
        hll.add(b"a");
        windows.keep_closed_union(&w, hll.clone(), vec![Some(1), None], 1);
        assert_eq!(windows.closed_union(&w, &[Some(1), None]), Some((&hll, 1)));
        assert!(windows.closed_union(&w, &[Some(2), None]).is_none());
        assert!(windows.closed_union(&w, &[Some(1), Some(3)]).is_none());
        assert!(windows.closed_union(&w, &[None, None]).is_none());
    }

    #[test]
    fn the_least_recently_used_window_is_dropped_beyond_the_limit() {
        let mut windows = Windows::new();
        let first = window("w0", 2);
        windows.remember_versions(&first, (0, 0), Versions::new());
        for i in 1..WINDOWS {
            windows.remember_versions(&window(&format!("w{i}"), 2), (0, 0), Versions::new());
        }
        // Using the first one again makes the second the oldest.
        assert!(windows.versions(&first, (0, 0)).is_some());
        windows.remember_versions(&window("new", 2), (0, 0), Versions::new());
        assert_eq!(windows.len(), WINDOWS);
        assert!(windows.versions(&first, (0, 0)).is_some());
        assert!(windows.versions(&window("w1", 2), (0, 0)).is_none());
    }
}
