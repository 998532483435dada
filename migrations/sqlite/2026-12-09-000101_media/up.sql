-- Files members upload (pictures and documents), for the enterprise (or
-- themself) they act for. The bytes live in the media store under
-- unguessable keys (`m/<32 random hex>/original.jpg`); this row says what
-- they are. An upload is attached to at most one post, at a position; one
-- never attached is removed after `media.unattached_hours`. Focus is kept
-- in thousandths (-1000 to 1000), Mastodon's -1 to 1.
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'document')),
    original_key TEXT NOT NULL UNIQUE,
    preview_key TEXT UNIQUE,
    media_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    preview_width INTEGER,
    preview_height INTEGER,
    blurhash TEXT,
    description TEXT,
    focus_x INTEGER NOT NULL DEFAULT 0,
    focus_y INTEGER NOT NULL DEFAULT 0,
    file_name TEXT,
    post_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    position INTEGER,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_by_post ON media (post_id, position);
CREATE INDEX media_unattached ON media (post_id, created_at);
CREATE INDEX media_by_user ON media (user_id);
