//! The one capped fetch of a file another server holds, through the one
//! outgoing client (the address rules before each request and while
//! connecting, each redirect's target checked before it is followed) and a
//! size cap: an enterprise's logo named by URL, fetched once to store it as
//! ours ([`fetch_picture`]: the domain policies too, no redirects), and the
//! files of remote posts and actors (`remote_media::fetch_file`). What the
//! bytes are is decided by the caller's sniffing, never by the answer's
//! `Content-Type`.

use std::time::SystemTime;

use http::Method;
use maillage_db::LocalActor;
use url::Url;

use crate::context::Context;
use crate::remote_body::{BodyError, excerpt, read_capped};
use crate::remote_url::address_refusal;
use crate::signature::sign_on_pool;
use crate::urls::Urls;

/// Why a file could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum PictureFetchError {
    /// The address is not one we may fetch (not http(s), a private
    /// address, a server we do not federate with, a redirect nowhere or
    /// too many): nothing more was sent.
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

/// How [`fetch_capped`] asks.
#[derive(Debug, Default)]
pub(crate) struct CappedFetch<'a> {
    /// At most this many bytes are read.
    pub limit: usize,
    /// Redirects followed (each target checked); 0: a redirect is an answer.
    pub redirects: usize,
    /// The `Accept` header, if any.
    pub accept: Option<&'static str>,
    /// Signs each request to the first URL's origin as this local actor
    /// (its keys made first when it has none).
    pub signer: Option<&'a LocalActor>,
}

/// The body of a GET of `url`, as `how` says.
pub(crate) async fn fetch_capped(ctx: &Context, url: Url, how: CappedFetch<'_>) -> Result<Vec<u8>, PictureFetchError> {
    let origin = url.origin();
    let mut url = url;
    let signer = match how.signer {
        Some(actor) => Some(
            crate::actors::ensure_keys(&ctx.db, actor.clone())
                .await
                .map_err(|error| PictureFetchError::Unreachable(format!("cannot sign the fetch: {error}")))?,
        ),
        None => None,
    };
    for _ in 0..=how.redirects {
        let shown = excerpt(url.as_str());
        let mut request =
            ctx.client.get(url.clone()).map_err(|refusal| PictureFetchError::Refused(refusal.to_string()))?;
        if let Some(accept) = how.accept {
            request = request.header("accept", accept);
        }
        if let Some(actor) = signer.as_ref().filter(|_| url.origin() == origin) {
            let headers = sign_on_pool(
                Method::GET,
                url.clone(),
                None,
                Urls::key_id(&actor.ap_id),
                actor.private_key_pem.clone(),
                SystemTime::now(),
            )
            .await
            .map_err(|error| PictureFetchError::Unreachable(format!("cannot sign the fetch: {error}")))?;
            request = request.headers(headers);
        }
        let response = request.send().await.map_err(|error| match address_refusal(&error) {
            Some(refused) => PictureFetchError::Refused(refused.to_string()),
            None => {
                PictureFetchError::Unreachable(format!("{shown} could not be fetched: {}", excerpt(&error.to_string())))
            }
        })?;
        let status = response.status();
        if status.is_redirection() && how.redirects > 0 {
            url = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| PictureFetchError::Refused(format!("{shown} redirects nowhere")))?;
            continue;
        }
        if !status.is_success() {
            return Err(PictureFetchError::Status { url: shown, status: status.as_u16() });
        }
        return read_capped(response, how.limit).await.map_err(|error| PictureFetchError::Body { url: shown, error });
    }
    Err(PictureFetchError::Refused(format!("more than {} redirects", how.redirects)))
}

/// The body of a GET of `url`, at most `limit` bytes: a picture someone
/// named, from a server our domain policies let us reach.
pub async fn fetch_picture(ctx: &Context, url: &str, limit: usize) -> Result<Vec<u8>, PictureFetchError> {
    let shown = excerpt(url);
    let parsed = Url::parse(url.trim()).map_err(|_| PictureFetchError::Refused(format!("{shown} is not a URL")))?;
    if let Some(reason) = ctx.policies.url_refusal(&parsed).await {
        return Err(PictureFetchError::Refused(reason));
    }
    fetch_capped(ctx, parsed, CappedFetch { limit, accept: Some("image/*"), ..CappedFetch::default() }).await
}
