//! The streams a client subscribes to and the messages it is sent, in
//! Mastodon's protocol: `{"stream": [...], "event": "...", "payload": "..."}`
//! on a WebSocket, `event:`/`data:` lines over server-sent events.

use serde_json::{Value, json};

/// One stream of the streaming API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stream {
    /// The home timeline and the member's notifications.
    User,
    /// The member's notifications only.
    UserNotification,
    /// The public timeline, of every server, ours or other servers' only.
    Public(Origin),
    /// Public statuses with a tag (`shown` as the client wrote it, which its
    /// messages name, matched by `key`).
    Hashtag { shown: String, key: String, origin: Origin },
    /// One of the member's lists.
    List(i64),
    /// The member's conversations (direct statuses).
    Direct,
}

/// Which statuses of a public stream: all of them, ours or other servers'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Any,
    Local,
    Remote,
}

impl Origin {
    pub(crate) fn admits(self, local: bool) -> bool {
        match self {
            Origin::Any => true,
            Origin::Local => local,
            Origin::Remote => !local,
        }
    }
}

impl Stream {
    /// The stream a name and its parameter (`tag=`, `list=`) ask for.
    pub(crate) fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Result<Stream, String> {
        let hashtag = |origin: Origin| -> Result<Stream, String> {
            let asked = tag.map(str::trim).filter(|t| !t.is_empty()).ok_or("the hashtag stream needs `tag`")?;
            let asked = asked.trim_start_matches('#');
            let key = maillage_domain::tags::display_name(asked)
                .and_then(|name| maillage_domain::tags::key(&name))
                .ok_or("`tag` is not a hashtag name")?;
            Ok(Stream::Hashtag { shown: asked.to_string(), key, origin })
        };
        match name {
            "user" => Ok(Stream::User),
            "user:notification" => Ok(Stream::UserNotification),
            "public" => Ok(Stream::Public(Origin::Any)),
            "public:local" => Ok(Stream::Public(Origin::Local)),
            "public:remote" => Ok(Stream::Public(Origin::Remote)),
            "hashtag" => hashtag(Origin::Any),
            "hashtag:local" => hashtag(Origin::Local),
            "direct" => Ok(Stream::Direct),
            "list" => {
                let id = list.map(str::trim).ok_or("the list stream needs `list`")?;
                id.parse().map(Stream::List).map_err(|_| "`list` must be a list id".to_string())
            }
            _ => Err("Unknown stream type".to_string()),
        }
    }

    /// Whether the stream is a member's (a token of a member is needed).
    pub(crate) fn is_personal(&self) -> bool {
        matches!(self, Stream::User | Stream::UserNotification | Stream::List(_) | Stream::Direct)
    }

    /// The `stream` array of the messages it carries.
    pub(crate) fn names(&self) -> Vec<String> {
        let origin_name = |base: &str, origin: Origin| match origin {
            Origin::Any => base.to_string(),
            Origin::Local => format!("{base}:local"),
            Origin::Remote => format!("{base}:remote"),
        };
        match self {
            Stream::User => vec!["user".into()],
            Stream::UserNotification => vec!["user:notification".into()],
            Stream::Public(origin) => vec![origin_name("public", *origin)],
            Stream::Hashtag { shown, origin, .. } => vec![origin_name("hashtag", *origin), shown.clone()],
            Stream::List(id) => vec!["list".into(), id.to_string()],
            Stream::Direct => vec!["direct".into()],
        }
    }
}

/// The kinds of events of Mastodon's protocol that we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventName {
    Update,
    StatusUpdate,
    Delete,
    Notification,
    Conversation,
}

impl EventName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventName::Update => "update",
            EventName::StatusUpdate => "status.update",
            EventName::Delete => "delete",
            EventName::Notification => "notification",
            EventName::Conversation => "conversation",
        }
    }
}

/// One message for a client: its stream, its event and the payload (an
/// entity's JSON, or the id of a deleted status).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Message {
    pub stream: Vec<String>,
    pub event: EventName,
    pub payload: String,
}

impl Message {
    pub(crate) fn new(stream: &Stream, event: EventName, payload: String) -> Message {
        Message { stream: stream.names(), event, payload }
    }

    /// The WebSocket text frame.
    pub(crate) fn to_json(&self) -> String {
        json!({ "stream": self.stream, "event": self.event.as_str(), "payload": self.payload }).to_string()
    }
}

/// What a client asks on an open WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Subscribe(Stream),
    Unsubscribe(Stream),
}

impl Command {
    /// A command read from a text frame; the error is sent back to the client.
    pub(crate) fn parse(text: &str) -> Result<Command, String> {
        let value: Value = serde_json::from_str(text).map_err(|_| "messages are JSON objects".to_string())?;
        let field = |key: &str| -> Option<String> {
            match &value[key] {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let name = field("stream").ok_or("`stream` is missing")?;
        let stream = Stream::parse(&name, field("tag").as_deref(), field("list").as_deref())?;
        match value["type"].as_str() {
            Some("subscribe") => Ok(Command::Subscribe(stream)),
            Some("unsubscribe") => Ok(Command::Unsubscribe(stream)),
            _ => Err("`type` must be subscribe or unsubscribe".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_read_as_mastodon_names_them() {
        assert_eq!(Stream::parse("user", None, None), Ok(Stream::User));
        assert_eq!(Stream::parse("public:local", None, None), Ok(Stream::Public(Origin::Local)));
        let tag = Stream::parse("hashtag", Some("#Économie"), None).unwrap();
        assert_eq!(tag.names(), vec!["hashtag".to_string(), "Économie".to_string()]);
        assert_eq!(Stream::parse("list", None, Some("12")), Ok(Stream::List(12)));
        assert!(Stream::parse("hashtag", None, None).is_err());
        assert!(Stream::parse("list", None, Some("x")).is_err());
        assert!(Stream::parse("public:media", None, None).is_err());
        assert!(Stream::List(1).is_personal() && !Stream::Public(Origin::Any).is_personal());
        assert_eq!(Stream::parse("direct", None, None), Ok(Stream::Direct));
        assert!(Stream::Direct.is_personal());
    }

    #[test]
    fn commands_and_messages_follow_the_protocol() {
        assert_eq!(Command::parse(r#"{"type":"subscribe","stream":"user"}"#), Ok(Command::Subscribe(Stream::User)));
        assert_eq!(
            Command::parse(r#"{"type":"unsubscribe","stream":"list","list":7}"#),
            Ok(Command::Unsubscribe(Stream::List(7)))
        );
        assert!(Command::parse(r#"{"type":"other","stream":"user"}"#).is_err());
        assert!(Command::parse("not json").is_err());
        let message = Message::new(&Stream::User, EventName::Delete, "12".into());
        let sent: Value = serde_json::from_str(&message.to_json()).unwrap();
        assert_eq!(sent, json!({"stream": ["user"], "event": "delete", "payload": "12"}));
    }
}
