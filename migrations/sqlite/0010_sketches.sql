-- One HyperLogLog per metric per UTC day, as the bytes Redis would store (HYLL header,
-- sparse or dense), so a day can be copied to and from Redis unchanged.
CREATE TABLE sketches (
    metric     TEXT NOT NULL,    -- a metric name: [a-z0-9_]{1,32}
    day        TEXT NOT NULL,    -- YYYY-MM-DD, UTC
    bytes      BLOB NOT NULL,    -- Redis HyperLogLog string
    updated_at BIGINT NOT NULL,  -- UTC milliseconds; strictly increases on every write
    PRIMARY KEY (metric, day)
);
