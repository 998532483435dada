-- The durable mail queue: a message is written, rendered, in the same
-- transaction as the change that causes it, then sent over SMTP by the
-- workers of every `maillage serve` process, which claim due rows with a
-- lease (as deliveries) and mark a row done only once the server took it.
-- `state` is pending, done or failed (a permanent refusal, or given up).
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX mail_queue_due ON mail_queue (state, next_attempt_at);
