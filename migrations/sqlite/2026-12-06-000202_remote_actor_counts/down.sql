ALTER TABLE remote_actors DROP COLUMN statuses_count;
ALTER TABLE remote_actors DROP COLUMN following_count;
ALTER TABLE remote_actors DROP COLUMN followers_count;
