-- The schedule of the backups `maillage serve` takes by itself
-- (`backup.interval_hours`): one row per schedule, due at `due_at`. A
-- process takes a due row by leasing it, so that several processes over
-- one database take one backup per interval; a lease that ends without an
-- answer (the process stopped) makes the row due again.
CREATE TABLE backup_schedule (
    name TEXT PRIMARY KEY,
    due_at TIMESTAMP NOT NULL,
    leased_until TIMESTAMP,
    last_taken_at TIMESTAMP,
    last_file TEXT,
    last_error TEXT
);
