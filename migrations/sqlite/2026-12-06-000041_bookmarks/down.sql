DROP INDEX reactions_of_actor;
DROP TABLE bookmarks;
