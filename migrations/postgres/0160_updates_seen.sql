-- Updates already taken in, by update_id: Telegram retries a webhook delivery it
-- did not see answered, and after a failover the new poller may be handed updates
-- the old one took but never confirmed. Each is handled once. Rows older than a day
-- are pruned (Telegram keeps an unconfirmed update for 24 hours).
CREATE TABLE updates_seen (
    bot_id    TEXT NOT NULL,         -- the token's numeric prefix (never the secret)
    update_id BIGINT NOT NULL,
    seen_at   BIGINT NOT NULL,       -- UTC milliseconds
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX updates_seen_by_time ON updates_seen (seen_at);
