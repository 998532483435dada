//! The Mastodon client API subset: instance, accounts, statuses (posting as
//! oneself or, with `maillage_as`, as an enterprise one edits), timelines,
//! search with remote resolution, follows.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maillage_db::{
    Direction, FollowState, PageBounds, Post, PostSource, Reader, RemoteObject, RemoteSource, TimelinePosition, UtcTime,
};
use maillage_domain::{ActorKind, Visibility};
use maillage_federation::content::{self, NoteDraft};
use maillage_federation::objects::RemoteActorObject;
use serde_json::{Value, json};

use super::auth::{MaybeUser, User};
use super::entities::{self, REMOTE_OFFSET, Ref, StatusOf, local_account, local_status, remote_account, remote_status};
use super::params::Params;
use crate::{AppState, HttpError};

pub const MAX_CHARACTERS: usize = content::NOTE_MAX;
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 40;

fn version() -> String {
    format!("4.2.0 (compatible; Maillage {})", env!("CARGO_PKG_VERSION"))
}

async fn hub_account(state: &AppState) -> Result<Value, HttpError> {
    match state.db.local_actor_of_kind(ActorKind::Hub).await? {
        Some(hub) => local_account(state, &hub).await,
        None => Ok(Value::Null),
    }
}

/// `GET /api/v1/instance`
pub async fn instance_v1(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    let counts = state.db.count_local_actors().await?;
    Ok(Json(json!({
        "uri": state.config.instance.domain,
        "title": state.config.hub.name,
        "short_description": state.config.hub.summary,
        "description": state.config.hub.summary,
        "email": "",
        "version": version(),
        "urls": { "streaming_api": "" },
        "stats": { "user_count": counts.members, "status_count": 0, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["fr", "en"],
        "registrations": state.config.registrations.mode != "closed",
        "approval_required": state.config.registrations.mode == "approval",
        "invites_enabled": state.config.registrations.mode == "invite",
        "configuration": {
            "statuses": { "max_characters": MAX_CHARACTERS, "max_media_attachments": 0, "characters_reserved_per_url": 23 },
            "media_attachments": { "supported_mime_types": [] },
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
        },
        "contact_account": hub_account(&state).await?,
        "rules": [],
    })))
}

/// `GET /api/v2/instance`
pub async fn instance_v2(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    let counts = state.db.count_local_actors().await?;
    Ok(Json(json!({
        "domain": state.config.instance.domain,
        "title": state.config.hub.name,
        "version": version(),
        "source_url": "https://www.gnu.org/licenses/agpl-3.0.html",
        "description": state.config.hub.summary,
        "usage": { "users": { "active_month": counts.members } },
        "thumbnail": { "url": "" },
        "languages": ["fr", "en"],
        "configuration": {
            "urls": { "streaming": "" },
            "accounts": { "max_featured_tags": 0 },
            "statuses": { "max_characters": MAX_CHARACTERS, "max_media_attachments": 0, "characters_reserved_per_url": 23 },
            "media_attachments": { "supported_mime_types": [] },
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
            "translation": { "enabled": false },
        },
        "registrations": {
            "enabled": state.config.registrations.mode != "closed",
            "approval_required": state.config.registrations.mode == "approval",
            "message": null,
        },
        "contact": { "email": "", "account": hub_account(&state).await? },
        "rules": [],
    })))
}

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("read:accounts")?;
    let mut account = local_account(&state, &user.account.actor).await?;
    let enterprises = state.db.enterprises_of_member(user.account.actor.id).await?;
    account["source"] = json!({ "privacy": "public", "sensitive": false, "language": "fr", "note": user.account.actor.summary, "fields": [] });
    account["maillage_enterprises"] = json!(enterprises.iter().map(|e| e.username.clone()).collect::<Vec<_>>());
    account["maillage_admin"] = json!(user.account.is_admin);
    Ok(Json(account))
}

async fn account_json(state: &AppState, id: Ref) -> Result<Value, HttpError> {
    match id {
        Ref::Local(id) => {
            let actor = state.db.local_actor_by_id(id).await?.filter(|a| a.kind() != ActorKind::Instance);
            local_account(state, &actor.ok_or_else(|| HttpError::NotFound("Record not found".into()))?).await
        }
        Ref::Remote(id) => {
            let actor =
                state.db.remote_actor_by_id(id).await?.ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
            Ok(remote_account(&actor))
        }
    }
}

/// `GET /api/v1/accounts/:id`
pub async fn account(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, HttpError> {
    Ok(Json(account_json(&state, Ref::parse(&id)?).await?))
}

/// `GET /api/v1/accounts/lookup?acct=`
pub async fn lookup(State(state): State<AppState>, params: Params) -> Result<Json<Value>, HttpError> {
    let acct = params.required("acct")?;
    let acct = acct.trim_start_matches('@');
    let (name, domain) = acct.split_once('@').unwrap_or((acct, state.config.instance.domain.as_str()));
    if domain.eq_ignore_ascii_case(&state.config.instance.domain) {
        let actor = state.db.local_actor_by_username(name).await?.filter(|a| a.kind() != ActorKind::Instance);
        return Ok(Json(
            local_account(&state, &actor.ok_or_else(|| HttpError::NotFound("Record not found".into()))?).await?,
        ));
    }
    let actor = state
        .db
        .remote_actor_by_handle(name, domain)
        .await?
        .ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    Ok(Json(remote_account(&actor)))
}

fn limit(params: &Params) -> Result<i64, HttpError> {
    Ok(params.number("limit")?.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT))
}

/// Where a status stands in timelines: its time, then its API id (at one
/// time, remote statuses come before local ones, as their ids are larger).
#[derive(Debug, Clone, Copy)]
struct Cursor {
    time: UtcTime,
    at: Ref,
}

impl Cursor {
    /// The same place, as a bound on local posts.
    fn for_posts(self) -> TimelinePosition {
        let id = match self.at {
            Ref::Local(id) => id,
            Ref::Remote(_) => i64::MAX,
        };
        TimelinePosition { time: self.time, id }
    }

    /// The same place, as a bound on remote objects.
    fn for_remote_objects(self) -> TimelinePosition {
        let id = match self.at {
            Ref::Local(_) => 0,
            Ref::Remote(id) => id,
        };
        TimelinePosition { time: self.time, id }
    }
}

/// The place of the status a paging parameter names (`None` when absent,
/// unknown, or not the reader's to see: a cursor tells nothing of hidden posts).
async fn cursor(state: &AppState, reader: &Reader, params: &Params, key: &str) -> Result<Option<Cursor>, HttpError> {
    let Some(id) = params.text(key).filter(|id| !id.trim().is_empty()) else { return Ok(None) };
    let at = Ref::parse(&id)?;
    let time = match at {
        Ref::Local(id) => state.db.visible_post(reader, id).await?.map(|p| p.published),
        Ref::Remote(id) => state.db.visible_remote_object(reader, id).await?.map(|o| o.created_at),
    };
    Ok(time.map(|time| Cursor { time, at }))
}

/// Which local posts a timeline shows (always as its reader may see them).
enum LocalPosts {
    /// Those listed on public timelines.
    Listed,
    /// Of these actors.
    Of(Vec<i64>),
    /// Of these actors, and those that name the reader.
    OfOrNaming(Vec<i64>),
    /// Public ones with the tag of this key.
    Tagged(String),
}

/// Which remote posts a timeline shows (always as its reader may see them).
enum RemotePosts {
    /// Those addressed to the public.
    Listed,
    /// By these authors.
    By(Vec<String>),
    /// By these authors, and those that name the reader.
    ByOrNaming(Vec<String>),
    /// Public ones with the tag of this key.
    Tagged(String),
}

/// One status of a page, before it is shown.
enum Row {
    Local(Post),
    Remote(RemoteObject),
}

impl Row {
    /// The merge order of local and remote statuses, which [`Cursor`] follows.
    fn order(&self) -> (UtcTime, i64) {
        match self {
            Row::Local(post) => (post.published, post.id),
            Row::Remote(object) => (object.created_at, REMOTE_OFFSET + object.id),
        }
    }
}

/// A page of local and remote statuses merged, newest first, with
/// Mastodon's Link header: `next` (older, `max_id`) and `prev` (newer,
/// `min_id`), keeping the timeline's own parameters (`kept`).
#[allow(clippy::too_many_arguments)]
async fn timeline(
    state: &AppState,
    reader: &Reader,
    params: &Params,
    path: &str,
    kept: &[(&str, &str)],
    local: Option<LocalPosts>,
    remote: Option<RemotePosts>,
) -> Result<Response, HttpError> {
    let limit = limit(params)?;
    let older_than = cursor(state, reader, params, "max_id").await?;
    let min_id = cursor(state, reader, params, "min_id").await?;
    let newer_than = match min_id {
        Some(_) => min_id,
        None => cursor(state, reader, params, "since_id").await?,
    };
    let oldest_first = min_id.is_some();
    let bounds_for = |position: fn(Cursor) -> TimelinePosition| PageBounds {
        older_than: older_than.map(position),
        newer_than: newer_than.map(position),
        oldest_first,
        limit,
    };
    let mut rows: Vec<Row> = Vec::new();
    let bounds = bounds_for(Cursor::for_posts);
    let posts = match &local {
        None => Vec::new(),
        Some(LocalPosts::Listed) => state.db.posts_page(PostSource::Listed, reader, &bounds).await?,
        Some(LocalPosts::Of(actors)) => state.db.posts_page(PostSource::Of(actors), reader, &bounds).await?,
        Some(LocalPosts::OfOrNaming(actors)) => {
            state.db.posts_page(PostSource::OfOrNaming(actors), reader, &bounds).await?
        }
        Some(LocalPosts::Tagged(tag)) => state.db.tagged_posts_page(tag, &bounds).await?,
    };
    rows.extend(posts.into_iter().map(Row::Local));
    let bounds = bounds_for(Cursor::for_remote_objects);
    let objects = match &remote {
        None => Vec::new(),
        // The public timeline: what other servers addressed to the public
        // only, never the followers-only posts our actors receive.
        Some(RemotePosts::Listed) => state.db.remote_objects_page(RemoteSource::Listed, reader, &bounds).await?,
        Some(RemotePosts::By(authors)) => {
            state.db.remote_objects_page(RemoteSource::By(authors), reader, &bounds).await?
        }
        Some(RemotePosts::ByOrNaming(authors)) => {
            state.db.remote_objects_page(RemoteSource::ByOrNaming(authors), reader, &bounds).await?
        }
        Some(RemotePosts::Tagged(tag)) => state.db.tagged_remote_objects_page(tag, &bounds).await?,
    };
    rows.extend(objects.into_iter().map(Row::Remote));
    rows.sort_by_key(|row| std::cmp::Reverse(row.order()));
    if oldest_first {
        // The statuses right after `min_id`, shown newest first.
        rows.reverse();
        rows.truncate(usize::try_from(limit).unwrap_or(20));
        rows.reverse();
    } else {
        rows.truncate(usize::try_from(limit).unwrap_or(20));
    }
    let page: Vec<StatusOf<'_>> = rows
        .iter()
        .map(|row| match row {
            Row::Local(post) => StatusOf::Local(post),
            Row::Remote(object) => StatusOf::Remote(object),
        })
        .collect();
    let statuses = entities::statuses(state, &page).await?;
    let mut response = Json(json!(statuses)).into_response();
    if let (Some(first), Some(last)) = (statuses.first(), statuses.last()) {
        let base = format!("{}{path}", state.config.public_base_url());
        let query = |key: &str, id: &Value| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(kept.iter().copied());
            query.append_pair(key, id.as_str().unwrap_or_default());
            query.append_pair("limit", &limit.to_string());
            query.finish()
        };
        let link = format!(
            "<{base}?{}>; rel=\"next\", <{base}?{}>; rel=\"prev\"",
            query("max_id", &last["id"]),
            query("min_id", &first["id"])
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The `local=true` / `remote=true` filters of public timelines.
struct Origins {
    local: bool,
    remote: bool,
    /// The parameters their Link headers keep.
    kept: Vec<(&'static str, &'static str)>,
}

impl Origins {
    fn of(params: &Params) -> Result<Origins, HttpError> {
        let only_local = params.flag("local")?.unwrap_or(false);
        let only_remote = params.flag("remote")?.unwrap_or(false);
        let mut kept = Vec::new();
        if only_local {
            kept.push(("local", "true"));
        }
        if only_remote {
            kept.push(("remote", "true"));
        }
        Ok(Origins { local: !only_remote, remote: !only_local, kept })
    }
}

/// `GET /api/v1/timelines/public` (`local=true`, `remote=true`)
pub async fn public_timeline(State(state): State<AppState>, params: Params) -> Result<Response, HttpError> {
    let origins = Origins::of(&params)?;
    let local = origins.local.then_some(LocalPosts::Listed);
    let remote = origins.remote.then_some(RemotePosts::Listed);
    let anyone = Reader::anonymous();
    timeline(&state, &anyone, &params, "/api/v1/timelines/public", &origins.kept, local, remote).await
}

/// The key of the tag a path names; 404 when it is no tag name.
fn tag_key(name: &str) -> Result<(String, String), HttpError> {
    let not_a_tag = || HttpError::NotFound(format!("{name:?} is not a hashtag name (letters, digits and _)"));
    let shown = maillage_domain::tags::display_name(name).ok_or_else(not_a_tag)?;
    let key = maillage_domain::tags::key(&shown).ok_or_else(not_a_tag)?;
    Ok((shown, key))
}

/// `GET /api/v1/timelines/tag/:hashtag` (`local=true`, `remote=true`): public
/// statuses with that tag, whatever its case or accents.
pub async fn tag_timeline(
    State(state): State<AppState>,
    Path(hashtag): Path<String>,
    params: Params,
) -> Result<Response, HttpError> {
    let (shown, key) = tag_key(&hashtag)?;
    let origins = Origins::of(&params)?;
    let local = origins.local.then(|| LocalPosts::Tagged(key.clone()));
    let remote = origins.remote.then(|| RemotePosts::Tagged(key.clone()));
    let path =
        format!("/api/v1/timelines/tag/{}", url::form_urlencoded::byte_serialize(shown.as_bytes()).collect::<String>());
    timeline(&state, &Reader::anonymous(), &params, &path, &origins.kept, local, remote).await
}

/// `GET /api/v1/tags/:name`: the Tag entity (nobody follows tags here).
pub async fn tag(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<Value>, HttpError> {
    let (shown, _) = tag_key(&name)?;
    Ok(Json(json!({
        "name": shown,
        "url": state.federation.context().urls.tag(&shown),
        "history": [],
        "following": false,
    })))
}

/// How many local accounts a home timeline follows at most.
const HOME_FOLLOWED_MAX: i64 = 10_000;

/// `GET /api/v1/timelines/home`: own posts, the enterprises one edits, the
/// accounts one follows (here or elsewhere), and what names one.
pub async fn home_timeline(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:statuses")?;
    let me = &user.account.actor;
    let reader = user.reader(&state).await?;
    let mut actors = reader.local_ids.clone();
    actors.extend(state.db.locally_followed(me.id, HOME_FOLLOWED_MAX).await?.iter().map(|a| a.id));
    let followed = state.db.followed_remote_ids(me.id).await?;
    let local = Some(LocalPosts::OfOrNaming(actors));
    let remote = Some(RemotePosts::ByOrNaming(followed));
    timeline(&state, &reader, &params, "/api/v1/timelines/home", &[], local, remote).await
}

/// `GET /api/v1/accounts/:id/statuses`
pub async fn account_statuses(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, HttpError> {
    let path = format!("/api/v1/accounts/{id}/statuses");
    let reader = viewer.reader(&state).await?;
    match Ref::parse(&id)? {
        Ref::Local(id) => {
            let local = Some(LocalPosts::Of(vec![id]));
            timeline(&state, &reader, &params, &path, &[], local, None).await
        }
        Ref::Remote(id) => {
            let actor =
                state.db.remote_actor_by_id(id).await?.ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
            let remote = Some(RemotePosts::By(vec![actor.ap_id]));
            timeline(&state, &reader, &params, &path, &[], None, remote).await
        }
    }
}

/// `POST /api/v1/statuses`; `maillage_as=<enterprise>` posts for an enterprise one edits.
pub async fn create_status(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    // A retried request with the same Idempotency-Key gets the same status.
    let idempotency = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty());
    if let Some(post) = maillage_app::posts::published_with_key(&state.app, &user.acting(), idempotency).await? {
        return Ok(Json(local_status(&state, &post).await?));
    }
    let text = params.required("status")?;
    let visibility = match params.text("visibility").filter(|v| !v.is_empty()) {
        None => Visibility::Public,
        Some(name) => Visibility::from_mastodon_name(&name).map_err(|e| HttpError::Unprocessable(e.to_string()))?,
    };
    if !params.list("media_ids").is_empty() {
        return Err(HttpError::Unprocessable("media attachments are not supported yet".into()));
    }
    // One replies only to what one may read.
    let reader = user.reader(&state).await?;
    let in_reply_to = match params.text("in_reply_to_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => Some(
            match Ref::parse(&id)? {
                Ref::Local(id) => state.db.visible_post(&reader, id).await?.map(|p| p.ap_id),
                Ref::Remote(id) => state.db.visible_remote_object(&reader, id).await?.map(|o| o.ap_id),
            }
            .ok_or_else(|| HttpError::NotFound("the status replied to does not exist".into()))?,
        ),
    };
    let me = &user.account.actor;
    let draft = NoteDraft {
        enterprise: params.text("maillage_as").filter(|s| !s.is_empty()).unwrap_or_else(|| me.username.clone()),
        author: me.username.clone(),
        text,
        language: params.text("language").filter(|s| !s.is_empty()).unwrap_or_else(|| "fr".to_string()),
        visibility,
        in_reply_to,
        content_warning: params.text("spoiler_text"),
        translation: None,
    };
    let post = maillage_app::posts::publish_note_once(&state.app, &user.acting(), &draft, idempotency).await?;
    Ok(Json(local_status(&state, &post).await?))
}

/// The Status of `id`, when `reader` may see it (else 404, whether or not it exists).
async fn status_json(state: &AppState, id: Ref, reader: &Reader) -> Result<Value, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    match id {
        Ref::Local(id) => local_status(state, &state.db.visible_post(reader, id).await?.ok_or_else(missing)?).await,
        Ref::Remote(id) => {
            remote_status(state, &state.db.visible_remote_object(reader, id).await?.ok_or_else(missing)?).await
        }
    }
}

/// `GET /api/v1/statuses/:id`
pub async fn status(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    Ok(Json(status_json(&state, Ref::parse(&id)?, &reader).await?))
}

/// One of our posts that `user` may read and change (404 when they may
/// not read it; the use case refuses a change they may not make).
async fn own_post(state: &AppState, user: &User, id: &str) -> Result<Post, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    let Ref::Local(id) = Ref::parse(id)? else { return Err(missing()) };
    let reader = state.db.reader_for_member(&user.account.actor).await?;
    state.db.visible_post(&reader, id).await?.ok_or_else(missing)
}

/// `DELETE /api/v1/statuses/:id`: only its author (or the enterprise's editors).
pub async fn delete_status(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    let post = own_post(&state, &user, &id).await?;
    let shown = local_status(&state, &post).await?;
    maillage_app::posts::delete(&state.app, &user.acting(), &post.ap_id).await?;
    Ok(Json(shown))
}

async fn relationship(state: &AppState, me: i64, id: Ref) -> Result<Value, HttpError> {
    let (following, requested, followed_by) = match id {
        Ref::Remote(remote) => {
            let out = state.db.find_follow(me, remote, Direction::Outgoing).await?;
            let inc = state.db.find_follow(me, remote, Direction::Incoming).await?;
            (
                out.as_ref().is_some_and(|f| f.state() == FollowState::Accepted),
                out.as_ref().is_some_and(|f| f.state() == FollowState::Pending),
                inc.is_some_and(|f| f.state() == FollowState::Accepted),
            )
        }
        Ref::Local(other) => {
            let out = state.db.local_follow(me, other).await?;
            let inc = state.db.local_follow(other, me).await?;
            (
                out.as_ref().is_some_and(|f| f.accepted),
                out.as_ref().is_some_and(|f| !f.accepted),
                inc.is_some_and(|f| f.accepted),
            )
        }
    };
    Ok(json!({
        "id": id.id(), "following": following, "requested": requested, "followed_by": followed_by,
        "showing_reblogs": true, "notifying": false, "languages": null, "blocking": false, "blocked_by": false,
        "muting": false, "muting_notifications": false, "domain_blocking": false, "endorsed": false, "note": "",
    }))
}

/// `GET /api/v1/accounts/relationships?id[]=`
pub async fn relationships(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("read:follows")?;
    let mut out = Vec::new();
    for id in params.list("id") {
        out.push(relationship(&state, user.account.actor.id, Ref::parse(&id)?).await?);
    }
    Ok(Json(json!(out)))
}

/// The account a follow or an unfollow is about.
async fn followed(state: &AppState, id: &str) -> Result<maillage_app::follows::Followed, HttpError> {
    use maillage_app::follows::Followed;
    let missing = || HttpError::NotFound("Record not found".into());
    match Ref::parse(id)? {
        Ref::Remote(id) => {
            let row = state.db.remote_actor_by_id(id).await?.ok_or_else(missing)?;
            Ok(Followed::Elsewhere(Box::new(RemoteActorObject::try_from(row)?)))
        }
        Ref::Local(id) => {
            let actor = state.db.local_actor_by_id(id).await?.filter(|a| a.kind() != ActorKind::Instance);
            Ok(Followed::Here(Box::new(actor.ok_or_else(missing)?)))
        }
    }
}

/// `POST /api/v1/accounts/:id/follow`
pub async fn follow(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:follows")?;
    maillage_app::follows::follow(&state.app, &user.account.actor, &followed(&state, &id).await?).await?;
    Ok(Json(relationship(&state, user.account.actor.id, Ref::parse(&id)?).await?))
}

/// `POST /api/v1/accounts/:id/unfollow`
pub async fn unfollow(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:follows")?;
    maillage_app::follows::unfollow(&state.app, &user.account.actor, &followed(&state, &id).await?).await?;
    Ok(Json(relationship(&state, user.account.actor.id, Ref::parse(&id)?).await?))
}

/// `GET /api/v2/search?q=&resolve=true`: accounts by handle or URL, statuses by URL.
pub async fn search(
    State(state): State<AppState>,
    viewer: MaybeUser,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    let MaybeUser(user) = viewer;
    let q = params.required("q")?;
    let q = q.trim();
    let resolve = params.flag("resolve")?.unwrap_or(false) && user.is_some();
    let wants = params.text("type");
    let mut accounts = Vec::new();
    let mut statuses = Vec::new();
    let domain = state.config.instance.domain.clone();
    let is_url = q.starts_with("https://") || q.starts_with("http://");
    if !is_url && q.trim_start_matches('@').contains('@') {
        let handle = q.trim_start_matches('@');
        let (name, host) = handle.split_once('@').unwrap_or((handle, ""));
        if host.eq_ignore_ascii_case(&domain) {
            if let Some(actor) =
                state.db.local_actor_by_username(name).await?.filter(|a| a.kind() != ActorKind::Instance)
            {
                accounts.push(local_account(&state, &actor).await?);
            }
        } else if let Some(actor) = state.db.remote_actor_by_handle(name, host).await?.filter(|a| !a.suspended) {
            accounts.push(remote_account(&actor));
        } else if resolve {
            let remote = maillage_federation::activities::resolve_actor(&state.federation, handle).await?;
            accounts.push(remote_account(&remote.row));
        }
    } else if is_url {
        if let Some(post) = state.db.visible_post_by_ap_id(&reader, q).await? {
            statuses.push(local_status(&state, &post).await?);
        } else if let Some(actor) = state.db.remote_actor_by_ap_id(q).await?.filter(|a| !a.suspended) {
            accounts.push(remote_account(&actor));
        } else if let Some(object) = state.db.visible_remote_object_by_ap_id(&reader, q).await? {
            statuses.push(remote_status(&state, &object).await?);
        } else if resolve && !q.contains(&domain) {
            match maillage_federation::activities::resolve_actor(&state.federation, q).await {
                Ok(remote) => accounts.push(remote_account(&remote.row)),
                Err(_) => {
                    let object = maillage_federation::objects::fetch_remote_object(&state.federation, q).await?;
                    // Fetched or not, it is shown only to its audience.
                    if let Some(object) = state.db.visible_remote_object(&reader, object.id).await? {
                        statuses.push(remote_status(&state, &object).await?);
                    }
                }
            }
        }
    } else {
        // A bare name: local accounts of that name.
        if let Some(actor) = state
            .db
            .local_actor_by_username(q.trim_start_matches('@'))
            .await?
            .filter(|a| a.kind() != ActorKind::Instance)
        {
            accounts.push(local_account(&state, &actor).await?);
        }
    }
    if wants.as_deref() == Some("statuses") {
        accounts.clear();
    }
    if wants.as_deref() == Some("accounts") {
        statuses.clear();
    }
    Ok(Json(json!({ "accounts": accounts, "statuses": statuses, "hashtags": [] })))
}

/// Mastodon endpoints we do not offer: a clear JSON answer, never a crash.
pub async fn unsupported() -> HttpError {
    HttpError::NotImplemented("this Mastodon API endpoint is not supported by Maillage".into())
}

/// `GET /api/v1/instance/peers`
pub async fn peers(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    Ok(Json(json!(state.db.known_domains(10_000).await?)))
}

/// `PATCH /api/v1/accounts/update_credentials` (`display_name`, `note`)
pub async fn update_credentials(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:accounts")?;
    let updated = maillage_app::posts::update_member_profile(
        &state.app,
        &user.account.actor,
        params.text("display_name").as_deref(),
        params.text("note").as_deref(),
    )
    .await?;
    Ok(Json(local_account(&state, &updated).await?))
}

/// `PUT /api/v1/statuses/:id`: edits the text of one's own update, and its
/// content warning when `spoiler_text` is given.
pub async fn edit_status(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    let post = own_post(&state, &user, &id).await?;
    if post.kind != "note" {
        return Err(HttpError::Unprocessable("practices are edited through /api/maillage/v1/practices".into()));
    }
    let warning = params.text("spoiler_text");
    let text = params.required("status")?;
    let edited =
        maillage_app::posts::edit_note(&state.app, &user.acting(), &post.ap_id, &text, warning.as_deref()).await?;
    Ok(Json(local_status(&state, &edited).await?))
}

/// `GET /api/v1/accounts/:id/followers` and `/following` of a local account.
async fn follow_list(state: &AppState, id: &str, direction: Direction) -> Result<Json<Value>, HttpError> {
    let Ref::Local(id) = Ref::parse(id)? else { return Ok(Json(json!([]))) };
    let actor = state.db.local_actor_by_id(id).await?.ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    let mut out = Vec::new();
    let here = match direction {
        Direction::Incoming => state.db.local_followers(actor.id, MAX_LIMIT).await?,
        Direction::Outgoing => state.db.locally_followed(actor.id, MAX_LIMIT).await?,
    };
    for local in &here {
        out.push(local_account(state, local).await?);
    }
    for follow in state.db.follows_page(actor.id, direction, FollowState::Accepted, None, MAX_LIMIT).await? {
        if let Some(remote) = state.db.remote_actor_by_id(follow.remote_actor_id).await? {
            out.push(remote_account(&remote));
        }
    }
    Ok(Json(json!(out)))
}

pub async fn followers(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, HttpError> {
    follow_list(&state, &id, Direction::Incoming).await
}

pub async fn following(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, HttpError> {
    follow_list(&state, &id, Direction::Outgoing).await
}

/// `POST /api/v1/accounts`: registration, with an app token, as
/// `registrations.mode` allows (closed, invite with `invite_code`, approval).
pub async fn register(
    State(state): State<AppState>,
    super::auth::Token(grant): super::auth::Token,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    if !super::auth::has_scope(&grant.scopes, "write:accounts") {
        return Err(HttpError::Forbidden("this action needs the scope write:accounts".into()));
    }
    let registration = maillage_app::users::Registration {
        username: params.required("username")?,
        email: params.required("email")?,
        password: params.required("password")?,
        agreement: params.flag("agreement")? == Some(true),
        invite_code: params.text("invite_code"),
        app_id: grant.app_id,
    };
    let registered = maillage_app::users::register(&state.app, registration).await?;
    let (token, scopes) = (registered.token, maillage_app::users::REGISTRATION_SCOPES);
    Ok(Json(
        json!({ "access_token": token, "token_type": "Bearer", "scope": scopes, "created_at": chrono::Utc::now().timestamp() }),
    ))
}

/// Sets `favourited`/`reblogged` as the viewer sees them.
async fn for_viewer(state: &AppState, mut status: Value, viewer: &str) -> Result<Value, HttpError> {
    use maillage_db::ReactionKind;
    let uri = status["uri"].as_str().unwrap_or_default().to_string();
    status["favourited"] = json!(state.db.has_reacted(ReactionKind::Like, &uri, viewer).await?.is_some());
    status["reblogged"] = json!(state.db.has_reacted(ReactionKind::Announce, &uri, viewer).await?.is_some());
    Ok(status)
}

/// The ActivityPub id of a status `reader` may see, by its API id.
pub(super) async fn status_uri(state: &AppState, reader: &Reader, id: &str) -> Result<String, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    Ok(match Ref::parse(id)? {
        Ref::Local(id) => state.db.visible_post(reader, id).await?.ok_or_else(missing)?.ap_id,
        Ref::Remote(id) => state.db.visible_remote_object(reader, id).await?.ok_or_else(missing)?.ap_id,
    })
}

async fn react(
    state: &AppState,
    user: &User,
    id: &str,
    kind: maillage_db::ReactionKind,
    undo: bool,
) -> Result<Json<Value>, HttpError> {
    user.require(if kind == maillage_db::ReactionKind::Like { "write:favourites" } else { "write:statuses" })?;
    // What the token may read, as the status shown back.
    let reader = user.reader(state).await?;
    let uri = status_uri(state, &reader, id).await?;
    maillage_app::posts::react(&state.app, &user.account.actor, &uri, kind, undo).await?;
    let status = status_json(state, Ref::parse(id)?, &reader).await?;
    Ok(Json(for_viewer(state, status, &user.account.actor.ap_id).await?))
}

/// `POST /api/v1/statuses/:id/favourite`
pub async fn favourite(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Like, false).await
}

/// `POST /api/v1/statuses/:id/unfavourite`
pub async fn unfavourite(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Like, true).await
}

/// `POST /api/v1/statuses/:id/reblog`
pub async fn reblog(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Announce, false).await
}

/// `POST /api/v1/statuses/:id/unreblog`
pub async fn unreblog(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Announce, true).await
}

/// `GET /api/v1/statuses/:id/context`: the replies we hold and the parent chain.
pub async fn context(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    let status = status_json(&state, Ref::parse(&id)?, &reader).await?;
    let mut ancestors = Vec::new();
    let mut parent = status["in_reply_to_id"].as_str().map(str::to_string);
    while let Some(parent_id) = parent.take() {
        if ancestors.len() >= 20 {
            break;
        }
        match status_json(&state, Ref::parse(&parent_id)?, &reader).await {
            Ok(found) => {
                parent = found["in_reply_to_id"].as_str().map(str::to_string);
                ancestors.insert(0, found);
            }
            Err(_) => break,
        }
    }
    Ok(Json(json!({ "ancestors": ancestors, "descendants": [] })))
}

/// The local actors whose notifications a member sees: themself and the
/// enterprises they edit.
async fn notified_actors(state: &AppState, user: &User) -> Result<Vec<i64>, HttpError> {
    Ok(maillage_app::notifications::notified_actors(&state.app, &user.account.actor).await?)
}

async fn notification_json(
    state: &AppState,
    reader: &Reader,
    notification: &maillage_db::Notification,
) -> Result<Value, HttpError> {
    let account = match state.db.remote_actor_by_ap_id(&notification.from_ap_id).await? {
        Some(remote) => remote_account(&remote),
        None => match state.db.local_actor_by_ap_id(&notification.from_ap_id).await? {
            Some(local) => local_account(state, &local).await?,
            None => {
                json!({ "id": "0", "username": "", "acct": notification.from_ap_id, "url": notification.from_ap_id })
            }
        },
    };
    // The status as its reader may see it: the notified member.
    let status = match &notification.object_ap_id {
        Some(uri) => {
            match (
                state.db.visible_post_by_ap_id(reader, uri).await?,
                state.db.visible_remote_object_by_ap_id(reader, uri).await?,
            ) {
                (Some(post), _) => local_status(state, &post).await?,
                (_, Some(object)) => remote_status(state, &object).await?,
                _ => Value::Null,
            }
        }
        None => Value::Null,
    };
    Ok(json!({
        "id": notification.id.to_string(),
        "type": notification.kind,
        "created_at": notification.created_at.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "account": account,
        "status": status,
    }))
}

/// `GET /api/v1/notifications` (`types[]`, `exclude_types[]`, `max_id`, `limit`)
pub async fn notifications(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:notifications")?;
    let actors = notified_actors(&state, &user).await?;
    let mut kinds: Vec<String> = params.list("types");
    let excluded = params.list("exclude_types");
    if !excluded.is_empty() {
        if kinds.is_empty() {
            kinds =
                ["follow", "follow_request", "mention", "reblog", "favourite"].iter().map(|k| k.to_string()).collect();
        }
        kinds.retain(|k| !excluded.contains(k));
    }
    let before = params.number("max_id")?;
    let limit = limit(&params)?;
    let rows =
        state.db.notifications_page(&actors, (!kinds.is_empty()).then_some(kinds.as_slice()), before, limit).await?;
    let reader = state.db.reader_for_member(&user.account.actor).await?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(notification_json(&state, &reader, row).await?);
    }
    let mut response = Json(json!(out)).into_response();
    if let Some(last) = rows.last() {
        let link = format!(
            "<{}/api/v1/notifications?max_id={}&limit={limit}>; rel=\"next\"",
            state.config.public_base_url(),
            last.id
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// `GET /api/v1/notifications/:id`
pub async fn notification(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:notifications")?;
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
    let actors = notified_actors(&state, &user).await?;
    let row = state
        .db
        .notifications_page(&actors, None, Some(id + 1), 1)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    let reader = state.db.reader_for_member(&user.account.actor).await?;
    Ok(Json(notification_json(&state, &reader, &row).await?))
}

/// `POST /api/v1/notifications/clear`
pub async fn clear_notifications(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("write:notifications")?;
    maillage_app::notifications::dismiss(&state.app, &user.account.actor, None).await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/:id/dismiss`
pub async fn dismiss_notification(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:notifications")?;
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
    maillage_app::notifications::dismiss(&state.app, &user.account.actor, Some(id)).await?;
    Ok(Json(json!({})))
}
