ALTER TABLE users DROP COLUMN email_verified_at;
DROP TABLE enterprise_contacts;
DROP TABLE email_links;
