DROP TABLE blocks;
DROP TABLE mutes;
