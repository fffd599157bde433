-- Which counts are milestones, per metric. `rule` is the canonical text of a rule
-- (`200M`, `every 10M`, `round`), so one rule cannot be stored twice.
CREATE TABLE milestone_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    metric     TEXT NOT NULL,
    rule       TEXT NOT NULL,
    created_at BIGINT NOT NULL,  -- UTC milliseconds
    created_by BIGINT,           -- admin user id; NULL for configuration and the CLI
    UNIQUE (metric, rule)
);
