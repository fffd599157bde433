-- Admins added from Telegram (ADMIN_IDS from the environment are permanent and not here).
CREATE TABLE admins (
    user_id  BIGINT PRIMARY KEY,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL  -- UTC milliseconds
);

-- A dangerous action waiting for its admin's Send button. Used once, before expiry.
CREATE TABLE confirmations (
    nonce      TEXT PRIMARY KEY,   -- random, carried in the button's callback data
    admin_id   BIGINT NOT NULL,    -- only this admin's press counts
    action     TEXT NOT NULL,      -- JSON description of what Send starts
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,             -- set exactly once, by the press that wins
    outcome    TEXT                -- sent | cancelled
);
