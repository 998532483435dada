-- When each hub our hub follows is next read (its `members` collection):
-- at once when our follow is accepted, then every `directory.resync_hours`.
-- A process takes a due row by leasing it, so several processes over one
-- database read a hub once; a lease that ends without an answer (the
-- process stopped) makes the row due again.
CREATE TABLE hub_syncs (
    hub_id BIGINT PRIMARY KEY REFERENCES remote_actors (id) ON DELETE CASCADE,
    due_at TIMESTAMP NOT NULL,
    leased_until TIMESTAMP,
    failures INTEGER NOT NULL DEFAULT 0,
    last_synced_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX hub_syncs_due ON hub_syncs (due_at);
