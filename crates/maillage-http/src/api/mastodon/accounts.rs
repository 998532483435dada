//! Accounts: who one is, lookups, relationships, follows, profile changes, registration.

use super::*;

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("read:accounts")?;
    Ok(Json(credential_account(&state, &user, &user.account.actor).await?))
}

/// The caller's own account, with its `source` (what it edits) and what
/// Maillage adds: the enterprises it edits and whether it is an admin.
async fn credential_account(state: &AppState, user: &User, actor: &LocalActor) -> Result<Value, HttpError> {
    let mut account = local_account(state, actor).await?;
    let enterprises = state.db().enterprises_of_member(actor.id).await?;
    let requests = state.db().count_follows(actor.id, Direction::Incoming, FollowState::Pending).await?
        + state.db().count_local_follow_requests(actor.id).await?;
    account["source"] = json!({
        "privacy": DEFAULT_VISIBILITY.mastodon_name(), "sensitive": false, "language": DEFAULT_LANGUAGE,
        "note": actor.summary, "fields": [], "follow_requests_count": requests,
    });
    account["maillage_enterprises"] = json!(enterprises.iter().map(|e| e.username.clone()).collect::<Vec<_>>());
    account["maillage_admin"] = json!(user.account.is_admin);
    Ok(account)
}

/// `GET /api/v1/preferences`: what a new post gets when the app names
/// nothing (public, our default language); members cannot change them yet.
pub async fn preferences(user: User) -> Result<Json<Value>, HttpError> {
    user.require("read:accounts")?;
    Ok(Json(json!({
        "posting:default:visibility": DEFAULT_VISIBILITY.mastodon_name(),
        "posting:default:sensitive": false,
        "posting:default:language": DEFAULT_LANGUAGE,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}

pub(super) async fn account_json(state: &AppState, id: Ref) -> Result<Value, HttpError> {
    match id {
        Ref::Local(id) => {
            let actor = state.db().local_actor_by_id(id).await?.filter(|a| a.kind() != ActorKind::Instance);
            local_account(state, &actor.ok_or_else(|| HttpError::NotFound("Record not found".into()))?).await
        }
        Ref::Remote(id) => {
            let actor = state
                .db()
                .remote_actor_by_id(id)
                .await?
                .ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
            Ok(remote_account(state, &actor))
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
    let (name, domain) = acct.split_once('@').unwrap_or((acct, state.config().instance.domain.as_str()));
    if domain.eq_ignore_ascii_case(&state.config().instance.domain) {
        let actor = state.db().local_actor_by_username(name).await?.filter(|a| a.kind() != ActorKind::Instance);
        return Ok(Json(
            local_account(&state, &actor.ok_or_else(|| HttpError::NotFound("Record not found".into()))?).await?,
        ));
    }
    let actor = state
        .db()
        .remote_actor_by_handle(name, domain)
        .await?
        .ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    Ok(Json(remote_account(&state, &actor)))
}

/// The Relationship of `me` (a member, or an enterprise acted for) with the account `id`.
pub(super) async fn relationship(state: &AppState, me: &LocalActor, id: Ref) -> Result<Value, HttpError> {
    let (following, requested, followed_by, requested_by, other_ap_id) = match id {
        Ref::Remote(remote) => {
            let out = state.db().find_follow(me.id, remote, Direction::Outgoing).await?;
            let inc = state.db().find_follow(me.id, remote, Direction::Incoming).await?;
            let ap_id = state.db().remote_actor_by_id(remote).await?.map(|a| a.ap_id);
            (
                out.as_ref().is_some_and(|f| f.state() == FollowState::Accepted),
                out.as_ref().is_some_and(|f| f.state() == FollowState::Pending),
                inc.as_ref().is_some_and(|f| f.state() == FollowState::Accepted),
                inc.as_ref().is_some_and(|f| f.state() == FollowState::Pending),
                ap_id,
            )
        }
        Ref::Local(other) => {
            let out = state.db().local_follow(me.id, other).await?;
            let inc = state.db().local_follow(other, me.id).await?;
            let ap_id = state.db().local_actor_by_id(other).await?.map(|a| a.ap_id);
            (
                out.as_ref().is_some_and(|f| f.accepted),
                out.as_ref().is_some_and(|f| !f.accepted),
                inc.as_ref().is_some_and(|f| f.accepted),
                inc.as_ref().is_some_and(|f| !f.accepted),
                ap_id,
            )
        }
    };
    let (mut muting, mut muting_notifications, mut blocking, mut blocked_by) = (false, false, false, false);
    if let Some(other) = other_ap_id.as_deref() {
        if let Some(mute) = state.db().mute_of(me.id, other).await? {
            muting = true;
            muting_notifications = mute.notifications;
        }
        blocking = state.db().block_of(me.id, other).await?.is_some();
        // Only our own actors' blocks are known; another server's stay its own.
        if let Ref::Local(other_id) = id {
            blocked_by = state.db().block_of(other_id, &me.ap_id).await?.is_some();
        }
    }
    Ok(json!({
        "id": id.id(), "following": following, "requested": requested, "followed_by": followed_by,
        "requested_by": requested_by, "showing_reblogs": true, "notifying": false, "languages": null,
        "blocking": blocking, "blocked_by": blocked_by, "muting": muting,
        "muting_notifications": muting_notifications, "domain_blocking": false, "endorsed": false, "note": "",
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
        out.push(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?);
    }
    Ok(Json(json!(out)))
}

/// The account a follow or an unfollow is about.
pub(super) async fn followed(state: &AppState, id: &str) -> Result<maillage_app::follows::Followed, HttpError> {
    use maillage_app::follows::Followed;
    let missing = || HttpError::NotFound("Record not found".into());
    match Ref::parse(id)? {
        Ref::Remote(id) => {
            let row = state.db().remote_actor_by_id(id).await?.ok_or_else(missing)?;
            Ok(Followed::Elsewhere(Box::new(RemoteActorObject::try_from(row)?)))
        }
        Ref::Local(id) => {
            let actor = state.db().local_actor_by_id(id).await?.filter(|a| a.kind() != ActorKind::Instance);
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
    Ok(Json(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?))
}

/// `POST /api/v1/accounts/:id/unfollow`
pub async fn unfollow(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:follows")?;
    maillage_app::follows::unfollow(&state.app, &user.account.actor, &followed(&state, &id).await?).await?;
    Ok(Json(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?))
}

/// `PATCH /api/v1/accounts/update_credentials` (`display_name`, `note`; as
/// a form, JSON or multipart; `avatar` and `header` files in multipart, as
/// Tusky sends them, or empty to go back to the default): the caller's
/// account, with its `source`. Its body limit is the media limit.
pub async fn update_credentials(
    State(state): State<AppState>,
    user: User,
    body: ParamsWithFiles,
) -> Result<Json<Value>, HttpError> {
    use maillage_app::profile_images::{PictureSource, set_picture};
    use maillage_domain::profile_image::ImageSlot;
    user.require("write:accounts")?;
    let params = &body.params;
    let (display_name, note) = (params.text("display_name"), params.text("note"));
    // The pictures first: a file refused leaves the whole request undone.
    let mut updated = user.account.actor.clone();
    for (field, slot) in [("avatar", ImageSlot::Icon), ("header", ImageSlot::Image)] {
        let source = match (body.file(field), params.text(field)) {
            (Some(bytes), _) => PictureSource::File(bytes.to_vec()),
            (None, Some(text)) if text.is_empty() => PictureSource::Clear,
            _ => continue,
        };
        updated = set_picture(&state.app, &user.acting(), &updated.username, slot, source).await?;
    }
    if display_name.is_some() || note.is_some() {
        updated =
            maillage_app::posts::update_member_profile(&state.app, &updated, display_name.as_deref(), note.as_deref())
                .await?;
    }
    Ok(Json(credential_account(&state, &user, &updated).await?))
}

/// `GET /api/v1/accounts/:id/followers` and `/following` of a local account.
pub(super) async fn follow_list(state: &AppState, id: &str, direction: Direction) -> Result<Json<Value>, HttpError> {
    let Ref::Local(id) = Ref::parse(id)? else { return Ok(Json(json!([]))) };
    let actor =
        state.db().local_actor_by_id(id).await?.ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    let mut out = Vec::new();
    let here = match direction {
        Direction::Incoming => state.db().local_followers(actor.id, MAX_LIMIT).await?,
        Direction::Outgoing => state.db().locally_followed(actor.id, MAX_LIMIT).await?,
    };
    for local in &here {
        out.push(local_account(state, local).await?);
    }
    for follow in state.db().follows_page(actor.id, direction, FollowState::Accepted, None, MAX_LIMIT).await? {
        if let Some(remote) = state.db().remote_actor_by_id(follow.remote_actor_id).await? {
            out.push(remote_account(state, &remote));
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
    crate::api::auth::Token(grant): crate::api::auth::Token,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    if !crate::api::auth::has_scope(&grant.scopes, "write:accounts") {
        return Err(HttpError::Forbidden("this action needs the scope write:accounts".into()));
    }
    let registration = maillage_app::users::Registration {
        // Checked by the use case, after the hub's registration mode.
        username: params.text("username").unwrap_or_default(),
        email: params.text("email").unwrap_or_default(),
        password: params.text("password").unwrap_or_default(),
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
