DROP TABLE received_activities;
DROP TABLE deliveries;
DROP TABLE activities;
DROP TABLE follows;
