ALTER TABLE posts DROP COLUMN translations_json;
