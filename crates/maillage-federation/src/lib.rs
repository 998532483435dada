//! Maillage on the wire: everything that speaks ActivityPub.
//!
//! This is the only crate that imports `activitypub_federation`. It owns the
//! URLs we mint ([`urls`]), the local actors' keys and creation ([`actors`]),
//! their documents, discovery (WebFinger, host-meta, NodeInfo) and the
//! outgoing HTTP client every federation request goes through.

pub mod actors;
mod client;
mod documents;
mod negotiation;
mod routes;
pub mod urls;

pub use actors::{ActorError, create_enterprise, create_member, ensure_builtin_actors};
pub use client::{ClientError, OutgoingClient, user_agent};
pub use routes::{FederationState, router};
