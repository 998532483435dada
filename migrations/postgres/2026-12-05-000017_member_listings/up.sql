-- A hub also lists an enterprise through its `members` collection
-- ('members'), read when our hub follows it and on demand.
ALTER TABLE directory_listings DROP CONSTRAINT directory_listings_source_check;
ALTER TABLE directory_listings ADD CONSTRAINT directory_listings_source_check
    CHECK (source IN ('announce', 'members'));
