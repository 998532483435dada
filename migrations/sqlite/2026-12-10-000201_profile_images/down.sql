DROP INDEX local_actors_image_key;
DROP INDEX local_actors_icon_key;
ALTER TABLE local_actors DROP COLUMN image_key;
ALTER TABLE local_actors DROP COLUMN icon_key;
