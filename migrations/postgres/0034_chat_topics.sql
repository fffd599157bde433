-- The forum topic (message_thread_id) a forum group wants the bot's posts in.
ALTER TABLE chats ADD COLUMN thread_id BIGINT;
