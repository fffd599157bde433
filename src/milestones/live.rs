//! Which milestones can still fire. A metric's milestones are its rules', minus:
//! - everything at or below the **floor**: the metric's baseline (passed before the
//!   bot watched it) and the highest milestone announced (by the watcher or by
//!   hand) or skipped, so a lower milestone never fires after a higher one;
//! - each rule's own baseline: what that rule's milestones had been passed up to
//!   when it was added (other rules keep theirs);
//! - milestones recorded above the floor (a rule's baseline rows).
//!
//! Pure: the detector and the status ask their questions through [`Live`].

use super::rules::Rule;

/// A rule with the count its milestones had been passed up to when it was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveRule {
    pub rule: Rule,
    /// Its milestones at or below this had been passed (by the lower bound of the
    /// newest reading) when the rule was added: they never fire. `None`: the rule
    /// came before the metric's first reading, whose baseline covers it.
    pub passed_when_added: Option<u64>,
}

impl ActiveRule {
    /// A rule with nothing of its own passed.
    pub fn new(rule: Rule) -> Self {
        Self {
            rule,
            passed_when_added: None,
        }
    }

    /// This rule's milestones at or below the result cannot fire.
    fn floor(&self, metric_floor: u64) -> u64 {
        metric_floor.max(self.passed_when_added.unwrap_or(0))
    }

    fn highest_live_at_or_below(&self, x: u64, metric_floor: u64) -> Option<u64> {
        self.rule
            .highest_at_or_below(x)
            .filter(|&m| m > self.floor(metric_floor))
    }

    fn next_live_above(&self, x: u64, metric_floor: u64) -> Option<u64> {
        self.rule.next_above(x.max(self.floor(metric_floor)))
    }
}

/// The milestones of one metric that may still fire.
#[derive(Debug, Clone, Copy)]
pub struct Live<'a> {
    pub rules: &'a [ActiveRule],
    /// Nothing at or below it fires (see the module docs).
    pub floor: u64,
    /// Milestones recorded above the floor; they never fire.
    pub recorded: &'a [u64],
}

impl Live<'_> {
    /// Whether `m` may still fire.
    pub fn contains(&self, m: u64) -> bool {
        self.highest_at_or_below(m) == Some(m)
    }

    /// The highest milestone at or below `x` that may still fire.
    pub fn highest_at_or_below(&self, x: u64) -> Option<u64> {
        let mut ceiling = x;
        loop {
            let m = self
                .rules
                .iter()
                .filter_map(|r| r.highest_live_at_or_below(ceiling, self.floor))
                .max()?;
            if !self.recorded.contains(&m) {
                return Some(m);
            }
            // m > floor ≥ 0, so m ≥ 1; each turn passes one recorded milestone.
            ceiling = m - 1;
        }
    }

    /// The lowest milestone above `x` that may still fire.
    pub fn next_above(&self, x: u64) -> Option<u64> {
        let mut from = x;
        loop {
            let m = self
                .rules
                .iter()
                .filter_map(|r| r.next_live_above(from, self.floor))
                .min()?;
            if !self.recorded.contains(&m) {
                return Some(m);
            }
            from = m;
        }
    }

    /// The milestones that may still fire in `(lo_exclusive, hi_inclusive]`,
    /// ascending; when there are more than [`LIST_CAP`](super::rules::LIST_CAP), the highest of them.
    pub fn in_range(&self, lo_exclusive: u64, hi_inclusive: u64) -> Vec<u64> {
        super::rules::walk_down(lo_exclusive, hi_inclusive, |x| self.highest_at_or_below(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU64;

    const M: u64 = 1_000_000;

    fn threshold(n: u64) -> Rule {
        Rule::Threshold(NonZeroU64::new(n).unwrap())
    }

    fn every(n: u64) -> Rule {
        Rule::Every(NonZeroU64::new(n).unwrap())
    }

    #[test]
    fn a_rule_baseline_hides_only_that_rules_milestones() {
        let rules = [
            ActiveRule::new(every(100 * M)),
            ActiveRule {
                rule: threshold(200 * M),
                passed_when_added: Some(201 * M),
            },
            ActiveRule {
                rule: threshold(150 * M),
                passed_when_added: Some(201 * M),
            },
        ];
        let live = Live {
            rules: &rules,
            floor: 100 * M,
            recorded: &[],
        };

        assert!(live.contains(200 * M), "every 100M still has 200M");
        assert!(
            !live.contains(150 * M),
            "150M was passed when its rule came"
        );
        assert_eq!(live.highest_at_or_below(199 * M), None);
        assert_eq!(live.in_range(0, 300 * M), [200 * M, 300 * M]);
    }

    #[test]
    fn nothing_at_or_below_the_floor_or_recorded_may_fire() {
        let rules = [ActiveRule::new(every(M))];
        let live = Live {
            rules: &rules,
            floor: 3 * M,
            recorded: &[5 * M, 6 * M],
        };
        let cases = [
            (2 * M, None),
            (3 * M, None),
            (4 * M, Some(4 * M)),
            (6 * M, Some(4 * M)),
            (7 * M, Some(7 * M)),
        ];
        for (x, expected) in cases {
            assert_eq!(live.highest_at_or_below(x), expected, "x = {x}");
        }
        assert_eq!(live.next_above(0), Some(4 * M));
        assert_eq!(live.next_above(4 * M), Some(7 * M));
        assert_eq!(live.in_range(3 * M, 8 * M), [4 * M, 7 * M, 8 * M]);
    }
}
