//! The Mastodon client API subset: instance, accounts, statuses (posting as
//! oneself or, with `maillage_as`, as an enterprise one edits), timelines,
//! search with remote resolution, follows.
//!
//! Split by resource, as Mastodon's own controllers are: `instance`,
//! `accounts`, `timelines`, `statuses`, `notifications`, `search`,
//! `bookmarks`, `favourites`, `markers`, `lists`, `filters` (also how the
//! viewer's filters change what each context shows), `push` (Web Push
//! subscriptions); and `empty`, the
//! features we do not have, answered as empty.

mod accounts;
mod announcements;
mod blocks;
mod bookmarks;
mod conversations;
mod empty;
mod favourites;
mod filters;
mod follow_requests;
mod instance;
mod lists;
mod markers;
pub(crate) mod media;
mod mutes;
mod notifications;
mod push;
mod search;
mod statuses;
mod streaming;
mod timelines;

pub use accounts::*;
pub use announcements::*;
pub use blocks::*;
pub use bookmarks::*;
pub use conversations::*;
pub use empty::*;
pub use favourites::*;
pub use filters::*;
pub use follow_requests::*;
pub use instance::*;
pub use lists::*;
pub use markers::*;
pub use media::{get_media, update_media, upload_v1, upload_v2};
pub(crate) use media::{media_attachment, remote_media_attachment};
pub use mutes::*;
pub use notifications::*;
pub use push::*;
pub use search::*;
pub use statuses::*;
pub use streaming::{Hub, streaming_events, streaming_health, streaming_socket};
pub use timelines::*;

use super::auth::{MaybeUser, User};
use super::entities::{
    self, REMOTE_OFFSET, Ref, StatusOf, Viewer, local_account, local_status, remote_account, remote_status,
    unknown_account,
};
use super::params::{Params, ParamsWithFiles};
use crate::{AppState, HttpError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maillage_db::{
    Direction, FollowState, Hidden, LocalActor, PageBounds, Post, PostSource, Reader, RemoteObject, RemoteSource,
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

/// A page of Accounts with Mastodon's Link header: `next` names `max_id`
/// (the cursor after the last one), keeping the list's own parameters.
pub(super) fn accounts_page(
    state: &AppState,
    path: &str,
    kept: &[(&str, String)],
    accounts: Vec<Value>,
    next: Option<String>,
    limit: i64,
) -> Response {
    let mut response = Json(json!(accounts)).into_response();
    if let Some(next) = next {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(kept.iter().map(|(k, v)| (*k, v.as_str())));
        query.append_pair("max_id", &next);
        query.append_pair("limit", &limit.to_string());
        let link = format!("<{}{path}?{}>; rel=\"next\"", state.config().public_base_url(), query.finish());
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

/// The Account of an ActivityPub id we know (here or elsewhere), if any.
pub(super) async fn account_of_ap_id(state: &AppState, ap_id: &str) -> Result<Option<Value>, HttpError> {
    if let Some(remote) = state.db().remote_actor_by_ap_id(ap_id).await? {
        return Ok(Some(remote_account(state, &remote)));
    }
    match state.db().local_actor_by_ap_id(ap_id).await? {
        Some(local) => Ok(Some(local_account(state, &local).await?)),
        None => Ok(None),
    }
}

/// What a member does not see in timelines (`notifications`: in
/// notifications): the accounts they mute or block, ours that block them.
pub(super) async fn hidden_from(state: &AppState, user: &User, notifications: bool) -> Result<Hidden, HttpError> {
    let me = &user.account.actor;
    Ok(state.db().hidden_from(me.id, &me.ap_id, notifications).await?)
}
