//! Storage tests; each runs on the backend `MAILLAGE_TEST_DATABASE_URL` selects.

use maillage_config::DatabaseConfig;
use maillage_domain::{ActorKind, Visibility};

use crate::testing::TestDatabase;
use crate::*;

async fn fresh() -> (TestDatabase, Database) {
    let test_db = TestDatabase::create().await.expect("test database");
    let config = DatabaseConfig { url: test_db.url().to_string(), max_connections: 4, connect_timeout_seconds: 5 };
    let db = Database::connect(&config).await.expect("connect");
    (test_db, db)
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names(DatabaseKind::Sqlite).unwrap();
    let postgres = migration_names(DatabaseKind::Postgres).unwrap();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres must hold the same names");
}

#[test]
fn migration_folders_on_disk_match() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let list = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    };
    assert_eq!(list("sqlite"), list("postgres"));
}

#[tokio::test]
async fn pending_migrations_are_listed_oldest_first_and_none_applied() {
    let (_guard, db) = fresh().await;
    let all = migration_names(db.kind()).unwrap();
    assert_eq!(db.pending_migrations().await.unwrap(), all, "a new database lacks them all");
    assert_eq!(db.pending_migrations().await.unwrap(), all, "listing them applied none");
    db.migrate_before(&all[3]).await.unwrap();
    assert_eq!(db.pending_migrations().await.unwrap(), all[3..], "the first three are applied");
    db.migrate().await.unwrap();
    assert!(db.pending_migrations().await.unwrap().is_empty());
}

#[tokio::test]
async fn migrations_apply_once_then_nothing() {
    let (_guard, db) = fresh().await;
    let first = db.migrate().await.unwrap();
    assert_eq!(first.applied.len(), migration_names(db.kind()).unwrap().len());
    let second = db.migrate().await.unwrap();
    assert!(second.applied.is_empty());
}

#[tokio::test]
async fn concurrent_migrations_do_not_collide() {
    let (_guard, db) = fresh().await;
    if db.kind() == DatabaseKind::Sqlite {
        // SQLite is single-process; concurrency is a PostgreSQL promise.
        return;
    }
    let runs = futures_join_all((0..4).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { db.migrate().await })
    }))
    .await;
    let applied: usize = runs.into_iter().map(|r| r.unwrap().unwrap().applied.len()).sum();
    assert_eq!(applied, migration_names(db.kind()).unwrap().len(), "each migration applied exactly once");
}

async fn futures_join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await);
    }
    out
}

#[tokio::test]
async fn settings_round_trip_and_first_writer_wins() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    assert_eq!(db.setting(InstanceSetting::Domain).await.unwrap(), None);
    assert_eq!(db.setting_or_insert(InstanceSetting::Domain, "a.example").await.unwrap(), "a.example");
    assert_eq!(db.setting_or_insert(InstanceSetting::Domain, "b.example").await.unwrap(), "a.example");
    db.set_setting(InstanceSetting::Domain, "c.example").await.unwrap();
    assert_eq!(db.setting(InstanceSetting::Domain).await.unwrap().as_deref(), Some("c.example"));
}

#[tokio::test]
async fn timestamps_round_trip_at_microseconds() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let at = UtcTime::from(chrono::DateTime::parse_from_rfc3339("2026-11-25T10:11:12.123456789Z").unwrap().to_utc());
    let mut conn = db.conn().await.unwrap();
    let read: UtcTime = with_conn!(&mut conn, |c| {
        diesel::insert_into(schema::instance_settings::table)
            .values((
                schema::instance_settings::key.eq("t"),
                schema::instance_settings::value.eq(""),
                schema::instance_settings::updated_at.eq(at),
            ))
            .execute(c)
            .await
            .unwrap();
        schema::instance_settings::table.find("t").select(schema::instance_settings::updated_at).first(c).await
    })
    .unwrap();
    assert_eq!(read, at);
    assert_eq!(read.as_datetime().timestamp_subsec_nanos(), 123_456_000);
}

/// Without the query planner stability guarantee, SQLite re-plans every
/// statement with a bound `LIMIT ?` at each execution (see `.cargo/config.toml`).
#[tokio::test]
async fn sqlite_is_built_with_stable_query_plans() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }
    let (_guard, db) = fresh().await;
    if db.kind() != DatabaseKind::Sqlite {
        return;
    }
    let mut conn = db.conn().await.unwrap();
    let crate::pool::DbConn::Sqlite(c) = &mut conn else { unreachable!() };
    let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options").load(&mut **c).await.unwrap();
    assert!(
        options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
        "libsqlite3-sys was built without LIBSQLITE3_FLAGS from .cargo/config.toml"
    );
}

/// The inbox worker's claim walks only pending rows, whatever the number of
/// processed ones: its plan goes through the pending-only index.
#[tokio::test]
async fn claiming_received_activities_reads_the_pending_index() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let (_guard, db) = fresh().await;
    if db.kind() != DatabaseKind::Sqlite {
        return;
    }
    db.migrate().await.unwrap();
    let sql = crate::received::claim_subquery_sql(64);
    let mut conn = db.conn().await.unwrap();
    let crate::pool::DbConn::Sqlite(c) = &mut conn else { unreachable!() };
    let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut **c).await.unwrap();
    assert!(
        plan.iter().any(|step| step.detail.contains("received_activities_pending_order")),
        "the claim does not use the pending index: {:?}",
        plan.iter().map(|s| &s.detail).collect::<Vec<_>>()
    );
}

/// The background checkpoint copies committed writes from SQLite's
/// write-ahead log into the database; on PostgreSQL it has nothing to do.
#[tokio::test]
async fn checkpoints_copy_the_write_ahead_log_back() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    db.set_setting(crate::InstanceSetting::Domain, "checkpoint.example").await.unwrap();
    let copied = db.checkpoint_wal().await.unwrap();
    match db.kind() {
        DatabaseKind::Sqlite => assert!(copied > 0, "nothing was copied back"),
        DatabaseKind::Postgres => assert_eq!(copied, 0),
    }
}

#[tokio::test]
async fn sqlite_connections_are_configured() {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Pragma {
        #[diesel(sql_type = BigInt)]
        foreign_keys: i64,
    }
    let (_guard, db) = fresh().await;
    if db.kind() != DatabaseKind::Sqlite {
        return;
    }
    let mut conn = db.conn().await.unwrap();
    let crate::pool::DbConn::Sqlite(c) = &mut conn else { unreachable!() };
    let row: Pragma = diesel::sql_query("PRAGMA foreign_keys").get_result(&mut **c).await.unwrap();
    assert_eq!(row.foreign_keys, 1);
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(&mut **c).await.unwrap();
    assert_eq!(mode.journal_mode, "wal");
}

#[tokio::test]
async fn bad_locations_fail_with_a_clear_error() {
    let config = |url: &str| DatabaseConfig { url: url.to_string(), max_connections: 2, connect_timeout_seconds: 2 };
    let err = Database::connect(&config("mysql://x")).await.err().unwrap().to_string();
    assert!(err.contains("database.url"), "{err}");

    // A PostgreSQL port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = Database::connect(&config(&format!("postgres://u:secret@127.0.0.1:{port}/db")))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cannot open the postgres database"), "{err}");
    assert!(!err.contains("secret"), "password leaked: {err}");

    // A data directory under a file cannot be created.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Database::connect(&config(&format!("sqlite://{}/sub/db.sqlite3", file.display())))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("data directory"), "{err}");
}

async fn some_local_actor(db: &Database) -> LocalActor {
    db.create_local_actor(&NewLocalActor {
        kind: maillage_domain::ActorKind::Enterprise,
        username: maillage_domain::Handle::parse("coop").unwrap(),
        ap_id: "http://localhost:1/actors/coop".into(),
        display_name: "Coop".into(),
        summary: String::new(),
        public_key_pem: "PUBLIC".into(),
        private_key_pem: "PRIVATE".into(),
    })
    .await
    .unwrap()
}

fn outgoing(actor_id: i64, n: usize, tag: &str) -> Outgoing {
    Outgoing {
        ap_id: format!("http://localhost:1/activities/{tag}"),
        actor_id,
        kind: "Create".into(),
        public: true,
        json: "{}".into(),
        // Every inbox twice: shared inboxes are delivered once.
        inboxes: (0..n).flat_map(|i| [format!("http://peer{i}/inbox"), format!("http://peer{i}/inbox")]).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_never_claim_a_delivery_twice() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    db.enqueue(&outgoing(actor.id, 30, "a")).await.unwrap();
    assert_eq!(db.delivery_counts().await.unwrap().pending, 30);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = db.claim_deliveries(3, 60, &[]).await.unwrap();
                    if batch.is_empty() {
                        break mine;
                    }
                    mine.extend(batch.into_iter().map(|d| d.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: std::collections::BTreeSet<_> = all.iter().collect();
    assert_eq!(all.len(), 30, "every delivery claimed");
    assert_eq!(unique.len(), 30, "none claimed twice");
    // Leased rows are not claimable again until the lease ends.
    assert!(db.claim_deliveries(10, 60, &[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn delivery_states_and_expired_leases() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    db.enqueue(&outgoing(actor.id, 3, "b")).await.unwrap();
    // A lease of 0 s expires at once, as if the worker had crashed.
    let first = db.claim_deliveries(10, 0, &[]).await.unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(first[0].actor_ap_id, actor.ap_id);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let again = db.claim_deliveries(10, 60, &[]).await.unwrap();
    assert_eq!(again.len(), 3, "expired leases come back");
    db.delivery_done(again[0].id, 202).await.unwrap();
    db.delivery_failed(again[1].id, Some(410), "gone").await.unwrap();
    let later = UtcTime::from(chrono::Utc::now() + chrono::Duration::hours(1));
    db.delivery_retry(again[2].id, Some(503), "unavailable", later).await.unwrap();
    assert_eq!(db.delivery_counts().await.unwrap(), DeliveryCounts { pending: 1, done: 1, failed: 1 });
    // Per server: peer0, peer1, peer2 each had one delivery.
    let by_domain = db.delivery_counts_by_domain().await.unwrap();
    assert_eq!(by_domain.len(), 3);
    let failed = by_domain.iter().find(|d| d.counts.failed == 1).unwrap().domain.clone();
    assert!(failed.starts_with("peer"), "{failed}");
    assert_eq!(db.retry_failed_deliveries(&failed).await.unwrap(), 1);
    assert_eq!(db.delivery_counts().await.unwrap(), DeliveryCounts { pending: 2, done: 1, failed: 0 });
    assert_eq!(db.claim_deliveries(10, 60, &[]).await.unwrap().len(), 1, "the retried one is due now");
    assert!(db.claim_deliveries(10, 60, &[]).await.unwrap().is_empty(), "not due before its time");
    // Public activities show in the outbox, newest first.
    db.enqueue(&outgoing(actor.id, 1, "c")).await.unwrap();
    let page = db.outbox_page(actor.id, None, 10).await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(page[0].id > page[1].id);
    assert_eq!(db.outbox_page(actor.id, Some(page[0].id), 10).await.unwrap().len(), 1);
    assert_eq!(db.outbox_count(actor.id).await.unwrap(), 2);
}

#[tokio::test]
async fn enqueuing_wakes_the_delivery_worker_once_committed() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(50), db.deliveries_enqueued()).await;
    assert!(quiet.is_err(), "nothing enqueued yet");
    db.enqueue(&outgoing(actor.id, 2, "w")).await.unwrap();
    let woken = tokio::time::timeout(std::time::Duration::from_secs(1), db.clone().deliveries_enqueued()).await;
    assert!(woken.is_ok(), "a clone of the handle (the worker's) is woken");
    assert_eq!(db.claim_deliveries(10, 60, &[]).await.unwrap().len(), 2, "and finds them committed");
}

#[tokio::test]
async fn deliveries_done_together_are_recorded_with_their_status() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    db.enqueue(&outgoing(actor.id, 3, "d")).await.unwrap();
    let claimed = db.claim_deliveries(10, 60, &[]).await.unwrap();
    assert_eq!(claimed.len(), 3);
    db.deliveries_done(&[(claimed[0].id, 202), (claimed[1].id, 200)]).await.unwrap();
    db.deliveries_done(&[]).await.unwrap();
    assert_eq!(db.delivery_counts().await.unwrap(), DeliveryCounts { pending: 1, done: 2, failed: 0 });
    let statuses: Vec<(i64, String, Option<i32>, i32, bool)> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = db.conn().await.unwrap();
        with_conn!(&mut conn, |c| schema::deliveries::table
            .order(schema::deliveries::id)
            .select((
                schema::deliveries::id,
                schema::deliveries::state,
                schema::deliveries::last_status,
                schema::deliveries::attempts,
                schema::deliveries::lease_until.is_null(),
            ))
            .load(c)
            .await
            .unwrap())
    };
    let done: Vec<_> = statuses.iter().filter(|row| row.1 == "done").map(|row| (row.0, row.2, row.3, row.4)).collect();
    let mut expected = vec![(claimed[0].id, Some(202), 1, true), (claimed[1].id, Some(200), 1, true)];
    expected.sort();
    assert_eq!(done, expected);
}

async fn ana(db: &Database) -> RemoteActor {
    db.upsert_remote_actor(&NewRemoteActor {
        shared_inbox_url: Some("http://peer/inbox".into()),
        ..crate::testing::remote_actor("http://peer/users/ana", "Person")
    })
    .await
    .unwrap()
}

/// `remote` follows `local`, accepted, by the activity `http://peer/follows/1`.
fn accepted_follower(local: &LocalActor, remote: &RemoteActor) -> FollowRecord<'static> {
    FollowRecord {
        local_actor_id: local.id,
        remote_actor_id: remote.id,
        direction: Direction::Incoming,
        state: FollowState::Accepted,
        follow_ap_id: "http://peer/follows/1",
        follow_json: "{}",
    }
}

#[tokio::test]
async fn follows_are_saved_with_their_notification() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let remote = ana(&db).await;
    let record = accepted_follower(&actor, &remote);
    let accept = Outgoing { kind: "Accept".into(), public: false, ..outgoing(actor.id, 1, "accept-1") };
    db.save_follow(&record, Some(&accept)).await.unwrap();
    // A duplicate Follow is idempotent and stays accepted.
    let pending_again =
        FollowRecord { state: FollowState::Pending, follow_ap_id: "http://peer/follows/2", ..record.clone() };
    let accept2 = Outgoing { kind: "Accept".into(), public: false, ..outgoing(actor.id, 1, "accept-2") };
    db.save_follow(&pending_again, Some(&accept2)).await.unwrap();
    assert_eq!(db.count_follows(actor.id, Direction::Incoming, FollowState::Accepted).await.unwrap(), 1);
    let follow = db.find_follow(actor.id, remote.id, Direction::Incoming).await.unwrap().unwrap();
    assert_eq!(follow.state(), FollowState::Accepted);
    assert_eq!(follow.follow_ap_id, "http://peer/follows/2");
    assert_eq!(follow.remote_ap_id, remote.ap_id);
    assert_eq!(db.delivery_counts().await.unwrap().pending, 2, "each Accept has its delivery");
    assert_eq!(db.outbox_count(actor.id).await.unwrap(), 0, "Accepts are not public");

    // A failing notification rolls the follow change back: same activity id twice.
    let removed = db.remove_follow(actor.id, remote.id, Direction::Incoming, Some(&accept)).await;
    assert!(removed.is_err());
    assert_eq!(db.count_follows(actor.id, Direction::Incoming, FollowState::Accepted).await.unwrap(), 1);
    assert!(db.remove_follow(actor.id, remote.id, Direction::Incoming, None).await.unwrap());
    assert!(!db.remove_follow(actor.id, remote.id, Direction::Incoming, None).await.unwrap());
    assert_eq!(db.count_follows(actor.id, Direction::Incoming, FollowState::Accepted).await.unwrap(), 0);
}

#[tokio::test]
async fn private_keys_never_show_in_debug_output() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let shown = format!("{actor:?}");
    assert!(!shown.contains("PRIVATE") && shown.contains("<redacted>"), "{shown}");
    db.enqueue(&outgoing(actor.id, 1, "d")).await.unwrap();
    let claimed = db.claim_deliveries(1, 60, &[]).await.unwrap();
    let shown = format!("{claimed:?}");
    assert!(!shown.contains("PRIVATE") && shown.contains("<redacted>"), "{shown}");
}

/// Addressed to the public in `to` (public) or in `cc` (unlisted).
fn addressed_to_public(in_to: bool) -> maillage_domain::audience::Addressing {
    let public = vec![maillage_domain::audience::PUBLIC_FORMS[0].to_string()];
    if in_to {
        maillage_domain::audience::Addressing { to: public, cc: Vec::new() }
    } else {
        maillage_domain::audience::Addressing { to: Vec::new(), cc: public }
    }
}

fn remote_note(ap_id: &str, content: &str) -> NewRemoteObject {
    NewRemoteObject {
        ap_id: ap_id.into(),
        kind: "Note".into(),
        attributed_to: Some("http://peer/users/ana".into()),
        name: None,
        summary: None,
        content_html: Some(content.into()),
        url: None,
        in_reply_to: None,
        language: Some("fr".into()),
        published: Some(UtcTime::now()),
        updated: None,
        raw_json: "{}".into(),
        addressing: addressed_to_public(true),
        hashtags: Vec::new(),
        attachments: Vec::new(),
    }
}

#[tokio::test]
async fn deletes_win_over_creates_in_any_order() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    assert_eq!(
        db.store_remote_object(&remote_note("http://peer/n/1", "<p>v1</p>")).await.unwrap(),
        StoreOutcome::Stored
    );
    assert_eq!(
        db.store_remote_object(&remote_note("http://peer/n/1", "<p>v2</p>")).await.unwrap(),
        StoreOutcome::Stored
    );
    assert_eq!(db.remote_object("http://peer/n/1").await.unwrap().unwrap().content_html.as_deref(), Some("<p>v2</p>"));
    db.tombstone_remote_object("http://peer/n/1", "Note").await.unwrap();
    let gone = db.remote_object("http://peer/n/1").await.unwrap().unwrap();
    assert!(gone.deleted && gone.content_html.is_none());
    // The Delete came first: the late Create is ignored.
    db.tombstone_remote_object("http://peer/n/2", "Note").await.unwrap();
    assert_eq!(
        db.store_remote_object(&remote_note("http://peer/n/2", "<p>late</p>")).await.unwrap(),
        StoreOutcome::Tombstoned
    );
    assert!(db.remote_objects_by("http://peer/users/ana", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_older_version_never_replaces_a_newer_one() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let at = |seconds: i64| Some(UtcTime::from(chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()));
    let version = |html: &str, updated| NewRemoteObject { updated, ..remote_note("http://peer/n/3", html) };
    assert_eq!(db.store_remote_object(&version("<p>v1</p>", None)).await.unwrap(), StoreOutcome::Stored);
    assert_eq!(db.store_remote_object(&version("<p>v3</p>", at(20))).await.unwrap(), StoreOutcome::Stored);
    // The second edit arrived first; the first edit and the original come late.
    assert_eq!(db.store_remote_object(&version("<p>v2</p>", at(10))).await.unwrap(), StoreOutcome::Outdated);
    assert_eq!(db.store_remote_object(&version("<p>v1</p>", None)).await.unwrap(), StoreOutcome::Outdated);
    assert_eq!(db.remote_object("http://peer/n/3").await.unwrap().unwrap().content_html.as_deref(), Some("<p>v3</p>"));
    // The same version again (a refetch) is applied.
    assert_eq!(db.store_remote_object(&version("<p>v3</p>", at(20))).await.unwrap(), StoreOutcome::Stored);
}

#[tokio::test]
async fn reactions_reshares_and_featured_items() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = some_local_actor(&db).await;
    let object = "http://localhost:1/objects/1";
    assert!(db.add_reaction(ReactionKind::Like, object, "http://peer/users/ana", "http://peer/likes/1").await.unwrap());
    assert!(
        !db.add_reaction(ReactionKind::Like, object, "http://peer/users/ana", "http://peer/likes/2").await.unwrap()
    );
    assert!(
        db.add_reaction(ReactionKind::Announce, object, "http://peer/users/bo", "http://peer/boosts/1").await.unwrap()
    );
    let summary = db.reactions_to(object).await.unwrap();
    assert_eq!(summary.likes, vec!["http://peer/users/ana".to_string()]);
    assert_eq!(summary.announces, vec!["http://peer/users/bo".to_string()]);
    assert!(db.remove_reaction("http://peer/likes/1", None, "http://peer/users/ana").await.unwrap());
    assert!(
        db.remove_reaction("unknown", Some((ReactionKind::Announce, object)), "http://peer/users/bo").await.unwrap()
    );
    assert_eq!(db.reactions_to(object).await.unwrap(), ReactionSummary::default());

    let announce = Outgoing { kind: "Announce".into(), ..outgoing(hub.id, 2, "announce-1") };
    assert!(db.record_reshare(hub.id, object, &announce.ap_id, "{}", std::slice::from_ref(&announce)).await.unwrap());
    assert!(!db.record_reshare(hub.id, object, "other", "{}", &[]).await.unwrap(), "one reshare per object");
    assert_eq!(db.reshare_of(hub.id, object).await.unwrap().as_deref(), Some("{}"));
    let undo = Outgoing { kind: "Undo".into(), ..outgoing(hub.id, 2, "undo-1") };
    assert!(db.remove_reshare(hub.id, object, std::slice::from_ref(&undo)).await.unwrap());
    assert_eq!(db.delivery_counts().await.unwrap().pending, 4);

    assert!(db.set_featured(hub.id, object, true, &[]).await.unwrap());
    assert!(!db.set_featured(hub.id, object, true, &[]).await.unwrap());
    assert_eq!(db.featured_of(hub.id).await.unwrap(), vec![object.to_string()]);
    assert!(db.set_featured(hub.id, object, false, &[]).await.unwrap());
    assert!(db.featured_of(hub.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn posts_are_created_edited_and_deleted_with_their_activities() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let content = PostContent {
        language: "fr".into(),
        title: None,
        summary: None,
        source: "Bonjour".into(),
        content_html: "<p>Bonjour</p>".into(),
        tags_json: "[]".into(),
        mentions_json: "[]".into(),
        licence: None,
        adapted_from: None,
        content_warning: None,
        translations_json: "{}".into(),
        addressees: Vec::new(),
    };
    let new = NewPost {
        ap_id: "http://localhost:1/objects/a".into(),
        kind: maillage_domain::PostKind::Note,
        actor_id: actor.id,
        author_id: None,
        visibility: maillage_domain::Visibility::Public,
        in_reply_to: None,
        published: UtcTime::now(),
        content: content.clone(),
    };
    let create = outgoing(actor.id, 3, "create-a");
    let post = db.create_post(&new, std::slice::from_ref(&create)).await.unwrap();
    assert!(post.is_public());
    // The same activity id twice: the whole creation is rolled back.
    let again = NewPost { ap_id: "http://localhost:1/objects/b".into(), ..new.clone() };
    assert!(db.create_post(&again, std::slice::from_ref(&create)).await.is_err());
    assert!(db.post_by_ap_id("http://localhost:1/objects/b").await.unwrap().is_none());

    let edited = PostContent { source: "Salut".into(), content_html: "<p>Salut</p>".into(), ..content };
    let post = db.update_post(post.id, &edited, UtcTime::now(), &[outgoing(actor.id, 1, "update-a")]).await.unwrap();
    assert_eq!(post.content_html, "<p>Salut</p>");
    assert!(post.updated.is_some());
    db.delete_post(post.id, &[outgoing(actor.id, 1, "delete-a")]).await.unwrap();
    assert!(db.delete_post(post.id, &[]).await.unwrap_err().is_not_found(), "deleting twice");
    assert!(db.post_by_ap_id(&post.ap_id).await.unwrap().unwrap().deleted_at.is_some());
    assert!(db.posts_of(actor.id, None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_inbox_queue_stores_once_and_gives_back_abandoned_rows() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let id = db.store_received("http://peer/a/1", "http://peer/u", "Create", "{}", 60).await.unwrap();
    assert!(id.is_some());
    assert_eq!(db.store_received("http://peer/a/1", "http://peer/u", "Create", "{}", 60).await.unwrap(), None);
    // Leased to the request that stored it: no worker takes it meanwhile.
    assert!(db.claim_received(10, 60).await.unwrap().is_empty());
    // A processor that died (lease of 0 s) leaves it for a worker.
    let crashed = db.store_received("http://peer/a/2", "http://peer/u", "Follow", "{\"x\":1}", 0).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let claimed = db.claim_received(10, 60).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].kind.as_str(), claimed[0].attempts), (crashed.unwrap(), "Follow", 2));
    assert!(db.claim_received(10, 60).await.unwrap().is_empty(), "claimed once");
    db.received_retry(claimed[0].id, "origin down", 3600).await.unwrap();
    assert!(db.claim_received(10, 60).await.unwrap().is_empty(), "not before its retry time");
    db.received_done(id.unwrap()).await.unwrap();
    db.received_failed(claimed[0].id, "refused").await.unwrap();
    assert_eq!(db.received_counts().await.unwrap(), ReceivedCounts { pending: 0, done: 1, failed: 1 });
    assert_eq!(db.received_state("http://peer/a/2").await.unwrap().unwrap().1.as_deref(), Some("refused"));
    // Retention: processed rows go, their ids with them.
    let future = UtcTime::from(chrono::Utc::now() + chrono::Duration::seconds(1));
    assert_eq!(db.purge_received(future).await.unwrap(), 2);
    assert_eq!(db.count_received().await.unwrap(), 0);
}

#[tokio::test]
async fn blocking_a_domain_severs_follows_and_cancels_deliveries() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    db.enqueue(&outgoing(actor.id, 2, "x")).await.unwrap();
    let report = db.set_domain_policy("peer0", DomainPolicy::Block, Some("spam")).await.unwrap();
    assert_eq!(report.deliveries_cancelled, 1);
    let policies = db.domain_policies().await.unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!((policies[0].policy, policies[0].public_comment.as_deref()), (DomainPolicy::Block, Some("spam")));
    assert_eq!(db.policies_for(&["x.peer0".into(), "peer0".into()]).await.unwrap(), vec![DomainPolicy::Block]);
    assert!(db.policies_for(&["peer1".into()]).await.unwrap().is_empty());
    // Only the other server's delivery is still claimable.
    let claimed = db.claim_deliveries(10, 60, &[]).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].inbox_url, "http://peer1/inbox");
    // Replacing the policy, then removing it.
    db.set_domain_policy("peer0", DomainPolicy::Allow, None).await.unwrap();
    assert_eq!(db.policies_for(&["peer0".into()]).await.unwrap(), vec![DomainPolicy::Allow]);
    assert!(db.remove_domain_policy("peer0").await.unwrap());
    assert!(!db.remove_domain_policy("peer0").await.unwrap());
}

#[tokio::test]
async fn the_circuit_breaker_parks_a_failing_domain_until_it_answers() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    db.enqueue(&outgoing(actor.id, 2, "y")).await.unwrap();
    // Failing, but not for long enough yet.
    assert_eq!(db.record_domain_failure("peer0", "HTTP 500", 3600, 60).await.unwrap(), BreakerState::Failing);
    assert!(db.parked_domains().await.unwrap().is_empty());
    // With no grace period, the next failure opens the breaker.
    assert_eq!(db.record_domain_failure("peer0", "refused", 0, 60).await.unwrap(), BreakerState::Unreachable);
    assert_eq!(db.parked_domains().await.unwrap(), vec!["peer0".to_string()]);
    let health = db.domain_health().await.unwrap();
    assert_eq!((health[0].consecutive_failures, health[0].last_error.as_deref()), (2, Some("refused")));
    // Skipping parked domains leaves their deliveries where they are.
    let parked = db.parked_domains().await.unwrap();
    let claimed = db.claim_deliveries(10, 60, &parked).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(db.delivery_counts().await.unwrap().pending, 2, "parked, not dropped");
    // The admin's retry closes the breaker and makes them due.
    assert_eq!(db.retry_failed_deliveries("peer0").await.unwrap(), 1);
    assert!(db.parked_domains().await.unwrap().is_empty());
    assert!(!db.record_domain_success("peer0").await.unwrap(), "nothing left to forget");
    db.record_domain_failure("peer1", "timeout", 3600, 60).await.unwrap();
    assert!(db.record_domain_success("peer1").await.unwrap());
    assert!(db.domain_health().await.unwrap().is_empty());
}

fn tagged_note(
    actor_id: i64,
    n: usize,
    tags: &[&str],
    visibility: maillage_domain::Visibility,
    published: UtcTime,
) -> NewPost {
    NewPost {
        ap_id: format!("http://localhost:1/objects/t{n}"),
        kind: maillage_domain::PostKind::Note,
        actor_id,
        author_id: None,
        visibility,
        in_reply_to: None,
        published,
        content: PostContent {
            language: "fr".into(),
            title: None,
            summary: None,
            source: "x".into(),
            content_html: "<p>x</p>".into(),
            tags_json: serde_json::to_string(tags).unwrap(),
            mentions_json: "[]".into(),
            licence: None,
            adapted_from: None,
            content_warning: None,
            translations_json: "{}".into(),
            addressees: Vec::new(),
        },
    }
}

async fn index_rows(db: &Database) -> (i64, i64) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = db.conn().await.unwrap();
    with_conn!(&mut conn, |c| {
        let posts: i64 = schema::post_tags::table.count().get_result(c).await.unwrap();
        let remote: i64 = schema::remote_object_tags::table.count().get_result(c).await.unwrap();
        (posts, remote)
    })
}

fn ap_ids_of_posts(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.ap_id.as_str()).collect()
}

#[tokio::test]
async fn the_tag_index_follows_local_posts() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let now = UtcTime::now();
    let public =
        db.create_post(&tagged_note(actor.id, 1, &["vélo", "Fediverse"], Visibility::Public, now), &[]).await.unwrap();
    db.create_post(&tagged_note(actor.id, 2, &["velo"], Visibility::Followers, now), &[]).await.unwrap();
    let velo = db.tagged_posts_page("velo", &PageBounds::newest(10)).await.unwrap();
    assert_eq!(ap_ids_of_posts(&velo), vec![public.ap_id.as_str()], "keys fold accents; followers-only posts stay out");
    assert_eq!(db.tagged_posts_page("fediverse", &PageBounds::newest(10)).await.unwrap().len(), 1);
    assert_eq!(index_rows(&db).await, (2, 0));

    // An edit moves the post from one tag to another.
    let edited = PostContent {
        tags_json: r#"["jardin"]"#.into(),
        ..tagged_note(actor.id, 1, &[], Visibility::Public, now).content
    };
    db.update_post(public.id, &edited, UtcTime::now(), &[]).await.unwrap();
    assert!(db.tagged_posts_page("velo", &PageBounds::newest(10)).await.unwrap().is_empty());
    assert_eq!(db.tagged_posts_page("jardin", &PageBounds::newest(10)).await.unwrap().len(), 1);

    // Deleting takes it out of the index, rows included.
    db.delete_post(public.id, &[]).await.unwrap();
    assert!(db.tagged_posts_page("jardin", &PageBounds::newest(10)).await.unwrap().is_empty());
    assert_eq!(index_rows(&db).await, (0, 0));

    // A rebuild gives the same rows as the writes did.
    let kept =
        db.create_post(&tagged_note(actor.id, 3, &["jardin", "JARDIN"], Visibility::Public, now), &[]).await.unwrap();
    {
        use diesel_async::RunQueryDsl;
        let mut conn = db.conn().await.unwrap();
        with_conn!(&mut conn, |c| diesel::delete(schema::post_tags::table).execute(c).await).unwrap();
    }
    let first_two = db.reindex_posts(0, 2).await.unwrap().unwrap();
    assert_eq!(db.reindex_posts(first_two, 2).await.unwrap(), Some(kept.id));
    assert_eq!(db.reindex_posts(kept.id, 2).await.unwrap(), None);
    assert_eq!(index_rows(&db).await, (1, 0), "one row per distinct key of public live posts");
}

#[tokio::test]
async fn tag_pages_are_keyset_paged_through_equal_times() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let same_time = UtcTime::now();
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(
            db.create_post(&tagged_note(actor.id, n, &["velo"], Visibility::Public, same_time), &[]).await.unwrap(),
        );
    }
    let newest_first: Vec<i64> = created.iter().rev().map(|p| p.id).collect();
    let mut seen = Vec::new();
    let mut bounds = PageBounds::newest(2);
    loop {
        let page = db.tagged_posts_page("velo", &bounds).await.unwrap();
        let Some(last) = page.last() else { break };
        bounds.older_than = Some(TimelinePosition { time: last.published, id: last.id });
        seen.extend(page.iter().map(|p| p.id));
    }
    assert_eq!(seen, newest_first, "every post once, none lost at equal times");
    // Newer than the oldest: the next two up, oldest first (min_id); or the newest two (since_id).
    let oldest = TimelinePosition { time: same_time, id: newest_first[4] };
    let next = PageBounds { newer_than: Some(oldest), oldest_first: true, ..PageBounds::newest(2) };
    let ids: Vec<i64> = db.tagged_posts_page("velo", &next).await.unwrap().iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![newest_first[3], newest_first[2]]);
    let since = PageBounds { newer_than: Some(oldest), ..PageBounds::newest(2) };
    let ids: Vec<i64> = db.tagged_posts_page("velo", &since).await.unwrap().iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![newest_first[0], newest_first[1]]);
    // The same bounds on the public timeline.
    let ids: Vec<i64> = db
        .posts_page(crate::PostSource::Listed, &crate::Reader::anonymous(), &next)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec![newest_first[3], newest_first[2]]);
}

#[tokio::test]
async fn a_group_commit_stores_each_activity_once_and_answers_in_order() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let activity = |n: u32, lease_seconds: Option<i64>| NewReceived {
        ap_id: format!("http://peer/a/{n}"),
        actor_ap_id: "http://peer/u".into(),
        kind: "Create".into(),
        json: format!("{{\"n\":{n}}}"),
        lease_seconds,
    };
    let first = db.store_received_batch(&[activity(1, Some(60))]).await.unwrap();
    assert!(first[0].is_some());
    // Already received, new, repeated within the batch, new and free for any worker.
    let batch = [activity(1, None), activity(2, Some(60)), activity(2, None), activity(3, None)];
    let ids = db.store_received_batch(&batch).await.unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], None, "a duplicate of an earlier commit");
    assert!(ids[1].is_some());
    assert_eq!(ids[2], None, "a duplicate within the commit");
    assert!(ids[3].is_some() && ids[3] != ids[1]);
    assert_eq!(db.count_received().await.unwrap(), 3);
    assert_eq!(db.pending_received().await.unwrap(), 3);
    // Only the unleased one is there for the inbox worker, at its first attempt.
    let claimed = db.claim_received(10, 60).await.unwrap();
    assert_eq!(
        claimed.iter().map(|r| (r.id, r.attempts, r.json.as_str())).collect::<Vec<_>>(),
        vec![(ids[3].unwrap(), 1, "{\"n\":3}")]
    );
    db.received_done_many(&[first[0].unwrap(), ids[1].unwrap(), ids[3].unwrap()]).await.unwrap();
    assert_eq!(db.received_counts().await.unwrap(), ReceivedCounts { pending: 0, done: 3, failed: 0 });
    assert_eq!(db.pending_received().await.unwrap(), 0);
    assert_eq!(db.store_received_batch(&[]).await.unwrap(), Vec::<Option<i64>>::new());
}

#[tokio::test]
async fn a_batch_of_remote_objects_is_written_in_order() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let at = |seconds: i64| Some(UtcTime::from(chrono::Utc::now() + chrono::Duration::seconds(seconds)));
    let version = |ap_id: &str, html: &str, updated, tags: &[&str]| NewRemoteObject {
        updated,
        hashtags: tags.iter().map(|t| t.to_string()).collect(),
        attachments: Vec::new(),
        ..remote_note(ap_id, html)
    };
    db.tombstone_remote_object("http://peer/n/gone", "Note").await.unwrap();
    let outcomes = db
        .store_remote_objects(&[
            version("http://peer/n/1", "<p>v1</p>", at(1), &["#velo"]),
            version("http://peer/n/1", "<p>v2</p>", at(2), &["#jardin"]),
            version("http://peer/n/1", "<p>late v1</p>", at(1), &["#velo"]),
            version("http://peer/n/gone", "<p>back?</p>", None, &[]),
            version("http://peer/n/2", "<p>other</p>", None, &["#velo"]),
        ])
        .await
        .unwrap();
    use StoreOutcome::*;
    assert_eq!(outcomes, vec![Stored, Stored, Outdated, Tombstoned, Stored]);
    let one = db.remote_object("http://peer/n/1").await.unwrap().unwrap();
    assert_eq!(one.content_html.as_deref(), Some("<p>v2</p>"));
    assert!(db.remote_object("http://peer/n/gone").await.unwrap().unwrap().deleted);
    let velo = db.tagged_remote_objects_page("velo", &PageBounds::newest(10)).await.unwrap();
    assert_eq!(velo.iter().map(|o| o.ap_id.as_str()).collect::<Vec<_>>(), vec!["http://peer/n/2"]);
    assert_eq!(db.tagged_remote_objects_page("jardin", &PageBounds::newest(10)).await.unwrap().len(), 1);
    assert_eq!(index_rows(&db).await, (0, 2));
}

/// Waits (a few seconds at most) until `live` carries `wanted`.
async fn heard(live: &mut tokio::sync::broadcast::Receiver<LiveEvent>, wanted: LiveEvent) {
    let found = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Ok(event) = live.recv().await {
            if event == wanted {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "{wanted:?} was not published");
}

#[tokio::test]
async fn the_tag_index_follows_remote_objects() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let tagged = |ap_id: &str, public: bool, tags: &[&str]| NewRemoteObject {
        addressing: addressed_to_public(public),
        hashtags: tags.iter().map(|t| t.to_string()).collect(),
        attachments: Vec::new(),
        ..remote_note(ap_id, "<p>x</p>")
    };
    db.store_remote_object(&tagged("http://peer/n/1", true, &["#Vélo", "#vélo", "not a tag"])).await.unwrap();
    db.store_remote_object(&tagged("http://peer/n/2", false, &["#velo"])).await.unwrap();
    db.store_remote_object(&NewRemoteObject { kind: "Event".into(), ..tagged("http://peer/e/1", true, &["#velo"]) })
        .await
        .unwrap();
    let page = db.tagged_remote_objects_page("velo", &PageBounds::newest(10)).await.unwrap();
    assert_eq!(page.iter().map(|o| o.ap_id.as_str()).collect::<Vec<_>>(), vec!["http://peer/n/1"]);
    assert_eq!(index_rows(&db).await, (0, 1));

    // An Update replaces the tags.
    db.store_remote_object(&tagged("http://peer/n/1", true, &["#jardin"])).await.unwrap();
    assert!(db.tagged_remote_objects_page("velo", &PageBounds::newest(10)).await.unwrap().is_empty());
    assert_eq!(db.tagged_remote_objects_page("jardin", &PageBounds::newest(10)).await.unwrap().len(), 1);
    // A Delete takes it out.
    db.tombstone_remote_object("http://peer/n/1", "Note").await.unwrap();
    assert_eq!(index_rows(&db).await, (0, 0));

    // Moderation, blocks and deleted actors take their objects out too.
    // Streaming clients hear of each object those bulk deletions end.
    let mut live = db.live_events().await;
    db.store_remote_object(&tagged("http://peer/n/3", true, &["#jardin"])).await.unwrap();
    let n3 = db.remote_object("http://peer/n/3").await.unwrap().unwrap().id;
    db.remove_remote_actor("http://peer/users/ana").await.unwrap();
    assert_eq!(index_rows(&db).await, (0, 0));
    heard(&mut live, LiveEvent::StatusDeleted { status: StatusKey::Remote(n3) }).await;
    let on_peer0 = NewRemoteObject { attributed_to: None, ..tagged("http://peer0/n/1", true, &["#jardin"]) };
    db.store_remote_object(&on_peer0).await.unwrap();
    let peer0 = db.remote_object("http://peer0/n/1").await.unwrap().unwrap().id;
    db.set_domain_policy("peer0", DomainPolicy::Block, None).await.unwrap();
    assert_eq!(index_rows(&db).await, (0, 0));
    heard(&mut live, LiveEvent::StatusDeleted { status: StatusKey::Remote(peer0) }).await;

    // A rebuild from what the caller read of each object.
    db.store_remote_object(&tagged("http://peer/n/4", true, &["#jardin"])).await.unwrap();
    let stored = db.remote_objects_after(0, 100).await.unwrap();
    let listed: Vec<(i64, bool, Vec<String>)> = stored.iter().map(|o| (o.id, true, vec!["#Potager".into()])).collect();
    db.reindex_remote_objects(&listed).await.unwrap();
    let page = db.tagged_remote_objects_page("potager", &PageBounds::newest(10)).await.unwrap();
    assert_eq!(page.iter().map(|o| o.ap_id.as_str()).collect::<Vec<_>>(), vec!["http://peer/n/4"], "live notes only");
}

#[tokio::test]
async fn the_facts_of_a_page_of_statuses_are_read_together() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let actor = some_local_actor(&db).await;
    let remote = ana(&db).await;
    db.save_follow(&accepted_follower(&actor, &remote), None).await.unwrap();
    let now = UtcTime::now();
    let parent = db.create_post(&tagged_note(actor.id, 1, &[], Visibility::Public, now), &[]).await.unwrap();
    let reply =
        NewPost { in_reply_to: Some(parent.ap_id.clone()), ..tagged_note(actor.id, 2, &[], Visibility::Public, now) };
    let reply = db.create_post(&reply, &[]).await.unwrap();
    db.store_remote_object(&remote_note("http://peer/n/1", "<p>x</p>")).await.unwrap();
    db.add_reaction(ReactionKind::Like, &reply.ap_id, &remote.ap_id, "http://peer/likes/1").await.unwrap();
    db.add_reaction(ReactionKind::Announce, &reply.ap_id, &remote.ap_id, "http://peer/boosts/1").await.unwrap();

    let objects = [parent.ap_id.clone(), reply.ap_id.clone()];
    let parents = [parent.ap_id.clone(), "http://peer/n/1".to_string(), "http://nowhere/1".to_string()];
    let wanted = StatusFactsWanted {
        local_actors: &[actor.id],
        remote_actors: std::slice::from_ref(&remote.ap_id),
        objects: &objects,
        parents: &parents,
        viewer: None,
        shown: &objects,
        mentioned: &[],
        posts: &[],
    };
    let facts = db.status_facts(wanted).await.unwrap();
    assert!(facts.favourited.is_empty() && facts.bookmarked.is_empty(), "nobody views");
    assert_eq!(facts.local_actors[&actor.id].username, "coop");
    assert_eq!((facts.followers[&actor.id], facts.following.get(&actor.id)), (1, None));
    assert_eq!(facts.post_counts[&actor.id], 2);
    assert_eq!(facts.remote_actors[&remote.ap_id].username, "ana");
    assert_eq!((facts.likes[&reply.ap_id], facts.reshares[&reply.ap_id]), (1, 1));
    assert!(!facts.likes.contains_key(&parent.ap_id));
    assert_eq!(facts.parent_posts, [(parent.ap_id.clone(), parent.id)].into_iter().collect());
    assert_eq!(facts.parent_remote_objects.keys().collect::<Vec<_>>(), vec!["http://peer/n/1"]);

    // What the viewer did, and only the viewer (ana's like of the reply is
    // not theirs): their like, reshare, bookmark.
    let shown = [parent.ap_id.clone(), reply.ap_id.clone(), "http://peer/n/1".to_string()];
    db.add_reaction(ReactionKind::Like, &parent.ap_id, &actor.ap_id, "http://localhost:1/likes/1").await.unwrap();
    db.add_reaction(ReactionKind::Announce, "http://peer/n/1", &actor.ap_id, "http://localhost:1/boosts/1")
        .await
        .unwrap();
    db.add_bookmark(actor.id, &reply.ap_id).await.unwrap();
    let viewed = StatusFactsWanted { viewer: Some(&actor), shown: &shown, ..StatusFactsWanted::default() };
    let facts = db.status_facts(viewed).await.unwrap();
    assert_eq!(facts.favourited, [parent.ap_id.clone()].into_iter().collect());
    assert_eq!(facts.reblogged, ["http://peer/n/1".to_string()].into_iter().collect());
    assert_eq!(facts.bookmarked, [reply.ap_id.clone()].into_iter().collect());
    let nothing = db.status_facts(StatusFactsWanted::default()).await.unwrap();
    assert!(nothing.local_actors.is_empty() && nothing.parent_posts.is_empty());
}

/// A remote actor of `domain` (`name` in its id), an enterprise when it has a profile.
async fn remote_at(db: &Database, domain: &str, name: &str, actor_type: &str, profile: bool) -> RemoteActor {
    let id = format!("https://{domain}/actors/{name}");
    db.upsert_remote_actor(&NewRemoteActor {
        shared_inbox_url: Some(format!("https://{domain}/inbox")),
        profile_json: profile.then(|| "{\"nameFr\":\"Coop\"}".to_string()),
        ..crate::testing::remote_actor(&id, actor_type)
    })
    .await
    .unwrap()
}

async fn local_hub(db: &Database) -> LocalActor {
    db.create_local_actor(&NewLocalActor {
        kind: maillage_domain::ActorKind::Hub,
        username: maillage_domain::Handle::parse("hub").unwrap(),
        ap_id: "http://localhost:1/actors/hub".into(),
        display_name: "Hub".into(),
        summary: String::new(),
        public_key_pem: "PUBLIC".into(),
        private_key_pem: "PRIVATE".into(),
    })
    .await
    .unwrap()
}

/// [`remote_at`] on a schema older than today's `RemoteActor` (a migration
/// test writes rows as they were): the row's id and ActivityPub id.
async fn old_remote_at(db: &Database, domain: &str, name: &str, actor_type: &str, profile: bool) -> (i64, String) {
    use crate::schema::remote_actors;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let id = format!("https://{domain}/actors/{name}");
    let actor = NewRemoteActor {
        shared_inbox_url: Some(format!("https://{domain}/inbox")),
        profile_json: profile.then(|| "{\"nameFr\":\"Coop\"}".to_string()),
        ..crate::testing::remote_actor(&id, actor_type)
    };
    let now = UtcTime::now();
    let mut conn = db.conn().await.unwrap();
    with_conn!(&mut conn, |c| diesel::insert_into(remote_actors::table)
        .values((
            &actor,
            remote_actors::fetched_at.eq(now),
            remote_actors::created_at.eq(now),
            remote_actors::updated_at.eq(now),
        ))
        .returning((remote_actors::id, remote_actors::ap_id))
        .get_result(c)
        .await)
    .unwrap()
}

async fn follow_out(db: &Database, local: &LocalActor, remote: &RemoteActor, state: FollowState) {
    follow_out_to(db, local, remote.id, state).await;
}

async fn follow_out_to(db: &Database, local: &LocalActor, remote_id: i64, state: FollowState) {
    let follow_id = format!("http://localhost:1/follows/{remote_id}");
    let record = FollowRecord {
        local_actor_id: local.id,
        remote_actor_id: remote_id,
        direction: Direction::Outgoing,
        state,
        follow_ap_id: &follow_id,
        follow_json: "{}",
    };
    db.save_follow(&record, None).await.unwrap();
}

fn ap_ids(actors: &[RemoteActor]) -> Vec<&str> {
    actors.iter().map(|a| a.ap_id.as_str()).collect()
}

#[tokio::test]
async fn the_directory_migration_keeps_only_enterprises_of_followed_hubs() {
    let (_guard, db) = fresh().await;
    db.migrate_before("2026-12-04-000016_directory_trust").await.unwrap();
    // Rows as they were before the migration.
    let hub = local_hub(&db).await;
    let enterprise = some_local_actor(&db).await;
    let (followed, _) = old_remote_at(&db, "trusted.test", "hub", "Group", false).await;
    let (_, trusted) = old_remote_at(&db, "trusted.test", "coop", "Organization", true).await;
    old_remote_at(&db, "trusted.test", "ana", "Person", false).await;
    old_remote_at(&db, "evil.test", "fake", "Organization", true).await;
    let (pending, _) = old_remote_at(&db, "pending.test", "hub", "Group", false).await;
    old_remote_at(&db, "pending.test", "coop", "Organization", true).await;
    follow_out_to(&db, &hub, followed, FollowState::Accepted).await;
    follow_out_to(&db, &hub, pending, FollowState::Pending).await;
    // An enterprise following a hub does not make it trusted by ours.
    let (by_enterprise, _) = old_remote_at(&db, "other.test", "hub", "Group", false).await;
    old_remote_at(&db, "other.test", "coop", "Organization", true).await;
    follow_out_to(&db, &enterprise, by_enterprise, FollowState::Accepted).await;
    let activities = [
        ("Create", r#"{"type":"Create","object":{"id":"http://localhost:1/objects/1","type":"Note"}}"#),
        ("Announce", r#"{"type":"Announce","object":"https://trusted.test/objects/2"}"#),
        (
            "Announce",
            r#"{"type":"Announce","object":{"type":"Create","object":{"id":"http://localhost:1/objects/3"}}}"#,
        ),
        (
            "Announce",
            r#"{"type":"Announce","object":{"type":"Delete","object":{"id":"http://localhost:1/objects/4"}}}"#,
        ),
        ("Delete", r#"{"type":"Delete","object":{"id":"http://localhost:1/objects/5","type":"Tombstone"}}"#),
    ];
    {
        use crate::schema::activities;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = db.conn().await.unwrap();
        for (n, (kind, json)) in activities.iter().enumerate() {
            with_conn!(&mut conn, |c| diesel::insert_into(activities::table)
                .values((
                    activities::ap_id.eq(format!("http://localhost:1/activities/{n}")),
                    activities::actor_id.eq(enterprise.id),
                    activities::kind.eq(*kind),
                    activities::public.eq(true),
                    activities::json.eq(*json),
                    activities::created_at.eq(UtcTime::now()),
                ))
                .execute(c)
                .await)
            .unwrap();
        }
    }

    db.migrate().await.unwrap();
    let listed = db.listed_remote_enterprises(5000, 100).await.unwrap();
    assert_eq!(ap_ids(&listed), vec![trusted.as_str()]);
    let carried: Vec<Option<String>> = {
        use crate::schema::activities;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = db.conn().await.unwrap();
        with_conn!(&mut conn, |c| activities::table
            .order(activities::id)
            .select(activities::object_ap_id)
            .load(c)
            .await)
        .unwrap()
    };
    let expected = [
        Some("http://localhost:1/objects/1"),
        Some("https://trusted.test/objects/2"),
        Some("http://localhost:1/objects/3"),
        None,
        None,
    ];
    assert_eq!(carried, expected.map(|e| e.map(str::to_string)));
    // New activities are written with the same column, by the same rule.
    for (kind, json) in activities {
        assert_eq!(
            crate::outbox::carried_object(kind, json),
            carried[activities.iter().position(|a| a.1 == json).unwrap()]
        );
    }
}

#[tokio::test]
async fn listings_count_while_our_hub_follows_the_lister() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = local_hub(&db).await;
    let lister = remote_at(&db, "a.test", "hub", "Group", false).await;
    let coop = remote_at(&db, "a.test", "coop", "Organization", true).await;
    let person = remote_at(&db, "a.test", "ana", "Person", false).await;
    assert!(db.add_directory_listing(coop.id, lister.id, ListingSource::Announce).await.unwrap());
    assert!(!db.add_directory_listing(coop.id, lister.id, ListingSource::Announce).await.unwrap(), "once");
    db.add_directory_listing(person.id, lister.id, ListingSource::Announce).await.unwrap();
    assert!(db.listed_remote_enterprises(10, 10).await.unwrap().is_empty(), "not followed");
    follow_out(&db, &hub, &lister, FollowState::Pending).await;
    assert!(db.listed_remote_enterprises(10, 10).await.unwrap().is_empty(), "not accepted yet");
    follow_out(&db, &hub, &lister, FollowState::Accepted).await;
    assert_eq!(ap_ids(&db.listed_remote_enterprises(10, 10).await.unwrap()), vec![coop.ap_id.as_str()]);
    db.suspend_remote_actor(&coop.ap_id).await.unwrap();
    assert!(db.listed_remote_enterprises(10, 10).await.unwrap().is_empty(), "suspended");
}

#[tokio::test]
async fn each_directory_row_carries_the_hub_that_lists_it() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = local_hub(&db).await;
    some_local_actor(&db).await;
    let north = db
        .upsert_remote_actor(&NewRemoteActor {
            display_name: Some("Pôle du Nord".into()),
            url: Some("https://north.test/@hub".into()),
            ..crate::testing::remote_actor("https://north.test/actors/hub", "Group")
        })
        .await
        .unwrap();
    // A second actor of the south server that lists one of its enterprises
    // too, by announcing it; the hub whose members collection lists it wins.
    let south_relay = remote_at(&db, "south.test", "relay", "Group", false).await;
    let south = remote_at(&db, "south.test", "hub", "Group", false).await;
    let unfollowed = remote_at(&db, "west.test", "hub", "Group", false).await;
    let north_coop = remote_at(&db, "north.test", "coop", "Organization", true).await;
    let south_coop = remote_at(&db, "south.test", "coop", "Organization", true).await;
    let south_farm = remote_at(&db, "south.test", "farm", "Organization", true).await;
    let west_coop = remote_at(&db, "west.test", "coop", "Organization", true).await;
    for (enterprise, lister, source) in [
        (&north_coop, &north, ListingSource::Announce),
        (&south_farm, &south_relay, ListingSource::Announce),
        (&south_coop, &south_relay, ListingSource::Announce),
        (&south_coop, &south, ListingSource::Members),
        (&west_coop, &unfollowed, ListingSource::Members),
    ] {
        db.add_directory_listing(enterprise.id, lister.id, source).await.unwrap();
    }
    for followed in [&north, &south, &south_relay] {
        follow_out(&db, &hub, followed, FollowState::Accepted).await;
    }
    assert!(south_relay.id < south.id, "the lowest lister id alone would pick the relay");

    let hub_of = |rows: &[DirectoryRow], username: &str, domain: Option<&str>| {
        let row = rows.iter().find(|r| r.username == username && r.domain.as_deref() == domain).unwrap();
        row.hub.clone().map(|h| (h.handle("localhost:1"), h.name().to_string(), h.page, h.ap_id))
    };
    let rows = db.directory_rows(10, 10).await.unwrap();
    assert_eq!(rows.len(), 4, "ours, and three listed by followed hubs: {rows:?}");
    assert!(!rows.iter().any(|r| r.domain.as_deref() == Some("west.test")), "its hub is not followed");
    assert_eq!(
        hub_of(&rows, "coop", None),
        Some(("hub@localhost:1".into(), "Hub".into(), hub.ap_id.clone(), hub.ap_id.clone()))
    );
    assert_eq!(
        hub_of(&rows, "coop", Some("north.test")),
        Some((
            "hub@north.test".into(),
            "Pôle du Nord".into(),
            "https://north.test/@hub".into(),
            "https://north.test/actors/hub".into()
        ))
    );
    let south_hub = Some((
        "hub@south.test".into(),
        "hub".into(),
        "https://south.test/actors/hub".into(),
        "https://south.test/actors/hub".into(),
    ));
    assert_eq!(hub_of(&rows, "coop", Some("south.test")), south_hub, "members first");
    assert_eq!(hub_of(&rows, "farm", Some("south.test")).unwrap().0, "relay@south.test");

    // The per-server cap and the limit hold as before.
    let capped = db.listed_remote_enterprises_with_hubs(1, 10).await.unwrap();
    let names: Vec<(&str, String)> =
        capped.iter().map(|l| (l.enterprise.ap_id.as_str(), l.hub.handle("localhost:1"))).collect();
    assert_eq!(
        names,
        vec![
            (north_coop.ap_id.as_str(), "hub@north.test".to_string()),
            (south_coop.ap_id.as_str(), "hub@south.test".to_string())
        ]
    );
    assert_eq!(db.listed_remote_enterprises_with_hubs(10, 2).await.unwrap().len(), 2);
}

#[tokio::test]
async fn blocking_a_domain_cleans_up_its_subdomains_too() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = local_hub(&db).await;
    let mut on_block = Vec::new();
    for domain in ["sub.example", "social.sub.example", "sub.example:8443"] {
        on_block.push(remote_at(&db, domain, "ana", "Person", false).await);
    }
    let spared = remote_at(&db, "notsub.example", "ana", "Person", false).await;
    for actor in on_block.iter().chain([&spared]) {
        follow_out(&db, &hub, actor, FollowState::Accepted).await;
        let object = NewRemoteObject {
            attributed_to: Some(actor.ap_id.clone()),
            ..remote_note(&format!("{}/notes/1", actor.ap_id), "<p>x</p>")
        };
        db.store_remote_object(&object).await.unwrap();
        db.add_reaction(
            ReactionKind::Like,
            "http://localhost:1/objects/1",
            &actor.ap_id,
            &format!("{}/like", actor.ap_id),
        )
        .await
        .unwrap();
    }
    // A path that merely contains the blocked name is another server's.
    let elsewhere =
        NewRemoteObject { attributed_to: None, ..remote_note("https://other.test/sub.example/1", "<p>y</p>") };
    db.store_remote_object(&elsewhere).await.unwrap();
    let inboxes =
        ["https://social.sub.example/inbox", "https://sub.example:8443/inbox", "https://notsub.example/inbox"];
    db.enqueue(&Outgoing { inboxes: inboxes.iter().map(|i| i.to_string()).collect(), ..outgoing(hub.id, 0, "x") })
        .await
        .unwrap();

    let report = db.set_domain_policy("sub.example", DomainPolicy::Block, None).await.unwrap();
    assert_eq!(report, BlockReport { follows_removed: 3, objects_removed: 3, deliveries_cancelled: 2 });
    for actor in &on_block {
        assert!(db.find_follow(hub.id, actor.id, Direction::Outgoing).await.unwrap().is_none(), "{}", actor.ap_id);
        assert!(db.remote_object(&format!("{}/notes/1", actor.ap_id)).await.unwrap().unwrap().deleted);
    }
    assert!(db.find_follow(hub.id, spared.id, Direction::Outgoing).await.unwrap().is_some());
    assert!(!db.remote_object(&format!("{}/notes/1", spared.ap_id)).await.unwrap().unwrap().deleted);
    assert!(!db.remote_object("https://other.test/sub.example/1").await.unwrap().unwrap().deleted);
    let summary = db.reactions_to("http://localhost:1/objects/1").await.unwrap();
    assert_eq!(summary.likes, vec![spared.ap_id.clone()], "only the spared server's like is left");
    let claimed = db.claim_deliveries(10, 60, &[]).await.unwrap();
    assert_eq!(claimed.iter().map(|d| d.inbox_url.as_str()).collect::<Vec<_>>(), vec!["https://notsub.example/inbox"]);
}

#[tokio::test]
async fn local_actor_ids_are_keyset_paged_both_ways_and_by_kind() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let mut enterprises = Vec::new();
    for (handle, kind) in [
        ("e1", ActorKind::Enterprise),
        ("m1", ActorKind::Member),
        ("e2", ActorKind::Enterprise),
        ("e3", ActorKind::Enterprise),
    ] {
        let actor = db
            .create_local_actor(&NewLocalActor {
                kind,
                username: maillage_domain::Handle::parse(handle).unwrap(),
                ap_id: format!("http://localhost:1/actors/{handle}"),
                display_name: handle.into(),
                summary: String::new(),
                public_key_pem: "PUBLIC".into(),
                private_key_pem: "PRIVATE".into(),
            })
            .await
            .unwrap();
        if kind == ActorKind::Enterprise {
            enterprises.push((actor.id, actor.ap_id));
        }
    }
    let ids = |rows: Vec<(i64, String)>| rows.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    let [(e1, _), (e2, _), (e3, _)] = <[_; 3]>::try_from(enterprises.clone()).unwrap();
    let newest = db.local_actor_ids_page(ActorKind::Enterprise, None, None, 10).await.unwrap();
    assert_eq!(newest, enterprises.iter().rev().cloned().collect::<Vec<_>>(), "newest first, members left out");
    assert_eq!(ids(db.local_actor_ids_page(ActorKind::Enterprise, None, None, 2).await.unwrap()), [e3, e2]);
    assert_eq!(ids(db.local_actor_ids_page(ActorKind::Enterprise, Some(e2), None, 2).await.unwrap()), [e1]);
    assert_eq!(ids(db.local_actor_ids_page(ActorKind::Enterprise, None, Some(e1), 2).await.unwrap()), [e2, e3]);
    assert!(db.local_actor_ids_page(ActorKind::Enterprise, None, Some(e3), 2).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_hubs_member_listings_are_replaced_as_a_whole_and_apart_from_announces() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = remote_at(&db, "a.example", "hub", "Group", false).await;
    let e1 = remote_at(&db, "a.example", "e1", "Organization", true).await;
    let e2 = remote_at(&db, "a.example", "e2", "Organization", true).await;
    let members = ListingSource::Members;
    assert_eq!(db.replace_listings(hub.id, members, &[e1.id, e2.id]).await.unwrap(), (2, 0));
    assert_eq!(db.replace_listings(hub.id, members, &[e1.id, e2.id]).await.unwrap(), (0, 0), "idempotent");
    db.add_directory_listing(e2.id, hub.id, ListingSource::Announce).await.unwrap();
    assert_eq!(db.replace_listings(hub.id, members, &[e1.id]).await.unwrap(), (0, 1), "e2 left the members");
    assert_eq!(db.replace_listings(hub.id, members, &[]).await.unwrap(), (0, 1));
    // The announce listing was not the members' to drop.
    assert_eq!(db.replace_listings(hub.id, ListingSource::Announce, &[e2.id]).await.unwrap(), (0, 0));
    // The hub says e2 left: every listing of e2 by this hub goes, no other.
    let other = remote_at(&db, "a.example", "other", "Group", false).await;
    db.add_directory_listing(e2.id, other.id, ListingSource::Members).await.unwrap();
    db.add_directory_listing(e2.id, hub.id, ListingSource::Members).await.unwrap();
    assert_eq!(db.drop_directory_listings(e2.id, hub.id).await.unwrap(), 2);
    assert_eq!(db.drop_directory_listings(e2.id, hub.id).await.unwrap(), 0);
    assert_eq!(db.replace_listings(other.id, members, &[]).await.unwrap(), (0, 1), "the other hub's stays");
}

#[tokio::test]
async fn the_member_listings_migration_keeps_the_listings_both_ways() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = remote_at(&db, "a.example", "hub", "Group", false).await;
    let e1 = remote_at(&db, "a.example", "e1", "Organization", true).await;
    let e2 = remote_at(&db, "a.example", "e2", "Organization", true).await;
    db.add_directory_listing(e1.id, hub.id, ListingSource::Announce).await.unwrap();
    db.replace_listings(hub.id, ListingSource::Members, &[e2.id]).await.unwrap();
    // Back to before it: the announce listing stays, the members' cannot.
    db.revert_migrations_from("2026-12-05-000017_member_listings").await.unwrap();
    db.migrate().await.unwrap();
    assert_eq!(db.replace_listings(hub.id, ListingSource::Announce, &[e1.id]).await.unwrap(), (0, 0), "kept");
    assert_eq!(db.replace_listings(hub.id, ListingSource::Members, &[]).await.unwrap(), (0, 0), "dropped");
}

#[tokio::test]
async fn a_followed_hub_is_read_once_per_lease_and_rescheduled() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let hub = remote_at(&db, "a.test", "hub", "Group", false).await;
    let other = remote_at(&db, "b.test", "hub", "Group", false).await;
    let now = UtcTime::now();
    let later = |seconds| UtcTime::from(now.as_datetime() + chrono::Duration::seconds(seconds));
    assert_eq!(db.claim_hub_sync(now, 60).await.unwrap(), None, "nothing scheduled");
    db.schedule_hub_sync(hub.id, later(30)).await.unwrap();
    assert_eq!(db.claim_hub_sync(now, 60).await.unwrap(), None, "not due yet");
    // Accepted again: due earlier, never later.
    db.schedule_hub_sync(hub.id, now).await.unwrap();
    db.schedule_hub_sync(hub.id, later(3600)).await.unwrap();
    assert_eq!(db.ensure_hub_syncs(&[hub.id, other.id], later(10)).await.unwrap(), 1, "only the missing one");
    // Two workers: one has it, the other does not.
    let (first, second) = tokio::join!(db.claim_hub_sync(now, 60), db.claim_hub_sync(now, 60));
    let claimed: Vec<(i64, i32)> = [first.unwrap(), second.unwrap()].into_iter().flatten().collect();
    assert_eq!(claimed, vec![(hub.id, 0)]);
    // The lease runs out unanswered: due again.
    assert_eq!(db.claim_hub_sync(later(61), 60).await.unwrap(), Some((hub.id, 0)));
    db.finish_hub_sync(hub.id, now, later(3600), Some("timed out")).await.unwrap();
    db.finish_hub_sync(hub.id, now, later(3600), Some("timed out again")).await.unwrap();
    let schedule = db.hub_syncs().await.unwrap();
    assert_eq!(
        schedule.iter().map(|(ap_id, _)| ap_id.as_str()).collect::<Vec<_>>(),
        vec![other.ap_id.as_str(), hub.ap_id.as_str()]
    );
    let row = &schedule[1].1;
    assert_eq!((row.failures, row.last_error.as_deref(), row.last_synced_at), (2, Some("timed out again"), None));
    assert_eq!(
        db.claim_hub_sync(later(61), 60).await.unwrap(),
        Some((other.id, 0)),
        "the other is due; this one is not"
    );
    db.release_hub_sync(other.id).await.unwrap();
    assert_eq!(db.claim_hub_sync(later(61), 60).await.unwrap(), Some((other.id, 0)), "released: due again at once");
    db.finish_hub_sync(hub.id, later(62), later(7200), None).await.unwrap();
    let row = db.hub_syncs().await.unwrap().into_iter().find(|(_, r)| r.hub_id == hub.id).unwrap().1;
    assert_eq!((row.failures, row.last_error, row.last_synced_at, row.due_at), (0, None, Some(later(62)), later(7200)));
    db.drop_hub_sync(hub.id).await.unwrap();
    assert_eq!(db.hub_syncs().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_sound_database_reports_no_integrity_problem_and_its_free_space() {
    let (_test_db, db) = fresh().await;
    db.migrate().await.unwrap();
    assert_eq!(db.integrity_problems().await.unwrap(), Vec::<String>::new());
    db.probe_write().await.unwrap();
    match db.kind() {
        DatabaseKind::Sqlite => assert!(db.free_disk_bytes().is_some_and(|free| free >= MIN_FREE_DISK_BYTES)),
        DatabaseKind::Postgres => assert_eq!(db.free_disk_bytes(), None, "PostgreSQL watches its own disk"),
    }
}

#[test]
fn a_full_disk_is_an_outage_that_cannot_write() {
    assert_eq!(DbError::DiskFull { free_bytes: 10 }.outage(), Some(Outage::NotWritable));
}
