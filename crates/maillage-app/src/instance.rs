//! The instance itself: which domain its database belongs to. Ids carry
//! the domain and cannot move, so the first start records it and later
//! starts with another `instance.domain` are refused.

use maillage_db::{Database, InstanceSetting};

use crate::AppError;

/// Whose a database is, as its first start recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseOwner {
    /// This domain's (recorded now if it was a new database).
    Ours,
    /// Another domain's: nothing may be done with it here.
    Other(String),
}

/// Records `domain` as the owner of a new database, or tells whose it is.
/// Called at start-up, before the instance exists (no [`crate::App`] yet).
pub async fn claim_database(db: &Database, domain: &str) -> Result<DatabaseOwner, AppError> {
    let stored = db.setting_or_insert(InstanceSetting::Domain, domain).await?;
    Ok(if stored == domain { DatabaseOwner::Ours } else { DatabaseOwner::Other(stored) })
}
