-- Indexes for the paged reads that the growth benchmark found scanning:
-- timelines newest first, and the directory in username order.
CREATE INDEX posts_published ON posts (published, id);
CREATE INDEX remote_objects_created ON remote_objects (created_at, id);
CREATE INDEX local_actors_kind_username ON local_actors (kind, username);
