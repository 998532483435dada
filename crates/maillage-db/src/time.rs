//! UTC timestamps that mean the same on both backends.
//!
//! Columns are SQL `TIMESTAMP` (no time zone) on both databases and always
//! hold UTC written from Rust. Values are truncated to microseconds, the
//! precision of PostgreSQL, so that a value round-trips equal on both.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;
use diesel::{FromSqlRow, backend::Backend};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Timestamp)]
pub struct UtcTime(DateTime<Utc>);

impl UtcTime {
    pub fn now() -> Self {
        Self::from(Utc::now())
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for UtcTime {
    fn from(value: DateTime<Utc>) -> Self {
        UtcTime(value.trunc_subsecs(6))
    }
}

impl From<UtcTime> for DateTime<Utc> {
    fn from(value: UtcTime) -> Self {
        value.0
    }
}

impl<DB: Backend> FromSql<Timestamp, DB> for UtcTime
where
    NaiveDateTime: FromSql<Timestamp, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(UtcTime(NaiveDateTime::from_sql(bytes)?.and_utc()))
    }
}

impl ToSql<Timestamp, Pg> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let naive = self.0.naive_utc();
        <NaiveDateTime as ToSql<Timestamp, Pg>>::to_sql(&naive, &mut out.reborrow())
    }
}

impl ToSql<Timestamp, Sqlite> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        // One fixed text shape, so that SQLite's textual ordering is time order.
        out.set_value(self.0.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string());
        Ok(IsNull::No)
    }
}
