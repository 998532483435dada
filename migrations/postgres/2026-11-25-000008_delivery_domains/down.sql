DROP INDEX deliveries_domain;
ALTER TABLE deliveries DROP COLUMN domain;
