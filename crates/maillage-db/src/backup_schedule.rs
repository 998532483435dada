//! When the next scheduled backup is due: a durable schedule shared by
//! every process over the database. A process takes a due schedule with a
//! lease (a row, not an advisory lock: the row also remembers when the
//! last backup was taken, so that several processes, or one restarted,
//! take one backup per interval, not one each); a lease that runs out
//! unanswered (the process stopped) makes it due again.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::backup_schedule;
use crate::{Database, DbError, UtcTime};

/// A schedule's state, as operators see it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = backup_schedule)]
pub struct BackupSchedule {
    pub name: String,
    pub due_at: UtcTime,
    pub leased_until: Option<UtcTime>,
    pub last_taken_at: Option<UtcTime>,
    pub last_file: Option<String>,
    pub last_error: Option<String>,
}

impl Database {
    /// Takes the schedule `name` when it is due at `now` and no other
    /// process holds it, until `now + lease_seconds`. A schedule seen for
    /// the first time is due at once. True when this process has it.
    pub async fn claim_backup(&self, name: &str, now: UtcTime, lease_seconds: i64) -> Result<bool, DbError> {
        let until = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(lease_seconds));
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::insert_into(backup_schedule::table)
            .values((backup_schedule::name.eq(name), backup_schedule::due_at.eq(now)))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        let free = backup_schedule::leased_until.is_null().or(backup_schedule::leased_until.le(now));
        // The update's own condition decides between processes claiming at once.
        let taken = with_conn!(&mut conn, |c| diesel::update(
            backup_schedule::table
                .filter(backup_schedule::name.eq(name))
                .filter(backup_schedule::due_at.le(now))
                .filter(free)
        )
        .set(backup_schedule::leased_until.eq(until))
        .execute(c)
        .await)?;
        Ok(taken == 1)
    }

    /// Ends this process's lease of `name`. Taken: `file` was written at
    /// `now` and the schedule is next due at `next`. Failed: it stays due,
    /// for the next attempt of any process, with `error` kept.
    pub async fn finish_backup(
        &self,
        name: &str,
        now: UtcTime,
        outcome: Result<(&str, UtcTime), &str>,
    ) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let row = backup_schedule::table.filter(backup_schedule::name.eq(name));
        with_conn!(&mut conn, |c| match outcome {
            Ok((file, next)) =>
                diesel::update(row)
                    .set((
                        backup_schedule::due_at.eq(next),
                        backup_schedule::leased_until.eq(None::<UtcTime>),
                        backup_schedule::last_taken_at.eq(Some(now)),
                        backup_schedule::last_file.eq(Some(file)),
                        backup_schedule::last_error.eq(None::<String>),
                    ))
                    .execute(c)
                    .await,
            Err(error) =>
                diesel::update(row)
                    .set((
                        backup_schedule::leased_until.eq(None::<UtcTime>),
                        backup_schedule::last_error.eq(Some(error)),
                    ))
                    .execute(c)
                    .await,
        })?;
        Ok(())
    }

    /// The schedule `name`, if a process has taken it once.
    pub async fn backup_schedule(&self, name: &str) -> Result<Option<BackupSchedule>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| backup_schedule::table
            .filter(backup_schedule::name.eq(name))
            .select(BackupSchedule::as_select())
            .first(c)
            .await
            .optional())?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Duration;

    use crate::UtcTime;
    use crate::testing::TestDatabase;

    fn at(start: UtcTime, seconds: i64) -> UtcTime {
        UtcTime::from(start.as_datetime() + Duration::seconds(seconds))
    }

    async fn database() -> (TestDatabase, crate::Database) {
        let test = TestDatabase::create().await.unwrap();
        let config = maillage_config::DatabaseConfig {
            url: test.url().to_string(),
            max_connections: 4,
            connect_timeout_seconds: 5,
        };
        let db = crate::Database::connect(&config).await.unwrap();
        db.migrate().await.unwrap();
        (test, db)
    }

    #[tokio::test]
    async fn one_process_at_a_time_takes_a_due_backup() {
        let (_test, db) = database().await;
        // A second handle stands for a second process over the same database.
        let other = crate::Database::connect(&maillage_config::DatabaseConfig {
            url: _test.url().to_string(),
            max_connections: 2,
            connect_timeout_seconds: 5,
        })
        .await
        .unwrap();
        let start = UtcTime::now();
        assert!(db.claim_backup("scheduled", start, 600).await.unwrap(), "due at once the first time");
        assert!(!other.claim_backup("scheduled", at(start, 1), 600).await.unwrap(), "leased by the first");
        assert!(!db.claim_backup("scheduled", at(start, 1), 600).await.unwrap(), "not twice by the same either");
        db.finish_backup("scheduled", at(start, 2), Ok(("b1.sqlite3", at(start, 3602)))).await.unwrap();
        assert!(!other.claim_backup("scheduled", at(start, 3), 600).await.unwrap(), "taken for this interval");
        assert!(other.claim_backup("scheduled", at(start, 3602), 600).await.unwrap(), "due at the next interval");
        let schedule = db.backup_schedule("scheduled").await.unwrap().unwrap();
        assert_eq!(schedule.last_file.as_deref(), Some("b1.sqlite3"));
        assert_eq!(schedule.last_taken_at, Some(at(start, 2)));
        assert_eq!(schedule.leased_until, Some(at(start, 4202)));
    }

    #[tokio::test]
    async fn a_failed_or_abandoned_backup_is_due_again() {
        let (_test, db) = database().await;
        let start = UtcTime::now();
        assert!(db.claim_backup("scheduled", start, 600).await.unwrap());
        db.finish_backup("scheduled", at(start, 1), Err("disk full")).await.unwrap();
        let schedule = db.backup_schedule("scheduled").await.unwrap().unwrap();
        assert_eq!(schedule.last_error.as_deref(), Some("disk full"));
        assert!(db.claim_backup("scheduled", at(start, 2), 600).await.unwrap(), "retried at the next tick");
        // The process holding it stops without answering: another takes it once the lease ends.
        assert!(!db.claim_backup("scheduled", at(start, 601), 600).await.unwrap());
        assert!(db.claim_backup("scheduled", at(start, 602), 600).await.unwrap());
    }
}
