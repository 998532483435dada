DELETE FROM directory_listings WHERE source = 'members';
CREATE TABLE directory_listings_next (
    enterprise_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    listed_by_id BIGINT NOT NULL REFERENCES remote_actors (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('announce')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, listed_by_id, source)
);
INSERT INTO directory_listings_next (enterprise_id, listed_by_id, source, created_at)
SELECT enterprise_id, listed_by_id, source, created_at FROM directory_listings;
DROP TABLE directory_listings;
ALTER TABLE directory_listings_next RENAME TO directory_listings;
CREATE INDEX directory_listings_listed_by ON directory_listings (listed_by_id);
