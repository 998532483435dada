-- Foundation tables (SQLite). Keep in step with ../../postgres/, same names.
-- Portable types only: INTEGER PRIMARY KEY ids, TEXT for URLs and JSON,
-- TIMESTAMP holding UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' written by the app.

-- Key/value settings of this instance (e.g. the domain it was created with).
CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Every actor this instance publishes: instance actor, hub, enterprises,
-- members. One username namespace, enforced by the unique index.
CREATE TABLE local_actors (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('instance', 'hub', 'enterprise', 'member')),
    username TEXT NOT NULL UNIQUE,
    ap_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX local_actors_kind ON local_actors (kind, id);

-- Cache of actors fetched from other servers.
CREATE TABLE remote_actors (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    actor_type TEXT NOT NULL,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT,
    summary TEXT,
    url TEXT,
    icon_url TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    raw_json TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_actors_handle ON remote_actors (username, domain);
CREATE INDEX remote_actors_domain ON remote_actors (domain, id);
