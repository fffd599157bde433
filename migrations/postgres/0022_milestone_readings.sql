-- The watcher's readings of each metric: the detector's hold window, growth per day
-- and the expected date of the next milestone. Old rows are pruned.
CREATE TABLE milestone_readings (
    id        BIGSERIAL PRIMARY KEY,
    metric    TEXT NOT NULL,
    at        BIGINT NOT NULL,    -- UTC milliseconds
    estimate  BIGINT NOT NULL,
    std_error DOUBLE PRECISION NOT NULL     -- one standard error, in ids
);
CREATE INDEX milestone_readings_metric_at ON milestone_readings (metric, at);
