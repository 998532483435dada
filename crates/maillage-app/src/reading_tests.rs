//! The rules of what members keep for their own reading, without HTTP:
//! bookmarks only of what the member may see, lists and filters their
//! owner's alone (NotFound for anyone else), list accounts only followed
//! ones, markers and filters checked field by field.

use maillage_db::testing::TestDatabase;
use maillage_db::{FilterFields, IdPage, KeywordChanges, KeywordFields, ListFields, ListMember, UtcTime};
use maillage_domain::Visibility;
use maillage_domain::reading::{FilterAction, FilterContext, MarkerTimeline, RepliesPolicy};
use maillage_federation::content::NoteDraft;

use crate::follows::Followed;
use crate::users::NewAccount;
use crate::{Acting, App, AppError, bookmarks, enterprises, filters, follows, lists, markers, posts, teams, users};

struct Hub {
    _db: TestDatabase,
    app: App,
}

impl Hub {
    async fn new() -> Self {
        let (db, app) = crate::testing::test_app(|_| {}).await;
        Hub { _db: db, app }
    }

    async fn member(&self, name: &str) -> Acting {
        let new =
            NewAccount { username: name.into(), email: None, password: "correct horse battery".into(), admin: false };
        users::create_user(&self.app, &Acting::Operator, new).await.unwrap();
        Acting::member(&self.app.db().account_for_login(name).await.unwrap().unwrap())
    }
}

fn not_found<T: std::fmt::Debug>(result: Result<T, AppError>) {
    assert!(matches!(result, Err(AppError::NotFound(_))), "expected NotFound, got {result:?}");
}

fn invalid<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str) {
    match result {
        Err(AppError::Invalid { field: Some(f), .. }) if f == field => {}
        other => panic!("expected Invalid({field}), got {other:?}"),
    }
}

fn note(enterprise: &str, author: &str, visibility: Visibility) -> NoteDraft {
    NoteDraft {
        enterprise: enterprise.into(),
        author: author.into(),
        text: "Bonjour".into(),
        language: "fr".into(),
        visibility,
        in_reply_to: None,
        content_warning: None,
        translation: None,
    }
}

const PAGE: IdPage = IdPage { older_than: None, newer_than: None, oldest_first: false, limit: 20 };

#[tokio::test]
async fn members_bookmark_only_what_they_may_see() {
    let hub = Hub::new().await;
    let eric = hub.member("eric").await;
    let otto = hub.member("otto").await;
    enterprises::create(&hub.app, &Acting::Operator, "coop", "Coop", "").await.unwrap();
    teams::add_member(&hub.app, &Acting::Operator, "coop", "eric", maillage_domain::TeamRole::Editor).await.unwrap();
    let open = posts::publish_note(&hub.app, &eric, &note("coop", "eric", Visibility::Public)).await.unwrap();
    let closed = posts::publish_note(&hub.app, &eric, &note("coop", "eric", Visibility::Followers)).await.unwrap();

    bookmarks::bookmark(&hub.app, &otto, &open.ap_id).await.unwrap();
    not_found(bookmarks::bookmark(&hub.app, &otto, &closed.ap_id).await);
    not_found(bookmarks::bookmark(&hub.app, &otto, "https://hub.test/objects/none").await);
    // The editor reads as the enterprise: its followers-only post is his to bookmark.
    bookmarks::bookmark(&hub.app, &eric, &closed.ap_id).await.unwrap();
    let saved: Vec<String> =
        bookmarks::bookmarks(&hub.app, &otto, &PAGE).await.unwrap().into_iter().map(|s| s.object_ap_id).collect();
    assert_eq!(saved, [open.ap_id.as_str()]);
    let forbidden = bookmarks::bookmark(&hub.app, &Acting::Operator, &open.ap_id).await;
    assert!(matches!(forbidden, Err(AppError::Forbidden(_))), "{forbidden:?}");
}

#[tokio::test]
async fn lists_are_their_owners_and_hold_followed_accounts_only() {
    let hub = Hub::new().await;
    let eric = hub.member("eric").await;
    let otto = hub.member("otto").await;
    let coop = enterprises::create(&hub.app, &Acting::Operator, "coop", "Coop", "").await.unwrap();
    let autre = enterprises::create(&hub.app, &Acting::Operator, "autre", "Autre", "").await.unwrap();
    follows::follow(&hub.app, eric.actor().unwrap(), &Followed::Here(Box::new(coop.clone()))).await.unwrap();

    let fields = ListFields { title: " Coops ".into(), replies_policy: RepliesPolicy::List, exclusive: false };
    let list = lists::create(&hub.app, &eric, &fields).await.unwrap();
    assert_eq!(list.title, "Coops");
    invalid(lists::create(&hub.app, &eric, &ListFields { title: "  ".into(), ..fields.clone() }).await, "title");

    lists::add_members(&hub.app, &eric, list.id, &[ListMember::Local(coop.id)]).await.unwrap();
    invalid(lists::add_members(&hub.app, &eric, list.id, &[ListMember::Local(autre.id)]).await, "account_ids");

    // Someone else's list does not exist for them.
    not_found(lists::list(&hub.app, &otto, list.id).await);
    not_found(lists::members(&hub.app, &otto, list.id).await);
    not_found(lists::update(&hub.app, &otto, list.id, &fields).await);
    not_found(lists::delete(&hub.app, &otto, list.id).await);
    not_found(lists::remove_members(&hub.app, &otto, list.id, &[ListMember::Local(coop.id)]).await);
    assert!(lists::lists(&hub.app, &otto).await.unwrap().is_empty());
    assert!(lists::lists_holding(&hub.app, &otto, ListMember::Local(coop.id)).await.unwrap().is_empty());
    assert_eq!(lists::members(&hub.app, &eric, list.id).await.unwrap().local.len(), 1);
    lists::delete(&hub.app, &eric, list.id).await.unwrap();
    not_found(lists::list(&hub.app, &eric, list.id).await);
}

#[tokio::test]
async fn filters_are_their_owners_and_checked() {
    let hub = Hub::new().await;
    let eric = hub.member("eric").await;
    let otto = hub.member("otto").await;
    let fields = FilterFields {
        title: "Vélo".into(),
        contexts: vec![FilterContext::Home],
        action: FilterAction::Warn,
        expires_at: None,
    };
    let word = KeywordFields { keyword: "vélo".into(), whole_word: true };
    let filter = filters::create(&hub.app, &eric, &fields, std::slice::from_ref(&word)).await.unwrap();
    invalid(
        filters::create(&hub.app, &eric, &FilterFields { contexts: vec![], ..fields.clone() }, &[]).await,
        "context",
    );
    invalid(
        filters::create(&hub.app, &eric, &FilterFields { title: " ".into(), ..fields.clone() }, &[]).await,
        "title",
    );
    let empty = KeywordFields { keyword: " ".into(), whole_word: false };
    invalid(filters::add_keyword(&hub.app, &eric, filter.id, &empty).await, "keyword");

    let keyword = filter.keywords[0].id;
    not_found(filters::filter(&hub.app, &otto, filter.id).await);
    not_found(filters::update(&hub.app, &otto, filter.id, &fields, &KeywordChanges::default()).await);
    not_found(filters::delete(&hub.app, &otto, filter.id).await);
    not_found(filters::keyword(&hub.app, &otto, keyword).await);
    not_found(filters::add_keyword(&hub.app, &otto, filter.id, &word).await);
    not_found(filters::update_keyword(&hub.app, &otto, keyword, &word).await);
    not_found(filters::delete_keyword(&hub.app, &otto, keyword).await);

    // Another filter's keywords are not changed through this one.
    let other = filters::create(&hub.app, &otto, &fields, std::slice::from_ref(&word)).await.unwrap();
    let theirs = KeywordChanges { remove: vec![other.keywords[0].id], ..KeywordChanges::default() };
    not_found(filters::update(&hub.app, &eric, filter.id, &fields, &theirs).await);
    assert_eq!(filters::filter(&hub.app, &otto, other.id).await.unwrap().keywords.len(), 1);

    // In force: in its contexts, until it expires.
    assert_eq!(filters::in_force(&hub.app, &eric, FilterContext::Home).await.unwrap().len(), 1);
    assert!(filters::in_force(&hub.app, &eric, FilterContext::Public).await.unwrap().is_empty());
    let past = UtcTime::from(chrono::Utc::now() - chrono::Duration::hours(1));
    let expired = FilterFields { expires_at: Some(past), ..fields.clone() };
    filters::update(&hub.app, &eric, filter.id, &expired, &KeywordChanges::default()).await.unwrap();
    assert!(filters::in_force(&hub.app, &eric, FilterContext::Home).await.unwrap().is_empty());

    let shown = filters::filters(&hub.app, &eric).await.unwrap();
    let found = filters::matching(&shown, "Un VÉLO rouge");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, ["vélo"]);
    assert!(filters::matching(&shown, "des vélos").is_empty());
}

#[tokio::test]
async fn markers_keep_ids_and_count_versions_per_member() {
    let hub = Hub::new().await;
    let eric = hub.member("eric").await;
    let otto = hub.member("otto").await;
    let saved = markers::save(&hub.app, &eric, &[(MarkerTimeline::Home, "12".into())]).await.unwrap();
    assert_eq!(saved[0].version, 1);
    let saved = markers::save(&hub.app, &eric, &[(MarkerTimeline::Home, "15".into())]).await.unwrap();
    assert_eq!((saved[0].version, saved[0].last_read_id.as_str()), (2, "15"));
    invalid(markers::save(&hub.app, &eric, &[(MarkerTimeline::Home, "abc".into())]).await, "last_read_id");
    invalid(markers::save(&hub.app, &eric, &[(MarkerTimeline::Home, String::new())]).await, "last_read_id");
    assert!(markers::markers(&hub.app, &otto, MarkerTimeline::ALL).await.unwrap().is_empty());
    assert_eq!(markers::markers(&hub.app, &eric, MarkerTimeline::ALL).await.unwrap()[0].last_read_id, "15");
}
