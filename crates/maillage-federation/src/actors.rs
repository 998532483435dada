//! New local actors as the wire needs them: their ids and an RSA-2048 key
//! pair each. Creating them (the built-in ones at start-up, enterprises and
//! members later) is the use cases' (`maillage_app`).

use maillage_db::{DbError, NewLocalActor};
use maillage_domain::{ActorKind, Handle, HandleError};

use crate::urls::Urls;

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error(transparent)]
    Handle(#[from] HandleError),
    #[error("the handle {0:?} is already taken on this instance")]
    Taken(String),
    #[error("the display name cannot be empty")]
    EmptyName,
    #[error("cannot generate a key pair: {0}")]
    Keys(String),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// A local actor ready to store: its id, names, and a new key pair.
pub fn new_actor(
    urls: &Urls,
    kind: ActorKind,
    username: Handle,
    display_name: &str,
    summary: &str,
) -> Result<NewLocalActor, ActorError> {
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(ActorError::EmptyName);
    }
    let (public_key_pem, private_key_pem) = generate_key_pair()?;
    let ap_id = match kind {
        ActorKind::Instance => urls.instance_actor(),
        _ => urls.actor(username.as_str()),
    };
    Ok(NewLocalActor {
        kind,
        username,
        ap_id,
        display_name: display_name.to_string(),
        summary: summary.trim().to_string(),
        public_key_pem,
        private_key_pem,
    })
}

/// A new RSA-2048 key pair for an actor, as PEM: (public SPKI, private PKCS#8).
pub fn generate_key_pair() -> Result<(String, String), ActorError> {
    crate::crypto::generate_key_pair().map_err(|e| ActorError::Keys(e.to_string()))
}
