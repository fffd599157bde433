-- Refused attempts by people who are not admins keep a pseudonym (a keyed hash,
-- privacy.rs), never their Telegram id or what they typed. Rows written before
-- this keep neither: the key did not exist yet.
ALTER TABLE audit ADD COLUMN user_hash TEXT;
UPDATE audit SET user_id = NULL, user_hash = 'forgotten', detail = ''
 WHERE result IN ('refused: not an admin', 'refused: not the admin who asked');
UPDATE audit SET action = 'milestone (unknown)'
 WHERE result = 'refused: not an admin'
   AND action NOT IN ('milestone', 'milestone status', 'milestone list', 'milestone add',
       'milestone remove', 'milestone template', 'milestone preview', 'milestone announce',
       'milestone thanks', 'milestone approve', 'milestone edit', 'milestone withdraw',
       'milestone broadcasts', 'milestone pause', 'milestone resume', 'milestone cancel',
       'milestone resend-unknown', 'milestone chats', 'milestone admins', 'milestone help');
