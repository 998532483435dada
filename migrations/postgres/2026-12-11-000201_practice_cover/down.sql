DELETE FROM media WHERE role = 'cover';
ALTER TABLE media DROP COLUMN role;
