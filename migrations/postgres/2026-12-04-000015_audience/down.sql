DROP TABLE local_follows;
DROP INDEX posts_visibility;
DROP TABLE post_addressees;
DROP TABLE remote_object_addressees;
DROP INDEX remote_objects_visibility;
ALTER TABLE remote_objects DROP COLUMN visibility;
