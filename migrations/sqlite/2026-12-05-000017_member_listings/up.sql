-- A hub also lists an enterprise through its `members` collection
-- ('members'), read when our hub follows it and on demand. SQLite cannot
-- change a CHECK constraint: the table is rebuilt with its rows.
CREATE TABLE directory_listings_next (
    enterprise_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    listed_by_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('announce', 'members')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, listed_by_id, source)
);
INSERT INTO directory_listings_next (enterprise_id, listed_by_id, source, created_at)
SELECT enterprise_id, listed_by_id, source, created_at FROM directory_listings;
DROP TABLE directory_listings;
ALTER TABLE directory_listings_next RENAME TO directory_listings;
CREATE INDEX directory_listings_listed_by ON directory_listings (listed_by_id);
