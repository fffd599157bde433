-- Announcement and thank-you templates per metric (milestone = 0) or per milestone.
-- body NULL keeps the default text (a row may exist only for its media). Saved only
-- after Template::parse accepted it.
CREATE TABLE milestone_templates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    metric     TEXT NOT NULL,
    milestone  BIGINT NOT NULL DEFAULT 0, -- 0: every milestone of the metric
    slot       TEXT NOT NULL,             -- announce | thanks
    body       TEXT,
    media_kind TEXT,                      -- photo | animation; announce only
    media_ref  TEXT,                      -- file path, URL or Telegram file_id
    updated_at BIGINT NOT NULL,
    updated_by BIGINT,
    UNIQUE (metric, milestone, slot)
);
