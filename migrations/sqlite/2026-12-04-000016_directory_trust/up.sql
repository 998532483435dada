-- The network directory lists only the remote enterprises this hub has
-- reason to trust, and the outbox knows which post each activity carries.

-- Who lists a remote enterprise: a remote actor (a hub we follow) that
-- vouched for it. `source` says how: 'announce' (the hub announced its
-- content or relayed its profile). An enterprise is in the directory while
-- one of the actors listing it is followed (accepted) by our hub.
CREATE TABLE directory_listings (
    enterprise_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    listed_by_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('announce')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, listed_by_id, source)
);
CREATE INDEX directory_listings_listed_by ON directory_listings (listed_by_id);

-- Enterprises already in the directory stay there only when they are on
-- the server of a hub our hub follows; any other (fetched because some
-- server made us, e.g. by naming it as the actor of a badly signed POST)
-- is no longer listed. Actor rows are kept: other rows may refer to them.
INSERT INTO directory_listings (enterprise_id, listed_by_id, source, created_at)
SELECT DISTINCT enterprise.id, hub.id, 'announce', enterprise.fetched_at
FROM remote_actors enterprise
JOIN remote_actors hub ON hub.domain = enterprise.domain
JOIN follows ON follows.remote_actor_id = hub.id AND follows.direction = 'out' AND follows.state = 'accepted'
JOIN local_actors ON local_actors.id = follows.local_actor_id AND local_actors.kind = 'hub'
WHERE enterprise.profile_json IS NOT NULL;

-- The id of the post whose content an activity carries or names (Create,
-- Update, Announce of an object, or of a Create/Update of it); NULL for
-- every other activity. Deleted posts leave the outbox through it.
ALTER TABLE activities ADD COLUMN object_ap_id TEXT;
UPDATE activities SET object_ap_id = CASE json_type(json, '$.object')
    WHEN 'text' THEN json_extract(json, '$.object')
    WHEN 'object' THEN CASE
        WHEN json_extract(json, '$.object.type') IN ('Create', 'Update') THEN CASE json_type(json, '$.object.object')
            WHEN 'text' THEN json_extract(json, '$.object.object')
            WHEN 'object' THEN json_extract(json, '$.object.object.id')
        END
        WHEN json_extract(json, '$.object.type') IN ('Delete', 'Undo', 'Tombstone', 'Announce') THEN NULL
        ELSE json_extract(json, '$.object.id')
    END
END
WHERE kind IN ('Create', 'Update', 'Announce') AND json_valid(json);
