-- Queueing a broadcast writes one delivery per subscribed chat in one statement, and
-- at a million chats every index a new row enters counts. A claim number is only
-- looked up once set, so rows not yet claimed (claim NULL) stay out of its index.
DROP INDEX deliveries_claim;
CREATE INDEX deliveries_claim ON deliveries (claim) WHERE claim IS NOT NULL;
-- The progress tally counts an announcement's deliveries by state on every tick;
-- this index covers it, so a million deliveries are counted without reading a row
-- (0.07 s instead of 0.34 s here). It costs queueing no more than the claim index
-- above saves.
CREATE INDEX deliveries_tally ON deliveries (announcement_id, state);
