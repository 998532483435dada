//! Uploads: recording, describing, attaching within a post's transaction,
//! deleting with the post, pruning, usage.

use maillage_config::DatabaseConfig;
use maillage_domain::{ActorKind, Handle, MediaKind, PostKind, Visibility};

use crate::testing::TestDatabase;
use crate::*;

async fn fresh() -> (TestDatabase, Database) {
    let test_db = TestDatabase::create().await.expect("test database");
    let config = DatabaseConfig { url: test_db.url().to_string(), max_connections: 4, connect_timeout_seconds: 5 };
    let db = Database::connect(&config).await.expect("connect");
    db.migrate().await.unwrap();
    (test_db, db)
}

/// A member and their user id.
async fn member(db: &Database, name: &str) -> (LocalActor, i64) {
    let actor = db
        .create_member(
            &NewLocalActor {
                kind: ActorKind::Member,
                username: Handle::parse(name).unwrap(),
                ap_id: format!("http://localhost:1/actors/{name}"),
                display_name: name.into(),
                summary: String::new(),
                public_key_pem: "PUBLIC".into(),
                private_key_pem: "PRIVATE".into(),
            },
            &NewUser {
                password_hash: "x".into(),
                is_admin: false,
                email: None,
                approved: true,
                invite_hash: None,
                claim_hash: None,
            },
        )
        .await
        .unwrap();
    let user_id = db.account_for_login(name).await.unwrap().unwrap().user_id;
    (actor, user_id)
}

fn upload(user_id: i64, actor_id: i64, n: u32, created_at: UtcTime) -> NewMedia {
    NewMedia {
        user_id,
        actor_id,
        kind: MediaKind::Image,
        original_key: format!("m/{n:032x}/original.jpg"),
        preview_key: Some(format!("m/{n:032x}/preview.jpg")),
        media_type: "image/jpeg".into(),
        byte_size: 1000 + i64::from(n),
        width: Some(800),
        height: Some(600),
        preview_width: Some(640),
        preview_height: Some(480),
        blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
        description: None,
        focus_x: 0,
        focus_y: 0,
        file_name: None,
        created_at,
    }
}

fn note(actor_id: i64, n: usize) -> NewPost {
    NewPost {
        ap_id: format!("http://localhost:1/objects/m{n}"),
        kind: PostKind::Note,
        actor_id,
        author_id: Some(actor_id),
        visibility: Visibility::Public,
        in_reply_to: None,
        published: UtcTime::now(),
        content: PostContent {
            language: "fr".into(),
            title: None,
            summary: None,
            source: "x".into(),
            content_html: "<p>x</p>".into(),
            tags_json: "[]".into(),
            mentions_json: "[]".into(),
            licence: None,
            adapted_from: None,
            content_warning: None,
            translations_json: "{}".into(),
            addressees: Vec::new(),
        },
    }
}

#[tokio::test]
async fn uploads_attach_to_one_post_of_their_uploader_and_go_with_it() {
    let (_guard, db) = fresh().await;
    let (marie, marie_user) = member(&db, "marie").await;
    let (_, bob_user) = member(&db, "bob").await;
    let now = UtcTime::now();
    let a = db.insert_media(&upload(marie_user, marie.id, 1, now)).await.unwrap();
    let b = db.insert_media(&upload(marie_user, marie.id, 2, now)).await.unwrap();
    assert_eq!(a.kind, MediaKind::Image);
    assert!(db.media_of_uploader(a.id, bob_user).await.unwrap().is_none(), "only its uploader sees it");
    let described = db.describe_media(a.id, Some("Des pommes"), Some((500, -250))).await.unwrap();
    assert_eq!(
        (described.description.as_deref(), described.focus_x, described.focus_y),
        (Some("Des pommes"), 500, -250)
    );
    assert_eq!(db.media_bytes_of_user(marie_user).await.unwrap(), 2003);

    // Someone else's upload: the whole post is refused.
    let theirs = MediaAttachment { user_id: bob_user, media_ids: vec![a.id], max: 4 };
    assert!(db.create_post_with_media(&note(marie.id, 1), Some(&theirs), &[]).await.is_err());
    assert!(db.post_by_ap_id("http://localhost:1/objects/m1").await.unwrap().is_none());
    // Too many.
    let many = MediaAttachment { user_id: marie_user, media_ids: vec![b.id, a.id], max: 1 };
    assert!(db.create_post_with_media(&note(marie.id, 1), Some(&many), &[]).await.is_err());

    let both = MediaAttachment { user_id: marie_user, media_ids: vec![b.id, a.id], max: 4 };
    let post = db.create_post_with_media(&note(marie.id, 1), Some(&both), &[]).await.unwrap();
    let attached = db.media_of_posts(&[post.id]).await.unwrap();
    assert_eq!(attached.iter().map(|m| (m.id, m.position)).collect::<Vec<_>>(), vec![(b.id, Some(0)), (a.id, Some(1))]);
    // Already taken by that post: another cannot have it.
    let again = MediaAttachment { user_id: marie_user, media_ids: vec![a.id], max: 4 };
    assert!(db.create_post_with_media(&note(marie.id, 2), Some(&again), &[]).await.is_err());

    // An edit keeps `a` only; `b` becomes unattached and is pruned later.
    let post = db
        .update_post_with_media(post.id, &note(marie.id, 1).content, UtcTime::now(), Some(&again), &[])
        .await
        .unwrap();
    assert_eq!(db.media_of_posts(&[post.id]).await.unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), vec![a.id]);
    let later = UtcTime::from(now.as_datetime() + chrono::Duration::hours(1));
    let stale = db.unattached_media_before(later, 10).await.unwrap();
    assert_eq!(stale.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b.id]);
    assert!(db.unattached_media_before(now, 10).await.unwrap().is_empty(), "none older than now");
    assert_eq!(db.delete_unattached_media(b.id).await.unwrap(), Some(b.keys()));
    assert_eq!(db.delete_unattached_media(a.id).await.unwrap(), None, "an attached one stays");

    let usage = db.media_usage().await.unwrap();
    assert_eq!(usage, vec![MediaUsage { actor: "marie".into(), files: 1, bytes: 1001 }]);

    // Deleting the post deletes its rows and gives their files' keys.
    let keys = db.delete_post(post.id, &[]).await.unwrap();
    assert_eq!(keys, a.keys());
    assert!(db.media_by_id(a.id).await.unwrap().is_none());
    assert!(db.media_by_key(&a.original_key).await.unwrap().is_none());
}

// practice-cover
#[tokio::test]
async fn a_cover_is_one_picture_of_its_uploader_replaced_and_deleted_with_its_post() {
    use maillage_domain::MediaRole;
    let (_guard, db) = fresh().await;
    let (marie, marie_user) = member(&db, "marie").await;
    let (_, bob_user) = member(&db, "bob").await;
    let now = UtcTime::now();
    let photo = db.insert_media(&upload(marie_user, marie.id, 1, now)).await.unwrap();
    let cover = db.insert_media(&upload(marie_user, marie.id, 2, now)).await.unwrap();
    let other = db.insert_media(&upload(marie_user, marie.id, 3, now)).await.unwrap();
    let attach = MediaAttachment { user_id: marie_user, media_ids: vec![photo.id], max: 4 };
    let set = |id| CoverChange { user_id: marie_user, media_id: Some(id) };

    // Someone else's upload, or one the post already carries: refused.
    let theirs = CoverChange { user_id: bob_user, media_id: Some(cover.id) };
    assert!(db.create_post_with_files(&note(marie.id, 1), Some(&attach), Some(&theirs), &[]).await.is_err());
    assert!(db.create_post_with_files(&note(marie.id, 1), Some(&attach), Some(&set(photo.id)), &[]).await.is_err());
    let post = db.create_post_with_files(&note(marie.id, 1), Some(&attach), Some(&set(cover.id)), &[]).await.unwrap();
    let files = db.media_of_posts(&[post.id]).await.unwrap();
    assert_eq!(
        files.iter().map(|m| (m.id, m.role)).collect::<Vec<_>>(),
        vec![(cover.id, MediaRole::Cover), (photo.id, MediaRole::Attachment)],
        "the cover first"
    );
    // Re-setting the attachments leaves the cover; it cannot become one.
    let again = MediaAttachment { user_id: marie_user, media_ids: vec![cover.id], max: 4 };
    let content = note(marie.id, 1).content;
    assert!(db.update_post_with_files(post.id, &content, now, Some(&again), None, &[]).await.is_err());
    let (_, replaced) = db.update_post_with_files(post.id, &content, now, Some(&attach), None, &[]).await.unwrap();
    assert!(replaced.is_empty());
    // Kept as it is: nothing deleted.
    let (_, replaced) =
        db.update_post_with_files(post.id, &content, now, None, Some(&set(cover.id)), &[]).await.unwrap();
    assert!(replaced.is_empty());
    // Replaced: the old row goes, its keys returned.
    let (_, replaced) =
        db.update_post_with_files(post.id, &content, now, None, Some(&set(other.id)), &[]).await.unwrap();
    assert_eq!(replaced, cover.keys());
    assert!(db.media_by_id(cover.id).await.unwrap().is_none());
    assert!(
        db.unattached_media_before(UtcTime::from(now.as_datetime() + chrono::Duration::hours(1)), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.media_bytes_of_user(marie_user).await.unwrap(), 1001 + 1003, "counted in the quota");
    // Deleting the post deletes the cover with the attachments.
    let mut keys = db.delete_post(post.id, &[]).await.unwrap();
    keys.sort();
    let mut expected: Vec<String> = photo.keys().into_iter().chain(other.keys()).collect();
    expected.sort();
    assert_eq!(keys, expected);
}
