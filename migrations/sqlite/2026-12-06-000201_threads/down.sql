DROP TABLE post_applications;
DROP INDEX remote_objects_in_reply_to;
DROP INDEX posts_in_reply_to;
