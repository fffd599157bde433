-- The watcher's readings of each metric: the detector's hold window, growth per day
-- and the expected date of the next milestone. Old rows are pruned.
CREATE TABLE milestone_readings (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    metric    TEXT NOT NULL,
    at        BIGINT NOT NULL,    -- UTC milliseconds
    estimate  BIGINT NOT NULL,
    std_error REAL NOT NULL     -- one standard error, in ids
);
CREATE INDEX milestone_readings_metric_at ON milestone_readings (metric, at);
