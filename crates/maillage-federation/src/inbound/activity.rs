//! The activities we accept, as one typed value ([`Inbound`]), parsed once
//! from a received (or stored) activity, and what the inbox concluded
//! ([`Received`]).
//!
//! A leaf: it reads JSON and knows no effect, so every part of receiving
//! imports it and it imports none of them.

use maillage_db::ReactionKind;
use serde_json::Value;
use url::Url;

use crate::error::FederationError;

/// What the inbox concluded, for the response.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Processed,
    Duplicate,
    Ignored,
    /// Stored; its processing goes on after the answer.
    Stored,
}

/// An id given inline (`"https://..."`) or as an object with an `id`.
pub fn id_of(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s.as_str()),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// The activity's `type`, which every activity must have.
pub fn activity_type(activity: &Value) -> Result<&str, FederationError> {
    activity.get("type").and_then(Value::as_str).ok_or_else(|| FederationError::invalid("the activity has no `type`"))
}

/// A field of an activity that must be a URL (`id`, `actor`, `object`).
pub(crate) fn parse_url(value: Option<&Value>, field: &str) -> Result<Url, FederationError> {
    let text = id_of(value).ok_or_else(|| FederationError::invalid(format!("the activity has no `{field}`")))?;
    Url::parse(text).map_err(|_| FederationError::invalid(format!("the activity's `{field}` is not a URL")))
}

/// An activity we accept, with what its check and its effect need.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// `Create` or `Update` of the sender's own actor document (a profile change).
    ActorUpdate {
        document: Option<Value>,
    },
    /// `Delete` of the sender itself (an account deleted at its origin).
    ActorDelete,
    /// `Create` or `Update` of an object.
    ObjectChange(ObjectChange),
    /// `Delete` of an object.
    ObjectDelete {
        object_id: String,
        object_type: String,
    },
    /// A reshare, or a hub relaying an activity (FEP-1b12).
    Announce(Announce),
    Like {
        activity_id: String,
        object_id: String,
    },
    /// `Undo{Like}` or `Undo{Announce}`.
    UndoReaction {
        reaction: ReactionKind,
        reaction_id: String,
        object_id: Option<String>,
    },
    /// `Undo` of anything else: of a follow (named by its id), or of
    /// something we never stored.
    UndoFollow(UndoFollow),
    Follow(Follow),
    /// `Accept` or `Reject` of one of our follows.
    FollowAnswer(FollowAnswer),
    /// A remote actor blocks one of ours (the blocked actor, required).
    Block {
        blocked: Option<Value>,
    },
    /// A report.
    Flag(Flag),
    /// `Add` or `Remove`: a hub's enterprise joins or leaves its `members`
    /// (other collections, such as Mastodon's pinned posts, are ignored).
    Membership(Membership),
    /// A content activity that names no object: refused.
    NoObject(ContentKind),
    /// Any other type: kept raw (received_activities), nothing done.
    Unhandled,
}

/// The content activities, which all name an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Create,
    Update,
    Delete,
    Announce,
    Like,
}

impl ContentKind {
    fn of(kind: &str) -> Option<Self> {
        Some(match kind {
            "Create" => Self::Create,
            "Update" => Self::Update,
            "Delete" => Self::Delete,
            "Announce" => Self::Announce,
            "Like" => Self::Like,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
            Self::Announce => "Announce",
            Self::Like => "Like",
        }
    }
}

/// Whether an object is new or edited (mentions are notified once, on `Create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Create,
    Update,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    pub edit: Edit,
    pub object_id: String,
    /// The object as the sender embedded it (else it is fetched).
    pub embedded: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Announce {
    pub activity_id: String,
    pub object_id: String,
    pub relayed: Option<Relayed>,
}

/// The `Create`, `Update` or `Delete` a hub relays.
#[derive(Debug, Clone, PartialEq)]
pub struct Relayed {
    pub deletes: bool,
    /// The relayed activity's object (required).
    pub target: Option<String>,
    pub target_type: String,
    /// The relayed activity's actor.
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UndoFollow {
    /// The id of the undone activity.
    pub follow_id: String,
    /// Present when the undone activity says it is a `Follow`.
    pub declared: Option<DeclaredFollow>,
}

/// An undone `Follow` as the `Undo` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredFollow {
    pub follower: Option<String>,
    pub followed: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Follow {
    /// The followed actor (ours, or the follow is refused).
    pub followed: Option<Value>,
    /// The whole `Follow`, kept to answer it.
    pub activity: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FollowAnswer {
    pub accept: bool,
    pub follow_id: String,
    /// The follower the answered `Follow` names (some servers answer a
    /// `Follow` of their own making).
    pub follower: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// `Add` (true) or `Remove`.
    pub joins: bool,
    /// The actor that joins or leaves (required).
    pub member: Option<String>,
    /// The collection it joins or leaves (required).
    pub collection: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub activity_id: String,
    /// The ids it names (`object` may be one id, an object, or a list).
    pub flagged: Vec<String>,
    /// The comment, as HTML.
    pub content: Option<String>,
}

fn owned_id(value: Option<&Value>) -> String {
    id_of(value).unwrap_or_default().to_string()
}

fn type_of(value: Option<&Value>) -> Option<&str> {
    value.and_then(|o| o.get("type")).and_then(Value::as_str)
}

impl Inbound {
    /// The activity `activity` of type `kind`, sent by the actor `actor`
    /// (its id: whether it creates, updates or deletes itself). Never fails:
    /// what is missing is refused by the activity's check.
    pub fn parse(kind: &str, activity: &Value, actor: &str) -> Self {
        let object = activity.get("object");
        if let Some(content) = ContentKind::of(kind) {
            let Some(object_id) = id_of(object) else { return Self::NoObject(content) };
            return Self::content(content, activity, object_id.to_string(), actor);
        }
        match kind {
            "Undo" => match type_of(object) {
                Some(inner @ ("Like" | "Announce")) => Self::UndoReaction {
                    reaction: if inner == "Like" { ReactionKind::Like } else { ReactionKind::Announce },
                    reaction_id: owned_id(object),
                    object_id: id_of(object.and_then(|o| o.get("object"))).map(str::to_string),
                },
                inner => Self::UndoFollow(UndoFollow {
                    follow_id: owned_id(object),
                    declared: (inner == Some("Follow")).then(|| DeclaredFollow {
                        follower: id_of(object.and_then(|o| o.get("actor"))).map(str::to_string),
                        followed: object.and_then(|o| o.get("object")).cloned(),
                    }),
                }),
            },
            "Follow" => Self::Follow(Follow { followed: object.cloned(), activity: activity.clone() }),
            "Accept" | "Reject" => Self::FollowAnswer(FollowAnswer {
                accept: kind == "Accept",
                follow_id: owned_id(object),
                follower: object.and_then(|o| o.get("actor")).cloned(),
            }),
            "Block" => Self::Block { blocked: object.cloned() },
            "Flag" => {
                let items = match object {
                    Some(Value::Array(items)) => items.iter().collect(),
                    Some(one) => vec![one],
                    None => Vec::new(),
                };
                Self::Flag(Flag {
                    activity_id: owned_id(activity.get("id")),
                    flagged: items.into_iter().filter_map(|item| id_of(Some(item)).map(str::to_string)).collect(),
                    content: activity.get("content").and_then(Value::as_str).map(str::to_string),
                })
            }
            "Add" | "Remove" => Self::Membership(Membership {
                joins: kind == "Add",
                member: id_of(object).map(str::to_string),
                collection: id_of(activity.get("target")).map(str::to_string),
            }),
            _ => Self::Unhandled,
        }
    }

    fn content(kind: ContentKind, activity: &Value, object_id: String, actor: &str) -> Self {
        let object = activity.get("object");
        let embedded = object.filter(|o| o.is_object()).cloned();
        let edit = match kind {
            ContentKind::Create => Edit::Create,
            ContentKind::Update => Edit::Update,
            ContentKind::Delete if object_id == actor => return Self::ActorDelete,
            ContentKind::Delete => {
                return Self::ObjectDelete { object_id, object_type: type_of(object).unwrap_or("Object").to_string() };
            }
            ContentKind::Announce => {
                let relayed = match type_of(embedded.as_ref()) {
                    Some(inner @ ("Create" | "Update" | "Delete")) => {
                        let target = embedded.as_ref().and_then(|o| o.get("object"));
                        Some(Relayed {
                            deletes: inner == "Delete",
                            target: id_of(target).map(str::to_string),
                            target_type: type_of(target).unwrap_or("Object").to_string(),
                            actor: owned_id(embedded.as_ref().and_then(|o| o.get("actor"))),
                        })
                    }
                    _ => None,
                };
                return Self::Announce(Announce { activity_id: owned_id(activity.get("id")), object_id, relayed });
            }
            ContentKind::Like => return Self::Like { activity_id: owned_id(activity.get("id")), object_id },
        };
        if object_id == actor {
            return Self::ActorUpdate { document: embedded };
        }
        Self::ObjectChange(ObjectChange { edit, object_id, embedded })
    }

    /// Whether its effect may fetch from another server: a reshare, or an
    /// object that is not embedded by its own author (refetched from its origin).
    pub fn may_fetch(&self) -> bool {
        matches!(
            self,
            Self::Announce(_)
                | Self::ObjectChange(_)
                | Self::NoObject(ContentKind::Create | ContentKind::Update)
                | Self::Membership(Membership { joins: true, .. })
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ACTOR: &str = "https://other.example/users/bob";
    const NOTE: &str = "https://other.example/notes/1";

    fn parse(activity: Value) -> Inbound {
        let kind = activity_type(&activity).unwrap().to_string();
        Inbound::parse(&kind, &activity, ACTOR)
    }

    #[test]
    fn a_missing_type_is_refused_as_before() {
        for activity in [json!({"id": "https://other.example/a"}), json!({"type": 3})] {
            let error = activity_type(&activity).unwrap_err();
            assert!(matches!(&error, FederationError::Invalid(m) if m == "the activity has no `type`"), "{error}");
        }
    }

    #[test]
    fn creates_and_updates_of_objects_and_of_the_sender() {
        let note = json!({"id": NOTE, "type": "Note"});
        assert_eq!(
            parse(json!({"type": "Create", "object": note})),
            Inbound::ObjectChange(ObjectChange { edit: Edit::Create, object_id: NOTE.into(), embedded: Some(note) })
        );
        assert_eq!(
            parse(json!({"type": "Update", "object": NOTE})),
            Inbound::ObjectChange(ObjectChange { edit: Edit::Update, object_id: NOTE.into(), embedded: None })
        );
        let me = json!({"id": ACTOR, "type": "Person"});
        assert_eq!(parse(json!({"type": "Update", "object": me})), Inbound::ActorUpdate { document: Some(me.clone()) });
        assert_eq!(parse(json!({"type": "Create", "object": ACTOR})), Inbound::ActorUpdate { document: None });
        // Another actor's document is an object like any other (refused by its check).
        let other = "https://other.example/users/carol";
        assert!(matches!(parse(json!({"type": "Update", "object": other})), Inbound::ObjectChange(_)));
    }

    #[test]
    fn deletes_of_objects_and_of_the_sender() {
        assert_eq!(parse(json!({"type": "Delete", "object": ACTOR})), Inbound::ActorDelete);
        assert_eq!(
            parse(json!({"type": "Delete", "object": {"id": NOTE, "type": "Tombstone"}})),
            Inbound::ObjectDelete { object_id: NOTE.into(), object_type: "Tombstone".into() }
        );
        assert_eq!(
            parse(json!({"type": "Delete", "object": NOTE})),
            Inbound::ObjectDelete { object_id: NOTE.into(), object_type: "Object".into() }
        );
    }

    #[test]
    fn content_activities_without_an_object_are_marked() {
        for (kind, expected) in [
            ("Create", ContentKind::Create),
            ("Update", ContentKind::Update),
            ("Delete", ContentKind::Delete),
            ("Announce", ContentKind::Announce),
            ("Like", ContentKind::Like),
        ] {
            assert_eq!(parse(json!({"type": kind})), Inbound::NoObject(expected));
            assert_eq!(parse(json!({"type": kind, "object": 3})), Inbound::NoObject(expected));
            assert_eq!(expected.name(), kind);
        }
    }

    #[test]
    fn reshares_and_relayed_activities() {
        assert_eq!(
            parse(json!({"type": "Announce", "id": "https://other.example/a/1", "object": NOTE})),
            Inbound::Announce(Announce {
                activity_id: "https://other.example/a/1".into(),
                object_id: NOTE.into(),
                relayed: None
            })
        );
        let relayed = json!({"type": "Announce", "object": {
            "id": "https://third.example/c/1", "type": "Delete", "actor": "https://third.example/u/x",
            "object": {"id": "https://third.example/n/1", "type": "Note"},
        }});
        let Inbound::Announce(announce) = parse(relayed) else { panic!("not an Announce") };
        assert_eq!(announce.activity_id, "");
        assert_eq!(
            announce.relayed,
            Some(Relayed {
                deletes: true,
                target: Some("https://third.example/n/1".into()),
                target_type: "Note".into(),
                actor: "https://third.example/u/x".into(),
            })
        );
        let Inbound::Announce(announce) =
            parse(json!({"type": "Announce", "object": {"id": "https://third.example/c/2", "type": "Create"}}))
        else {
            panic!("not an Announce")
        };
        let relayed = announce.relayed.unwrap();
        assert!(!relayed.deletes);
        assert_eq!(relayed.target, None);
    }

    #[test]
    fn likes_and_their_undoing() {
        assert_eq!(
            parse(json!({"type": "Like", "id": "https://other.example/l/1", "object": NOTE})),
            Inbound::Like { activity_id: "https://other.example/l/1".into(), object_id: NOTE.into() }
        );
        for (inner, reaction) in [("Like", ReactionKind::Like), ("Announce", ReactionKind::Announce)] {
            assert_eq!(
                parse(
                    json!({"type": "Undo", "object": {"id": "https://other.example/r/1", "type": inner, "object": NOTE}})
                ),
                Inbound::UndoReaction {
                    reaction,
                    reaction_id: "https://other.example/r/1".into(),
                    object_id: Some(NOTE.into())
                }
            );
        }
    }

    #[test]
    fn follows_their_undoing_and_their_answers() {
        let follow = json!({"id": "https://other.example/f/1", "type": "Follow", "actor": ACTOR, "object": "https://here.example/actors/hub"});
        assert_eq!(
            parse(follow.clone()),
            Inbound::Follow(Follow {
                followed: Some(json!("https://here.example/actors/hub")),
                activity: follow.clone()
            })
        );
        assert_eq!(
            parse(json!({"type": "Undo", "object": follow})),
            Inbound::UndoFollow(UndoFollow {
                follow_id: "https://other.example/f/1".into(),
                declared: Some(DeclaredFollow {
                    follower: Some(ACTOR.into()),
                    followed: Some(json!("https://here.example/actors/hub"))
                }),
            })
        );
        // An Undo that does not say what it undoes may undo a follow (by its id).
        for undo in [
            json!({"type": "Undo", "object": "https://other.example/f/1"}),
            json!({"type": "Undo", "object": {"id": "https://other.example/f/1", "type": "Block"}}),
        ] {
            assert_eq!(
                parse(undo),
                Inbound::UndoFollow(UndoFollow { follow_id: "https://other.example/f/1".into(), declared: None })
            );
        }
        let ours = json!({"id": "https://here.example/activities/f", "type": "Follow", "actor": "https://here.example/actors/hub"});
        for (kind, accept) in [("Accept", true), ("Reject", false)] {
            assert_eq!(
                parse(json!({"type": kind, "object": ours})),
                Inbound::FollowAnswer(FollowAnswer {
                    accept,
                    follow_id: "https://here.example/activities/f".into(),
                    follower: Some(json!("https://here.example/actors/hub")),
                })
            );
        }
    }

    #[test]
    fn flags_name_one_or_many_things() {
        let flag = parse(json!({"type": "Flag", "id": "https://other.example/flag/1", "content": "<p>spam</p>",
            "object": ["https://here.example/actors/a", {"id": NOTE}, 3]}));
        assert_eq!(
            flag,
            Inbound::Flag(Flag {
                activity_id: "https://other.example/flag/1".into(),
                flagged: vec!["https://here.example/actors/a".into(), NOTE.into()],
                content: Some("<p>spam</p>".into()),
            })
        );
        let Inbound::Flag(flag) = parse(json!({"type": "Flag", "object": NOTE})) else { panic!("not a Flag") };
        assert_eq!(flag.flagged, vec![NOTE.to_string()]);
        let Inbound::Flag(flag) = parse(json!({"type": "Flag"})) else { panic!("not a Flag") };
        assert!(flag.flagged.is_empty());
    }

    #[test]
    fn add_and_remove_name_a_member_and_a_collection() {
        let members = "https://other.example/actors/hub/members";
        let added = parse(json!({"type": "Add", "object": {"id": ACTOR, "type": "Organization"}, "target": members}));
        let expected =
            Membership { joins: true, member: Some(ACTOR.to_string()), collection: Some(members.to_string()) };
        assert_eq!(added, Inbound::Membership(expected));
        assert!(added.may_fetch(), "an enterprise that joins is read from its server");
        let removed = parse(json!({"type": "Remove", "object": ACTOR}));
        assert_eq!(
            removed,
            Inbound::Membership(Membership { joins: false, member: Some(ACTOR.to_string()), collection: None })
        );
        assert!(!removed.may_fetch());
    }

    #[test]
    fn other_types_are_unhandled() {
        for kind in ["Move", "Question", "create"] {
            assert_eq!(parse(json!({"type": kind, "object": NOTE})), Inbound::Unhandled, "{kind}");
        }
    }

    #[test]
    fn a_block_names_whom_it_blocks() {
        let ours = "https://here.example/actors/coop";
        assert_eq!(parse(json!({"type": "Block", "object": ours})), Inbound::Block { blocked: Some(json!(ours)) });
        assert_eq!(parse(json!({"type": "Block"})), Inbound::Block { blocked: None });
    }

    #[test]
    fn what_may_fetch() {
        assert!(parse(json!({"type": "Announce", "object": NOTE})).may_fetch());
        assert!(parse(json!({"type": "Create", "object": NOTE})).may_fetch());
        assert!(parse(json!({"type": "Update"})).may_fetch());
        assert!(!parse(json!({"type": "Update", "object": ACTOR})).may_fetch());
        assert!(!parse(json!({"type": "Like", "object": NOTE})).may_fetch());
        assert!(!parse(json!({"type": "Delete", "object": NOTE})).may_fetch());
    }

    #[test]
    fn ids_inline_or_in_objects() {
        assert_eq!(id_of(Some(&json!(NOTE))), Some(NOTE));
        assert_eq!(id_of(Some(&json!({"id": NOTE}))), Some(NOTE));
        assert_eq!(id_of(Some(&json!([NOTE]))), None);
        assert_eq!(id_of(None), None);
        let error = parse_url(Some(&json!("not a url")), "actor").unwrap_err();
        assert!(matches!(&error, FederationError::Invalid(m) if m == "the activity's `actor` is not a URL"));
        let error = parse_url(None, "id").unwrap_err();
        assert!(matches!(&error, FederationError::Invalid(m) if m == "the activity has no `id`"));
    }
}
