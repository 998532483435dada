-- The statuses a member bookmarked (ours or another server's, by
-- ActivityPub id), listed newest bookmark first. Private to the member.
CREATE TABLE bookmarks (
    id INTEGER PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    object_ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (actor_id, object_ap_id)
);
CREATE INDEX bookmarks_of_actor ON bookmarks (actor_id, id);
-- A member's likes, newest first (GET /api/v1/favourites).
CREATE INDEX reactions_of_actor ON reactions (actor_ap_id, kind, id);
