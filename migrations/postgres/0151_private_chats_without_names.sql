-- A private chat is a person: the bot keeps its id (to post to it, and to remember
-- an unsubscribe), never the person's name or username.
UPDATE chats SET title = NULL, username = NULL WHERE kind = 'private';
