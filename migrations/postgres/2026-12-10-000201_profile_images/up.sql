-- The pictures of a local actor (a member's avatar and header, an
-- enterprise's logo and banner): the media-store key of the stored file,
-- public and named unguessably (`p/<32 random hex>/icon.jpg`). NULL: the
-- default image. One file per slot; replacing it deletes the old file.
ALTER TABLE local_actors ADD COLUMN icon_key TEXT;
ALTER TABLE local_actors ADD COLUMN image_key TEXT;
CREATE UNIQUE INDEX local_actors_icon_key ON local_actors (icon_key);
CREATE UNIQUE INDEX local_actors_image_key ON local_actors (image_key);
