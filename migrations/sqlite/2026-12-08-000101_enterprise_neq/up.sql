-- The Québec enterprise number (NEQ, 10 digits) of a local enterprise,
-- copied from its profile so that no two live enterprises share one: the
-- import matches its lines to enterprises by it. A deleted enterprise's
-- tombstone keeps it but no longer holds it.
ALTER TABLE local_actors ADD COLUMN neq TEXT;
CREATE UNIQUE INDEX local_actors_neq ON local_actors (neq) WHERE neq IS NOT NULL AND deleted_at IS NULL;
