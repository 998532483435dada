//! The Mastodon client API subset: instance, accounts, statuses (posting as
//! oneself or, with `maillage_as`, as an enterprise one edits), timelines,
//! search with remote resolution, follows.
//!
//! Split by resource, as Mastodon's own controllers are: `instance`,
//! `accounts`, `timelines`, `statuses`, `notifications`, `search`,
//! `bookmarks`, `favourites`, `markers`, `lists`, `filters` (also how the
//! viewer's filters change what each context shows); and `empty`, the
//! features we do not have, answered as empty.

mod accounts;
mod announcements;
mod bookmarks;
mod empty;
mod favourites;
mod filters;
mod instance;
mod lists;
mod markers;
mod notifications;
mod search;
mod statuses;
mod timelines;

pub use accounts::*;
pub use announcements::*;
pub use bookmarks::*;
pub use empty::*;
pub use favourites::*;
pub use filters::*;
pub use instance::*;
pub use lists::*;
pub use markers::*;
pub use notifications::*;
pub use search::*;
pub use statuses::*;
pub use timelines::*;

use super::auth::{MaybeUser, User};
use super::entities::{
    self, REMOTE_OFFSET, Ref, StatusOf, Viewer, local_account, local_status, remote_account, remote_status,
    unknown_account,
};
use super::params::Params;
use crate::{AppState, HttpError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maillage_db::{
    Direction, FollowState, LocalActor, PageBounds, Post, PostSource, Reader, RemoteObject, RemoteSource,
    TimelinePosition, UtcTime,
};
use maillage_domain::{ActorKind, NotificationKind, PostKind, Visibility};
use maillage_federation::content::{self, NoteDraft};
use maillage_federation::objects::RemoteActorObject;
use serde_json::{Value, json};

pub const MAX_CHARACTERS: usize = content::NOTE_MAX;
pub(super) const DEFAULT_LIMIT: i64 = 20;
pub(super) const MAX_LIMIT: i64 = 40;
/// The visibility of a post that names none, and of a member's preferences.
pub(super) const DEFAULT_VISIBILITY: Visibility = Visibility::Public;
/// The language of a post that names none, and of a member's preferences.
pub(super) const DEFAULT_LANGUAGE: &str = "fr";

pub(super) fn limit(params: &Params) -> Result<i64, HttpError> {
    Ok(params.number("limit")?.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT))
}
