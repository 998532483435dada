//! New local actors as the wire needs them: their ids and an RSA-2048 key
//! pair each. Creating them (the built-in ones at start-up, enterprises and
//! members later) is the use cases' (`maillage_app`).

use maillage_db::{Database, DbError, LocalActor, NewLocalActor};
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
    let mut actor = new_actor_keys_later(urls, kind, username, display_name, summary)?;
    (actor.public_key_pem, actor.private_key_pem) = generate_key_pair()?;
    Ok(actor)
}

/// Like [`new_actor`], without a key pair yet: for imports, which cannot
/// wait for thousands of keys. [`ensure_keys`] makes it when it is first
/// needed, and `maillage serve` fills the missing ones in the background
/// ([`fill_missing_keys`]).
pub fn new_actor_keys_later(
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
        public_key_pem: String::new(),
        private_key_pem: String::new(),
    })
}

/// The actor with its key pair, generating and storing it first when it
/// was created without one. Two processes racing keep the first stored pair.
pub async fn ensure_keys(db: &Database, actor: LocalActor) -> Result<LocalActor, ActorError> {
    if actor.has_keys() {
        return Ok(actor);
    }
    let (public_pem, private_pem) = crate::crypto::on_pool(generate_key_pair).await?;
    db.set_missing_keys(actor.id, &public_pem, &private_pem).await?;
    db.local_actor_or_tombstone(&actor.username)
        .await?
        .filter(LocalActor::has_keys)
        .ok_or_else(|| ActorError::Keys(format!("@{} has no key pair", actor.username)))
}

/// Generates the key pairs of up to `batch` actors created without one;
/// how many it stored (0: none is missing).
pub async fn fill_missing_keys(db: &Database, batch: i64) -> Result<usize, ActorError> {
    let ids = db.local_actors_without_keys(batch).await?;
    let mut stored = 0;
    for id in ids {
        let (public_pem, private_pem) = crate::crypto::on_pool(generate_key_pair).await?;
        if db.set_missing_keys(id, &public_pem, &private_pem).await? {
            stored += 1;
        }
    }
    Ok(stored)
}

/// A new RSA-2048 key pair for an actor, as PEM: (public SPKI, private PKCS#8).
pub fn generate_key_pair() -> Result<(String, String), ActorError> {
    crate::crypto::generate_key_pair().map_err(|e| ActorError::Keys(e.to_string()))
}
