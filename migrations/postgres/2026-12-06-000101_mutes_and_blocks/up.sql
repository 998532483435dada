-- Mutes and blocks of accounts by local actors (Mastodon's mutes and
-- blocks). The account muted or blocked is named by its ActivityPub id,
-- here or on another server, as notifications name who sent them.
-- A mute hides the account's statuses (and its notifications when
-- `notifications`) from the muter, until `expires_at` when given.
CREATE TABLE mutes (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    target_ap_id TEXT NOT NULL,
    notifications BOOLEAN NOT NULL,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (actor_id, target_ap_id)
);
-- A block hides both accounts from each other and ends their follows;
-- `block_json` is the `Block` sent to a remote account (for its `Undo`).
CREATE TABLE blocks (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    target_ap_id TEXT NOT NULL,
    block_json TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (actor_id, target_ap_id)
);
CREATE INDEX blocks_target ON blocks (target_ap_id);
