-- Hashtag timelines and content warnings.

-- The content warning of an update (sent as the Note's `summary`); a
-- practice's `summary` stays its abstract.
ALTER TABLE posts ADD COLUMN content_warning TEXT;

-- The tag index: which tags the statuses of tag timelines carry, by tag
-- key (maillage_domain::tags::key). It holds only what those timelines
-- show: live public posts, and live remote posts addressed to the public.
-- Each row copies the time the public timeline orders by, so that a page
-- is one range of one index however many statuses there are.
--
-- Not filled here: keys fold Unicode (case, accents, widths) and remote
-- tags are read from the stored JSON, which SQL cannot do alike on both
-- backends. The first start after this migration fills it from Rust
-- (`maillage_federation::tag_index`).
CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    published TIMESTAMP NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX post_tags_timeline ON post_tags (tag, published, post_id);

CREATE TABLE remote_object_tags (
    remote_object_id BIGINT NOT NULL REFERENCES remote_objects (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (remote_object_id, tag)
);
CREATE INDEX remote_object_tags_timeline ON remote_object_tags (tag, created_at, remote_object_id);
