-- A member's lists of accounts they follow, private to them. A list's
-- account is one of ours or another server's (exactly one of the two).
CREATE TABLE lists (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    replies_policy TEXT NOT NULL CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX lists_of_actor ON lists (actor_id, id);
CREATE TABLE list_accounts (
    id BIGSERIAL PRIMARY KEY,
    list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    local_actor_id BIGINT REFERENCES local_actors (id) ON DELETE CASCADE,
    remote_actor_id BIGINT REFERENCES remote_actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    CHECK ((local_actor_id IS NULL) <> (remote_actor_id IS NULL)),
    UNIQUE (list_id, local_actor_id),
    UNIQUE (list_id, remote_actor_id)
);
CREATE INDEX list_accounts_local ON list_accounts (local_actor_id);
CREATE INDEX list_accounts_remote ON list_accounts (remote_actor_id);
