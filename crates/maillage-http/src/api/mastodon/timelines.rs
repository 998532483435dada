//! Timelines (public, tag, home, a list, an account's statuses) and their
//! page cursors; pages of saved statuses (bookmarks, favourites).

use maillage_db::{IdPage, SavedStatus};
use maillage_domain::reading::FilterContext;

use super::filters::{apply, in_force};
use super::*;

/// Where a status stands in timelines: its time, then its API id (at one
/// time, remote statuses come before local ones, as their ids are larger).
#[derive(Debug, Clone, Copy)]
pub(super) struct Cursor {
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
pub(super) async fn cursor(
    state: &AppState,
    reader: &Reader,
    params: &Params,
    key: &str,
) -> Result<Option<Cursor>, HttpError> {
    let Some(id) = params.text(key).filter(|id| !id.trim().is_empty()) else { return Ok(None) };
    let at = Ref::parse(&id)?;
    let time = match at {
        Ref::Local(id) => state.db().visible_post(reader, id).await?.map(|p| p.published),
        Ref::Remote(id) => state.db().visible_remote_object(reader, id).await?.map(|o| o.created_at),
    };
    Ok(time.map(|time| Cursor { time, at }))
}

/// Which local posts a timeline shows (always as its reader may see them).
pub(super) enum LocalPosts {
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
pub(super) enum RemotePosts {
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
pub(super) enum Row {
    Local(Post),
    Remote(RemoteObject),
}

impl Row {
    /// The merge order of local and remote statuses, which [`Cursor`] follows.
    pub(super) fn order(&self) -> (UtcTime, i64) {
        match self {
            Row::Local(post) => (post.published, post.id),
            Row::Remote(object) => (object.created_at, REMOTE_OFFSET + object.id),
        }
    }
}

/// Who reads a timeline: what they may see, their likes, reshares and
/// bookmarks, the filters of the timeline's context, and the accounts they
/// mute or block (left out).
pub(super) struct Reading<'a> {
    pub reader: &'a Reader,
    pub viewer: Option<&'a User>,
    pub context: FilterContext,
    pub hidden: &'a Hidden,
    /// On a list's timeline: which replies it shows.
    pub replies: Option<&'a ListReplies>,
}

/// What a list's `replies_policy` needs to weigh a reply, accounts by
/// their client API ids.
pub(super) struct ListReplies {
    pub policy: maillage_domain::reading::RepliesPolicy,
    pub owner: String,
    pub on_list: std::collections::HashSet<String>,
    pub followed: std::collections::HashSet<String>,
}

impl ListReplies {
    fn shows(&self, status: &Value) -> bool {
        let Some(replied_to) = status["in_reply_to_account_id"].as_str() else { return true };
        let author = status["account"]["id"].as_str().unwrap_or_default();
        let reply = maillage_domain::reading::Reply { author, replied_to, owner: &self.owner };
        self.policy.shows(reply, self.on_list.contains(replied_to), self.followed.contains(replied_to))
    }
}

/// A page of local and remote statuses merged, newest first, with
/// Mastodon's Link header: `next` (older, `max_id`) and `prev` (newer,
/// `min_id`), keeping the timeline's own parameters (`kept`). The
/// viewer's filters of the context apply after the page is cut, so that
/// its links are those of the whole page.
pub(super) async fn timeline(
    state: &AppState,
    reading: &Reading<'_>,
    params: &Params,
    path: &str,
    kept: &[(&str, &str)],
    local: Option<LocalPosts>,
    remote: Option<RemotePosts>,
) -> Result<Response, HttpError> {
    let reader = reading.reader;
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
    let mut rows = timeline_rows(
        state,
        reading,
        local.as_ref(),
        remote.as_ref(),
        &bounds_for(Cursor::for_posts),
        &bounds_for(Cursor::for_remote_objects),
    )
    .await?;
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
    let member = reading.viewer.map(User::member);
    let statuses = entities::statuses(state, &page, member).await?;
    let ends = statuses.first().zip(statuses.last()).map(|(first, last)| {
        (first["id"].as_str().unwrap_or_default().to_string(), last["id"].as_str().unwrap_or_default().to_string())
    });
    let filters = in_force(state, reading.viewer, reading.context).await?;
    let statuses = shown(reading, &filters, statuses);
    Ok(with_links(state, Json(json!(statuses)).into_response(), path, kept, limit, ends))
}

/// What a timeline shows of rendered statuses: the replies a list's policy
/// leaves, through the viewer's `filters` of the timeline's context.
pub(super) fn shown(reading: &Reading<'_>, filters: &[maillage_db::Filter], statuses: Vec<Value>) -> Vec<Value> {
    let statuses = match reading.replies {
        Some(replies) => statuses.into_iter().filter(|status| replies.shows(status)).collect(),
        None => statuses,
    };
    apply(filters, statuses)
}

/// The rows of a timeline between bounds (one for local posts, one for
/// remote objects), unsorted: its sources, through the audience check and
/// without the accounts the reading hides.
pub(super) async fn timeline_rows(
    state: &AppState,
    reading: &Reading<'_>,
    local: Option<&LocalPosts>,
    remote: Option<&RemotePosts>,
    post_bounds: &PageBounds,
    remote_bounds: &PageBounds,
) -> Result<Vec<Row>, HttpError> {
    let (reader, hidden) = (reading.reader, reading.hidden);
    let mut rows: Vec<Row> = Vec::new();
    let bounds = post_bounds;
    let posts = match local {
        None => Vec::new(),
        Some(LocalPosts::Listed) => state.db().posts_page_hiding(PostSource::Listed, reader, bounds, hidden).await?,
        Some(LocalPosts::Of(actors)) => {
            state.db().posts_page_hiding(PostSource::Of(actors), reader, bounds, hidden).await?
        }
        Some(LocalPosts::OfOrNaming(actors)) => {
            state.db().posts_page_hiding(PostSource::OfOrNaming(actors), reader, bounds, hidden).await?
        }
        Some(LocalPosts::Tagged(tag)) => state.db().tagged_posts_page(tag, bounds).await?,
    };
    rows.extend(posts.into_iter().map(Row::Local));
    let bounds = remote_bounds;
    let objects = match remote {
        None => Vec::new(),
        // The public timeline: what other servers addressed to the public
        // only, never the followers-only posts our actors receive.
        Some(RemotePosts::Listed) => {
            state.db().remote_objects_page_hiding(RemoteSource::Listed, reader, bounds, hidden).await?
        }
        Some(RemotePosts::By(authors)) => {
            state.db().remote_objects_page_hiding(RemoteSource::By(authors), reader, bounds, hidden).await?
        }
        Some(RemotePosts::ByOrNaming(authors)) => {
            state.db().remote_objects_page_hiding(RemoteSource::ByOrNaming(authors), reader, bounds, hidden).await?
        }
        Some(RemotePosts::Tagged(tag)) => state.db().tagged_remote_objects_page(tag, bounds).await?,
    };
    rows.extend(objects.into_iter().map(Row::Remote));
    Ok(rows)
}

/// The bounds of a page of exactly the row at `position` (when its source
/// and audience keep it).
pub(super) fn only(position: TimelinePosition) -> PageBounds {
    PageBounds {
        older_than: Some(TimelinePosition { time: position.time, id: position.id.saturating_add(1) }),
        newer_than: Some(TimelinePosition { time: position.time, id: position.id.saturating_sub(1) }),
        oldest_first: false,
        limit: 1,
    }
}

/// Adds Mastodon's Link header to a page whose newest and oldest items
/// (their cursor ids) are `ends`.
fn with_links(
    state: &AppState,
    mut response: Response,
    path: &str,
    kept: &[(&str, &str)],
    limit: i64,
    ends: Option<(String, String)>,
) -> Response {
    let Some((first, last)) = ends else { return response };
    let base = format!("{}{path}", state.config().public_base_url());
    let query = |key: &str, id: &str| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(kept.iter().copied());
        query.append_pair(key, id);
        query.append_pair("limit", &limit.to_string());
        query.finish()
    };
    let link = format!(
        "<{base}?{}>; rel=\"next\", <{base}?{}>; rel=\"prev\"",
        query("max_id", &last),
        query("min_id", &first)
    );
    if let Ok(value) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

/// The page of saved statuses (bookmarks, likes) a request asks for: its
/// `max_id`, `since_id`, `min_id` are the saved rows' ids, as Mastodon's.
pub(super) fn id_page(params: &Params) -> Result<IdPage, HttpError> {
    let cursor = |key: &str| -> Result<Option<i64>, HttpError> {
        match params.text(key).filter(|id| !id.trim().is_empty()) {
            None => Ok(None),
            Some(id) => {
                Ok(Some(id.trim().parse().map_err(|_| HttpError::Unprocessable(format!("`{key}` must be an id")))?))
            }
        }
    };
    let min_id = cursor("min_id")?;
    Ok(IdPage {
        older_than: cursor("max_id")?,
        newer_than: match min_id {
            Some(id) => Some(id),
            None => cursor("since_id")?,
        },
        oldest_first: min_id.is_some(),
        limit: limit(params)?,
    })
}

/// The statuses of a page of saved rows that the member may see still,
/// in the page's order, with the Link header of the rows' own ids.
pub(super) async fn saved_statuses(
    state: &AppState,
    user: &User,
    rows: &[SavedStatus],
    path: &str,
    limit: i64,
) -> Result<Response, HttpError> {
    let reader = user.reader(state).await?;
    let ap_ids: Vec<String> = rows.iter().map(|row| row.object_ap_id.clone()).collect();
    let (posts, objects) = state.db().visible_statuses_by_ap_ids(&reader, &ap_ids).await?;
    let page: Vec<StatusOf<'_>> = rows
        .iter()
        .filter_map(|row| {
            posts
                .iter()
                .find(|p| p.ap_id == row.object_ap_id)
                .map(StatusOf::Local)
                .or_else(|| objects.iter().find(|o| o.ap_id == row.object_ap_id).map(StatusOf::Remote))
        })
        .collect();
    let statuses = entities::statuses(state, &page, Some(user.member())).await?;
    let ends = rows.first().zip(rows.last()).map(|(first, last)| (first.id.to_string(), last.id.to_string()));
    Ok(with_links(state, Json(json!(statuses)).into_response(), path, &[], limit, ends))
}

/// The `local=true` / `remote=true` filters of public timelines.
pub(super) struct Origins {
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

/// `GET /api/v1/timelines/public` (`local=true`, `remote=true`): without
/// the accounts a logged-in reader mutes or blocks, or who block them.
pub async fn public_timeline(
    State(state): State<AppState>,
    viewer: MaybeUser,
    params: Params,
) -> Result<Response, HttpError> {
    let origins = Origins::of(&params)?;
    let local = origins.local.then_some(LocalPosts::Listed);
    let remote = origins.remote.then_some(RemotePosts::Listed);
    let hidden = match &viewer.0 {
        Some(user) => hidden_from(&state, user, false).await?,
        None => Hidden::default(),
    };
    let anyone = Reader::anonymous();
    let reading = Reading {
        reader: &anyone,
        viewer: viewer.0.as_ref(),
        context: FilterContext::Public,
        hidden: &hidden,
        replies: None,
    };
    timeline(&state, &reading, &params, "/api/v1/timelines/public", &origins.kept, local, remote).await
}

/// The key of the tag a path names; 404 when it is no tag name.
pub(super) fn tag_key(name: &str) -> Result<(String, String), HttpError> {
    let not_a_tag = || HttpError::NotFound(format!("{name:?} is not a hashtag name (letters, digits and _)"));
    let shown = maillage_domain::tags::display_name(name).ok_or_else(not_a_tag)?;
    let key = maillage_domain::tags::key(&shown).ok_or_else(not_a_tag)?;
    Ok((shown, key))
}

/// `GET /api/v1/timelines/tag/:hashtag` (`local=true`, `remote=true`): public
/// statuses with that tag, whatever its case or accents.
pub async fn tag_timeline(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(hashtag): Path<String>,
    params: Params,
) -> Result<Response, HttpError> {
    let (shown, key) = tag_key(&hashtag)?;
    let origins = Origins::of(&params)?;
    let local = origins.local.then(|| LocalPosts::Tagged(key.clone()));
    let remote = origins.remote.then(|| RemotePosts::Tagged(key.clone()));
    let path =
        format!("/api/v1/timelines/tag/{}", url::form_urlencoded::byte_serialize(shown.as_bytes()).collect::<String>());
    let (anyone, nobody) = (Reader::anonymous(), Hidden::default());
    let reading = Reading {
        reader: &anyone,
        viewer: viewer.0.as_ref(),
        context: FilterContext::Public,
        hidden: &nobody,
        replies: None,
    };
    timeline(&state, &reading, &params, &path, &origins.kept, local, remote).await
}

/// `GET /api/v1/tags/:name`: the Tag entity (nobody follows tags here).
pub async fn tag(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<Value>, HttpError> {
    let (shown, _) = tag_key(&name)?;
    Ok(Json(json!({
        "name": shown,
        "url": state.federation().context().urls.tag(&shown),
        "history": [],
        "following": false,
    })))
}

/// How many local accounts a home timeline follows at most.
pub(super) const HOME_FOLLOWED_MAX: i64 = 10_000;

/// `GET /api/v1/timelines/home`: own posts, the enterprises one edits, the
/// accounts one follows (here or elsewhere), and what names one; never the
/// accounts one mutes or blocks, or who block one.
pub async fn home_timeline(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:statuses")?;
    let reader = user.reader(&state).await?;
    let (local, remote) = home_sources(&state, &user, &reader).await?;
    let hidden = hidden_from(&state, &user, false).await?;
    let reading =
        Reading { reader: &reader, viewer: Some(&user), context: FilterContext::Home, hidden: &hidden, replies: None };
    timeline(&state, &reading, &params, "/api/v1/timelines/home", &[], Some(local), Some(remote)).await
}

/// What a member's home timeline is made of: their own posts and those of
/// the enterprises they edit, the accounts they follow (here or elsewhere)
/// but those on an exclusive list, and what names them.
pub(super) async fn home_sources(
    state: &AppState,
    user: &User,
    reader: &Reader,
) -> Result<(LocalPosts, RemotePosts), HttpError> {
    let me = &user.account.actor;
    // Those on an exclusive list are read on that list only.
    let exclusive = state.db().exclusive_list_members(me.id).await?;
    let mut actors = reader.local_ids.clone();
    let followed_here = state.db().locally_followed(me.id, HOME_FOLLOWED_MAX).await?;
    actors.extend(followed_here.iter().map(|a| a.id).filter(|id| !exclusive.local.iter().any(|x| x.id == *id)));
    let mut followed = state.db().followed_remote_ids(me.id).await?;
    followed.retain(|ap_id| !exclusive.remote.iter().any(|x| x.ap_id == *ap_id));
    Ok((LocalPosts::OfOrNaming(actors), RemotePosts::ByOrNaming(followed)))
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
    let nobody = Hidden::default();
    let reading = Reading {
        reader: &reader,
        viewer: viewer.0.as_ref(),
        context: FilterContext::Account,
        hidden: &nobody,
        replies: None,
    };
    match Ref::parse(&id)? {
        Ref::Local(id) => {
            let local = Some(LocalPosts::Of(vec![id]));
            timeline(&state, &reading, &params, &path, &[], local, None).await
        }
        Ref::Remote(id) => {
            let actor = state
                .db()
                .remote_actor_by_id(id)
                .await?
                .ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
            let remote = Some(RemotePosts::By(vec![actor.ap_id]));
            timeline(&state, &reading, &params, &path, &[], None, remote).await
        }
    }
}
