-- Queueing a broadcast writes one delivery per subscribed chat in one statement, and
-- at a million chats every index a new row enters counts. A claim number is only
-- looked up once set, so rows not yet claimed (claim NULL) stay out of its index.
DROP INDEX deliveries_claim;
CREATE INDEX deliveries_claim ON deliveries (claim) WHERE claim IS NOT NULL;
-- The foreign key to announcements ran a trigger per delivery that looks up and
-- share-locks the announcement: 2.9 of the 7 s it took to queue a million. Deliveries
-- are written only by `announcements::create`, in the transaction that writes their
-- announcement, and announcements are never deleted, so it guarded nothing.
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_announcement_id_fkey;
