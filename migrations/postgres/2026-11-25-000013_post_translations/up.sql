-- An update may carry a second language: {"en": "<p>...</p>"}, sent in
-- the Note's contentMap beside its own language.
ALTER TABLE posts ADD COLUMN translations_json TEXT NOT NULL DEFAULT '{}';
