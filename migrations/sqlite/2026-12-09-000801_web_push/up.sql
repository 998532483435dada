-- Web Push (RFC 8030/8291/8292).
-- The instance's VAPID key pair (P-256), made once and shared by every
-- process: base64url of the private scalar and of the uncompressed public
-- point, the form clients are given (`vapid_key`). One row.
CREATE TABLE vapid_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    private_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- One subscription per access token (Mastodon's rule): the push service's
-- endpoint, the client's keys (base64url), the alerts it wants (the
-- notification types, comma-separated) and its policy (all, followed,
-- follower, none). `access_token` is the token itself: Mastodon's payload
-- carries it so that a service worker can read the notification; it dies
-- with the token (revoking it removes the row).
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY,
    token_id BIGINT NOT NULL UNIQUE REFERENCES oauth_tokens (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_token TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    alerts TEXT NOT NULL,
    policy TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
-- The durable push queue, a sibling of the mail queue: one row per
-- (notification, subscription) whose alerts and policy match, written in
-- the notification's transaction, claimed with a lease by the push workers
-- of every process. `state` is pending, done or failed.
CREATE TABLE push_queue (
    id INTEGER PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX push_queue_due ON push_queue (state, next_attempt_at);
CREATE INDEX push_queue_subscription ON push_queue (subscription_id);
