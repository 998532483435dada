-- Single-use links sent by e-mail: to claim an enterprise's profile
-- (`claim`, with the enterprise), to confirm one's address (`verify`) and
-- to choose a new password (`reset`), both with the account. Only the
-- SHA-256 of the secret in the link is kept; `used_at` is set when it is
-- followed, so that it works once.
CREATE TABLE email_links (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    enterprise_id BIGINT REFERENCES local_actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    used_by BIGINT
);
-- An enterprise's contact address: private (never federated, exported or
-- shown but to its editors and the staff), hence a table of its own that
-- no profile read joins.
CREATE TABLE enterprise_contacts (
    enterprise_id BIGINT PRIMARY KEY REFERENCES local_actors (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- When the account's address was confirmed by a link sent to it; a
-- password reset goes only to a confirmed address.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
