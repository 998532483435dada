//! Creating local actors: handle rules, key pairs, ids.
//!
//! The instance actor and the hub exist from the first start on (created
//! here, idempotently, by every process); enterprises and members are added
//! by admins. Every actor gets an RSA-2048 key pair at creation.

use maillage_config::Config;
use maillage_db::{Database, DbError, LocalActor, NewLocalActor, NewUser};
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

fn new_actor(
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

fn taken_or(error: DbError, handle: &Handle) -> ActorError {
    if error.is_unique_violation() { ActorError::Taken(handle.to_string()) } else { ActorError::Database(error) }
}

/// Creates the instance actor and the hub when they do not exist yet. Safe
/// when several processes start at once: the loser of a race reads the
/// winner's row.
/// A new RSA-2048 key pair for an actor, as PEM: (public SPKI, private PKCS#8).
pub fn generate_key_pair() -> Result<(String, String), ActorError> {
    crate::crypto::generate_key_pair().map_err(|e| ActorError::Keys(e.to_string()))
}

pub async fn ensure_builtin_actors(db: &Database, config: &Config) -> Result<(), ActorError> {
    let urls = Urls::new(config);
    if db.local_actor_of_kind(ActorKind::Instance).await?.is_none() {
        let domain = config.instance.domain.clone();
        let new = new_actor(&urls, ActorKind::Instance, Handle::instance_actor(), &domain, "")?;
        match db.create_local_actor(&new).await {
            Ok(actor) => tracing::info!(id = %actor.ap_id, "created the instance actor"),
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if db.local_actor_of_kind(ActorKind::Hub).await?.is_none() {
        let handle = Handle::parse(&config.hub.handle)?;
        let new = new_actor(&urls, ActorKind::Hub, handle.clone(), &config.hub.name, &config.hub.summary)?;
        match db.create_local_actor(&new).await {
            Ok(actor) => tracing::info!(id = %actor.ap_id, "created the hub"),
            Err(e) if e.is_unique_violation() => {
                // Either another process won the race, or the handle belongs
                // to another actor: only the second is an error.
                if db.local_actor_of_kind(ActorKind::Hub).await?.is_none() {
                    return Err(ActorError::Taken(handle.to_string()));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Creates an enterprise (`Organization`).
pub async fn create_enterprise(
    db: &Database,
    config: &Config,
    handle: &str,
    name: &str,
    summary: &str,
) -> Result<LocalActor, ActorError> {
    let handle = Handle::parse(handle)?;
    let new = new_actor(&Urls::new(config), ActorKind::Enterprise, handle.clone(), name, summary)?;
    db.create_local_actor(&new).await.map_err(|e| taken_or(e, &handle))
}

/// Creates a member (`Person`) and the account they log in with.
pub async fn create_member(
    db: &Database,
    config: &Config,
    handle: &str,
    user: &NewUser,
) -> Result<LocalActor, ActorError> {
    let handle = Handle::parse(handle)?;
    let new = new_actor(&Urls::new(config), ActorKind::Member, handle.clone(), handle.as_str(), "")?;
    db.create_member(&new, user).await.map_err(|e| taken_or(e, &handle))
}
