-- One sender per bot token across instances: the holder renews its lease; when it
-- dies, another instance takes the lease over once it has expired.
CREATE TABLE broadcast_leases (
    bot_id     TEXT PRIMARY KEY,     -- the token's numeric prefix (never the secret)
    holder     TEXT NOT NULL,        -- which process holds it (host, pid, random part)
    expires_at BIGINT NOT NULL       -- UTC milliseconds
);
