DROP INDEX local_actors_kind_username;
DROP INDEX remote_objects_created;
DROP INDEX posts_published;
