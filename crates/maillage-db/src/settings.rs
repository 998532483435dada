//! Instance settings: small key/value facts about this instance that must
//! outlive a configuration change (for example the domain it was created with).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::instance_settings;
use crate::{Database, DbError, UtcTime};

/// Keys of [`Database::setting`]; stable, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceSetting {
    /// The `instance.domain` the database was first used with.
    Domain,
    /// The version of the tag index once it has been built from the posts
    /// stored before it existed.
    TagIndex,
    /// Set once the addressees of posts stored before they were kept apart
    /// have been read from their mentions.
    PostAddressees,
    /// When a health check last wrote: proof that the database can write.
    HealthProbe,
}

impl InstanceSetting {
    fn key(&self) -> &'static str {
        match self {
            InstanceSetting::Domain => "domain",
            InstanceSetting::TagIndex => "tag_index",
            InstanceSetting::PostAddressees => "post_addressees",
            InstanceSetting::HealthProbe => "health_probe",
        }
    }
}

/// Below this much free space on the SQLite file's filesystem, the
/// database is reported as unable to write.
pub const MIN_FREE_DISK_BYTES: u64 = 1 << 20;

impl Database {
    /// Writes one small row, as any change would: fails when the database
    /// cannot write (a full disk, a read-only file, a lock held elsewhere).
    /// On SQLite, also fails when the disk is all but full: a small write
    /// can still fit in the write-ahead log when a post no longer does.
    pub async fn probe_write(&self) -> Result<(), DbError> {
        self.set_setting(InstanceSetting::HealthProbe, &UtcTime::now().as_datetime().to_rfc3339()).await?;
        match self.free_disk_bytes() {
            Some(free_bytes) if free_bytes < MIN_FREE_DISK_BYTES => Err(DbError::DiskFull { free_bytes }),
            _ => Ok(()),
        }
    }

    pub async fn setting(&self, setting: InstanceSetting) -> Result<Option<String>, DbError> {
        let mut conn = self.conn().await?;
        let value = with_conn!(&mut conn, |c| instance_settings::table
            .find(setting.key())
            .select(instance_settings::value)
            .first::<String>(c)
            .await
            .optional())?;
        Ok(value)
    }

    pub async fn set_setting(&self, setting: InstanceSetting, value: &str) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::key.eq(setting.key()),
                instance_settings::value.eq(value),
                instance_settings::updated_at.eq(now),
            ))
            .on_conflict(instance_settings::key)
            .do_update()
            .set((instance_settings::value.eq(value), instance_settings::updated_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Stores `value` unless the setting already has one; returns the value
    /// that is stored afterwards (the first writer wins, on both backends).
    pub async fn setting_or_insert(&self, setting: InstanceSetting, value: &str) -> Result<String, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::key.eq(setting.key()),
                instance_settings::value.eq(value),
                instance_settings::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        drop(conn);
        self.setting(setting).await?.ok_or_else(|| DbError::Refused("setting vanished after insert".into()))
    }
}
