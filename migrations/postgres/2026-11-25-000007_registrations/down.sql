DROP TABLE idempotency_keys;
DROP TABLE invites;
ALTER TABLE users DROP COLUMN approved;
