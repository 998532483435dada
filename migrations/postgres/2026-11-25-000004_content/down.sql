DROP TABLE featured;
DROP TABLE reshares;
DROP TABLE reactions;
DROP TABLE remote_objects;
DROP TABLE posts;
DROP TABLE enterprise_editors;
ALTER TABLE remote_actors DROP COLUMN profile_json;
ALTER TABLE local_actors DROP COLUMN profile_json;
