//! A member mutes or blocks an account, here or on another server, and
//! undoes it. A mute stays here; a block ends the follows between the two
//! accounts and, for an account of another server, sends it a `Block`
//! (its `Undo` on unblocking), written with the change in one transaction.

use maillage_db::{Blocked, LocalActor};
use maillage_federation::activities::{block_document, outgoing, undo_document};
use serde_json::Value;

use crate::follows::Followed;
use crate::{App, AppError};

/// The ActivityPub id of an account, and what a block of it ends.
fn target(account: &Followed) -> (&str, Blocked) {
    match account {
        Followed::Elsewhere(remote) => (&remote.row.ap_id, Blocked::Elsewhere(remote.row.id)),
        Followed::Here(local) => (&local.ap_id, Blocked::Here(local.id)),
    }
}

fn not_oneself(member: &LocalActor, account: &Followed, what: &str) -> Result<(), AppError> {
    match account {
        Followed::Here(local) if local.id == member.id => {
            Err(AppError::refused(format!("an account cannot {what} itself")))
        }
        _ => Ok(()),
    }
}

/// The longest mute with an end (a year); longer ones have none.
const MUTE_MAX_SECONDS: i64 = 365 * 24 * 3600;

/// A member mutes an account: its statuses leave their timelines, and its
/// notifications too when `notifications`; for `duration_seconds` when
/// given and not 0 (then it ends by itself). Muting again changes these.
pub async fn mute(
    app: &App,
    member: &LocalActor,
    account: &Followed,
    notifications: bool,
    duration_seconds: Option<i64>,
) -> Result<(), AppError> {
    not_oneself(member, account, "mute")?;
    let expires_at = match duration_seconds {
        None | Some(0) => None,
        Some(seconds) if !(1..=MUTE_MAX_SECONDS).contains(&seconds) => {
            return Err(AppError::invalid(
                "duration",
                format!("a number of seconds from 1 to {MUTE_MAX_SECONDS}, or 0 for no end"),
            ));
        }
        Some(seconds) => Some((chrono::Utc::now() + chrono::Duration::seconds(seconds)).into()),
    };
    let (ap_id, _) = target(account);
    Ok(app.db().mute(member.id, ap_id, notifications, expires_at).await?)
}

/// A member unmutes an account; false when it was not muted.
pub async fn unmute(app: &App, member: &LocalActor, account: &Followed) -> Result<bool, AppError> {
    let (ap_id, _) = target(account);
    Ok(app.db().unmute(member.id, ap_id).await?)
}

/// A member blocks an account: the follows between them end both ways and
/// neither sees the other's statuses; an account of another server is sent
/// a `Block`. Blocking again changes nothing.
pub async fn block(app: &App, member: &LocalActor, account: &Followed) -> Result<(), AppError> {
    not_oneself(member, account, "block")?;
    let (ap_id, blocked) = target(account);
    match account {
        Followed::Elsewhere(remote) => {
            let activity = block_document(app.federation().context(), member, ap_id);
            let notify = outgoing(member, &activity, remote.row.delivery_inbox());
            app.db().block(member.id, ap_id, blocked, Some(&activity.to_string()), Some(&notify)).await?;
        }
        Followed::Here(_) => {
            app.db().block(member.id, ap_id, blocked, None, None).await?;
        }
    }
    Ok(())
}

/// A member unblocks an account (an account of another server is sent the
/// `Undo` of the `Block`); false when it was not blocked.
pub async fn unblock(app: &App, member: &LocalActor, account: &Followed) -> Result<bool, AppError> {
    let (ap_id, _) = target(account);
    let Some(existing) = app.db().block_of(member.id, ap_id).await? else { return Ok(false) };
    let notify = match (account, existing.block_json) {
        (Followed::Elsewhere(remote), Some(sent)) => {
            // Stored by `block` as sent; at worst, named by the text kept.
            let block: Value = serde_json::from_str(&sent).unwrap_or(Value::String(sent));
            let undo = undo_document(app.federation().context(), member, block, ap_id);
            Some(outgoing(member, &undo, remote.row.delivery_inbox()))
        }
        _ => None,
    };
    Ok(app.db().unblock(member.id, ap_id, notify.as_ref()).await?)
}
