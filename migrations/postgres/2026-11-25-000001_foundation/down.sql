DROP TABLE remote_actors;
DROP TABLE local_actors;
DROP TABLE instance_settings;
