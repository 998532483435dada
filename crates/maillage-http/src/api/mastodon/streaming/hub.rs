//! The process's side of streaming: the caps on open streams, and the one
//! task that reads the live-event bus and hands every event to the open
//! streams, with what is the same for all of them done once (the status as
//! the public timeline shows it, what a deleted status was).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use maillage_db::{LiveEvent, StatusKey};
use maillage_domain::Visibility;
use maillage_domain::reading::FilterContext;
use serde_json::Value;
use tokio::sync::broadcast;

use super::super::timelines::{LocalPosts, Reading, RemotePosts, Row, only, timeline_rows};
use super::super::*;

/// The author of a status, as the accounts a viewer hides name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Author {
    Local(i64),
    Remote(String),
}

/// A status as anyone sees it on the public timeline: rendered once for
/// every public stream of the process.
pub(crate) struct PublicStatus {
    pub json: Value,
    pub local: bool,
    /// The keys of its hashtags.
    pub tags: Vec<String>,
    pub author: Author,
}

/// What a deleted status was, for deciding who hears of its deletion.
pub(crate) struct Deleted {
    pub visibility: Visibility,
    pub author: Author,
    pub local: bool,
}

/// An event with what every stream shares of it.
pub(crate) struct Prepared {
    pub event: LiveEvent,
    pub public: Option<PublicStatus>,
    pub deleted: Option<Deleted>,
    /// A new or edited status is direct: the `direct` streams of its
    /// participants get its conversation.
    pub direct: bool,
}

/// The streaming side of one process.
#[derive(Default)]
pub struct Hub {
    sender: tokio::sync::OnceCell<broadcast::Sender<Arc<Prepared>>>,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: u32,
    per_account: HashMap<i64, u32>,
}

/// One open stream, counted until it is dropped.
pub(crate) struct Admission {
    hub: Arc<Hub>,
    account: Option<i64>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(account) = self.account
            && let Some(n) = open.per_account.get_mut(&account)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.per_account.remove(&account);
            }
        }
    }
}

impl Hub {
    /// Counts a new stream of `account` (`None`: without a member), or
    /// refuses it with 429 when a cap of `[streaming]` is reached.
    pub(crate) fn admit(self: &Arc<Self>, state: &AppState, account: Option<i64>) -> Result<Admission, HttpError> {
        let caps = &state.config().streaming;
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= caps.max_connections {
            return Err(HttpError::TooManyRequests("Too many streaming connections on this server".into()));
        }
        if let Some(account) = account {
            let n = open.per_account.entry(account).or_default();
            if *n >= caps.max_connections_per_account {
                return Err(HttpError::TooManyRequests("Too many streaming connections for this account".into()));
            }
            *n += 1;
        }
        open.total += 1;
        Ok(Admission { hub: self.clone(), account })
    }

    /// How many streams are open in this process.
    pub fn open_streams(&self) -> u32 {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// The prepared events, from now on; the first call starts the task
    /// that prepares them. A receiver more than `[streaming] queue_events`
    /// behind is told it lagged.
    pub(crate) async fn subscribe(&self, state: &AppState) -> broadcast::Receiver<Arc<Prepared>> {
        self.sender
            .get_or_init(|| async {
                let capacity = usize::try_from(state.config().streaming.queue_events).unwrap_or(256);
                let (sender, _) = broadcast::channel(capacity);
                let events = state.db().live_events().await;
                tokio::spawn(prepare_events(state.clone(), events, sender.clone()));
                sender
            })
            .await
            .subscribe()
    }
}

/// Reads the bus and sends each event on, prepared, for as long as the
/// process runs.
async fn prepare_events(
    state: AppState,
    mut events: broadcast::Receiver<LiveEvent>,
    sender: broadcast::Sender<Arc<Prepared>>,
) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "streaming: events were missed (too many at once)");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        match prepare(&state, event).await {
            // No open stream is no error.
            Ok(prepared) => drop(sender.send(Arc::new(prepared))),
            Err(error) => tracing::warn!(?event, error = %error, "streaming: an event could not be prepared"),
        }
    }
}

async fn prepare(state: &AppState, event: LiveEvent) -> Result<Prepared, HttpError> {
    let mut prepared = Prepared { event, public: None, deleted: None, direct: false };
    match event {
        LiveEvent::StatusCreated { status } | LiveEvent::StatusEdited { status } => {
            prepared.public = public_status(state, status).await?;
            if prepared.public.is_none() {
                prepared.direct = visibility(state, status).await? == Some(Visibility::Direct);
            }
        }
        LiveEvent::StatusDeleted { status } => {
            prepared.deleted = match status {
                StatusKey::Local(id) => state.db().post_by_id(id).await?.map(|post| Deleted {
                    visibility: Visibility::from_stored(&post.visibility),
                    author: Author::Local(post.actor_id),
                    local: true,
                }),
                StatusKey::Remote(id) => state.db().remote_object_by_id(id).await?.and_then(|object| {
                    Some(Deleted {
                        visibility: object.visibility(),
                        author: Author::Remote(object.attributed_to.clone()?),
                        local: false,
                    })
                }),
            };
        }
        LiveEvent::NotificationCreated { .. } => {}
    }
    Ok(prepared)
}

/// Who a status is for, as its author addressed it (`None`: no such row).
async fn visibility(state: &AppState, status: StatusKey) -> Result<Option<Visibility>, HttpError> {
    Ok(match status {
        StatusKey::Local(id) => state.db().post_by_id(id).await?.map(|post| Visibility::from_stored(&post.visibility)),
        StatusKey::Remote(id) => state.db().remote_object_by_id(id).await?.map(|object| object.visibility()),
    })
}

/// Where a status stands in timelines, and its author (`None`: no such row).
pub(crate) async fn position(
    state: &AppState,
    status: StatusKey,
) -> Result<Option<(TimelinePosition, Author)>, HttpError> {
    Ok(match status {
        StatusKey::Local(id) => state
            .db()
            .post_by_id(id)
            .await?
            .map(|post| (TimelinePosition { time: post.published, id }, Author::Local(post.actor_id))),
        StatusKey::Remote(id) => state.db().remote_object_by_id(id).await?.and_then(|object| {
            let author = Author::Remote(object.attributed_to.clone()?);
            Some((TimelinePosition { time: object.created_at, id }, author))
        }),
    })
}

/// The status as the public timeline shows it to anyone, when it does.
async fn public_status(state: &AppState, status: StatusKey) -> Result<Option<PublicStatus>, HttpError> {
    let Some((at, author)) = position(state, status).await? else { return Ok(None) };
    let (anyone, nobody) = (Reader::anonymous(), Hidden::default());
    let reading =
        Reading { reader: &anyone, viewer: None, context: FilterContext::Public, hidden: &nobody, replies: None };
    let local = matches!(status, StatusKey::Local(_));
    let rows = timeline_rows(
        state,
        &reading,
        local.then_some(&LocalPosts::Listed),
        (!local).then_some(&RemotePosts::Listed),
        &only(at),
        &only(at),
    )
    .await?;
    let Some(json) = render(state, &rows, None).await?.into_iter().next() else { return Ok(None) };
    let tags = json["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| maillage_domain::tags::key(tag["name"].as_str()?))
        .collect();
    Ok(Some(PublicStatus { json, local, tags, author }))
}

/// The Statuses of rows, as `viewer` sees them.
pub(crate) async fn render(state: &AppState, rows: &[Row], viewer: Viewer<'_>) -> Result<Vec<Value>, HttpError> {
    let page: Vec<StatusOf<'_>> = rows
        .iter()
        .map(|row| match row {
            Row::Local(post) => StatusOf::Local(post),
            Row::Remote(object) => StatusOf::Remote(object),
        })
        .collect();
    entities::statuses(state, &page, viewer).await
}
