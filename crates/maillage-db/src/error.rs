//! The storage error type seen by other crates.

/// Why a storage operation failed. Messages name the database problem in
/// words a hub admin can act on; they never contain passwords.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the SQLite data directory {path}: {reason}")]
    DataDirectory { path: String, reason: String },
    #[error("cannot open the {backend} database at {target}: {reason}")]
    Connect { backend: &'static str, target: String, reason: String },
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Refused(String),
}

impl DbError {
    /// True when the row asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }

    /// True when a unique constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
        )
    }
}
