//! One open stream: who reads it, what they subscribed to, and which
//! messages each event becomes for them. Every status passes the same
//! reading as the REST timelines (the audience check of `maillage-db`,
//! the accounts the viewer hides, the home timeline's or the list's
//! sources, the viewer's filters); a public status is rendered once per
//! process and only what depends on the viewer is checked here.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, header};
use maillage_db::{Filter, LiveEvent, StatusKey};
use maillage_domain::Visibility;
use maillage_domain::reading::FilterContext;
use serde_json::Value;

use super::super::filters::{filtered, in_force};
use super::super::notifications::{notification_json, notified_actors};
use super::super::timelines::{
    ListReplies, LocalPosts, Reading, RemotePosts, home_sources, only, shown, timeline_rows,
};
use super::super::*;
use super::hub::{Author, Prepared, PublicStatus, position, render};
use super::streams::{EventName, Message, Stream};

/// How long what a viewer's reading depends on (follows, mutes, filters,
/// lists) is kept before it is read again.
const VIEWER_FRESH_FOR: Duration = Duration::from_secs(10);

/// Why a stream ends.
#[derive(Debug)]
pub(crate) enum End {
    /// The token was revoked, or its member can no longer read.
    TokenGone,
}

/// The member a token names, checked as every request's bearer token is
/// (`User`'s rules: live token, approved member).
pub(crate) async fn authenticate(state: &AppState, token: &str) -> Result<Option<User>, HttpError> {
    let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) else { return Ok(None) };
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.headers.insert(header::AUTHORIZATION, value);
    match <User as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await {
        Ok(user) => Ok(Some(user)),
        Err(HttpError::Unauthorized(_) | HttpError::Forbidden(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// What a viewer's reading depends on, read at most every [`VIEWER_FRESH_FOR`].
struct ViewerState {
    reader: Reader,
    hidden: Hidden,
    hidden_notifications: Hidden,
    notified: Vec<i64>,
    home: (LocalPosts, RemotePosts),
    lists: HashMap<i64, (LocalPosts, RemotePosts, ListReplies)>,
    filters: HashMap<&'static str, Vec<Filter>>,
    read_at: Instant,
}

/// One open stream.
pub(crate) struct Session {
    state: AppState,
    /// The token it was opened with, checked again before anything is sent.
    token: Option<String>,
    user: Option<User>,
    streams: Vec<Stream>,
    viewer: Option<ViewerState>,
}

impl Session {
    pub(crate) fn new(state: AppState, token: Option<String>, user: Option<User>) -> Session {
        Session { state, token, user, streams: Vec::new(), viewer: None }
    }

    /// Adds a stream; an error message for the client when it is not theirs.
    pub(crate) async fn subscribe(&mut self, stream: Stream) -> Result<(), String> {
        if stream.is_personal() {
            let Some(user) = &self.user else { return Err("Missing access token".into()) };
            let scope = match stream {
                Stream::UserNotification => "read:notifications",
                Stream::List(_) => "read:lists",
                _ => "read:statuses",
            };
            user.require(scope).map_err(|e| e.to_string())?;
            if let Stream::List(id) = stream {
                // Only the owner's lists.
                maillage_app::lists::list(&self.state.app, &user.acting(), id)
                    .await
                    .map_err(|_| "No such list".to_string())?;
                self.viewer = None;
            }
        }
        if !self.streams.contains(&stream) {
            self.streams.push(stream);
        }
        Ok(())
    }

    pub(crate) fn unsubscribe(&mut self, stream: &Stream) {
        self.streams.retain(|s| s != stream);
    }

    /// The messages an event becomes for this stream's viewer.
    pub(crate) async fn messages(&mut self, prepared: &Prepared) -> Result<Result<Vec<Message>, End>, HttpError> {
        let mut out = Vec::new();
        let streams = self.streams.clone();
        match prepared.event {
            LiveEvent::StatusCreated { status } | LiveEvent::StatusEdited { status } => {
                let name = match prepared.event {
                    LiveEvent::StatusCreated { .. } => EventName::Update,
                    _ => EventName::StatusUpdate,
                };
                for stream in &streams {
                    let json = match stream {
                        Stream::Public(origin) => match &prepared.public {
                            Some(public) if origin.admits(public.local) => self.public_for_viewer(public).await?,
                            _ => None,
                        },
                        Stream::Hashtag { key, origin, .. } => match &prepared.public {
                            Some(public) if origin.admits(public.local) && public.tags.contains(key) => {
                                self.public_for_viewer(public).await?
                            }
                            _ => None,
                        },
                        Stream::User => self.in_timeline(status, None).await?,
                        Stream::List(id) => self.in_timeline(status, Some(*id)).await?,
                        Stream::UserNotification => None,
                        Stream::Direct => {
                            if let Some(json) = self.conversation(status, prepared.direct).await? {
                                out.push(Message::new(stream, EventName::Conversation, json.to_string()));
                            }
                            None
                        }
                    };
                    if let Some(json) = json {
                        out.push(Message::new(stream, name, json.to_string()));
                    }
                }
            }
            LiveEvent::StatusDeleted { status } => {
                let Some(deleted) = &prepared.deleted else { return Ok(Ok(out)) };
                let id = match status {
                    StatusKey::Local(id) => Ref::Local(id).id(),
                    StatusKey::Remote(id) => Ref::Remote(id).id(),
                };
                let listed = deleted.visibility == Visibility::Public;
                for stream in &streams {
                    let told = match stream {
                        Stream::Public(origin) | Stream::Hashtag { origin, .. } => {
                            listed && origin.admits(deleted.local)
                        }
                        Stream::User => self.may_have_seen(&deleted.author, deleted.visibility, None).await?,
                        Stream::List(list) => {
                            self.may_have_seen(&deleted.author, deleted.visibility, Some(*list)).await?
                        }
                        // Mastodon's `direct` stream sends no deletes.
                        Stream::UserNotification | Stream::Direct => false,
                    };
                    if told {
                        out.push(Message::new(stream, EventName::Delete, id.clone()));
                    }
                }
            }
            LiveEvent::NotificationCreated { notification, recipient } => {
                let wanted: Vec<&Stream> =
                    streams.iter().filter(|s| matches!(s, Stream::User | Stream::UserNotification)).collect();
                if !wanted.is_empty()
                    && let Some(json) = self.notification(notification, recipient).await?
                {
                    for stream in wanted {
                        out.push(Message::new(stream, EventName::Notification, json.to_string()));
                    }
                }
            }
        }
        if !out.is_empty() && !self.token_alive().await? {
            return Ok(Err(End::TokenGone));
        }
        Ok(Ok(out))
    }

    /// The viewer's conversation that a direct status just joined, as the
    /// conversations list shows it (read through the audience check).
    async fn conversation(&mut self, status: StatusKey, direct: bool) -> Result<Option<Value>, HttpError> {
        let Some(user) = self.user.as_ref().filter(|_| direct) else { return Ok(None) };
        let at = match status {
            StatusKey::Local(id) => Ref::Local(id),
            StatusKey::Remote(id) => Ref::Remote(id),
        };
        super::super::conversations::conversation_ending_with(&self.state, user, at).await
    }

    /// Whether the token this stream was opened with still reads.
    async fn token_alive(&mut self) -> Result<bool, HttpError> {
        let Some(token) = &self.token else { return Ok(true) };
        let user = authenticate(&self.state, token).await?;
        let alive = match (&self.user, &user) {
            (Some(before), Some(now)) => before.account.actor.id == now.account.actor.id,
            (None, _) => user.is_some() || self.streams.iter().all(|s| !s.is_personal()),
            (Some(_), None) => false,
        };
        if alive && user.is_some() {
            self.user = user;
        }
        Ok(alive)
    }

    /// What the viewer's reading depends on, read again when stale.
    async fn viewer(&mut self) -> Result<Option<&ViewerState>, HttpError> {
        let Some(user) = &self.user else { return Ok(None) };
        let stale = self.viewer.as_ref().is_none_or(|v| v.read_at.elapsed() > VIEWER_FRESH_FOR);
        if stale {
            let state = &self.state;
            let reader = user.reader(state).await?;
            let home = home_sources(state, user, &reader).await?;
            let me = &user.account.actor;
            let hidden = state.db().hidden_from(me.id, &me.ap_id, false).await?;
            let hidden_notifications = state.db().hidden_from(me.id, &me.ap_id, true).await?;
            let notified = notified_actors(state, user).await?;
            let mut lists = HashMap::new();
            for stream in &self.streams {
                if let Stream::List(id) = stream
                    && let Ok(list) = maillage_app::lists::list(&state.app, &user.acting(), *id).await
                {
                    lists.insert(*id, super::super::lists::list_sources(state, user, &list).await?);
                }
            }
            let mut filters = HashMap::new();
            for context in [FilterContext::Home, FilterContext::Public, FilterContext::Notifications] {
                filters.insert(context_key(context), in_force(state, Some(user), context).await?);
            }
            self.viewer = Some(ViewerState {
                reader,
                hidden,
                hidden_notifications,
                notified,
                home,
                lists,
                filters,
                read_at: Instant::now(),
            });
        }
        Ok(self.viewer.as_ref())
    }

    /// A public status as this viewer's public streams show it: not from
    /// an account they hide, through their filters of public timelines.
    async fn public_for_viewer(&mut self, public: &PublicStatus) -> Result<Option<Value>, HttpError> {
        let Some(viewer) = self.viewer().await? else { return Ok(Some(public.json.clone())) };
        let hidden = match &public.author {
            Author::Local(id) => viewer.hidden.local_ids.contains(id),
            Author::Remote(ap_id) => viewer.hidden.ap_ids.contains(ap_id),
        };
        if hidden {
            return Ok(None);
        }
        let filters = &viewer.filters[context_key(FilterContext::Public)];
        Ok(filtered(filters, public.json.clone()))
    }

    /// The status as the viewer's home timeline (`list: None`) or list
    /// shows it, when it does: the timeline's own reading, on a page of one.
    async fn in_timeline(&mut self, status: StatusKey, list: Option<i64>) -> Result<Option<Value>, HttpError> {
        let state = self.state.clone();
        let Some(user) = self.user.as_ref().map(|u| User { grant: u.grant.clone(), account: u.account.clone() }) else {
            return Ok(None);
        };
        let Some((at, _)) = position(&state, status).await? else { return Ok(None) };
        let Some(viewer) = self.viewer().await? else { return Ok(None) };
        let (local, remote, replies) = match list {
            None => (&viewer.home.0, &viewer.home.1, None),
            Some(id) => match viewer.lists.get(&id) {
                Some((local, remote, replies)) => (local, remote, Some(replies)),
                None => return Ok(None),
            },
        };
        let reading = Reading {
            reader: &viewer.reader,
            viewer: Some(&user),
            context: FilterContext::Home,
            hidden: &viewer.hidden,
            replies,
        };
        let is_local = matches!(status, StatusKey::Local(_));
        let rows = timeline_rows(
            &state,
            &reading,
            is_local.then_some(local),
            (!is_local).then_some(remote),
            &only(at),
            &only(at),
        )
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let statuses = render(&state, &rows, Some(user.member())).await?;
        let filters = &viewer.filters[context_key(FilterContext::Home)];
        Ok(shown(&reading, filters, statuses).into_iter().next())
    }

    /// Whether the viewer's home timeline (or list) may have shown a status
    /// now deleted: listed or unlisted ones, or those of accounts it reads.
    async fn may_have_seen(
        &mut self,
        author: &Author,
        visibility: Visibility,
        list: Option<i64>,
    ) -> Result<bool, HttpError> {
        if matches!(visibility, Visibility::Public | Visibility::Unlisted) {
            return Ok(true);
        }
        let Some(viewer) = self.viewer().await? else { return Ok(false) };
        let (local, remote) = match list {
            None => (&viewer.home.0, &viewer.home.1),
            Some(id) => match viewer.lists.get(&id) {
                Some((local, remote, _)) => (local, remote),
                None => return Ok(false),
            },
        };
        Ok(match author {
            Author::Local(id) => match local {
                LocalPosts::Of(ids) | LocalPosts::OfOrNaming(ids) => ids.contains(id),
                _ => false,
            },
            Author::Remote(ap_id) => match remote {
                RemotePosts::By(ids) | RemotePosts::ByOrNaming(ids) => ids.contains(ap_id),
                _ => false,
            },
        })
    }

    /// The notification as the member's notifications list shows it, when
    /// it is theirs and not from an account they hide.
    async fn notification(&mut self, id: i64, recipient: i64) -> Result<Option<Value>, HttpError> {
        let state = self.state.clone();
        let Some(user) = self.user.as_ref().map(|u| User { grant: u.grant.clone(), account: u.account.clone() }) else {
            return Ok(None);
        };
        if user.require("read:notifications").is_err() {
            return Ok(None);
        }
        let Some(viewer) = self.viewer().await? else { return Ok(None) };
        if !viewer.notified.contains(&recipient) {
            return Ok(None);
        }
        let rows = state
            .db()
            .notifications_page_hiding(
                &[recipient],
                None,
                Some(id.saturating_add(1)),
                1,
                &viewer.hidden_notifications.ap_ids,
            )
            .await?;
        let Some(row) = rows.into_iter().find(|n| n.id == id) else { return Ok(None) };
        let reader = state.db().reader_for_member(&user.account.actor).await?;
        let mut json = notification_json(&state, &reader, &row, Some(user.member())).await?;
        if !json["status"].is_null() {
            let filters = &viewer.filters[context_key(FilterContext::Notifications)];
            match filtered(filters, json["status"].take()) {
                Some(status) => json["status"] = status,
                None => return Ok(None),
            }
        }
        Ok(Some(json))
    }
}

fn context_key(context: FilterContext) -> &'static str {
    match context {
        FilterContext::Home => "home",
        FilterContext::Public => "public",
        FilterContext::Notifications => "notifications",
        _ => "other",
    }
}
