DROP INDEX local_actors_neq;
ALTER TABLE local_actors DROP COLUMN neq;
