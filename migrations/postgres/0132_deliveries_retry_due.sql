-- Deliveries waiting to be tried again, by when they fall due: the worker claims
-- these ahead of the backlog, so a retry's wait overlaps the rest of the broadcast.
CREATE INDEX deliveries_retry_due ON deliveries (next_attempt_at) WHERE state = 'pending' AND attempts > 0;
