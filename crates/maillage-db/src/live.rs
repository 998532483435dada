//! The live-event bus: every write that a streaming client may want to hear
//! of publishes a [`LiveEvent`] here, below the use cases, so no caller has
//! to remember it.
//!
//! **Invariant:** an event is published only once its write is committed,
//! and reaches every process's subscribers once. On PostgreSQL the event is
//! a `pg_notify('maillage_live', payload)` in the transaction of the write
//! (PostgreSQL delivers it at commit, once to each listener) and each
//! process has one listening connection ([`Database::live_events`] starts
//! it), which hands what it hears to the process's subscribers, its own
//! events included. On SQLite (one process) the event is sent to the
//! subscribers after the commit. Payloads hold ids and kinds only (NOTIFY
//! carries at most 8,000 bytes): subscribers read the rows themselves,
//! through the audience check. Nothing is replayed: what happens while the
//! listening connection is down is missed (and logged).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::pool::SqliteConn;
use crate::{Database, DbError};

/// The PostgreSQL channel every process listens to.
pub(crate) const CHANNEL: &str = "maillage_live";

/// How many events a process keeps for its slowest subscriber before that
/// subscriber is told it lagged.
const BUS_CAPACITY: usize = 1024;

/// A status, local (a row of `posts`) or received (a row of `remote_objects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKey {
    Local(i64),
    Remote(i64),
}

/// Something a streaming client may be told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A status was written (ours, or another server's stored).
    StatusCreated { status: StatusKey },
    /// A stored status was changed (an edit, or a newer version received).
    StatusEdited { status: StatusKey },
    /// A status was deleted (its row stays, as a tombstone).
    StatusDeleted { status: StatusKey },
    /// A notification was written for the local actor `recipient`.
    NotificationCreated { notification: i64, recipient: i64 },
}

impl LiveEvent {
    /// The one serialisation of events, on both backends.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// An event read back from [`Self::to_payload`]; `None` for anything else.
    pub fn from_payload(payload: &str) -> Option<LiveEvent> {
        serde_json::from_str(payload).ok()
    }
}

/// The process's side of the bus: the subscribers' channel, and (on
/// PostgreSQL) whether the listening connection was started.
pub(crate) struct LiveBus {
    sender: broadcast::Sender<LiveEvent>,
    listening: OnceLock<()>,
    /// Whether the listening connection is open now (PostgreSQL).
    listens: tokio::sync::watch::Sender<bool>,
}

impl Default for LiveBus {
    fn default() -> Self {
        LiveBus {
            sender: broadcast::channel(BUS_CAPACITY).0,
            listening: OnceLock::new(),
            listens: tokio::sync::watch::channel(false).0,
        }
    }
}

/// How long [`Database::live_events`] waits for the first listening
/// connection before it returns anyway (events then flow once it opens).
const FIRST_LISTEN_WAIT: Duration = Duration::from_secs(10);

/// Publishing inside a write transaction: `pg_notify` on PostgreSQL (sent
/// at commit); nothing on SQLite, where [`Database::live_committed`] sends
/// the events once the transaction is committed.
pub(crate) trait LiveTx {
    async fn publish_live(&mut self, event: &LiveEvent) -> Result<(), DbError>;
}

impl LiveTx for diesel_async::AsyncPgConnection {
    async fn publish_live(&mut self, event: &LiveEvent) -> Result<(), DbError> {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(event.to_payload())
            .execute(self)
            .await?;
        Ok(())
    }
}

impl LiveTx for SqliteConn {
    async fn publish_live(&mut self, _event: &LiveEvent) -> Result<(), DbError> {
        Ok(())
    }
}

impl Database {
    /// Subscribes to the events of every process on this database. On
    /// PostgreSQL the first call starts this process's listening connection
    /// and waits (a few seconds at most) until it listens, so that what
    /// is written after this returns is heard.
    pub async fn live_events(&self) -> broadcast::Receiver<LiveEvent> {
        let receiver = self.live.sender.subscribe();
        if self.kind() == crate::DatabaseKind::Postgres {
            self.live.listening.get_or_init(|| {
                tokio::spawn(listen(self.clone()));
            });
            let mut listens = self.live.listens.subscribe();
            let _ = tokio::time::timeout(FIRST_LISTEN_WAIT, listens.wait_for(|open| *open)).await;
        }
        receiver
    }

    /// To call after the commit of a transaction that published `events`
    /// with [`LiveTx::publish_live`]: sends them on SQLite (on PostgreSQL
    /// they come back through the listening connection).
    pub(crate) fn live_committed(&self, events: &[LiveEvent]) {
        if self.kind() == crate::DatabaseKind::Sqlite {
            for event in events {
                // No subscriber is no error.
                let _ = self.live.sender.send(*event);
            }
        }
    }
}

/// The listening connection of this process, for as long as it runs:
/// reopened after a drop with a growing pause (1 s to 30 s); what was
/// published meanwhile is missed and logged as such.
async fn listen(db: Database) {
    let mut pause = Duration::from_secs(1);
    let mut lost_since: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let Some(connector) = db.postgres.clone() else { return };
        match connector.listen(CHANNEL).await {
            Ok(mut notifications) => {
                if let Some(since) = lost_since.take() {
                    tracing::warn!(
                        since = %since.to_rfc3339(),
                        "live events: listening again; events published since then were missed (clients refetch)"
                    );
                }
                pause = Duration::from_secs(1);
                db.live.listens.send_replace(true);
                while let Some(payload) = notifications.recv().await {
                    match LiveEvent::from_payload(&payload) {
                        Some(event) => {
                            let _ = db.live.sender.send(event);
                        }
                        None => tracing::warn!(payload = %payload, "live events: an unknown payload was ignored"),
                    }
                }
                db.live.listens.send_replace(false);
                lost_since = Some(chrono::Utc::now());
                tracing::warn!("live events: the listening connection was lost; reconnecting");
            }
            Err(error) => {
                lost_since.get_or_insert_with(chrono::Utc::now);
                tracing::warn!(error = %error.reason(), pause_s = pause.as_secs(), "live events: cannot listen");
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

/// Shared by the `Database` clones of a process.
pub(crate) type SharedBus = Arc<LiveBus>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_stay_small() {
        let events = [
            LiveEvent::StatusCreated { status: StatusKey::Local(12) },
            LiveEvent::StatusEdited { status: StatusKey::Remote(i64::MAX) },
            LiveEvent::StatusDeleted { status: StatusKey::Remote(3) },
            LiveEvent::NotificationCreated { notification: i64::MAX, recipient: i64::MAX },
        ];
        for event in events {
            let payload = event.to_payload();
            assert!(payload.len() < 200, "{payload}");
            assert_eq!(LiveEvent::from_payload(&payload), Some(event));
        }
        assert_eq!(
            LiveEvent::StatusCreated { status: StatusKey::Local(12) }.to_payload(),
            r#"{"event":"status_created","status":{"local":12}}"#
        );
        assert_eq!(LiveEvent::from_payload("{\"event\":\"other\"}"), None);
    }
}
