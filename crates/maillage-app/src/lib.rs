//! The use cases of Maillage: one function per thing a person or a server
//! does, grouped by what it changes (users, teams, enterprises, posts,
//! domains, moderation, the hub, follows, sign-in state), and what the
//! activities other servers send us do ([`received`]).
//!
//! Every function takes the [`Acting`] identity and checks its rights
//! here, in one place; the CLI, the HTTP APIs and the web parse input, call
//! one of these, and render the answer. They never write to the database
//! themselves. Failures are one [`AppError`], turned into a status, a page or
//! an exit code once per front end.
//!
//! A use case does its network I/O (resolving a remote actor, say) before
//! it writes, and leaves what goes out to other servers in the outbox, which
//! is written in the same transaction as the change: SQLite has one writer,
//! and no transaction waits on another server.

mod acting;
pub mod actors;
pub mod announcements;
pub mod backups;
pub mod bookmarks;
pub mod claims;
pub mod conversations;
pub mod deliveries;
pub mod directory;
pub mod domains;
pub mod enterprises;
pub mod error;
pub mod filters;
pub mod follows;
pub mod hub;
pub mod import;
pub mod instance;
pub mod lists;
pub mod mail;
pub mod markers;
pub mod media;
pub mod media_migration;
pub mod moderation;
pub mod notifications;
pub mod open_data;
pub mod posts;
pub mod profile_images;
mod profiles;
pub mod push;
mod queue_worker;
pub mod received;
pub mod recovery;
pub mod relations;
pub mod repeated;
pub mod secrets;
pub mod sign_in;
pub mod teams;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod users;

#[cfg(test)]
mod reading_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use maillage_config::Config;
use maillage_db::{Database, LocalActor};
use maillage_domain::ActorKind;
use maillage_federation::Federation;
use maillage_storage::MediaStore;

pub use acting::{Acting, Staff};
pub use error::AppError;

/// What every use case works with: storage, settings and the wire.
#[derive(Clone)]
pub struct App {
    federation: Federation,
    media: media::MediaService,
}

impl App {
    /// The use cases over `federation`, storing media in `store`
    /// (`maillage serve` opens it with its start-up checks).
    pub fn new(federation: Federation, store: MediaStore) -> Self {
        let media = media::MediaService::new(store, &federation.context().config.media);
        App { federation, media }
    }

    /// Opens the wire over an open, migrated database whose built-in
    /// actors exist (`ensure_builtin_actors`). The media store is not
    /// touched until a file is needed.
    pub async fn open(db: Database, config: Arc<Config>) -> Result<Self, AppError> {
        let store =
            MediaStore::connect(&config.media).map_err(|e| AppError::Internal(format!("the media store: {e}")))?;
        Ok(App::new(Federation::new(db, config, received::effects()).await?, store))
    }

    /// The media store and the pool pictures are processed on.
    pub fn media(&self) -> &media::MediaService {
        &self.media
    }

    /// Where media files live (`[media]`).
    pub fn media_store(&self) -> &MediaStore {
        self.media.store()
    }

    pub fn db(&self) -> &Database {
        &self.federation.context().db
    }

    pub fn config(&self) -> &Config {
        &self.federation.context().config
    }

    pub fn federation(&self) -> &Federation {
        &self.federation
    }

    /// A local actor by handle; `actor` names the instance actor.
    pub async fn local_actor(&self, handle: &str) -> Result<LocalActor, AppError> {
        let found = if handle == "actor" {
            self.db().local_actor_of_kind(ActorKind::Instance).await?
        } else {
            self.db().local_actor_by_username(handle.trim_start_matches('@')).await?
        };
        found.ok_or_else(|| AppError::NotFound(format!("no local actor {handle:?}")))
    }

    /// A local actor of one kind by handle.
    pub async fn local_actor_of(&self, kind: ActorKind, handle: &str) -> Result<LocalActor, AppError> {
        self.db()
            .local_actor_by_username(handle.trim_start_matches('@'))
            .await?
            .filter(|a| a.kind() == kind)
            .ok_or_else(|| AppError::NotFound(format!("no {} {handle:?}", kind_name(kind))))
    }
}

fn kind_name(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Enterprise => "enterprise",
        ActorKind::Member => "member",
        ActorKind::Hub => "hub",
        ActorKind::Instance => "instance actor",
    }
}
