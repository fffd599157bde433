-- A rule's own baseline: when a rule is added to a metric the bot already reads, its
-- milestones at or below the lower bound of the newest reading (estimate - k*sigma)
-- were passed before it existed and never fire. NULL: the rule came before the
-- metric's first reading, whose baseline covers it. Other rules are not affected.
ALTER TABLE milestone_rules ADD COLUMN baseline_bound BIGINT;
