DELETE FROM directory_listings WHERE source = 'members';
ALTER TABLE directory_listings DROP CONSTRAINT directory_listings_source_check;
ALTER TABLE directory_listings ADD CONSTRAINT directory_listings_source_check
    CHECK (source IN ('announce'));
