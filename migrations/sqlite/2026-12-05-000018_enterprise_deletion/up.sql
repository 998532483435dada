-- A deleted enterprise stays as a tombstone: its row keeps the handle
-- reserved and the keys that sign its queued `Delete`; every lookup for
-- the front ends and the collections treats it as gone.
ALTER TABLE local_actors ADD COLUMN deleted_at TIMESTAMP;
