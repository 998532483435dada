-- What a remote actor's collections said of themselves (`totalItems` of its
-- followers, following and outbox), read when its document is fetched;
-- NULL when the server does not say.
ALTER TABLE remote_actors ADD COLUMN followers_count BIGINT;
ALTER TABLE remote_actors ADD COLUMN following_count BIGINT;
ALTER TABLE remote_actors ADD COLUMN statuses_count BIGINT;
