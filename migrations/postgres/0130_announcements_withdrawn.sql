-- When an admin withdrew the announcement (UTC ms). Set before any delivery is
-- turned into a deletion, so a send still on the wire at that moment sees it when
-- its answer is recorded and is deleted too, and nothing more is posted.
ALTER TABLE announcements ADD COLUMN withdrawn_at BIGINT;
