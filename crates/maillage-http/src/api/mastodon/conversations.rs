//! Conversations: the direct statuses the caller wrote or is addressed in
//! (as a member, or for an enterprise they edit), read through the one
//! audience check and grouped by the root of their thread; marked read or
//! removed through the use case.

use std::collections::HashMap;

use maillage_app::conversations::ConversationChange;

use super::timelines::Row;
use super::*;

/// How many of the newest direct statuses the list is made from.
const DIRECT_WINDOW: i64 = 400;
/// How far up a thread its root is looked for.
const ROOT_DEPTH: usize = 32;

/// One conversation: the first status of its thread the reader may read,
/// and its direct statuses, newest first.
struct Conversation {
    root: Ref,
    root_ap_id: String,
    statuses: Vec<Row>,
}

impl Conversation {
    fn last(&self) -> &Row {
        &self.statuses[0]
    }
}

fn place(row: &Row) -> (Ref, &str, Option<&str>) {
    match row {
        Row::Local(post) => (Ref::Local(post.id), &post.ap_id, post.in_reply_to.as_deref()),
        Row::Remote(object) => (Ref::Remote(object.id), &object.ap_id, object.in_reply_to.as_deref()),
    }
}

/// The first status of the thread of `row` that `reader` may read, going
/// up its parents (each read through the audience check).
async fn root_of(
    state: &AppState,
    reader: &Reader,
    row: &Row,
    known: &mut HashMap<String, (Ref, String)>,
) -> Result<(Ref, String), HttpError> {
    let (at, ap_id, parent) = place(row);
    let mut root = (at, ap_id.to_string());
    let mut parent = parent.map(str::to_string);
    let mut climbed = Vec::new();
    for _ in 0..ROOT_DEPTH {
        let Some(up) = parent.take() else { break };
        if let Some(found) = known.get(&up) {
            root = found.clone();
            break;
        }
        climbed.push(up.clone());
        if let Some(post) = state.db().visible_post_by_ap_id(reader, &up).await? {
            root = (Ref::Local(post.id), post.ap_id);
            parent = post.in_reply_to;
        } else if let Some(object) = state.db().visible_remote_object_by_ap_id(reader, &up).await? {
            root = (Ref::Remote(object.id), object.ap_id);
            parent = object.in_reply_to;
        }
    }
    for ap_id in climbed {
        known.insert(ap_id, root.clone());
    }
    Ok(root)
}

/// The caller's conversations, the newest first, with their marks.
async fn conversations_of(
    state: &AppState,
    user: &User,
) -> Result<(Reader, Vec<(Conversation, Option<maillage_db::ConversationMark>)>), HttpError> {
    let reader = state.db().reader_for_member(&user.account.actor).await?;
    let bounds = PageBounds::newest(DIRECT_WINDOW);
    let mut rows: Vec<Row> =
        state.db().posts_page(PostSource::Direct, &reader, &bounds).await?.into_iter().map(Row::Local).collect();
    let objects = state.db().remote_objects_page(RemoteSource::Direct, &reader, &bounds).await?;
    rows.extend(objects.into_iter().map(Row::Remote));
    rows.sort_by_key(|row| std::cmp::Reverse(row.order()));
    let mut known = HashMap::new();
    let mut conversations: Vec<Conversation> = Vec::new();
    for row in rows {
        let (root, root_ap_id) = root_of(state, &reader, &row, &mut known).await?;
        match conversations.iter_mut().find(|c| c.root == root) {
            Some(conversation) => conversation.statuses.push(row),
            None => conversations.push(Conversation { root, root_ap_id, statuses: vec![row] }),
        }
    }
    let roots: Vec<String> = conversations.iter().map(|c| c.root_ap_id.clone()).collect();
    let mut marks = state.db().conversation_marks(user.account.actor.id, &roots).await?;
    let mut out = Vec::new();
    for conversation in conversations {
        let mark = marks.iter().position(|m| m.root_ap_id == conversation.root_ap_id).map(|i| marks.swap_remove(i));
        let (last_time, _) = conversation.last().order();
        // Removed, and nothing newer since.
        if mark.as_ref().and_then(|m| m.removed_at).is_some_and(|removed| removed >= last_time) {
            continue;
        }
        out.push((conversation, mark));
    }
    Ok((reader, out))
}

/// The ActivityPub ids of whom a status involves: its author and, for ours, its addressees.
async fn participants(state: &AppState, row: &Row) -> Result<Vec<String>, HttpError> {
    Ok(match row {
        Row::Local(post) => {
            let mut ids = state.db().post_addressees(post.id).await?;
            if let Some(author) = state.db().local_actor_by_id(post.actor_id).await? {
                ids.push(author.ap_id);
            }
            ids
        }
        Row::Remote(object) => object.attributed_to.iter().cloned().collect(),
    })
}

/// The Conversation entity.
async fn conversation_json(
    state: &AppState,
    user: &User,
    reader: &Reader,
    conversation: &Conversation,
    mark: Option<&maillage_db::ConversationMark>,
) -> Result<Value, HttpError> {
    let mut involved: Vec<String> = Vec::new();
    for row in &conversation.statuses {
        for ap_id in participants(state, row).await? {
            if !reader.ap_ids.contains(&ap_id) && !involved.contains(&ap_id) {
                involved.push(ap_id);
            }
        }
    }
    let mut accounts = Vec::new();
    for ap_id in &involved {
        if let Some(account) = account_of_ap_id(state, ap_id).await? {
            accounts.push(account);
        }
    }
    let last = conversation.last();
    let (last_time, _) = last.order();
    let by_reader = match last {
        Row::Local(post) => reader.acts_as(post.actor_id),
        Row::Remote(_) => false,
    };
    let unread = !by_reader && mark.and_then(|m| m.read_at).is_none_or(|read| read < last_time);
    let status = match last {
        Row::Local(post) => StatusOf::Local(post),
        Row::Remote(object) => StatusOf::Remote(object),
    };
    let last_status =
        entities::statuses(state, &[status], Some(user.member())).await?.into_iter().next().unwrap_or(Value::Null);
    Ok(json!({
        "id": conversation.root.id(),
        "unread": unread,
        "accounts": accounts,
        "last_status": last_status,
    }))
}

/// The caller's conversation whose newest status is `status`, as the
/// `direct` stream sends it; `None` when the caller is not in it (or
/// removed it, or a newer status of it exists).
pub(crate) async fn conversation_ending_with(
    state: &AppState,
    user: &User,
    status: Ref,
) -> Result<Option<Value>, HttpError> {
    let (reader, all) = conversations_of(state, user).await?;
    match all.iter().find(|(conversation, _)| place(conversation.last()).0 == status) {
        Some((conversation, mark)) => {
            Ok(Some(conversation_json(state, user, &reader, conversation, mark.as_ref()).await?))
        }
        None => Ok(None),
    }
}

/// `GET /api/v1/conversations` (`limit`, `max_id`: the `last_status` id of
/// the last conversation of the previous page, as the Link header gives it).
pub async fn conversations(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:statuses")?;
    let limit = limit(&params)?;
    let (reader, all) = conversations_of(&state, &user).await?;
    let older_than = match params.text("max_id").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(id) => {
            let at = Ref::parse(&id)?;
            let row = all.iter().flat_map(|(c, _)| &c.statuses).find(|row| place(row).0 == at);
            // A cursor the caller may not see tells nothing: an empty page.
            Some(row.map(Row::order).unwrap_or((UtcTime::from(chrono::DateTime::<chrono::Utc>::MIN_UTC), 0)))
        }
    };
    let mut page = Vec::new();
    let mut next = None;
    for (conversation, mark) in &all {
        if older_than.is_some_and(|bound| conversation.last().order() >= bound) {
            continue;
        }
        if page.len() == usize::try_from(limit).unwrap_or(20) {
            break;
        }
        page.push(conversation_json(&state, &user, &reader, conversation, mark.as_ref()).await?);
        next = Some(place(conversation.last()).0.id());
    }
    let mut response = Json(json!(page)).into_response();
    if let Some(next) = next {
        let link = format!(
            "<{}/api/v1/conversations?max_id={next}&limit={limit}>; rel=\"next\"",
            state.config().public_base_url()
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The caller's conversation `id`, marked as `change` asks (404 when it is
/// not one of theirs).
async fn change(state: &AppState, user: &User, id: &str, change: ConversationChange) -> Result<Value, HttpError> {
    user.require("write:conversations")?;
    let root = Ref::parse(id)?;
    let (reader, all) = conversations_of(state, user).await?;
    let (conversation, _) =
        all.iter().find(|(c, _)| c.root == root).ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    maillage_app::conversations::mark(&state.app, &user.account.actor, &conversation.root_ap_id, change).await?;
    let mark =
        state.db().conversation_marks(user.account.actor.id, std::slice::from_ref(&conversation.root_ap_id)).await?;
    conversation_json(state, user, &reader, conversation, mark.first()).await
}

/// `POST /api/v1/conversations/:id/read`: the Conversation, read.
pub async fn read_conversation(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(change(&state, &user, &id, ConversationChange::Read).await?))
}

/// `DELETE /api/v1/conversations/:id`: removed from the caller's list
/// (for them only) until a newer status arrives; `{}`.
pub async fn remove_conversation(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    change(&state, &user, &id, ConversationChange::Removed).await?;
    Ok(Json(json!({})))
}
