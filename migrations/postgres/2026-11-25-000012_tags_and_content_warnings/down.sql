DROP TABLE remote_object_tags;
DROP TABLE post_tags;
ALTER TABLE posts DROP COLUMN content_warning;
