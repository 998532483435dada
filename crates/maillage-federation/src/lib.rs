//! Maillage on the wire: everything that speaks ActivityPub.
//!
//! This is the only crate that imports `activitypub_federation`. Today it
//! owns the outgoing HTTP client every federation request goes through; the
//! actors, signatures, inbox and durable delivery build on it.

mod client;

pub use client::{ClientError, OutgoingClient, user_agent};
