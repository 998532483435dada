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

use crate::hub::Membership;
use crate::{App, AppError};

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

/// Creates an enterprise (`Organization`), with the hub's `Add` to its
/// followers in the same transaction. A handle that belonged to a deleted
/// enterprise stays reserved.
pub(crate) async fn create_enterprise(
    app: &App,
    handle: &str,
    name: &str,
    summary: &str,
) -> Result<LocalActor, AppError> {
    let handle = Handle::parse(handle).map_err(ActorError::from)?;
    let new = new_actor(&Urls::new(app.config()), ActorKind::Enterprise, handle.clone(), name, summary)?;
    let notify = crate::hub::membership_activity(app, &new.ap_id, Membership::Joined).await?;
    match app.db().create_local_actor_announced(&new, notify.as_slice()).await {
        Ok(actor) => Ok(actor),
        Err(e) if e.is_unique_violation() => match app.db().local_actor_or_tombstone(handle.as_str()).await? {
            Some(gone) if gone.is_deleted() => Err(AppError::Conflict(format!(
                "@{handle} belonged to an enterprise deleted on {}: the handles of deleted enterprises stay reserved, choose another",
                gone.deleted_at.map(|d| d.as_datetime().format("%Y-%m-%d").to_string()).unwrap_or_default()
            ))),
            _ => Err(ActorError::Taken(handle.to_string()).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// How long the key worker rests when no actor lacks a key pair.
const KEYS_IDLE: std::time::Duration = std::time::Duration::from_secs(5);

static KEYS_FAILED: crate::repeated::RepeatedWarning =
    crate::repeated::RepeatedWarning::new("cannot make the key pairs of imported enterprises");

/// The worker of `maillage serve` that makes the key pairs of actors
/// created without one (imports), one at a time (one core, so that
/// requests keep the others), until `stop`. An actor served or signing
/// before its turn gets its pair on the spot (`ensure_keys`).
pub async fn make_missing_keys(db: Database, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let made = tokio::select! {
            made = maillage_federation::actors::fill_missing_keys(&db, 20) => made,
            _ = stop.wait_for(|stopping| *stopping) => return,
        };
        match made {
            Ok(0) => {}
            Ok(made) => {
                tracing::debug!(made, "made key pairs of imported actors");
                continue;
            }
            Err(error) => {
                KEYS_FAILED.warn(&error);
            }
        }
        tokio::select! {
            () = tokio::time::sleep(KEYS_IDLE) => {}
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
    }
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
