ALTER TABLE activities DROP COLUMN object_ap_id;
DROP TABLE directory_listings;
