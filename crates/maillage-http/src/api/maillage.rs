//! Maillage's own API (`/api/maillage/v1`): enterprises and shared
//! practices, which Mastodon has no notion of. Its OpenAPI document is
//! generated from these handlers and types (`/api/maillage/v1/openapi.json`).

use super::entities::iso;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maillage_db::{ListingHub, LocalActor, Post};
use maillage_domain::{ActorKind, EnterpriseProfile, PostKind, ProfileChanges};
use maillage_federation::content::{self, PracticeDraft};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::auth::{MaybeUser, User};
use super::maillage_media::{self, PictureUpload, PracticeFile};
use crate::{AppState, HttpError};
use maillage_app::posts::Cover;

/// An enterprise of this instance or of the network.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enterprise {
    /// `handle@domain`
    acct: String,
    handle: String,
    /// Its ActivityPub id.
    uri: String,
    /// True for the enterprises of this hub.
    local: bool,
    name: String,
    summary: Option<String>,
    /// The structured profile (legal form, sectors, region...).
    #[schema(value_type = Object)]
    profile: Value,
    /// The hub that lists it: this hub for its own enterprises, else the
    /// followed hub that lists it in the network directory.
    hub: Option<Hub>,
}

/// A hub, as the one that lists an enterprise.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hub {
    /// Its ActivityPub id.
    id: String,
    /// `name@domain`: the value of the `hub` filter.
    handle: String,
    /// Its display name.
    name: String,
    /// Its web page.
    url: String,
}

impl Hub {
    fn of(listing: &ListingHub, our_domain: &str) -> Self {
        Hub {
            id: listing.ap_id.clone(),
            handle: listing.handle(our_domain),
            name: listing.name().to_string(),
            url: listing.page.clone(),
        }
    }
}

/// A shared practice.
#[derive(Debug, Serialize, ToSchema)]
pub struct Practice {
    id: String,
    /// Its ActivityPub id.
    uri: String,
    /// Its web page.
    url: String,
    /// The enterprise's handle.
    enterprise: String,
    author: Option<String>,
    title: String,
    summary: String,
    /// Markdown source.
    body: String,
    /// HTML rendered from the body, sanitised.
    content: String,
    tags: Vec<String>,
    licence: Option<String>,
    language: String,
    adapted_from: Option<String>,
    published: String,
    updated: Option<String>,
    /// Its pictures and documents, in order.
    attachments: Vec<PracticeFile>,
    /// Its cover picture (the Article's `image`).
    cover: Option<PracticeFile>,
}

/// A new practice, or the new version of one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PracticeInput {
    /// Handle of the enterprise it belongs to (you must be one of its editors).
    enterprise: String,
    title: String,
    /// Plain text, at most 500 characters.
    summary: String,
    /// Markdown.
    body: String,
    #[serde(default)]
    tags: Vec<String>,
    /// Licence URL; CC BY-SA 4.0 when absent.
    licence: Option<String>,
    #[serde(default = "default_language")]
    language: String,
    /// URL of the practice (on any server) this one adapts.
    adapted_from: Option<String>,
    /// Its attachments, in order: ids of your uploads (`POST /api/v2/media`,
    /// pictures and documents), at most `media.max_attachments`, none
    /// attached to another post. Absent: an edit keeps the attachments it has.
    media_ids: Option<Vec<String>>,
    /// Its cover: the id of one of your uploaded pictures (its alt text is
    /// the upload's `description`). Absent: an edit keeps the cover; `""`:
    /// takes it off. A cover replaced or taken off is deleted.
    cover_media_id: Option<String>,
}

fn default_language() -> String {
    "fr".to_string()
}

/// A new enterprise (admins only).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnterpriseInput {
    handle: String,
    name: String,
    #[serde(default)]
    summary: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseFilter {
    /// Region code (e.g. `estrie`).
    region: Option<String>,
    /// Sector code (e.g. `transport`).
    sector: Option<String>,
    /// `cooperative`, `mutual`, `nonprofit`, `other`.
    legal_form: Option<String>,
    /// `local` (this hub's) or `network` (the hubs it follows); both when absent.
    scope: Option<String>,
    /// Only the enterprises a hub lists: its handle, `name@domain` (as in
    /// each enterprise's `hub.handle`; this hub's for its own).
    hub: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PracticeFilter {
    /// Only this enterprise's practices (handle).
    enterprise: Option<String>,
    /// Only practices with this theme.
    tag: Option<String>,
}

fn matches(profile: &EnterpriseProfile, filter: &EnterpriseFilter) -> bool {
    filter.region.as_ref().is_none_or(|r| profile.region.as_deref() == Some(r.as_str()))
        && filter.sector.as_ref().is_none_or(|s| profile.sectors.contains(s))
        && filter.legal_form.as_ref().is_none_or(|l| profile.legal_form.as_deref() == Some(l.as_str()))
}

/// This hub, as the hub of its enterprises (`None` before its actor exists).
pub(super) async fn our_hub(state: &AppState) -> Result<Option<Hub>, HttpError> {
    let hub = state.db().local_actor_of_kind(ActorKind::Hub).await?;
    Ok(hub.map(|hub| Hub::of(&ListingHub::ours(&hub), &state.config().instance.domain)))
}

fn listed_by(hub: Option<&Hub>, wanted: Option<&str>) -> bool {
    wanted.is_none_or(|wanted| hub.is_some_and(|hub| hub.handle.eq_ignore_ascii_case(wanted)))
}

pub(super) fn local_enterprise(
    state: &AppState,
    actor: &LocalActor,
    hub: Option<Hub>,
) -> (Enterprise, EnterpriseProfile) {
    let profile = content::current_profile(state.federation().context(), actor);
    let enterprise = Enterprise {
        acct: format!("{}@{}", actor.username, state.config().instance.domain),
        handle: actor.username.clone(),
        uri: actor.ap_id.clone(),
        local: true,
        name: actor.display_name.clone(),
        summary: (!actor.summary.is_empty()).then(|| actor.summary.clone()),
        profile: serde_json::to_value(&profile).unwrap_or(Value::Null),
        hub,
    };
    (enterprise, profile)
}

/// Remote enterprises listed, at most.
const NETWORK_MAX: i64 = 50_000;

/// List enterprises, local and from the network, with filters.
#[utoipa::path(get, path = "/api/maillage/v1/enterprises", params(EnterpriseFilter),
    responses((status = 200, body = [Enterprise])))]
pub async fn list_enterprises(
    State(state): State<AppState>,
    Query(filter): Query<EnterpriseFilter>,
) -> Result<Json<Vec<Enterprise>>, HttpError> {
    if filter.scope.as_deref().is_some_and(|s| s != "local" && s != "network") {
        return Err(HttpError::Unprocessable("scope is local or network".into()));
    }
    let wanted_hub = filter.hub.as_deref().map(str::trim);
    if wanted_hub.is_some_and(|h| !maillage_domain::is_account_address(h)) {
        return Err(HttpError::Unprocessable("hub is a hub's handle, name@domain".into()));
    }
    let mut out = Vec::new();
    let ours = our_hub(&state).await?;
    if filter.scope.as_deref() != Some("network") && listed_by(ours.as_ref(), wanted_hub) {
        let mut after: Option<String> = None;
        loop {
            let page = state.db().list_local_actors(ActorKind::Enterprise, after.as_deref(), 200).await?;
            for actor in &page {
                let (enterprise, profile) = local_enterprise(&state, actor, ours.clone());
                if matches(&profile, &filter) {
                    out.push(enterprise);
                }
            }
            match page.last() {
                Some(last) if page.len() == 200 => after = Some(last.username.clone()),
                _ => break,
            }
        }
    }
    if filter.scope.as_deref() != Some("local") {
        // The same enterprises as the web directory's: listed by a hub we follow.
        let max_per_server = i64::from(state.config().directory.max_per_server);
        let our_domain = &state.config().instance.domain;
        for listed in state.db().listed_remote_enterprises_with_hubs(max_per_server, NETWORK_MAX).await? {
            let (actor, hub) = (listed.enterprise, Hub::of(&listed.hub, our_domain));
            let Some(profile) =
                actor.profile_json.as_deref().and_then(|j| serde_json::from_str::<EnterpriseProfile>(j).ok())
            else {
                continue;
            };
            if matches(&profile, &filter) && listed_by(Some(&hub), wanted_hub) {
                out.push(Enterprise {
                    acct: format!("{}@{}", actor.username, actor.domain),
                    handle: actor.username.clone(),
                    uri: actor.ap_id.clone(),
                    local: false,
                    name: profile.name().map(str::to_string).or(actor.display_name.clone()).unwrap_or_default(),
                    summary: profile.summary().map(str::to_string),
                    profile: serde_json::to_value(&profile).unwrap_or(Value::Null),
                    hub: Some(hub),
                });
            }
        }
    }
    Ok(Json(out))
}

pub(super) async fn enterprise_actor(state: &AppState, handle: &str) -> Result<LocalActor, HttpError> {
    state
        .db()
        .local_actor_by_username(handle)
        .await?
        .filter(|a| a.kind() == ActorKind::Enterprise)
        .ok_or_else(|| HttpError::NotFound(format!("no enterprise {handle:?} on this instance")))
}

/// One enterprise of this hub.
#[utoipa::path(get, path = "/api/maillage/v1/enterprises/{handle}",
    responses((status = 200, body = Enterprise), (status = 404)))]
pub async fn get_enterprise(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Json<Enterprise>, HttpError> {
    let actor = enterprise_actor(&state, &handle).await?;
    Ok(Json(local_enterprise(&state, &actor, our_hub(&state).await?).0))
}

/// Admit an enterprise (hub admins).
#[utoipa::path(post, path = "/api/maillage/v1/enterprises", request_body = EnterpriseInput,
    responses((status = 201, body = Enterprise), (status = 403), (status = 422)))]
pub async fn create_enterprise(
    State(state): State<AppState>,
    user: User,
    Json(input): Json<EnterpriseInput>,
) -> Result<(StatusCode, Json<Enterprise>), HttpError> {
    user.require("write")?;
    let actor =
        maillage_app::enterprises::create(&state.app, &user.acting(), &input.handle, &input.name, &input.summary)
            .await?;
    Ok((StatusCode::CREATED, Json(local_enterprise(&state, &actor, our_hub(&state).await?).0)))
}

/// Change an enterprise's profile (its editors, or admins); followers get `Update`.
#[utoipa::path(patch, path = "/api/maillage/v1/enterprises/{handle}",
    request_body(content = Object, description = "Profile fields to change, e.g. {\"legal_form\": \"cooperative\", \"sectors\": [\"transport\"]}. `logo_url` and `banner_url`: an http(s) address, fetched once into this hub's media store (the profile then names our copy), or \"\" for the default picture."),
    responses((status = 200, body = Enterprise), (status = 403), (status = 422)))]
pub async fn update_enterprise(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
    Json(changes): Json<ProfileChanges>,
) -> Result<Json<Enterprise>, HttpError> {
    user.require("write")?;
    maillage_app::enterprises::update_profile(&state.app, &user.acting(), &handle, &changes).await?;
    let actor = enterprise_actor(&state, &handle).await?;
    Ok(Json(local_enterprise(&state, &actor, our_hub(&state).await?).0))
}

/// Delete an enterprise for good (hub admins, with a token of scope
/// `admin:write:accounts`, as Mastodon asks for deleting accounts): its
/// posts, team and follows end, its followers get `Delete` and the hub's
/// followers `Remove`; its handle stays reserved and its URL answers 410.
#[utoipa::path(delete, path = "/api/maillage/v1/enterprises/{handle}",
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "already deleted")))]
pub async fn delete_enterprise(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
) -> Result<StatusCode, HttpError> {
    user.require("admin:write:accounts")?;
    maillage_app::enterprises::delete(&state.app, &user.acting(), &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member of an enterprise's team.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamMember {
    username: String,
    /// `owner` (manages the team) or `editor` (publishes).
    role: String,
}

/// The members who may publish for an enterprise.
#[utoipa::path(get, path = "/api/maillage/v1/enterprises/{handle}/members", responses((status = 200, body = [TeamMember])))]
pub async fn enterprise_members(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Json<Vec<TeamMember>>, HttpError> {
    let actor = enterprise_actor(&state, &handle).await?;
    let team = maillage_app::teams::team(&state.app, &actor).await?;
    Ok(Json(team.into_iter().map(|m| TeamMember { username: m.username, role: m.role.as_str().to_string() }).collect()))
}

/// Add a member to the team, or change their role (owners, admins).
#[utoipa::path(post, path = "/api/maillage/v1/enterprises/{handle}/members", request_body = TeamMember,
    responses((status = 200, body = [TeamMember]), (status = 403), (status = 404), (status = 422)))]
pub async fn add_member(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
    Json(input): Json<TeamMember>,
) -> Result<Json<Vec<TeamMember>>, HttpError> {
    user.require("write")?;
    let role =
        maillage_domain::TeamRole::parse(&input.role).map_err(|e| HttpError::Unprocessable(format!("role: {e}")))?;
    maillage_app::teams::add_member(&state.app, &user.acting(), &handle, &input.username, role).await?;
    enterprise_members(State(state), Path(handle)).await
}

/// Take a member off the team (owners, admins).
#[utoipa::path(delete, path = "/api/maillage/v1/enterprises/{handle}/members/{username}",
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn remove_member(
    State(state): State<AppState>,
    user: User,
    Path((handle, username)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    user.require("write")?;
    maillage_app::teams::remove_member(&state.app, &user.acting(), &handle, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn practice_json(state: &AppState, post: &Post) -> Result<Practice, HttpError> {
    let (attachments, cover) = maillage_media::practice_files(state, post).await?;
    let enterprise = state.db().local_actor_by_id(post.actor_id).await?.map(|a| a.username).unwrap_or_default();
    let author = match post.author_id {
        Some(id) => state.db().local_actor_by_id(id).await?.map(|a| a.username),
        None => None,
    };
    Ok(Practice {
        id: post.id.to_string(),
        uri: post.ap_id.clone(),
        url: post.ap_id.clone(),
        enterprise,
        author,
        title: post.title.clone().unwrap_or_default(),
        summary: post.summary.clone().unwrap_or_default(),
        body: post.source.clone(),
        content: post.content_html.clone(),
        tags: serde_json::from_str(&post.tags_json).unwrap_or_default(),
        licence: post.licence.clone(),
        language: post.language.clone(),
        adapted_from: post.adapted_from.clone(),
        published: iso(post.published),
        updated: post.updated.map(iso),
        attachments,
        cover,
    })
}

/// List this hub's practices, newest first.
#[utoipa::path(get, path = "/api/maillage/v1/practices", params(PracticeFilter), responses((status = 200, body = [Practice])))]
pub async fn list_practices(
    State(state): State<AppState>,
    Query(filter): Query<PracticeFilter>,
) -> Result<Json<Vec<Practice>>, HttpError> {
    let enterprise = match &filter.enterprise {
        Some(handle) => Some(enterprise_actor(&state, handle).await?.id),
        None => None,
    };
    let tag = filter.tag.map(|t| t.trim_start_matches('#').to_lowercase());
    let mut out = Vec::new();
    for post in state.db().practices_page(enterprise, None, 200).await? {
        let practice = practice_json(&state, &post).await?;
        if tag.as_ref().is_none_or(|t| practice.tags.contains(t)) {
            out.push(practice);
        }
    }
    Ok(Json(out))
}

async fn practice_post(state: &AppState, id: &str) -> Result<Post, HttpError> {
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("no such practice".into()))?;
    // Practices are read by anyone: through the audience check all the same.
    state
        .db()
        .visible_post(&maillage_db::Reader::anonymous(), id)
        .await?
        .filter(|p| p.kind == PostKind::Article)
        .ok_or_else(|| HttpError::NotFound("no such practice".into()))
}

/// One practice.
#[utoipa::path(get, path = "/api/maillage/v1/practices/{id}", responses((status = 200, body = Practice), (status = 404)))]
pub async fn get_practice(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Practice>, HttpError> {
    Ok(Json(practice_json(&state, &practice_post(&state, &id).await?).await?))
}

/// The files a practice's input names: its attachments (`None`: kept) and its cover.
fn files(input: &PracticeInput) -> Result<(Option<Vec<i64>>, Cover), HttpError> {
    let media_ids = input
        .media_ids
        .as_ref()
        .map(|ids| ids.iter().map(|id| maillage_media::media_id("media_ids", id)).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    let cover = match input.cover_media_id.as_deref().map(str::trim) {
        None => Cover::Keep,
        Some("") => Cover::Remove,
        Some(id) => Cover::Set(maillage_media::media_id("cover_media_id", id)?),
    };
    Ok((media_ids, cover))
}

fn draft(user: &User, input: PracticeInput) -> PracticeDraft {
    PracticeDraft {
        enterprise: input.enterprise,
        author: user.account.actor.username.clone(),
        title: input.title,
        summary: input.summary,
        body_markdown: input.body,
        tags: input.tags,
        licence: input.licence,
        adapted_from: input.adapted_from,
        language: input.language,
    }
}

/// Publish a practice for an enterprise you edit.
#[utoipa::path(post, path = "/api/maillage/v1/practices", request_body = PracticeInput,
    responses((status = 201, body = Practice), (status = 403), (status = 422)))]
pub async fn create_practice(
    State(state): State<AppState>,
    user: User,
    Json(input): Json<PracticeInput>,
) -> Result<(StatusCode, Json<Practice>), HttpError> {
    user.require("write:statuses")?;
    let (media_ids, cover) = files(&input)?;
    let post = maillage_app::posts::publish_practice_with_files(
        &state.app,
        &user.acting(),
        &draft(&user, input),
        media_ids.as_deref().unwrap_or_default(),
        cover,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(practice_json(&state, &post).await?)))
}

/// Replace a practice's content (editors of its enterprise).
#[utoipa::path(put, path = "/api/maillage/v1/practices/{id}", request_body = PracticeInput,
    responses((status = 200, body = Practice), (status = 403), (status = 404), (status = 422)))]
pub async fn update_practice(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Json(input): Json<PracticeInput>,
) -> Result<Json<Practice>, HttpError> {
    user.require("write:statuses")?;
    let post = practice_post(&state, &id).await?;
    let (media_ids, cover) = files(&input)?;
    let post = maillage_app::posts::edit_practice_with_files(
        &state.app,
        &user.acting(),
        &post.ap_id,
        &draft(&user, input),
        media_ids.as_deref(),
        cover,
    )
    .await?;
    Ok(Json(practice_json(&state, &post).await?))
}

/// Delete a practice (editors of its enterprise); it is then a Tombstone.
#[utoipa::path(delete, path = "/api/maillage/v1/practices/{id}", responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_practice(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    user.require("write:statuses")?;
    let post = practice_post(&state, &id).await?;
    maillage_app::posts::delete(&state.app, &user.acting(), &post.ap_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The network at a glance: enterprises by region, sector, legal form and
/// co-op type (`own`: this hub's, `network`: the network directory's),
/// practices by theme (ours and other servers'), and this hub's enterprises
/// by month (`added`, `total`). Codes with their French and English labels.
#[utoipa::path(get, path = "/api/maillage/v1/statistics", responses((status = 200, body = Object)))]
pub async fn statistics(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    let statistics = maillage_app::open_data::statistics::read(&state.app).await?;
    Ok(Json(maillage_app::open_data::statistics::json(&statistics)))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Maillage API",
        description = "Enterprises and shared practices of a Maillage hub. Authenticate with `Authorization: Bearer TOKEN` (OAuth 2, see docs/api.md)."
    ),
    paths(
        list_enterprises,
        get_enterprise,
        create_enterprise,
        update_enterprise,
        delete_enterprise,
        enterprise_members,
        add_member,
        remove_member,
        list_practices,
        get_practice,
        create_practice,
        update_practice,
        delete_practice,
        statistics,
        maillage_media::put_logo,
        maillage_media::delete_logo,
        maillage_media::put_banner,
        maillage_media::delete_banner,
    ),
    components(schemas(
        Enterprise,
        Hub,
        Practice,
        PracticeInput,
        EnterpriseInput,
        TeamMember,
        PracticeFile,
        PictureUpload
    ))
)]
pub struct ApiDoc;

/// `GET /api/maillage/v1/openapi.json`
pub async fn openapi(MaybeUser(_): MaybeUser) -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
