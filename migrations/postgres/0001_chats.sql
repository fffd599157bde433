-- The chats the bot posts to. Rows are never deleted: a chat that leaves is marked gone.
CREATE TABLE chats (
    id            BIGINT PRIMARY KEY,        -- Telegram chat id
    kind          TEXT NOT NULL,             -- private | group | supergroup | channel
    title         TEXT,
    username      TEXT,
    subscribed    INTEGER NOT NULL DEFAULT 1, -- 1 while the bot may post here
    subscribed_at BIGINT NOT NULL,           -- UTC milliseconds
    updated_at    BIGINT NOT NULL,
    gone_reason   TEXT,
    gone_at       BIGINT,
    migrated_from BIGINT                     -- old group id after a supergroup upgrade
);
CREATE INDEX chats_subscribed ON chats (subscribed, subscribed_at);
