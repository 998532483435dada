//! Fetching a picture someone named by URL (an enterprise's logo given as
//! an address) once, to store it as ours: through the one outgoing client
//! (the address rules before and while connecting, no redirects), the
//! domain policies, and a size cap. What the bytes are is decided by the
//! caller's sniffing, never by the answer's `Content-Type`.

use url::Url;

use crate::context::Context;
use crate::remote_body::{BodyError, excerpt, read_capped};
use crate::remote_url::address_refusal;

/// Why a picture could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum PictureFetchError {
    /// The address is not one we may fetch (not http(s), a private
    /// address, a server we do not federate with): nothing was sent.
    #[error("{0}")]
    Refused(String),
    /// The server did not answer, or not with a picture we can read.
    #[error("{0}")]
    Unreachable(String),
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {error}")]
    Body { url: String, error: BodyError },
}

impl PictureFetchError {
    /// Whether the answer was too large (a limit, not an outage).
    pub fn is_too_large(&self) -> bool {
        matches!(self, PictureFetchError::Body { error: BodyError::TooLarge { .. }, .. })
    }
}

/// The body of a GET of `url`, at most `limit` bytes.
pub async fn fetch_picture(ctx: &Context, url: &str, limit: usize) -> Result<Vec<u8>, PictureFetchError> {
    let shown = excerpt(url);
    let parsed = Url::parse(url.trim()).map_err(|_| PictureFetchError::Refused(format!("{shown} is not a URL")))?;
    if let Some(reason) = ctx.policies.url_refusal(&parsed).await {
        return Err(PictureFetchError::Refused(reason));
    }
    let request = ctx.client.get(parsed).map_err(|refusal| PictureFetchError::Refused(refusal.to_string()))?;
    let response = request.header("accept", "image/*").send().await.map_err(|error| match address_refusal(&error) {
        Some(refused) => PictureFetchError::Refused(refused.to_string()),
        None => {
            PictureFetchError::Unreachable(format!("{shown} could not be fetched: {}", excerpt(&error.to_string())))
        }
    })?;
    if !response.status().is_success() {
        return Err(PictureFetchError::Status { url: shown, status: response.status().as_u16() });
    }
    read_capped(response, limit).await.map_err(|error| PictureFetchError::Body { url: shown, error })
}
