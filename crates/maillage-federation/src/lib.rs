//! Maillage on the wire: everything that speaks ActivityPub.
//!
//! This is the only crate that imports `activitypub_federation`. It owns the
//! URLs we mint ([`urls`]), local actors' keys and creation ([`actors`]),
//! their documents and collections, discovery (WebFinger, host-meta,
//! NodeInfo), HTTP signatures ([`signature`]), the inboxes, follows
//! ([`activities`]) and the delivery worker that drains the durable outbox.

pub mod activities;
pub mod actors;
mod client;
pub mod content;
mod context;
pub mod delivery;
mod documents;
mod error;
mod inbox;
mod negotiation;
pub mod objects;
mod receive_content;
mod routes;
pub mod signature;
pub mod urls;

pub use actors::{ActorError, create_enterprise, create_member, ensure_builtin_actors};
pub use client::{ClientError, OutgoingClient, user_agent};
pub use context::{Context, Federation};
pub use error::FederationError;
pub use routes::{FederationState, router};
