-- Every admin action and every refused attempt.
CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,   -- UTC milliseconds
    user_id BIGINT,            -- NULL for the CLI
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL,
    result  TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
