DROP TABLE reports;
ALTER TABLE remote_actors DROP COLUMN suspended;
ALTER TABLE users DROP COLUMN is_moderator;
