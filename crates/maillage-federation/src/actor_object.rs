//! The actors as the wire crate holds them: a stored row and its id as a
//! URL. How they are fetched, verified and served is in `objects`; this
//! module is a leaf, so that the context (which caches remote actors and
//! signs with the instance actor) imports nothing that needs the context.

use maillage_db::{LocalActor, RemoteActor};
use url::Url;

use crate::error::FederationError;

/// A remote actor, cached in the database and refreshed after a day.
#[derive(Debug, Clone)]
pub struct RemoteActorObject {
    pub row: RemoteActor,
    pub(crate) id: Url,
}

/// A local actor, for signing (the instance actor signs our fetches).
#[derive(Debug, Clone)]
pub struct LocalActorObject {
    pub row: LocalActor,
    pub(crate) id: Url,
}

fn stored_id(ap_id: &str) -> Result<Url, FederationError> {
    Url::parse(ap_id).map_err(|_| FederationError::invalid(format!("stored actor id is not a URL: {ap_id}")))
}

impl TryFrom<RemoteActor> for RemoteActorObject {
    type Error = FederationError;
    fn try_from(row: RemoteActor) -> Result<Self, Self::Error> {
        Ok(RemoteActorObject { id: stored_id(&row.ap_id)?, row })
    }
}

impl TryFrom<LocalActor> for LocalActorObject {
    type Error = FederationError;
    fn try_from(row: LocalActor) -> Result<Self, Self::Error> {
        Ok(LocalActorObject { id: stored_id(&row.ap_id)?, row })
    }
}
