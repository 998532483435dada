-- Who may see what (docs/FEDERATION.md, "Who sees what").

-- Our posts take Mastodon's four visibilities.
ALTER TABLE posts DROP CONSTRAINT posts_visibility_check;
ALTER TABLE posts ADD CONSTRAINT posts_visibility_check
    CHECK (visibility IN ('public', 'unlisted', 'followers', 'direct'));

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
    id BIGSERIAL PRIMARY KEY,
    follower_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    followed_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (follower_id, followed_id),
    CHECK (follower_id <> followed_id)
);
CREATE INDEX local_follows_followed ON local_follows (followed_id, state, id);
