//! Reading the followed hubs' `members` in the background: at once when
//! our follow of a hub is accepted ([`hub_follow_accepted`]), then every
//! `directory.resync_hours` to catch what its `Add` and `Remove` missed.
//! The schedule is in the database (`maillage_db::HubSync`): it survives a
//! restart, and several processes over one database take turns by lease.
//! A reading runs in its own task, paced, so nothing else waits on it.

use std::time::Duration;

use maillage_db::{Database, RemoteActor, UtcTime};
use maillage_domain::ActorKind;
use tokio::sync::watch;

use crate::App;

/// How often a process looks for a due hub.
const POLL: Duration = Duration::from_secs(2);
/// How often the followed hubs missing from the schedule are added.
const ENSURE_EVERY: Duration = Duration::from_secs(60);
/// How long a process holds a hub it reads: longer than any reading (5,000
/// enterprises at one request a second take 84 minutes); a process that
/// stops without answering leaves it to another after this.
const LEASE_SECONDS: i64 = 3 * 3600;
/// After a failed reading: 10 minutes, doubling, at most `resync_hours`.
const FIRST_RETRY_SECONDS: i64 = 600;

/// Our hub's follow of `hub` was accepted: read its members soon.
pub(crate) async fn hub_follow_accepted(
    db: &Database,
    local_actor_id: i64,
    hub: &RemoteActor,
) -> Result<(), maillage_db::DbError> {
    let ours = db.local_actor_of_kind(ActorKind::Hub).await?;
    if hub.actor_type == "Group" && ours.is_some_and(|ours| ours.id == local_actor_id) {
        db.schedule_hub_sync(hub.id, UtcTime::now()).await?;
    }
    Ok(())
}

/// The schedule as operators see it: each followed hub's actor id, when it
/// was last read and is next due (moderators).
pub async fn planned(
    app: &App,
    acting: &crate::Acting,
) -> Result<Vec<(String, maillage_db::HubSync)>, crate::AppError> {
    acting.require_moderator()?;
    Ok(app.db().hub_syncs().await?)
}

/// Reads each followed hub when it is due, until `stop` says true.
pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    let mut ensured: Option<tokio::time::Instant> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        if ensured.is_none_or(|at| at.elapsed() >= ENSURE_EVERY) {
            ensured = Some(tokio::time::Instant::now());
            if let Err(error) = ensure_followed_hubs(&app).await {
                tracing::warn!(%error, "cannot schedule the followed hubs' members");
            }
        }
        let claimed = match app.db().claim_hub_sync(UtcTime::now(), LEASE_SECONDS).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "cannot read the schedule of the followed hubs");
                None
            }
        };
        match claimed {
            Some((hub_id, failures)) => {
                tokio::select! {
                    () = read_due_hub(&app, hub_id, failures) => {}
                    () = stopped(&mut stop) => {
                        // Interrupted: due as it was, for the next process.
                        let _ = app.db().release_hub_sync(hub_id).await;
                        return;
                    }
                }
            }
            None => {
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    () = stopped(&mut stop) => return,
                }
            }
        }
    }
}

/// Completes when the process stops (the guard `wait_for` returns is not
/// kept across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The followed hubs that have no place in the schedule (followed before
/// it existed), due now.
async fn ensure_followed_hubs(app: &App) -> Result<(), crate::AppError> {
    let ids: Vec<i64> = super::followed_hub_rows(app).await?.iter().map(|f| f.remote_actor_id).collect();
    let added = app.db().ensure_hub_syncs(&ids, UtcTime::now()).await?;
    if added > 0 {
        tracing::info!(added, "followed hubs scheduled for reading their members");
    }
    Ok(())
}

async fn read_due_hub(app: &App, hub_id: i64, failures: i32) {
    let db = app.db();
    let resync = i64::from(app.config().directory.resync_hours) * 3600;
    let hub = match db.remote_actor_by_id(hub_id).await {
        Ok(Some(hub)) => hub,
        Ok(None) => return,
        Err(error) => return record(db, hub_id, failures, Err(error.to_string()), resync).await,
    };
    match super::is_followed_hub(db, &hub).await {
        Ok(true) => {}
        Ok(false) => {
            // Unfollowed, refused, or its domain blocked: the directory no
            // longer shows what it listed, and it is no longer read.
            if let Err(error) = db.drop_hub_sync(hub_id).await {
                tracing::warn!(%error, hub = %hub.ap_id, "cannot unschedule a hub no longer followed");
            }
            return;
        }
        Err(error) => return record(db, hub_id, failures, Err(error.to_string()), resync).await,
    }
    let outcome = super::read_members(app, &hub).await.map(|_| ()).map_err(|error| {
        tracing::warn!(hub = %hub.ap_id, %error, "cannot read a followed hub's members");
        error.to_string()
    });
    record(db, hub_id, failures, outcome, resync).await;
}

/// Ends a reading: due again after the resync, or sooner after a failure.
async fn record(db: &Database, hub_id: i64, failures: i32, outcome: Result<(), String>, resync_seconds: i64) {
    let now = UtcTime::now();
    let delay = match &outcome {
        Ok(()) => resync_seconds,
        Err(_) => retry_delay(failures, resync_seconds),
    };
    let next = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(delay));
    if let Err(error) = db.finish_hub_sync(hub_id, now, next, outcome.err().as_deref()).await {
        tracing::warn!(%error, "cannot record a hub's reading; it is read again when its lease ends");
    }
}

/// How long to wait after the `failures`+1-th failed reading in a row.
fn retry_delay(failures: i32, resync_seconds: i64) -> i64 {
    let doubled = FIRST_RETRY_SECONDS.saturating_mul(1_i64 << failures.clamp(0, 20));
    doubled.min(resync_seconds.max(FIRST_RETRY_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_readings_are_retried_sooner_than_the_resync_then_less_often() {
        let day = 24 * 3600;
        assert_eq!(retry_delay(0, day), 600);
        assert_eq!(retry_delay(1, day), 1200);
        assert_eq!(retry_delay(3, day), 4800);
        assert_eq!(retry_delay(10, day), day, "never longer than the resync");
        assert_eq!(retry_delay(i32::MAX, day), day);
        assert_eq!(retry_delay(0, 60), 600, "never sooner than the first retry");
    }
}
