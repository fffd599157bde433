-- A metric's baseline as a count: milestones at or below it were passed before the
-- bot watched the metric (its first reading, zero included, or an explicit
-- `baseline`), so they never fire. NULL until the first reading. Rule changes no
-- longer re-baseline the metric (rules_version/baseline_version are kept for
-- history only); a metric baselined under that scheme keeps its highest baseline
-- milestone as the bound, which is what the old watcher's floor was.
ALTER TABLE milestone_metrics ADD COLUMN baseline_bound BIGINT;
UPDATE milestone_metrics SET baseline_bound = COALESCE(
    (SELECT MAX(r.milestone) FROM milestones_reached r
      WHERE r.metric = milestone_metrics.metric AND r.reason = 'baseline'), 0)
 WHERE baseline_version >= 0;
