-- A count asks which days of its window changed: (day, updated_at) for a metric's days,
-- or just how many rows there are and the sum of their updated_at. This index answers
-- both without reading the rows, whose bytes (12 KiB when dense) come before updated_at.
CREATE INDEX sketches_versions ON sketches (metric, day, updated_at);
