-- Files of other servers: the attachments of remote posts and the avatars
-- and headers of remote actors, as their authors describe them, and our
-- cached copy. Our copy lives in the media store under keys chosen when the
-- row is written (`r/<32 random hex>/original`, `.../preview`), so the URL
-- we show never changes: the file is fetched in the background (or when
-- first asked for), re-processed as uploads are, and removed again after
-- `media.remote_cache_days` (state `pruned`: fetched again on demand).
-- A row whose post or actor is gone (both links NULL) is detached: its
-- files are removed by the pruning. Focus in thousandths, as on `media`.
CREATE TABLE remote_media (
    id BIGSERIAL PRIMARY KEY,
    remote_object_id BIGINT REFERENCES remote_objects (id) ON DELETE SET NULL,
    remote_actor_id BIGINT REFERENCES remote_actors (id) ON DELETE SET NULL,
    role TEXT NOT NULL CHECK (role IN ('attachment', 'avatar', 'header')),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'document', 'unknown')),
    remote_url TEXT NOT NULL,
    claimed_type TEXT,
    description TEXT,
    blurhash TEXT,
    width INTEGER,
    height INTEGER,
    focus_x INTEGER NOT NULL DEFAULT 0,
    focus_y INTEGER NOT NULL DEFAULT 0,
    original_key TEXT NOT NULL UNIQUE,
    preview_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'cached', 'failed', 'pruned')),
    media_type TEXT,
    has_preview BOOLEAN NOT NULL DEFAULT FALSE,
    preview_width INTEGER,
    preview_height INTEGER,
    byte_size BIGINT NOT NULL DEFAULT 0,
    fetched_at TIMESTAMP,
    failure TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    leased_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_media_by_object ON remote_media (remote_object_id, position);
CREATE INDEX remote_media_by_actor ON remote_media (remote_actor_id, role);
CREATE INDEX remote_media_by_state ON remote_media (state, fetched_at);
