-- What a local actor is told about: follows, mentions, reshares, likes.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('follow', 'follow_request', 'mention', 'reblog', 'favourite')),
    from_ap_id TEXT NOT NULL,
    object_ap_id TEXT,
    dismissed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_actor ON notifications (actor_id, dismissed, id);
