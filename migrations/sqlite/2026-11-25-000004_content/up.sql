-- Content: enterprise profiles, local posts (updates and practices), remote
-- objects, reactions, the hub's reshares and featured items.

-- The structured profile of an enterprise (ours or remote), as JSON.
ALTER TABLE local_actors ADD COLUMN profile_json TEXT;
ALTER TABLE remote_actors ADD COLUMN profile_json TEXT;

-- Members who may publish for an enterprise.
CREATE TABLE enterprise_editors (
    enterprise_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, member_id)
);

-- Objects we publish: updates (Note) and shared practices (Article).
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('note', 'article')),
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES local_actors (id) ON DELETE SET NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'followers')),
    language TEXT NOT NULL,
    title TEXT,
    summary TEXT,
    source TEXT NOT NULL,
    content_html TEXT NOT NULL,
    tags_json TEXT NOT NULL,
    mentions_json TEXT NOT NULL,
    licence TEXT,
    adapted_from TEXT,
    in_reply_to TEXT,
    published TIMESTAMP NOT NULL,
    updated TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX posts_actor ON posts (actor_id, id);
CREATE INDEX posts_kind ON posts (kind, id);

-- Objects from other servers (Notes, Articles, Pages, and unknown types
-- kept raw). A deleted row is a tombstone: a later Create is ignored.
CREATE TABLE remote_objects (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    attributed_to TEXT,
    name TEXT,
    summary TEXT,
    content_html TEXT,
    url TEXT,
    in_reply_to TEXT,
    language TEXT,
    published TIMESTAMP,
    updated TIMESTAMP,
    raw_json TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_objects_author ON remote_objects (attributed_to, id);

-- Likes and reshares (by anyone) of objects we know, ours included.
CREATE TABLE reactions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('like', 'announce')),
    object_ap_id TEXT NOT NULL,
    actor_ap_id TEXT NOT NULL,
    activity_ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, object_ap_id, actor_ap_id)
);
CREATE INDEX reactions_object ON reactions (object_ap_id, kind);

-- What the hub reshared, to undo it later.
CREATE TABLE reshares (
    id INTEGER PRIMARY KEY,
    hub_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    object_ap_id TEXT NOT NULL,
    announce_ap_id TEXT NOT NULL UNIQUE,
    announce_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hub_id, object_ap_id)
);

-- The hub's featured enterprises and practices.
CREATE TABLE featured (
    id INTEGER PRIMARY KEY,
    hub_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    object_ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hub_id, object_ap_id)
);
