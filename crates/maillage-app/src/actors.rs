//! Creating local actors: the instance actor and the hub, which exist from
//! the first start on (created idempotently by every process), and the
//! enterprises and members admins add. Who may create them is checked by
//! the use cases that call these (`enterprises`, `users`).

use maillage_config::Config;
use maillage_db::{Database, DbError, LocalActor, NewUser};
use maillage_domain::{ActorKind, Handle};
use maillage_federation::ActorError;
use maillage_federation::actors::new_actor;
use maillage_federation::urls::Urls;

fn taken_or(error: DbError, handle: &Handle) -> ActorError {
    if error.is_unique_violation() { ActorError::Taken(handle.to_string()) } else { ActorError::Database(error) }
}

/// Creates the instance actor and the hub when they do not exist yet. Safe
/// when several processes start at once: the loser of a race reads the
/// winner's row.
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
pub(crate) async fn create_enterprise(
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

/// Creates a member (`Person`) and the account they sign in with.
pub(crate) async fn create_member(
    db: &Database,
    config: &Config,
    handle: &str,
    user: &NewUser,
) -> Result<LocalActor, ActorError> {
    let handle = Handle::parse(handle)?;
    let new = new_actor(&Urls::new(config), ActorKind::Member, handle.clone(), handle.as_str(), "")?;
    db.create_member(&new, user).await.map_err(|e| taken_or(e, &handle))
}
