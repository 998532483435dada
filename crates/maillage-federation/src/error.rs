//! The federation error type, and how each failure is answered on the wire.

use axum::http::StatusCode;
use maillage_db::DbError;

use crate::signature::SignatureError;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// Not a `source`: its own message may quote a whole remote body.
    #[error("{}", library_message(.0))]
    Library(activitypub_federation::error::Error),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("HTTP signature refused: {0}")]
    Signature(#[from] SignatureError),
    /// The signature is valid but does not vouch for this activity.
    #[error("{0}")]
    Unauthorized(String),
    /// The document is not a usable ActivityPub document.
    #[error("{0}")]
    Invalid(String),
    /// Known, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Processing took longer than `inbox.processing_timeout_seconds`
    /// (another server was slow to answer): to be retried.
    #[error("{0}")]
    TimedOut(String),
    #[error(transparent)]
    Actor(#[from] crate::actors::ActorError),
}

impl From<activitypub_federation::error::Error> for FederationError {
    fn from(error: activitypub_federation::error::Error) -> Self {
        FederationError::Library(error)
    }
}

/// The library's message, with what another server sent shortened and
/// escaped, and our own wording where the library's would mislead.
fn library_message(error: &activitypub_federation::error::Error) -> String {
    use activitypub_federation::error::Error as Lib;

    use crate::remote_body::{MAX_DOCUMENT_BYTES, excerpt, excerpt_of};
    match error {
        Lib::ParseFetchedObject(parse, url, body) => format!(
            "{} did not answer with a usable document ({}); its answer began with: {}",
            excerpt(url.as_str()),
            excerpt(&parse.to_string()),
            excerpt(body)
        ),
        Lib::ResponseBodyLimit => {
            format!("the answer is larger than {} KiB, the most we read from another server", MAX_DOCUMENT_BYTES / 1024)
        }
        // The library suggests an environment variable that we do not honour.
        Lib::DomainResolveError(domain) => {
            format!("{} resolves to an address that is not public: refused", excerpt(domain))
        }
        Lib::Reqwest(e) => match crate::remote_url::address_refusal(e) {
            Some(refused) => refused.to_string(),
            None => excerpt_of(&e.to_string(), 1000),
        },
        Lib::ReqwestMiddleware(e) => match crate::remote_url::address_refusal(e) {
            Some(refused) => refused.to_string(),
            None => excerpt_of(&e.to_string(), 1000),
        },
        other => excerpt_of(&other.to_string(), 1000),
    }
}

impl FederationError {
    /// A document or request we cannot use, with the reason.
    pub fn invalid(message: impl Into<String>) -> Self {
        FederationError::Invalid(message.into())
    }

    /// The status an inbox answers with. Client mistakes are 4xx with a
    /// reason; only our own failures are 500.
    pub fn status(&self) -> StatusCode {
        use activitypub_federation::error::Error as Lib;
        match self {
            FederationError::Signature(_) | FederationError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            FederationError::Invalid(_) => StatusCode::BAD_REQUEST,
            FederationError::Forbidden(_) => StatusCode::FORBIDDEN,
            FederationError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FederationError::NotFound(_) => StatusCode::NOT_FOUND,
            FederationError::Conflict(_) => StatusCode::CONFLICT,
            FederationError::TimedOut(_) => StatusCode::GATEWAY_TIMEOUT,
            _ if self.outage().is_some() => StatusCode::SERVICE_UNAVAILABLE,
            FederationError::Actor(crate::actors::ActorError::Database(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            FederationError::Actor(_) => StatusCode::UNPROCESSABLE_ENTITY,
            FederationError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
            // Failures to fetch the signing actor: we cannot check the signature.
            FederationError::Library(
                Lib::NotFound
                | Lib::ObjectDeleted(_)
                | Lib::UrlVerificationError(_)
                | Lib::DomainResolveError(_)
                | Lib::ResolveInternalIpError(..)
                | Lib::ParseFetchedObject(..)
                | Lib::RequestLimit
                | Lib::ResponseBodyLimit
                | Lib::WebfingerResolveFailed(_)
                | Lib::Reqwest(_)
                | Lib::ReqwestMiddleware(_)
                | Lib::FetchInvalidContentType(_)
                | Lib::FetchWrongId(_),
            ) => StatusCode::UNAUTHORIZED,
            FederationError::Library(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether a fetch failed because the object is gone at its origin
    /// (deleted, or not found there).
    pub fn is_gone(&self) -> bool {
        use activitypub_federation::error::Error as Lib;
        matches!(self, FederationError::Library(Lib::ObjectDeleted(_) | Lib::NotFound) | FederationError::NotFound(_))
    }

    /// The database outage behind this failure, if that is what it is.
    pub fn outage(&self) -> Option<maillage_db::Outage> {
        match self {
            FederationError::Database(e) | FederationError::Actor(crate::actors::ActorError::Database(e)) => e.outage(),
            _ => None,
        }
    }

    /// Whether the message may be shown to the peer (not our internals).
    pub fn is_internal(&self) -> bool {
        self.status().is_server_error()
    }
}
