-- The state a delivery had before an edit took it back into the queue, restored once
-- the edit is done: editing a chat whose note failed must not make it read "sent".
ALTER TABLE deliveries ADD COLUMN prior_state TEXT;
