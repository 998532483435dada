ALTER TABLE local_actors DROP COLUMN deleted_at;
