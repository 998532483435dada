-- Where a member stopped reading a timeline (Mastodon's markers): one row
-- per member and timeline, its version counting the saves.
CREATE TABLE markers (
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    timeline TEXT NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor_id, timeline)
);
