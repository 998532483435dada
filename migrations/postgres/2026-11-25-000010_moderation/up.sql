-- Moderation: the moderator role, remote actors suspended by moderators,
-- and reports (Flag) received from other servers or made by our members.
ALTER TABLE users ADD COLUMN is_moderator BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE remote_actors ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    -- 'incoming' (a Flag from another server) or 'outgoing' (by a member).
    direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    -- The actor id of whoever reports (a remote actor, or our member).
    reporter TEXT NOT NULL,
    -- The reported actor and objects (a JSON array of ids).
    target_actor TEXT,
    object_ids TEXT NOT NULL,
    comment TEXT NOT NULL,
    -- The Flag activity received or sent.
    activity_ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX reports_open ON reports (resolved_at, id);
