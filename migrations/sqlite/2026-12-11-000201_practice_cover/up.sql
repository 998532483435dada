-- What an upload is to the post it is attached to: one of its
-- `attachment`s (in `position` order) or a practice's cover picture (its
-- `image`, at most one per post, `position` NULL). A cover is a `media` row
-- like any attachment: counted in its uploader's quota, served through the
-- post's audience, deleted with the post; replacing it deletes the old one.
ALTER TABLE media ADD COLUMN role TEXT NOT NULL DEFAULT 'attachment';
