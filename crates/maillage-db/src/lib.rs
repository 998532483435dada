//! Storage for Maillage, on SQLite or PostgreSQL with the same code.
//!
//! This is the only crate that knows diesel and SQL. It owns the connection
//! pools ([`Database`]), the embedded migrations of both backends, the
//! hand-written `schema` shared by both, and the queries, each written once
//! inside [`with_conn!`] so that it is type-checked against both backends.
//!
//! Rules that keep one code base on two databases:
//! - portable column types only (`BigInt`, `Integer`, `Text`, `Bool`,
//!   `Timestamp` holding UTC through [`UtcTime`]); JSON and URLs are `Text`;
//! - "now" is always bound from Rust, never SQL `now()`;
//! - a SQLite transaction that reads then writes is an immediate one.

/// Runs `$body` with `$c` bound to the connection of whichever backend
/// `$conn` holds. The body is compiled once per backend, so a construct one
/// backend lacks is a compile error, not a runtime surprise.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::pool::DbConn::Pg(obj) => {
                let $c: &mut diesel_async::AsyncPgConnection = &mut **obj;
                $body
            }
            $crate::pool::DbConn::Sqlite(obj) => {
                let $c: &mut $crate::pool::SqliteConn = &mut **obj;
                $body
            }
        }
    };
}

/// Runs `$body` inside a write transaction: on SQLite an immediate one (a
/// deferred transaction that reads then writes fails under concurrency) on
/// the process's writer connection (see [`pool::Database::sqlite_writer`];
/// `$conn` is not used); on PostgreSQL an ordinary one on `$conn`. `$db` is
/// the `Database` the connection `$conn` came from. The body returns
/// `Result<_, DbError>`.
macro_rules! with_write_tx {
    ($db:expr, $conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::pool::DbConn::Pg(obj) => {
                let conn: &mut diesel_async::AsyncPgConnection = &mut **obj;
                diesel_async::AsyncConnection::transaction::<_, $crate::DbError, _>(conn, async |$c| $body).await
            }
            $crate::pool::DbConn::Sqlite(_) => match $db.sqlite_writer().await {
                Ok(mut writer) => {
                    let conn: &mut $crate::pool::SqliteConn = &mut *writer;
                    conn.immediate_transaction::<_, $crate::DbError, _>(async |$c| $body).await
                }
                Err(error) => Err(error),
            },
        }
    };
}

/// [`with_write_tx!`] for a transaction that enqueues deliveries: once it
/// has committed, this process's delivery worker is woken.
macro_rules! with_enqueuing_tx {
    ($db:expr, $conn:expr, |$c:ident| $body:expr) => {{
        let result = with_write_tx!($db, $conn, |$c| $body);
        if result.is_ok() {
            $db.outbox_changed();
        }
        result
    }};
}

mod actors;
mod announcements;
mod audience;
mod backup_schedule;
pub mod backups;
mod bookmarks;
mod content;
mod conversations;
mod directory;
mod domains;
mod error;
mod filters;
mod follows;
mod hub_syncs;
mod library;
mod lists;
mod live;
mod mail;
mod markers;
mod media;
mod migrate;
mod notifications;
mod oauth;
mod outbox;
mod pool;
mod postgres_connect;
mod posts;
mod profile_images;
mod push;
mod received;
mod relations;
mod remote;
mod remote_media;
mod reports;
mod schema;
mod settings;
mod statistics;
mod status_facts;
mod tags;
mod threads;
mod time;
mod timeline;

#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "bench")]
mod bench;

pub use actors::{ActorCounts, DeletedActor, LocalActor, NewLocalActor, NewUser};
pub use announcements::{Announcement, NewAnnouncement};
pub use audience::{LocalFollow, Reader};
pub use backup_schedule::BackupSchedule;
pub use backups::{BackupError, BackupFormat, BackupReport, RestoreReport, restore_backup};
pub use bookmarks::{IdPage, SavedStatus};
pub use content::{NewRemoteObject, ReactionKind, ReactionSummary, RemoteObject, StoreOutcome};
pub use conversations::ConversationMark;
pub use directory::{ListedEnterprise, ListingHub, ListingSource};
pub use domains::{BlockReport, BreakerState, DomainHealth, DomainPolicy, DomainPolicyEntry};
pub use error::{DbError, Outage};
pub use filters::{Filter, FilterFields, FilterKeyword, KeywordChanges, KeywordFields};
pub use follows::{Direction, Follow, FollowRecord, FollowState};
pub use hub_syncs::HubSync;
pub use library::DirectoryRow;
pub use lists::{List, ListFields, ListMember, ListMembers};
pub use live::{LiveEvent, StatusKey};
pub use mail::{EmailLink, LinkPurpose, MailState, NewEmailLink, NewMail, QueuedMail};
pub use markers::Marker;
pub use media::{CoverChange, Media, MediaAttachment, MediaUsage, NewMedia};
pub use migrate::{MigrationReport, migration_names};
pub use notifications::Notification;
pub use oauth::{Account, AuthorizationCode, NewOAuthApp, OAuthApp, TokenGrant};
pub use outbox::{
    ClaimedDelivery, DeliveryCounts, DeliveryOutcome, DomainDeliveries, OutboxItem, Outgoing, QueueCounts,
    ServedActivity,
};
pub use pool::Database;
pub use posts::{NewPost, Post, PostContent};
pub use push::{NewPushSubscription, PushSubscription, QueuedPush, VapidKeys};
pub use received::{NewReceived, QueuedActivity, ReceivedCounts};
pub use relations::{Block, Blocked, Hidden, Mute};
pub use remote::{CollectionCounts, NewRemoteActor, RemoteActor};
pub use remote_media::{CachedRemoteMedia, NewRemoteMedia, RemoteCacheUsage, RemoteMedia};
pub use reports::{NewReport, Report, ReportDirection};
pub use settings::{InstanceSetting, MIN_FREE_DISK_BYTES};
pub use statistics::{MonthCount, ProfileFacet, Tally};
pub use status_facts::{StatusFacts, StatusFactsWanted};
pub use threads::{ThreadReply, thread_order};
pub use time::UtcTime;
pub use timeline::{PageBounds, PostSource, RemoteSource, TimelinePosition};

pub use maillage_config::DatabaseKind;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod audience_tests;

#[cfg(test)]
mod media_tests;
