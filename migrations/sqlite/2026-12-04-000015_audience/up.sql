-- Who may see what (docs/FEDERATION.md, "Who sees what").

-- Our posts take Mastodon's four visibilities. SQLite cannot change a
-- CHECK constraint in place: the table is rebuilt (SQLite's documented
-- procedure), the rows of the two tables that reference it are kept aside
-- while the old table goes (dropping it deletes them by cascade).
CREATE TABLE posts_rebuilt (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('note', 'article')),
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES local_actors (id) ON DELETE SET NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'followers', 'direct')),
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
    deleted_at TIMESTAMP,
    content_warning TEXT,
    translations_json TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO posts_rebuilt (id, ap_id, kind, actor_id, author_id, visibility, language, title, summary, source, content_html, tags_json, mentions_json, licence, adapted_from, in_reply_to, published, updated, deleted_at, content_warning, translations_json) SELECT id, ap_id, kind, actor_id, author_id, visibility, language, title, summary, source, content_html, tags_json, mentions_json, licence, adapted_from, in_reply_to, published, updated, deleted_at, content_warning, translations_json FROM posts;
CREATE TEMP TABLE kept_post_tags AS SELECT * FROM post_tags;
CREATE TEMP TABLE kept_idempotency_keys AS SELECT * FROM idempotency_keys;
DROP TABLE posts;
ALTER TABLE posts_rebuilt RENAME TO posts;
CREATE INDEX posts_actor ON posts (actor_id, id);
CREATE INDEX posts_kind ON posts (kind, id);
CREATE INDEX posts_published ON posts (published, id);
INSERT INTO post_tags SELECT * FROM kept_post_tags;
INSERT INTO idempotency_keys SELECT * FROM kept_idempotency_keys;
DROP TABLE kept_post_tags;
DROP TABLE kept_idempotency_keys;

-- The visibility of a remote object, read from its addressing (public,
-- unlisted, followers, direct). NULL until read: the first start after this
-- migration reads it from the stored JSON (`maillage_federation::audience_backfill`),
-- before serving; until then such an object is shown to nobody.
ALTER TABLE remote_objects ADD COLUMN visibility TEXT;
CREATE INDEX remote_objects_visibility ON remote_objects (visibility, created_at, id);

-- The local actors a remote object is addressed to (to, cc, bto, bcc).
CREATE TABLE remote_object_addressees (
    remote_object_id BIGINT NOT NULL REFERENCES remote_objects (id) ON DELETE CASCADE,
    local_actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    PRIMARY KEY (remote_object_id, local_actor_id)
);
CREATE INDEX remote_object_addressees_actor ON remote_object_addressees (local_actor_id, remote_object_id);

-- The actors (local or remote, by ActivityPub id) one of our posts names:
-- they may read it whatever its visibility. Filled from `mentions_json`
-- by the same first start.
CREATE TABLE post_addressees (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_ap_id TEXT NOT NULL,
    PRIMARY KEY (post_id, actor_ap_id)
);
CREATE INDEX post_addressees_actor ON post_addressees (actor_ap_id, post_id);
CREATE INDEX posts_visibility ON posts (visibility, published, id);

-- A local actor following another local actor (a member following an
-- enterprise, a hub or a member). No activity crosses the wire for these.
CREATE TABLE local_follows (
    id INTEGER PRIMARY KEY,
    follower_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    followed_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (follower_id, followed_id),
    CHECK (follower_id <> followed_id)
);
CREATE INDEX local_follows_followed ON local_follows (followed_id, state, id);
