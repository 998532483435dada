//! The audience check, walked with every kind of reader over every
//! visibility, for our posts and for remote objects, on the backend
//! `MAILLAGE_TEST_DATABASE_URL` selects.

use std::collections::BTreeSet;

use maillage_config::DatabaseConfig;
use maillage_domain::audience::{Addressing, PUBLIC_FORMS};
use maillage_domain::{ActorKind, Handle, Visibility};

use crate::testing::TestDatabase;
use crate::*;

async fn fresh() -> (TestDatabase, Database) {
    let test_db = TestDatabase::create().await.expect("test database");
    let config = DatabaseConfig { url: test_db.url().to_string(), max_connections: 4, connect_timeout_seconds: 5 };
    let db = Database::connect(&config).await.expect("connect");
    db.migrate().await.unwrap();
    (test_db, db)
}

async fn local(db: &Database, kind: ActorKind, name: &str) -> LocalActor {
    db.create_local_actor(&NewLocalActor {
        kind,
        username: Handle::parse(name).unwrap(),
        ap_id: format!("http://localhost:1/actors/{name}"),
        display_name: name.into(),
        summary: String::new(),
        public_key_pem: "PUBLIC".into(),
        private_key_pem: "PRIVATE".into(),
    })
    .await
    .unwrap()
}

async fn remote(db: &Database, name: &str, followers_url: Option<&str>) -> RemoteActor {
    db.upsert_remote_actor(&NewRemoteActor {
        followers_url: followers_url.map(str::to_string),
        ..crate::testing::remote_actor(&format!("http://peer/users/{name}"), "Person")
    })
    .await
    .unwrap()
}

async fn follow(db: &Database, local_id: i64, remote_id: i64, direction: Direction, state: FollowState) {
    let record = FollowRecord {
        local_actor_id: local_id,
        remote_actor_id: remote_id,
        direction,
        state,
        follow_ap_id: &format!("http://x/follows/{local_id}-{remote_id}"),
        follow_json: "{}",
    };
    db.save_follow(&record, None).await.unwrap();
}

async fn post(db: &Database, actor: &LocalActor, n: usize, visibility: Visibility, addressees: &[&str]) -> Post {
    let new = NewPost {
        ap_id: format!("http://localhost:1/objects/{n}"),
        kind: maillage_domain::PostKind::Note,
        actor_id: actor.id,
        author_id: None,
        visibility,
        in_reply_to: None,
        published: UtcTime::now(),
        content: PostContent {
            language: "fr".into(),
            title: None,
            summary: None,
            source: visibility.as_str().into(),
            content_html: "<p>x</p>".into(),
            tags_json: "[]".into(),
            mentions_json: "[]".into(),
            licence: None,
            adapted_from: None,
            content_warning: None,
            translations_json: "{}".into(),
            addressees: addressees.iter().map(|a| a.to_string()).collect(),
        },
    };
    db.create_post(&new, &[]).await.unwrap()
}

fn addressing(to: &[&str], cc: &[&str]) -> Addressing {
    Addressing { to: to.iter().map(|s| s.to_string()).collect(), cc: cc.iter().map(|s| s.to_string()).collect() }
}

fn remote_object(author: &RemoteActor, n: usize, addressing: Addressing) -> NewRemoteObject {
    NewRemoteObject {
        ap_id: format!("{}/statuses/{n}", author.ap_id),
        kind: "Note".into(),
        attributed_to: Some(author.ap_id.clone()),
        name: None,
        summary: None,
        content_html: Some("<p>x</p>".into()),
        url: None,
        in_reply_to: None,
        language: None,
        published: None,
        updated: None,
        raw_json: "{}".into(),
        addressing,
        hashtags: Vec::new(),
        attachments: Vec::new(),
    }
}

fn names(visibilities: &[Visibility]) -> BTreeSet<&'static str> {
    visibilities.iter().map(|v| v.as_str()).collect()
}

#[tokio::test]
async fn our_posts_are_shown_to_their_audience_only() {
    let (_guard, db) = fresh().await;
    let coop = local(&db, ActorKind::Enterprise, "coop").await;
    let editor = local(&db, ActorKind::Member, "editor").await;
    let former = local(&db, ActorKind::Member, "former").await;
    let named = local(&db, ActorKind::Member, "named").await;
    let follower = local(&db, ActorKind::Member, "follower").await;
    let asking = local(&db, ActorKind::Member, "asking").await;
    let stranger = local(&db, ActorKind::Member, "stranger").await;
    db.add_editor(coop.id, editor.id, "editor").await.unwrap();
    db.add_editor(coop.id, former.id, "editor").await.unwrap();
    db.remove_editor(coop.id, former.id).await.unwrap();
    assert!(db.follow_locally(follower.id, &coop).await.unwrap().accepted);
    db.set_manual_approval(coop.id, true).await.unwrap();
    let coop = db.local_actor_by_id(coop.id).await.unwrap().unwrap();
    assert!(!db.follow_locally(asking.id, &coop).await.unwrap().accepted, "a locked account's follow waits");
    let ana = remote(&db, "ana", None).await;
    let bob = remote(&db, "bob", None).await;
    let carl = remote(&db, "carl", None).await;
    follow(&db, coop.id, ana.id, Direction::Incoming, FollowState::Accepted).await;
    follow(&db, coop.id, bob.id, Direction::Incoming, FollowState::Pending).await;

    let mut posts = Vec::new();
    for (n, visibility) in Visibility::ALL.into_iter().enumerate() {
        let addressees: &[&str] = if visibility == Visibility::Direct { &[&named.ap_id, &carl.ap_id] } else { &[] };
        posts.push(post(&db, &coop, n, visibility, addressees).await);
    }
    // A post by someone else naming the follower does not open coop's posts to them.
    post(&db, &stranger, 10, Visibility::Direct, &[&follower.ap_id]).await;

    use Visibility::*;
    let readers: Vec<(&str, Reader, Vec<Visibility>)> = vec![
        ("anonymous", Reader::anonymous(), vec![Public, Unlisted]),
        ("an editor", db.reader_for_member(&editor).await.unwrap(), vec![Public, Unlisted, Followers, Direct]),
        ("a former editor", db.reader_for_member(&former).await.unwrap(), vec![Public, Unlisted]),
        ("an addressee", db.reader_for_member(&named).await.unwrap(), vec![Public, Unlisted, Direct]),
        ("a local follower", db.reader_for_member(&follower).await.unwrap(), vec![Public, Unlisted, Followers]),
        ("a pending local follower", db.reader_for_member(&asking).await.unwrap(), vec![Public, Unlisted]),
        ("a stranger", db.reader_for_member(&stranger).await.unwrap(), vec![Public, Unlisted]),
        ("a remote follower", Reader::remote(ana.id, &ana.ap_id), vec![Public, Unlisted, Followers]),
        ("a pending remote follower", Reader::remote(bob.id, &bob.ap_id), vec![Public, Unlisted]),
        ("a remote addressee", Reader::remote(carl.id, &carl.ap_id), vec![Public, Unlisted, Direct]),
    ];
    for (who, reader, expected) in &readers {
        let mut by_id = Vec::new();
        for post in &posts {
            let seen = db.visible_post(reader, post.id).await.unwrap();
            let by_ap_id = db.visible_post_by_ap_id(reader, &post.ap_id).await.unwrap();
            assert_eq!(seen.is_some(), by_ap_id.is_some(), "{who}: by id and by ActivityPub id agree");
            if seen.is_some() {
                by_id.push(post.visibility());
            }
        }
        assert_eq!(names(&by_id), names(expected), "{who}, one post at a time");
        let page = db.posts_page(PostSource::Of(&[coop.id]), reader, &PageBounds::newest(20)).await.unwrap();
        let in_page: Vec<Visibility> = page.iter().map(Post::visibility).collect();
        assert_eq!(names(&in_page), names(expected), "{who}, in a page of coop's posts");
    }
    let listed = db.posts_page(PostSource::Listed, &readers[1].1, &PageBounds::newest(20)).await.unwrap();
    assert_eq!(listed.iter().map(Post::visibility).collect::<Vec<_>>(), vec![Public], "public timelines: listed only");
    // The home timeline of the follower: what coop shows them, and what names them.
    let reader = db.reader_for_member(&follower).await.unwrap();
    let home = db.posts_page(PostSource::OfOrNaming(&[coop.id]), &reader, &PageBounds::newest(20)).await.unwrap();
    assert_eq!(home.len(), 4, "coop's public, unlisted and followers-only posts, and the direct one naming them");
    // Deleted: nobody, not even the editor.
    db.delete_post(posts[0].id, &[]).await.unwrap();
    assert!(db.visible_post(&readers[1].1, posts[0].id).await.unwrap().is_none());
}

#[tokio::test]
async fn remote_objects_are_shown_to_their_audience_only() {
    let (_guard, db) = fresh().await;
    let coop = local(&db, ActorKind::Enterprise, "coop").await;
    let editor = local(&db, ActorKind::Member, "editor").await;
    let named = local(&db, ActorKind::Member, "named").await;
    let follower = local(&db, ActorKind::Member, "follower").await;
    let asking = local(&db, ActorKind::Member, "asking").await;
    let stranger = local(&db, ActorKind::Member, "stranger").await;
    db.add_editor(coop.id, editor.id, "editor").await.unwrap();
    // ana's followers collection is not where convention puts it.
    let ana = remote(&db, "ana", Some("http://peer/collections/ana-followers")).await;
    follow(&db, follower.id, ana.id, Direction::Outgoing, FollowState::Accepted).await;
    follow(&db, coop.id, ana.id, Direction::Outgoing, FollowState::Accepted).await;
    follow(&db, asking.id, ana.id, Direction::Outgoing, FollowState::Pending).await;
    // A remote actor following coop is no reason to show coop ana's posts.
    follow(&db, stranger.id, ana.id, Direction::Incoming, FollowState::Accepted).await;

    let public = PUBLIC_FORMS[0];
    let followers = "http://peer/collections/ana-followers";
    let cases = [
        (Visibility::Public, addressing(&[public], &[followers])),
        (Visibility::Unlisted, addressing(&[followers], &[public])),
        (Visibility::Followers, addressing(&[followers], &[])),
        (Visibility::Direct, addressing(&[&named.ap_id], &[])),
    ];
    let mut stored = Vec::new();
    for (n, (visibility, addressing)) in cases.into_iter().enumerate() {
        db.store_remote_object(&remote_object(&ana, n, addressing)).await.unwrap();
        let row = db.remote_object(&format!("{}/statuses/{n}", ana.ap_id)).await.unwrap().unwrap();
        assert_eq!(row.visibility(), visibility, "read from its addressing");
        stored.push(row);
    }

    use Visibility::*;
    let readers: Vec<(&str, Reader, Vec<Visibility>)> = vec![
        ("anonymous", Reader::anonymous(), vec![Public, Unlisted]),
        ("a follower", db.reader_for_member(&follower).await.unwrap(), vec![Public, Unlisted, Followers]),
        ("an editor of a follower", db.reader_for_member(&editor).await.unwrap(), vec![Public, Unlisted, Followers]),
        ("a pending follower", db.reader_for_member(&asking).await.unwrap(), vec![Public, Unlisted]),
        ("an addressee", db.reader_for_member(&named).await.unwrap(), vec![Public, Unlisted, Direct]),
        ("a stranger", db.reader_for_member(&stranger).await.unwrap(), vec![Public, Unlisted]),
        ("a remote reader", Reader::remote(ana.id, &ana.ap_id), vec![Public, Unlisted]),
    ];
    for (who, reader, expected) in &readers {
        let mut seen = Vec::new();
        for object in &stored {
            let one = db.visible_remote_object(reader, object.id).await.unwrap();
            let by_ap_id = db.visible_remote_object_by_ap_id(reader, &object.ap_id).await.unwrap();
            assert_eq!(one.is_some(), by_ap_id.is_some(), "{who}: by id and by ActivityPub id agree");
            if one.is_some() {
                seen.push(object.visibility());
            }
        }
        assert_eq!(names(&seen), names(expected), "{who}, one object at a time");
        let authors = [ana.ap_id.clone()];
        let page = db.remote_objects_page(RemoteSource::By(&authors), reader, &PageBounds::newest(20)).await.unwrap();
        let in_page: Vec<Visibility> = page.iter().map(RemoteObject::visibility).collect();
        assert_eq!(names(&in_page), names(expected), "{who}, in a page of ana's posts");
    }
    let listed = db.remote_objects_page(RemoteSource::Listed, &readers[1].1, &PageBounds::newest(20)).await.unwrap();
    assert_eq!(listed.len(), 1, "the public timeline holds what is addressed to the public only");
    // The addressee's home timeline holds the direct message without following ana.
    let reader = db.reader_for_member(&named).await.unwrap();
    let home = db.remote_objects_page(RemoteSource::ByOrNaming(&[]), &reader, &PageBounds::newest(20)).await.unwrap();
    assert_eq!(home.iter().map(RemoteObject::visibility).collect::<Vec<_>>(), vec![Direct]);
    // An edit that narrows the audience narrows it at once.
    db.store_remote_object(&NewRemoteObject {
        updated: Some(UtcTime::now()),
        ..remote_object(&ana, 0, addressing(&[&named.ap_id], &[]))
    })
    .await
    .unwrap();
    assert!(db.visible_remote_object(&Reader::anonymous(), stored[0].id).await.unwrap().is_none());
    assert!(db.visible_remote_object(&reader, stored[0].id).await.unwrap().is_some());
}

#[tokio::test]
async fn objects_stored_before_audiences_are_read_once_their_audience_is_set() {
    let (_guard, db) = fresh().await;
    let named = local(&db, ActorKind::Member, "named").await;
    let ana = remote(&db, "ana", None).await;
    db.store_remote_object(&remote_object(&ana, 1, addressing(&[&named.ap_id], &[]))).await.unwrap();
    let row = db.remote_object("http://peer/users/ana/statuses/1").await.unwrap().unwrap();
    // As the migration leaves rows that were stored before it.
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = db.conn().await.unwrap();
        with_conn!(&mut conn, |c| diesel::update(schema::remote_objects::table.find(row.id))
            .set(schema::remote_objects::visibility.eq(None::<String>))
            .execute(c)
            .await
            .unwrap());
        with_conn!(&mut conn, |c| diesel::delete(schema::remote_object_addressees::table).execute(c).await.unwrap());
    }
    let reader = db.reader_for_member(&named).await.unwrap();
    assert!(db.visible_remote_object(&reader, row.id).await.unwrap().is_none(), "unread audience: nobody");
    let pending = db.remote_objects_without_audience(0, 10).await.unwrap();
    assert_eq!(pending.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![row.id]);
    db.set_remote_audiences(&[(row.id, Some(ana.ap_id.clone()), addressing(&[&named.ap_id], &[]))]).await.unwrap();
    assert!(db.visible_remote_object(&reader, row.id).await.unwrap().is_some());
    assert!(db.visible_remote_object(&Reader::anonymous(), row.id).await.unwrap().is_none());
    assert!(db.remote_objects_without_audience(0, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_audience_migration_keeps_every_post_and_what_hangs_on_it() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let test_db = TestDatabase::create().await.expect("test database");
    let config = DatabaseConfig { url: test_db.url().to_string(), max_connections: 4, connect_timeout_seconds: 5 };
    let db = Database::connect(&config).await.expect("connect");
    db.migrate_before("2026-12-04-000015").await.unwrap();
    let coop = local(&db, ActorKind::Enterprise, "coop").await;
    {
        // Rows as the previous release wrote them (its posts had no addressees).
        let mut conn = db.conn().await.unwrap();
        with_conn!(&mut conn, |c| {
            diesel::sql_query(format!(
                "INSERT INTO posts (id, ap_id, kind, actor_id, visibility, language, source, content_html, \
                 tags_json, mentions_json, published, translations_json) VALUES \
                 (7, 'http://localhost:1/objects/7', 'note', {0}, 'followers', 'fr', 's', '<p>s</p>', '[\"velo\"]', \
                 '[{{\"href\":\"http://peer/users/ana\",\"name\":\"@ana@peer\",\"inbox\":\"http://peer/inbox\"}}]', \
                 '2026-01-01 00:00:00', '{{}}')",
                coop.id
            ))
            .execute(c)
            .await
            .unwrap();
            diesel::sql_query(
                "INSERT INTO post_tags (post_id, tag, published) VALUES (7, 'velo', '2026-01-01 00:00:00')",
            )
            .execute(c)
            .await
            .unwrap();
        });
    }
    db.migrate().await.unwrap();
    let kept = db.post_by_id(7).await.unwrap().expect("the post survives the migration");
    assert_eq!(kept.visibility(), Visibility::Followers);
    assert!(kept.mentions_json.contains("http://peer/users/ana"));
    let mut conn = db.conn().await.unwrap();
    let tags: i64 = with_conn!(&mut conn, |c| schema::post_tags::table.count().get_result(c).await.unwrap());
    assert_eq!(tags, 1, "the rows that reference posts are kept");
    drop(conn);
    // The new visibilities are accepted.
    let direct = post(&db, &coop, 8, Visibility::Direct, &[]).await;
    assert_eq!(direct.visibility(), Visibility::Direct);
}
