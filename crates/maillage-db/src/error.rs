//! The storage error type seen by other crates.

/// Why a storage operation failed. Messages name the database problem in
/// words a hub admin can act on; they never contain passwords.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the SQLite data directory {path}: {reason}")]
    DataDirectory { path: String, reason: String },
    #[error("cannot open the {backend} database at {target}: {reason}")]
    Connect { backend: &'static str, target: String, reason: String },
    /// TLS to PostgreSQL was refused or failed: `sslmode`/`sslrootcert`
    /// or the server's certificate to fix, not an outage.
    #[error(
        "cannot open a TLS connection to the postgres database at {target}: {reason} \
         (check sslmode and sslrootcert in database.url)"
    )]
    Tls { target: String, reason: String },
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Refused(String),
    /// The SQLite file's filesystem has almost no room left: writes are
    /// about to fail, if they do not already.
    #[error("the disk holding the database has {free_bytes} bytes free")]
    DiskFull { free_bytes: u64 },
}

/// Why the database cannot serve for now: an outage, not a fault of the
/// request or a bug. Front ends answer it with "try again later" (503 and
/// `Retry-After`, exit code 75), and it passes by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The database cannot be reached (PostgreSQL stopped or restarting,
    /// the network down, every connection busy).
    Unreachable,
    /// It answers but cannot write: the disk is full, the file is read-only
    /// or locked by another program.
    NotWritable,
}

impl Outage {
    /// How long clients and other servers are asked to wait before trying
    /// again (`Retry-After`): most outages are a restart or a moment of
    /// full disk.
    pub const RETRY_AFTER_SECONDS: u64 = 10;

    /// A stable name for clients and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outage::Unreachable => "database_unreachable",
            Outage::NotWritable => "database_not_writable",
        }
    }

    /// What people are told.
    pub fn message(self) -> &'static str {
        match self {
            Outage::Unreachable => "the database is unavailable for a moment; try again shortly",
            Outage::NotWritable => "the database cannot save anything for a moment; try again shortly",
        }
    }
}

/// What SQLite and PostgreSQL say when they cannot write: SQLITE_FULL,
/// SQLITE_READONLY, SQLITE_BUSY, SQLITE_IOERR; PostgreSQL's "could not
/// extend file", ENOSPC, a read-only transaction or server.
const NOT_WRITABLE: &[&str] = &[
    "database or disk is full",
    "attempt to write a readonly database",
    "database is locked",
    "disk i/o error",
    "no space left on device",
    "could not extend file",
    "could not write",
    "read-only transaction",
];

/// What PostgreSQL says of a connection that ended or a server that is
/// not accepting queries. The driver's own failures (a connection closed
/// under a query, a socket error) come as `UnableToSendCommand` with its
/// words: "connection closed", "error communicating with the server".
const UNREACHABLE: &[&str] = &[
    "connection closed",
    "error communicating with the server",
    "server closed the connection",
    "terminating connection",
    "connection to server",
    "the database system is",
    "broken pipe",
    "connection reset",
    "does not allow connections",
    "connection refused",
];

impl DbError {
    /// The outage this failure is, if it is one (and not a bug or a refusal).
    pub fn outage(&self) -> Option<Outage> {
        let said = |message: &str, list: &[&str]| {
            let message = message.to_ascii_lowercase();
            list.iter().any(|known| message.contains(known))
        };
        match self {
            DbError::Connect { .. } | DbError::Pool(_) => Some(Outage::Unreachable),
            DbError::DiskFull { .. } => Some(Outage::NotWritable),
            DbError::Query(diesel::result::Error::DatabaseError(kind, info)) => {
                use diesel::result::DatabaseErrorKind as K;
                if matches!(kind, K::ClosedConnection) || said(info.message(), UNREACHABLE) {
                    Some(Outage::Unreachable)
                } else if matches!(kind, K::ReadOnlyTransaction) || said(info.message(), NOT_WRITABLE) {
                    Some(Outage::NotWritable)
                } else {
                    None
                }
            }
            DbError::Query(diesel::result::Error::BrokenTransactionManager) => Some(Outage::Unreachable),
            _ => None,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(Error::DatabaseError(kind, Box::new(message.to_string())))
    }

    #[test]
    fn outages_are_told_from_faults() {
        use DatabaseErrorKind::{ClosedConnection, UnableToSendCommand, UniqueViolation, Unknown};
        let cases = [
            (database_error(Unknown, "database or disk is full"), Some(Outage::NotWritable)),
            (database_error(Unknown, "attempt to write a readonly database"), Some(Outage::NotWritable)),
            (database_error(Unknown, "database is locked"), Some(Outage::NotWritable)),
            (
                database_error(Unknown, "could not extend file \"base/1/2\": No space left on device"),
                Some(Outage::NotWritable),
            ),
            (database_error(ClosedConnection, "connection closed"), Some(Outage::Unreachable)),
            // What diesel-async makes of tokio-postgres's `Closed` and `Io` errors.
            (database_error(UnableToSendCommand, "connection closed"), Some(Outage::Unreachable)),
            (
                database_error(UnableToSendCommand, "error communicating with the server: broken pipe"),
                Some(Outage::Unreachable),
            ),
            (database_error(UnableToSendCommand, "error serializing parameter 0"), None),
            (database_error(Unknown, "terminating connection due to administrator command"), Some(Outage::Unreachable)),
            (database_error(Unknown, "FATAL: the database system is shutting down"), Some(Outage::Unreachable)),
            (DbError::Pool("timed out".into()), Some(Outage::Unreachable)),
            (
                DbError::Connect { backend: "postgres", target: "db".into(), reason: "refused".into() },
                Some(Outage::Unreachable),
            ),
            (database_error(UniqueViolation, "duplicate key"), None),
            (database_error(Unknown, "no such column: x"), None),
            (DbError::Query(Error::NotFound), None),
            (DbError::Refused("suspended".into()), None),
        ];
        for (error, outage) in cases {
            assert_eq!(error.outage(), outage, "{error}");
        }
    }
}
