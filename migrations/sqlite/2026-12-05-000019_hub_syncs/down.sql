DROP TABLE hub_syncs;
