-- Every milestone a metric has passed, and how: announced, baseline (passed before
-- the bot watched, or before a rule existed) or skipped (passed over by a jump).
-- UNIQUE (metric, milestone) with the announcement's dedupe_key makes a milestone
-- fire once. announcement_id points into announcements (created by a later
-- migration, hence no foreign key).
CREATE TABLE milestones_reached (
    id              BIGSERIAL PRIMARY KEY,
    metric          TEXT NOT NULL,
    milestone       BIGINT NOT NULL,
    reason          TEXT NOT NULL,   -- announced | baseline | skipped
    reached_at      BIGINT NOT NULL, -- UTC milliseconds
    estimate        BIGINT NOT NULL,
    std_error       DOUBLE PRECISION NOT NULL,
    announcement_id BIGINT,
    UNIQUE (metric, milestone)
);
