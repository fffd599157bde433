-- The batch that claimed a delivery: the worker marks rows in flight with a fresh
-- claim number in one statement, then reads back exactly those rows.
ALTER TABLE deliveries ADD COLUMN claim BIGINT;
CREATE INDEX deliveries_claim ON deliveries (claim);
