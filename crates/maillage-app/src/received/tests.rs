//! The rules of receiving, without HTTP: whose answer, undo or deletion
//! counts, and what a follow of ours becomes. The wire checks (signature,
//! origin, shape) are tested in `maillage-federation` and end to end in
//! `tests/it/inbox.rs`.

use maillage_db::testing::TestDatabase;
use maillage_db::{Direction, FollowRecord, FollowState, LocalActor, RemoteActor};
use maillage_domain::NotificationKind;
use maillage_federation::FederationError;
use maillage_federation::inbound::activity::{DeclaredFollow, Edit, Follow, FollowAnswer, ObjectChange, UndoFollow};
use maillage_federation::inbound::{Effects, Inbound, Received};
use serde_json::json;

use super::ReceivedEffects;
use crate::{Acting, App, enterprises, follows};

struct Hub {
    _db: TestDatabase,
    app: App,
}

impl Hub {
    async fn new() -> Self {
        let (db, app) = crate::testing::test_app(|_| {}).await;
        Hub { _db: db, app }
    }

    async fn receive(&self, inbound: Inbound, from: &RemoteActor) -> Result<Received, FederationError> {
        ReceivedEffects.apply(self.app.federation(), &inbound, from).await
    }

    /// An actor of another server, as the inbox knows it once verified.
    async fn remote(&self, id: &str) -> RemoteActor {
        self.app.db().upsert_remote_actor(&maillage_db::testing::remote_actor(id, "Person")).await.unwrap()
    }

    async fn follow_state(
        &self,
        local: &LocalActor,
        remote: &RemoteActor,
        direction: Direction,
    ) -> Option<FollowState> {
        self.app.db().find_follow(local.id, remote.id, direction).await.unwrap().map(|f| f.state())
    }

    async fn notified(&self, local: &LocalActor) -> Vec<NotificationKind> {
        let page = self.app.db().notifications_page(&[local.id], None, None, 20).await.unwrap();
        page.into_iter().map(|n| n.kind).collect()
    }
}

fn follow_of(local: &LocalActor, from: &RemoteActor, id: &str) -> Inbound {
    Inbound::Follow(Follow {
        followed: Some(json!(local.ap_id)),
        activity: json!({"id": id, "type": "Follow", "actor": from.ap_id, "object": local.ap_id}),
    })
}

#[tokio::test]
async fn a_follow_is_accepted_at_once_unless_followers_are_approved_by_hand() {
    let hub = Hub::new().await;
    let open = enterprises::create(&hub.app, &Acting::Operator, "open", "Open", "").await.unwrap();
    let closed = enterprises::create(&hub.app, &Acting::Operator, "closed", "Closed", "").await.unwrap();
    follows::set_manual_approval(&hub.app, &Acting::Operator, &closed, true).await.unwrap();
    let closed = hub.app.local_actor("closed").await.unwrap();
    let bob = hub.remote("https://other.example/users/bob").await;

    let received = hub.receive(follow_of(&open, &bob, "https://other.example/f/1"), &bob).await.unwrap();
    assert_eq!(received, Received::Processed);
    assert_eq!(hub.follow_state(&open, &bob, Direction::Incoming).await, Some(FollowState::Accepted));
    assert_eq!(hub.notified(&open).await, vec![NotificationKind::Follow]);

    hub.receive(follow_of(&closed, &bob, "https://other.example/f/2"), &bob).await.unwrap();
    assert_eq!(hub.follow_state(&closed, &bob, Direction::Incoming).await, Some(FollowState::Pending));
    assert_eq!(hub.notified(&closed).await, vec![NotificationKind::FollowRequest]);

    // Sent again, it is not notified twice.
    hub.receive(follow_of(&open, &bob, "https://other.example/f/3"), &bob).await.unwrap();
    assert_eq!(hub.notified(&open).await.len(), 1);
}

#[tokio::test]
async fn only_the_follower_undoes_a_follow() {
    let hub = Hub::new().await;
    let coop = enterprises::create(&hub.app, &Acting::Operator, "coop", "Coop", "").await.unwrap();
    let bob = hub.remote("https://other.example/users/bob").await;
    let mallory = hub.remote("https://other.example/users/mallory").await;
    hub.receive(follow_of(&coop, &bob, "https://other.example/f/1"), &bob).await.unwrap();
    let undo = |follower: &RemoteActor| {
        Inbound::UndoFollow(UndoFollow {
            follow_id: "https://other.example/f/unknown".into(),
            declared: Some(DeclaredFollow {
                follower: Some(follower.ap_id.clone()),
                followed: Some(json!(coop.ap_id)),
            }),
        })
    };

    // Mallory undoes a Follow said to be Bob's: refused, Bob still follows.
    let refused = hub.receive(undo(&bob), &mallory).await;
    assert!(matches!(refused, Err(FederationError::Unauthorized(_))), "{refused:?}");
    // Mallory undoing the Follow by its id ends nothing of Bob's either.
    let by_id = Inbound::UndoFollow(UndoFollow { follow_id: "https://other.example/f/1".into(), declared: None });
    assert_eq!(hub.receive(by_id.clone(), &mallory).await.unwrap(), Received::Ignored);
    assert_eq!(hub.follow_state(&coop, &bob, Direction::Incoming).await, Some(FollowState::Accepted));

    assert_eq!(hub.receive(by_id, &bob).await.unwrap(), Received::Processed);
    assert_eq!(hub.follow_state(&coop, &bob, Direction::Incoming).await, None);
}

#[tokio::test]
async fn only_the_followed_actor_answers_our_follow() {
    let hub = Hub::new().await;
    let our_hub = hub.app.local_actor("hub").await.unwrap();
    let alice = hub.remote("https://other.example/groups/alice").await;
    let mallory = hub.remote("https://other.example/users/mallory").await;
    let follow_id = "https://hub.test/activities/follow-1";
    let record = FollowRecord {
        local_actor_id: our_hub.id,
        remote_actor_id: alice.id,
        direction: Direction::Outgoing,
        state: FollowState::Pending,
        follow_ap_id: follow_id,
        follow_json: "{}",
    };
    hub.app.db().save_follow(&record, None).await.unwrap();
    let accept = || {
        Inbound::FollowAnswer(FollowAnswer {
            accept: true,
            follow_id: follow_id.into(),
            follower: Some(json!(our_hub.ap_id)),
        })
    };

    let refused = hub.receive(accept(), &mallory).await;
    assert!(matches!(refused, Err(FederationError::Unauthorized(_))), "{refused:?}");
    assert_eq!(hub.follow_state(&our_hub, &alice, Direction::Outgoing).await, Some(FollowState::Pending));

    assert_eq!(hub.receive(accept(), &alice).await.unwrap(), Received::Processed);
    assert_eq!(hub.follow_state(&our_hub, &alice, Direction::Outgoing).await, Some(FollowState::Accepted));
}

#[tokio::test]
async fn only_its_author_deletes_a_remote_post() {
    let hub = Hub::new().await;
    let alice = hub.remote("https://other.example/users/alice").await;
    let mallory = hub.remote("https://other.example/users/mallory").await;
    let note_id = "https://other.example/notes/1";
    let note = json!({
        "id": note_id, "type": "Note", "attributedTo": alice.ap_id, "content": "<p>Bonjour</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    let create =
        Inbound::ObjectChange(ObjectChange { edit: Edit::Create, object_id: note_id.into(), embedded: Some(note) });
    assert_eq!(hub.receive(create, &alice).await.unwrap(), Received::Processed);
    let delete = || Inbound::ObjectDelete { object_id: note_id.into(), object_type: "Tombstone".into() };

    let refused = hub.receive(delete(), &mallory).await;
    assert!(matches!(refused, Err(FederationError::Forbidden(_))), "{refused:?}");
    assert!(!hub.app.db().remote_object(note_id).await.unwrap().unwrap().deleted, "kept after a stranger's Delete");

    let elsewhere = hub.remote("https://third.example/users/eve").await;
    let refused = hub.receive(delete(), &elsewhere).await;
    assert!(matches!(refused, Err(FederationError::Invalid(_))), "{refused:?}");

    assert_eq!(hub.receive(delete(), &alice).await.unwrap(), Received::Processed);
    assert!(hub.app.db().remote_object(note_id).await.unwrap().unwrap().deleted);
}
