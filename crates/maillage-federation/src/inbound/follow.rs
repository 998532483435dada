//! Received follows: `Follow` of a local actor, `Undo{Follow}`,
//! `Accept`/`Reject` of our own follows, and `Block` of a local actor
//! (which ends follows). The wire checks, and which local
//! actor a follow names; the state changes are `maillage_app::received`.

use maillage_db::{LocalActor, RemoteActor};
use serde_json::Value;

use super::activity::{DeclaredFollow, Follow, UndoFollow, parse_url};
use crate::context::Context;
use crate::error::FederationError;

/// The local actor a URL names, or a 404.
pub async fn local_actor(ctx: &Context, value: Option<&Value>) -> Result<LocalActor, FederationError> {
    let url = parse_url(value, "object")?;
    let found = match ctx.urls.local_username(&url) {
        Some(None) => ctx.db.local_actor_of_kind(maillage_domain::ActorKind::Instance).await?,
        Some(Some(name)) => ctx.db.local_actor_by_username(&name).await?,
        None => None,
    };
    found.ok_or_else(|| FederationError::NotFound(format!("{url} is not an actor of this instance")))
}

/// The check of a `Follow`: it follows one of our actors.
pub(super) async fn verify(ctx: &Context, follow: &Follow) -> Result<(), FederationError> {
    local_actor(ctx, follow.followed.as_ref()).await.map(|_| ())
}

/// An actor can only undo its own `Follow`; `strict` also refuses one that
/// does not say whose it is.
pub fn check_follower(declared: &DeclaredFollow, actor: &RemoteActor, strict: bool) -> Result<(), FederationError> {
    let refused = match declared.follower.as_deref() {
        Some(follower) => follower != actor.ap_id,
        None => strict,
    };
    if refused {
        return Err(FederationError::Unauthorized("an actor can only undo its own Follow".into()));
    }
    Ok(())
}

/// The wire check of an `Undo{Follow}`: a `Follow` that names its actor
/// names the sender.
pub(super) fn verify_undo(undo: &UndoFollow, actor: &RemoteActor) -> Result<(), FederationError> {
    match &undo.declared {
        Some(declared) => check_follower(declared, actor, false),
        None => Ok(()),
    }
}
