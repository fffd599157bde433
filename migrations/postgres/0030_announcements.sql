-- An announcement: a milestone post, a manual post, or a thank-you note on its own.
-- Its text is rendered and validated before the row exists: bad content never reaches
-- the queue.
CREATE TABLE announcements (
    id                  BIGSERIAL PRIMARY KEY,
    dedupe_key          TEXT NOT NULL UNIQUE, -- e.g. milestone:mau:200000000; guards exactly-once
    kind                TEXT NOT NULL,        -- milestone | manual | thanks
    metric              TEXT,                 -- NULL for a thank-you note on its own
    milestone           BIGINT,
    state               TEXT NOT NULL,        -- draft | queued | sending | paused | done | cancelled
    announce_text       TEXT,                 -- Telegram HTML; NULL for a thanks-only post
    thanks_text         TEXT,                 -- Telegram HTML; NULL when there is no note
    media_kind          TEXT,                 -- photo | animation | NULL
    media_ref           TEXT,                 -- file path, URL or Telegram file_id
    media_file_id       TEXT,                 -- file_id Telegram returned after the first upload
    options             TEXT NOT NULL DEFAULT '{}', -- JSON: silent, pin, link preview
    created_by          BIGINT,               -- admin user id; NULL when automatic
    created_at          BIGINT NOT NULL,      -- UTC milliseconds
    release_at          BIGINT,               -- a draft goes out by itself at this time
    started_at          BIGINT,
    finished_at         BIGINT,
    progress_chat_id    BIGINT,               -- where the live progress message is
    progress_message_id BIGINT
);
CREATE INDEX announcements_state ON announcements (state, created_at);

-- One delivery per (announcement, chat). The announcement and its thank-you note are
-- an ordered pair: `step` says which part is next, so the note never precedes the
-- announcement and a retry resends only the part that failed.
CREATE TABLE deliveries (
    id                  BIGSERIAL PRIMARY KEY,
    announcement_id     BIGINT NOT NULL REFERENCES announcements (id),
    chat_id             BIGINT NOT NULL,
    state               TEXT NOT NULL,        -- pending | in_flight | sent | skipped | failed | unknown | cancelled
    step                TEXT NOT NULL,        -- announce | thanks: the next part to send
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT NOT NULL,      -- UTC milliseconds; retries and pacing push it on
    announce_message_id BIGINT,
    thanks_message_id   BIGINT,
    sent_at             BIGINT,
    last_error          TEXT,
    updated_at          BIGINT NOT NULL,
    UNIQUE (announcement_id, chat_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
