-- Threads: the replies to a post are found by what they answer, from our
-- posts and from those stored from other servers.
CREATE INDEX posts_in_reply_to ON posts (in_reply_to);
CREATE INDEX remote_objects_in_reply_to ON remote_objects (in_reply_to);
-- The OAuth application a post was published with (Mastodon's
-- `application` of a status), when it was published through the API.
CREATE TABLE post_applications (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    app_id BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE
);
