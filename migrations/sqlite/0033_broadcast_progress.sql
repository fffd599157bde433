-- The live progress message of a broadcast in each admin's chat: the admin who
-- started it, or every configured admin for automatic milestones.
CREATE TABLE broadcast_progress (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id),
    chat_id         BIGINT NOT NULL,
    message_id      BIGINT,           -- NULL until the first progress message is sent
    final           INTEGER NOT NULL DEFAULT 0, -- 1 once the final tally is shown
    PRIMARY KEY (announcement_id, chat_id)
);
