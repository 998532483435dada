-- What a member did with a conversation (the direct statuses of one
-- thread, named by the ActivityPub id of its first status they may read):
-- read up to `read_at`, removed from their list at `removed_at` (it comes
-- back when a newer status arrives).
CREATE TABLE conversation_marks (
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    root_ap_id TEXT NOT NULL,
    read_at TIMESTAMP,
    removed_at TIMESTAMP,
    PRIMARY KEY (actor_id, root_ap_id)
);
