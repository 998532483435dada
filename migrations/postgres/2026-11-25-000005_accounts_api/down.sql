DROP TABLE oauth_codes;
DROP TABLE oauth_tokens;
DROP TABLE oauth_apps;
ALTER TABLE enterprise_editors DROP COLUMN role;
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN email;
