//! Maillage on the wire: everything that speaks ActivityPub.
//!
//! This is the only crate that imports `activitypub_federation`. It owns the
//! URLs we mint ([`urls`]), local actors' keys and creation ([`actors`]),
//! their documents and collections, discovery (WebFinger, host-meta,
//! NodeInfo), HTTP signatures ([`signature`]), the inboxes ([`inbox`]) and
//! what received activities are and their wire checks ([`inbound`]; their
//! effects are the use-case layer's, given as [`inbound::Effects`]), sent follows
//! ([`activities`]) and the delivery worker that drains the durable outbox.

pub mod activities;
mod actor_object;
pub mod actors;
pub mod audience_backfill;
mod authorized_fetch;
mod client;
pub mod collections;
pub mod content;
mod context;
pub mod crypto;
pub mod delivery;
pub mod documents;
mod error;
pub mod inbound;
pub mod inbox;
mod inbox_queue;
pub mod metrics;
pub mod negotiation;
pub mod objects;
pub mod picture_fetch;
pub mod policy;
pub mod remote_body;
pub mod remote_media;

pub mod remote_url;
mod routes;
pub mod signature;
pub mod tag_index;
pub mod urls;
pub mod web_push;
pub mod webfinger;

pub use actors::ActorError;
pub use authorized_fetch::reader_of as signed_reader;
pub use client::{ClientError, OutgoingClient, user_agent};
pub use context::{Context, ContextParts, Federation};
pub use error::FederationError;
pub use routes::{FederationState, PAGE_SIZE, router};

/// The project's shared material (signature vectors, captures of other
/// servers), which sits beside the repository as `shared/` for developers
/// and CI (`MAILLAGE_SHARED_DIR` names another place). Tests that need it
/// are skipped, with a notice, when it is absent — except where
/// `MAILLAGE_REQUIRE_PEERS` is set (CI), where they fail.
#[cfg(test)]
pub(crate) fn shared_material(relative: &str) -> Option<std::path::PathBuf> {
    let root = std::env::var_os("MAILLAGE_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let path = root.join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(), "{} is required here", path.display());
    eprintln!("SKIPPED: {} is absent (shared/ is not beside this checkout)", path.display());
    None
}
