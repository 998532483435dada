-- The inbox is a queue: a verified activity is stored (raw JSON and its
-- verified actor) before we answer 202, then processed by a worker. Rows
-- received before this migration were processed at once: they are 'done'.
ALTER TABLE received_activities ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE received_activities ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE received_activities ADD COLUMN next_attempt_at TIMESTAMP;
ALTER TABLE received_activities ADD COLUMN lease_until TIMESTAMP;
ALTER TABLE received_activities ADD COLUMN last_error TEXT;
CREATE INDEX received_activities_pending ON received_activities (next_attempt_at) WHERE state = 'pending';

-- What the hub's staff decided about other servers: 'block' (nothing in or
-- out) or 'allow' (listed for allow-list mode).
CREATE TABLE domain_policies (
    domain TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    public_comment TEXT,
    created_at TIMESTAMP NOT NULL
);

-- How other servers answer our deliveries: the circuit breaker's memory.
CREATE TABLE domain_health (
    domain TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since TIMESTAMP,
    unreachable_since TIMESTAMP,
    next_probe_at TIMESTAMP,
    last_error TEXT,
    updated_at TIMESTAMP NOT NULL
);
