-- A member's content filters (Mastodon's filters v2): where they apply
-- (context names, space-separated), what they do, until when; and their
-- keywords. Private to the member.
CREATE TABLE filters (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    contexts TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('warn', 'hide')),
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX filters_of_actor ON filters (actor_id, id);
CREATE TABLE filter_keywords (
    id BIGSERIAL PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    whole_word BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX filter_keywords_of_filter ON filter_keywords (filter_id, id);
