-- Secrets made once per install and kept with its data, e.g. the key behind the
-- pseudonyms that stand for people in logs and the audit (privacy.rs).
CREATE TABLE install_secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at BIGINT NOT NULL   -- UTC milliseconds
);
