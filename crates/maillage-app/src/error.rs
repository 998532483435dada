//! The one error of the use cases. Each front end turns it into its own
//! answer once: a JSON body and status for the APIs, a page for the web, a
//! line and an exit code for the CLI.

use maillage_db::{DbError, Outage};

use crate::repeated::RepeatedWarning;
use maillage_federation::{ActorError, FederationError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input cannot be used; `field` names what to fix when one does.
    #[error("{}", invalid_message(.field, .message))]
    Invalid { field: Option<&'static str>, message: String },
    /// Who asks could not be established (an unknown client, a wrong secret).
    #[error("{0}")]
    Unauthenticated(String),
    /// Known, but this identity may not do it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// It clashes with what exists (a handle taken, an address used).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    /// A file (or a quota) is over its limit; the message names it.
    #[error("{0}")]
    TooLarge(String),
    /// The media store cannot be reached for now: try again later.
    /// Nothing was changed.
    #[error("{0}")]
    StoreUnavailable(String),
    /// Another server could not be reached, or its answer not used.
    #[error("{0}")]
    Remote(String),
    /// The database (or another service we use) cannot serve for now:
    /// try again later. Nothing was changed.
    #[error("{}", .0.message())]
    Unavailable(Outage),
    /// Our own failure: the cause is for the log, not for the person.
    #[error("internal error: {0}")]
    Internal(String),
}

fn invalid_message(field: &Option<&'static str>, message: &str) -> String {
    match field {
        Some(field) => format!("{field}: {message}"),
        None => message.to_string(),
    }
}

impl AppError {
    /// `field` holds a value that cannot be used.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: Some(field), message: message.into() }
    }

    /// The request as a whole cannot be used.
    pub fn refused(message: impl Into<String>) -> Self {
        AppError::Invalid { field: None, message: message.into() }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, AppError::Internal(_))
    }
}

/// Every failure of an outage, logged once a minute at most.
pub static DATABASE_OUTAGE: RepeatedWarning = RepeatedWarning::new("the database cannot serve for now");

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            // A rule of the database (a suspended actor, a closed invite…).
            DbError::Refused(message) => AppError::Forbidden(message),
            other => match other.outage() {
                Some(outage) => {
                    DATABASE_OUTAGE.warn(&other);
                    AppError::Unavailable(outage)
                }
                None => AppError::Internal(other.to_string()),
            },
        }
    }
}

impl From<maillage_media::MediaError> for AppError {
    fn from(error: maillage_media::MediaError) -> Self {
        if error.is_too_large() { AppError::TooLarge(error.to_string()) } else { AppError::refused(error.to_string()) }
    }
}

impl From<maillage_storage::StoreError> for AppError {
    fn from(error: maillage_storage::StoreError) -> Self {
        use maillage_storage::StoreError as S;
        match error {
            S::NotFound => AppError::NotFound("no such file".into()),
            S::Unavailable(reason) => {
                tracing::warn!(%reason, "the media store cannot serve for now");
                AppError::StoreUnavailable("the media store is unavailable for a moment; try again shortly".into())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<ActorError> for AppError {
    fn from(error: ActorError) -> Self {
        match error {
            ActorError::Taken(_) => AppError::Conflict(error.to_string()),
            ActorError::Handle(e) => AppError::invalid("username", e.to_string()),
            ActorError::EmptyName => AppError::invalid("name", error.to_string()),
            ActorError::Database(e) => e.into(),
            ActorError::Keys(_) => AppError::Internal(error.to_string()),
        }
    }
}

impl From<FederationError> for AppError {
    fn from(error: FederationError) -> Self {
        use FederationError as F;
        match error {
            F::Invalid(m) | F::UnsupportedMediaType(m) => AppError::refused(m),
            F::Forbidden(m) | F::Unauthorized(m) => AppError::Forbidden(m),
            F::NotFound(m) => AppError::NotFound(m),
            F::Conflict(m) => AppError::Conflict(m),
            F::Actor(e) => e.into(),
            F::Database(e) => e.into(),
            F::Library(_) | F::TimedOut(_) | F::Signature(_) => {
                AppError::Remote(format!("could not resolve that on its server: {error}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_its_field() {
        assert_eq!(AppError::invalid("email", "not an email address").to_string(), "email: not an email address");
        assert_eq!(AppError::refused("no text").to_string(), "no text");
    }

    #[test]
    fn a_refusal_of_the_database_is_not_internal() {
        assert!(matches!(AppError::from(DbError::Refused("suspended".into())), AppError::Forbidden(_)));
        assert!(matches!(AppError::from(DbError::Pool("gone".into())), AppError::Unavailable(Outage::Unreachable)));
    }
}
