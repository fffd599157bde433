-- One row per metric the milestone watcher knows: its rule version, whether the
-- current rules have been baselined, and per-metric release settings (NULL = the
-- configured default). The watcher locks this row (an UPDATE) at the start of each
-- decision, so two instances decide one metric one after the other.
CREATE TABLE milestone_metrics (
    metric             TEXT PRIMARY KEY,
    rules_version      BIGINT NOT NULL DEFAULT 0,  -- bumped by every rule change
    baseline_version   BIGINT NOT NULL DEFAULT -1, -- rules_version last baselined
    seeded_at          BIGINT,                     -- when MILESTONE_RULES was copied in; NULL = not yet
    release_mode       TEXT,                       -- auto | approve; NULL = RELEASE_MODE
    approve_timeout_ms BIGINT,                     -- NULL = MILESTONE_APPROVE_TIMEOUT; 0 = never
    min_gap_ms         BIGINT,                     -- NULL = MILESTONE_MIN_GAP; 0 = none
    checked_at         BIGINT NOT NULL             -- UTC milliseconds of the last decision
);
