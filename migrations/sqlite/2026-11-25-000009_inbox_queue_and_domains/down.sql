DROP TABLE domain_health;
DROP TABLE domain_policies;
DROP INDEX received_activities_pending;
ALTER TABLE received_activities DROP COLUMN last_error;
ALTER TABLE received_activities DROP COLUMN lease_until;
ALTER TABLE received_activities DROP COLUMN next_attempt_at;
ALTER TABLE received_activities DROP COLUMN attempts;
ALTER TABLE received_activities DROP COLUMN state;
