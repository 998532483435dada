-- The server (host[:port]) of each delivery's inbox, for status and
-- per-server handling.
ALTER TABLE deliveries ADD COLUMN domain TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_domain ON deliveries (domain, state);
