-- Follows, the durable outbox and received activities.

-- Follow relationships between a local actor and a remote one.
-- direction 'in': the remote actor follows the local one (a follower);
-- direction 'out': the local actor follows the remote one.
CREATE TABLE follows (
    id INTEGER PRIMARY KEY,
    local_actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    follow_ap_id TEXT NOT NULL,
    follow_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (local_actor_id, remote_actor_id, direction)
);
CREATE INDEX follows_page ON follows (local_actor_id, direction, state, id);
CREATE INDEX follows_remote ON follows (remote_actor_id, direction);
CREATE INDEX follows_activity ON follows (follow_ap_id);

-- Every activity a local actor sends, written in the same transaction as
-- the change that causes it.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activities_outbox ON activities (actor_id, public, id);

-- One row per (activity, target inbox); shared inboxes are deduplicated by
-- the unique constraint. A row is done only after a 2xx.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

-- Activities received in our inboxes, by id: duplicates are ignored.
CREATE TABLE received_activities (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    actor_ap_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    json TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX received_activities_time ON received_activities (received_at);
