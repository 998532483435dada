-- Announcements the hub's staff write for its members (Mastodon's
-- announcements): shown by apps between `starts_at` and `ends_at` when
-- set, until withdrawn. `text` is what the staff wrote (Markdown),
-- `content` its sanitised HTML.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    content TEXT NOT NULL,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    all_day BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Who has read (dismissed) which announcement.
CREATE TABLE announcement_dismissals (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (announcement_id, user_id)
);
