//! `GET /api/v1/streaming`: Mastodon's streaming API, as a WebSocket and as
//! server-sent events (`/api/v1/streaming/user`, `/public`, ...), and its
//! health check. Events come from `maillage-db`'s live-event bus (every
//! process hears every process's events on PostgreSQL) through the
//! process's [`Hub`]; each becomes messages for one viewer in
//! [`session::Session`], through the timelines' own reading. Nothing is
//! replayed: a client that reconnects refetches what it missed.

mod hub;
mod session;
mod streams;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::broadcast::error::RecvError;

pub use hub::Hub;

use super::*;
use hub::Admission;
use session::{End, Session, authenticate};
use streams::{Command, Stream};

/// How long one message may take to reach a client before it is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The query of a streaming request.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StreamQuery {
    access_token: Option<String>,
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
}

/// The token of a streaming request: `access_token=`, `Authorization:
/// Bearer` or the `Sec-WebSocket-Protocol` header (browsers' WebSockets
/// cannot send headers).
fn token_of(parts: &Parts, query: &StreamQuery) -> Option<String> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or_default().trim().to_string());
    query.access_token.clone().or(bearer).or(protocol).filter(|t| !t.is_empty())
}

/// Checks the token and the caps before a stream opens: 401 for a token
/// that does not read, 429 beyond a cap.
async fn open(
    state: &AppState,
    parts: &Parts,
    query: &StreamQuery,
) -> Result<(Session, Admission, Option<String>), HttpError> {
    let token = token_of(parts, query);
    let user = match &token {
        Some(token) => Some(
            authenticate(state, token).await?.ok_or_else(|| HttpError::Unauthorized("Invalid access token".into()))?,
        ),
        None => None,
    };
    let admission = state.streaming.admit(state, user.as_ref().map(|u| u.account.actor.id))?;
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or_default().trim().to_string());
    Ok((Session::new(state.clone(), token, user), admission, protocol))
}

/// `GET /api/v1/streaming` (WebSocket; `stream=` to subscribe at once).
pub async fn streaming_socket(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    let (mut parts, _body) = request.into_parts();
    let Query(query) = Query::<StreamQuery>::try_from_uri(&parts.uri)
        .map_err(|e| HttpError::BadRequest(format!("invalid query: {e}")))?;
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &state)
        .await
        .map_err(|_| HttpError::BadRequest("this endpoint is a WebSocket (or use /api/v1/streaming/user...)".into()))?;
    let (mut session, admission, protocol) = open(&state, &parts, &query).await?;
    if let Some(name) = &query.stream {
        let stream = Stream::parse(name, query.tag.as_deref(), query.list.as_deref()).map_err(HttpError::BadRequest)?;
        session.subscribe(stream).await.map_err(HttpError::Unauthorized)?;
    }
    // Clients only send short commands: a small read buffer (tungstenite
    // allocates 128 KiB per connection by default) and small messages.
    let upgrade = upgrade
        .read_buffer_size(CLIENT_READ_BUFFER)
        .max_message_size(CLIENT_MESSAGE_MAX)
        .max_frame_size(CLIENT_MESSAGE_MAX);
    let upgrade = match protocol {
        Some(protocol) => upgrade.protocols([protocol]),
        None => upgrade,
    };
    // Subscribed before the answer: what is written once the client has it is heard.
    let events = state.streaming.subscribe(&state).await;
    Ok(upgrade.on_upgrade(move |socket| run_socket(state, socket, session, events, admission)))
}

/// Sends one frame, giving up on a client that does not take it in time.
async fn send(socket: &mut WebSocket, frame: Frame) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(frame)).await, Ok(Ok(())))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Frame::Close(Some(frame)))).await;
}

/// A WebSocket's life: commands from the client, events to it, pings.
async fn run_socket(
    state: AppState,
    mut socket: WebSocket,
    mut session: Session,
    mut events: tokio::sync::broadcast::Receiver<std::sync::Arc<hub::Prepared>>,
    admission: Admission,
) {
    let _admission = admission;
    let every = Duration::from_secs(state.config().streaming.ping_seconds);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(frame)) = incoming else { return };
                heard = Instant::now();
                match frame {
                    Frame::Text(text) => {
                        let answer = match Command::parse(text.as_str()) {
                            Ok(Command::Subscribe(stream)) => session.subscribe(stream).await.err(),
                            Ok(Command::Unsubscribe(stream)) => {
                                session.unsubscribe(&stream);
                                None
                            }
                            Err(problem) => Some(problem),
                        };
                        if let Some(problem) = answer {
                            let error = json!({ "error": problem, "status": 400 }).to_string();
                            if !send(&mut socket, Frame::Text(error.into())).await {
                                return;
                            }
                        }
                    }
                    Frame::Close(_) => return,
                    _ => {}
                }
            }
            event = events.recv() => {
                let prepared = match event {
                    Ok(prepared) => prepared,
                    Err(RecvError::Lagged(_)) => {
                        tracing::info!("streaming: a client too slow to keep up was disconnected");
                        close(&mut socket, 1013, "too slow: reconnect and refetch").await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                };
                match session.messages(&prepared).await {
                    Ok(Ok(messages)) => {
                        for message in messages {
                            if !send(&mut socket, Frame::Text(message.to_json().into())).await {
                                return;
                            }
                        }
                    }
                    Ok(Err(End::TokenGone)) => {
                        close(&mut socket, 1008, "the access token is no longer valid").await;
                        return;
                    }
                    Err(error) => tracing::warn!(error = %error, "streaming: an event could not be read for a client"),
                }
            }
            _ = ping.tick() => {
                // Quiet for three pings: the client or the network is gone.
                if heard.elapsed() > every * 3 || !send(&mut socket, Frame::Ping(Vec::new().into())).await {
                    return;
                }
            }
        }
    }
}

/// What one read from a client's socket takes at most.
const CLIENT_READ_BUFFER: usize = 4096;
/// The largest message a client may send (subscribe and unsubscribe
/// commands are a few dozen bytes).
const CLIENT_MESSAGE_MAX: usize = 64 * 1024;

/// `GET /api/v1/streaming/health`
pub async fn streaming_health() -> &'static str {
    "OK"
}

/// The server-sent-events paths: `/api/v1/streaming/{user, user/notification,
/// public, public/local, public/remote, hashtag, hashtag/local, list, direct}`.
pub async fn streaming_events(
    State(state): State<AppState>,
    Path(path): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    let (parts, _body) = request.into_parts();
    let Query(query) = Query::<StreamQuery>::try_from_uri(&parts.uri)
        .map_err(|e| HttpError::BadRequest(format!("invalid query: {e}")))?;
    let name = path.trim_matches('/').replace('/', ":");
    let stream = Stream::parse(&name, query.tag.as_deref(), query.list.as_deref()).map_err(HttpError::NotFound)?;
    let (mut session, admission, _) = open(&state, &parts, &query).await?;
    session.subscribe(stream).await.map_err(HttpError::Unauthorized)?;
    let capacity = usize::try_from(state.config().streaming.queue_events).unwrap_or(256);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Event>(capacity);
    let mut events = state.streaming.subscribe(&state).await;
    tokio::spawn(async move {
        let _admission = admission;
        loop {
            let prepared = tokio::select! {
                _ = sender.closed() => return,
                event = events.recv() => match event {
                    Ok(prepared) => prepared,
                    // Too slow: the stream ends; the client reconnects and refetches.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
                },
            };
            match session.messages(&prepared).await {
                Ok(Ok(messages)) => {
                    for message in messages {
                        let event = Event::default().event(message.event.as_str()).data(message.payload);
                        // A full queue is a client too slow to keep up: dropped.
                        if sender.try_send(event).is_err() {
                            return;
                        }
                    }
                }
                Ok(Err(End::TokenGone)) => return,
                Err(error) => tracing::warn!(error = %error, "streaming: an event could not be read for a client"),
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (Ok::<_, Infallible>(event), receiver))
    });
    let every = Duration::from_secs(state.config().streaming.ping_seconds);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(every).text("thump")).into_response())
}
