-- The Send button that alone may release a draft (the nonce of its confirmation).
-- NULL for drafts the milestone watcher held (RELEASE_MODE=approve, MILESTONE_MIN_GAP):
-- only those can be released with /milestone approve. Drafts written for a
-- confirmation before this migration are marked so they cannot be approved either.
ALTER TABLE announcements ADD COLUMN confirm_nonce TEXT;
UPDATE announcements SET confirm_nonce = 'before-0142' WHERE state = 'draft' AND kind <> 'milestone';
