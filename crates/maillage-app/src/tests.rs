//! The rights of each use case, without HTTP: the identity allowed, the
//! one refused (Forbidden), and input refused with the field named.

use maillage_config::Config;
use maillage_db::testing::TestDatabase;
use maillage_db::{Account, LocalActor};
use maillage_domain::{ProfileChanges, TeamRole, Visibility};
use maillage_federation::content::{NoteDraft, PracticeDraft};

use crate::instance::DatabaseOwner;
use crate::sign_in::{AuthorizationRequest, Client, NewClient, Redemption, RegisteredClient};
use crate::users::{NewAccount, Registration};
use crate::{
    Acting, App, AppError, Staff, domains, enterprises, follows, hub, instance, moderation, posts, sign_in, teams,
    users,
};

const PASSWORD: &str = "correct horse battery";

struct Hub {
    _db: TestDatabase,
    app: App,
}

impl Hub {
    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    async fn with(tweak: impl FnOnce(&mut Config)) -> Self {
        let (db, app) = crate::testing::test_app(tweak).await;
        Hub { _db: db, app }
    }

    async fn member(&self, name: &str, admin: bool) -> Acting {
        let new = NewAccount { username: name.into(), email: None, password: PASSWORD.into(), admin };
        users::create_user(&self.app, &Acting::Operator, new).await.unwrap();
        Acting::member(&self.account(name).await)
    }

    async fn account(&self, name: &str) -> Account {
        self.app.db().account_for_login(name).await.unwrap().unwrap()
    }

    async fn moderator(&self, name: &str) -> Acting {
        self.member(name, false).await;
        users::set_role(&self.app, &Acting::Operator, name, Staff::Moderator).await.unwrap();
        Acting::member(&self.account(name).await)
    }

    async fn enterprise(&self, handle: &str) -> LocalActor {
        enterprises::create(&self.app, &Acting::Operator, handle, "Coop", "").await.unwrap()
    }
}

fn forbidden<T: std::fmt::Debug>(result: Result<T, AppError>) {
    assert!(matches!(result, Err(AppError::Forbidden(_))), "expected Forbidden, got {result:?}");
}

fn invalid<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str) {
    match result {
        Err(AppError::Invalid { field: Some(f), .. }) if f == field => {}
        other => panic!("expected {field} to be refused, got {other:?}"),
    }
}

fn note(enterprise: &str, author: &str, text: &str) -> NoteDraft {
    NoteDraft {
        enterprise: enterprise.into(),
        author: author.into(),
        text: text.into(),
        language: "fr".into(),
        visibility: Visibility::Public,
        in_reply_to: None,
        content_warning: None,
        translation: None,
    }
}

fn practice(enterprise: &str, author: &str) -> PracticeDraft {
    PracticeDraft {
        enterprise: enterprise.into(),
        author: author.into(),
        title: "Cuisine partagée".into(),
        summary: "Comment nous partageons une cuisine.".into(),
        body_markdown: "Nous **partageons**.".into(),
        tags: vec![],
        licence: None,
        adapted_from: None,
        language: "fr".into(),
    }
}

#[tokio::test]
async fn staff_open_accounts_and_members_may_not() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let member = hub.member("marie", false).await;
    let new = |name: &str, email: Option<&str>| NewAccount {
        username: name.into(),
        email: email.map(str::to_string),
        password: PASSWORD.into(),
        admin: false,
    };
    users::create_user(&hub.app, &admin, new("paul", Some(" Paul@Example.org "))).await.unwrap();
    assert_eq!(hub.account("paul@example.org").await.actor.username, "paul", "the address is kept in lower case");
    forbidden(users::create_user(&hub.app, &member, new("jean", None)).await);
    invalid(users::create_user(&hub.app, &admin, new("jean", Some("not an address"))).await, "email");
    let taken = users::create_user(&hub.app, &admin, new("jeanne", Some("paul@example.org"))).await;
    assert!(matches!(taken, Err(AppError::Conflict(_))), "{taken:?}");
    invalid(users::create_user(&hub.app, &admin, new("Not A Handle!", None)).await, "username");
    let short = NewAccount { password: "short".into(), ..new("luc", None) };
    invalid(users::create_user(&hub.app, &admin, short).await, "password");

    forbidden(users::set_role(&hub.app, &member, "marie", Staff::Admin).await);
    forbidden(users::reset_password(&hub.app, &member, "paul", PASSWORD.into()).await);
    forbidden(users::create_invite(&hub.app, &member).await);
    forbidden(users::create_token(&hub.app, &member, "marie", "read").await);
    invalid(users::create_token(&hub.app, &admin, "marie", "read telepathy").await, "scope");
    let missing = users::approve(&hub.app, &admin, "nobody").await;
    assert!(matches!(missing, Err(AppError::NotFound(_))), "{missing:?}");
}

fn registration(username: &str, email: &str) -> Registration {
    Registration {
        username: username.into(),
        email: email.into(),
        password: PASSWORD.into(),
        agreement: true,
        invite_code: None,
        app_id: None,
    }
}

#[tokio::test]
async fn registration_follows_the_hubs_mode() {
    let closed = Hub::with(|c| c.registrations.mode = maillage_config::RegistrationMode::Closed).await;
    forbidden(users::register(&closed.app, registration("alice", "alice@example.org")).await);
    // The mode is the first answer, whatever else is missing.
    forbidden(users::register(&closed.app, registration("", "")).await);

    let hub = Hub::with(|c| c.registrations.mode = maillage_config::RegistrationMode::Approval).await;
    let registered = users::register(&hub.app, registration("alice", "Alice@Example.org")).await.unwrap();
    assert!(!registered.account.approved, "an approval hub lets nobody in by themself");
    assert_eq!(registered.account.email.as_deref(), Some("alice@example.org"));
    invalid(users::register(&hub.app, registration("alice", "other@example.org")).await, "username");
    invalid(users::register(&hub.app, registration("bob", "alice@example.org")).await, "email");
    invalid(users::register(&hub.app, registration("", "e@example.org")).await, "username");
    invalid(users::register(&hub.app, registration("bob", "")).await, "email");
    invalid(
        users::register(&hub.app, Registration { agreement: false, ..registration("bob", "b@example.org") }).await,
        "agreement",
    );

    let invite = Hub::with(|c| c.registrations.mode = maillage_config::RegistrationMode::Invite).await;
    forbidden(users::register(&invite.app, registration("carl", "carl@example.org")).await);
    let code = users::create_invite(&invite.app, &Acting::Operator).await.unwrap();
    let with_code = Registration { invite_code: Some(code.clone()), ..registration("carl", "carl@example.org") };
    assert!(users::register(&invite.app, with_code).await.unwrap().account.approved);
    let again = Registration { invite_code: Some(code), ..registration("dana", "dana@example.org") };
    forbidden(users::register(&invite.app, again).await);
}

#[tokio::test]
async fn owners_and_admins_manage_a_team_and_editors_do_not() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let owner = hub.member("olga", false).await;
    let editor = hub.member("eric", false).await;
    hub.member("nina", false).await;
    hub.enterprise("coop").await;
    teams::add_member(&hub.app, &admin, "coop", "olga", TeamRole::Owner).await.unwrap();
    teams::add_member(&hub.app, &owner, "coop", "eric", TeamRole::Editor).await.unwrap();
    forbidden(teams::add_member(&hub.app, &editor, "coop", "nina", TeamRole::Editor).await);
    forbidden(teams::remove_member(&hub.app, &editor, "coop", "olga").await);
    let unknown = teams::add_member(&hub.app, &owner, "coop", "ghost", TeamRole::Editor).await;
    assert!(matches!(unknown, Err(AppError::NotFound(_))), "{unknown:?}");
    let not_an_enterprise = teams::add_member(&hub.app, &admin, "nina", "eric", TeamRole::Editor).await;
    assert!(matches!(not_an_enterprise, Err(AppError::NotFound(_))), "{not_an_enterprise:?}");
    teams::remove_member(&hub.app, &owner, "coop", "eric").await.unwrap();
    let enterprise = hub.app.local_actor("coop").await.unwrap();
    let team = teams::team(&hub.app, &enterprise).await.unwrap();
    assert_eq!(team, vec![teams::TeamMember { username: "olga".into(), role: TeamRole::Owner }]);
}

#[tokio::test]
async fn editors_publish_and_change_posts_and_others_do_not() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let editor = hub.member("eric", false).await;
    let outsider = hub.member("otto", false).await;
    hub.enterprise("coop").await;
    teams::add_member(&hub.app, &admin, "coop", "eric", TeamRole::Editor).await.unwrap();

    let post = posts::publish_note(&hub.app, &editor, &note("coop", "eric", "Bonjour")).await.unwrap();
    forbidden(posts::publish_note(&hub.app, &outsider, &note("coop", "otto", "Intrus")).await);
    forbidden(posts::publish_note(&hub.app, &outsider, &note("coop", "eric", "Sous un autre nom")).await);
    let empty = posts::publish_note(&hub.app, &editor, &note("coop", "eric", "  ")).await;
    assert!(matches!(empty, Err(AppError::Invalid { .. })), "{empty:?}");

    forbidden(posts::edit_note(&hub.app, &outsider, &post.ap_id, "Modifié", None).await);
    forbidden(posts::delete(&hub.app, &outsider, &post.ap_id).await);
    posts::edit_note(&hub.app, &editor, &post.ap_id, "Modifié", None).await.unwrap();

    let article = posts::publish_practice(&hub.app, &editor, &practice("coop", "eric")).await.unwrap();
    hub.member("nina", false).await;
    hub.enterprise("autre").await;
    teams::add_member(&hub.app, &admin, "autre", "eric", TeamRole::Editor).await.unwrap();
    invalid(posts::edit_practice(&hub.app, &editor, &article.ap_id, &practice("autre", "eric")).await, "enterprise");

    // A former editor no longer may; the hub's admins always may.
    teams::remove_member(&hub.app, &admin, "coop", "eric").await.unwrap();
    forbidden(posts::edit_note(&hub.app, &editor, &post.ap_id, "Encore", None).await);
    forbidden(posts::publish_note(&hub.app, &editor, &note("coop", "eric", "Encore")).await);
    posts::delete(&hub.app, &admin, &post.ap_id).await.unwrap();
    let gone = posts::delete(&hub.app, &admin, &post.ap_id).await;
    assert!(matches!(gone, Err(AppError::NotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn an_enterprises_follow_requests_are_answered_by_its_editors_and_nobody_else() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let editor = hub.member("eric", false).await;
    let outsider = hub.member("otto", false).await;
    let coop = hub.enterprise("coop").await;
    teams::add_member(&hub.app, &admin, "coop", "eric", TeamRole::Editor).await.unwrap();
    follows::set_manual_approval(&hub.app, &Acting::Operator, &coop, true).await.unwrap();
    let coop = hub.app.local_actor("coop").await.unwrap();
    let otto = Box::new(outsider.actor().unwrap().clone());
    follows::follow(&hub.app, &otto, &follows::Followed::Here(Box::new(coop.clone()))).await.unwrap();
    let requester = follows::Followed::Here(otto.clone());

    forbidden(follows::requests_answered_by(&hub.app, &outsider, Some("coop")).await);
    forbidden(follows::answer_follow_request(&hub.app, &outsider, &coop, &requester, true).await);
    assert_eq!(follows::requests_answered_by(&hub.app, &editor, Some("coop")).await.unwrap().id, coop.id);
    // Without an enterprise, a member answers their own requests; the operator must name one.
    assert_eq!(follows::requests_answered_by(&hub.app, &outsider, None).await.unwrap().id, otto.id);
    invalid(follows::requests_answered_by(&hub.app, &Acting::Operator, None).await, "enterprise");

    follows::answer_follow_request(&hub.app, &editor, &coop, &requester, true).await.unwrap();
    assert!(hub.app.db().local_follow(otto.id, coop.id).await.unwrap().unwrap().accepted);
    follows::answer_follow_request(&hub.app, &admin, &coop, &requester, false).await.unwrap();
    let gone = follows::answer_follow_request(&hub.app, &editor, &coop, &requester, false).await;
    assert!(matches!(gone, Err(AppError::NotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn enterprises_are_admitted_by_admins_and_changed_by_their_editors() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let editor = hub.member("eric", false).await;
    let outsider = hub.member("otto", false).await;
    enterprises::create(&hub.app, &admin, "coop", "La Coop", "").await.unwrap();
    forbidden(enterprises::create(&hub.app, &editor, "autre", "Autre", "").await);
    invalid(enterprises::create(&hub.app, &admin, "autre", "  ", "").await, "name");
    let taken = enterprises::create(&hub.app, &admin, "coop", "Encore", "").await;
    assert!(matches!(taken, Err(AppError::Conflict(_))), "{taken:?}");

    teams::add_member(&hub.app, &admin, "coop", "eric", TeamRole::Editor).await.unwrap();
    let changes = ProfileChanges { region: Some("estrie".into()), ..ProfileChanges::default() };
    let profile = enterprises::update_profile(&hub.app, &editor, "coop", &changes).await.unwrap();
    assert_eq!(profile.region.as_deref(), Some("estrie"));
    forbidden(enterprises::update_profile(&hub.app, &outsider, "coop", &changes).await);
    let bad = ProfileChanges { region: Some("atlantis".into()), ..ProfileChanges::default() };
    let refused = enterprises::update_profile(&hub.app, &editor, "coop", &bad).await;
    assert!(matches!(refused, Err(AppError::Invalid { .. })), "{refused:?}");
}

#[tokio::test]
async fn enterprises_are_deleted_by_admins_only_for_good() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let owner = hub.member("eric", false).await;
    let moderator = hub.moderator("mo").await;
    let coop = hub.enterprise("coop").await;
    teams::add_member(&hub.app, &admin, "coop", "eric", TeamRole::Owner).await.unwrap();
    let post = posts::publish_note(&hub.app, &owner, &note("coop", "eric", "Bonjour")).await.unwrap();

    // Neither its owner nor a moderator may delete it.
    forbidden(enterprises::delete(&hub.app, &owner, "coop").await);
    forbidden(enterprises::delete(&hub.app, &moderator, "coop").await);
    assert!(hub.app.local_actor("coop").await.is_ok(), "a refusal changes nothing");

    let deleted = enterprises::delete(&hub.app, &admin, "@coop").await.unwrap();
    assert_eq!((deleted.actor.id, deleted.posts), (coop.id, 1));
    assert!(deleted.actor.is_deleted());
    let again = enterprises::delete(&hub.app, &admin, "coop").await;
    assert!(matches!(&again, Err(AppError::Conflict(m)) if m.contains("already deleted")), "{again:?}");
    for not_an_enterprise in ["nobody", "eric", "hub"] {
        let missing = enterprises::delete(&hub.app, &admin, not_an_enterprise).await;
        assert!(matches!(missing, Err(AppError::NotFound(_))), "{not_an_enterprise}: {missing:?}");
    }

    // Gone for every lookup; its post deleted, its team ended, its handle reserved.
    let gone = hub.app.local_actor_of(maillage_domain::ActorKind::Enterprise, "coop").await;
    assert!(matches!(gone, Err(AppError::NotFound(_))), "{gone:?}");
    assert!(hub.app.db().post_by_ap_id(&post.ap_id).await.unwrap().unwrap().deleted_at.is_some());
    assert!(!hub.app.db().is_editor(coop.id, owner.actor().unwrap().id).await.unwrap());
    assert!(hub.app.db().local_actor_by_id(owner.actor().unwrap().id).await.unwrap().is_some(), "eric stays");
    let reserved = enterprises::create(&hub.app, &admin, "coop", "Nouvelle", "").await;
    assert!(matches!(&reserved, Err(AppError::Conflict(m)) if m.contains("stay reserved")), "{reserved:?}");
}

#[tokio::test]
async fn an_enterprise_created_before_the_hub_exists_is_created() {
    use maillage_domain::{ActorKind, Handle};
    let test_db = TestDatabase::create().await.unwrap();
    let mut config = Config::load_with_env(None, Vec::new()).unwrap();
    config.database.url = test_db.url().to_string();
    config.instance.domain = "hub.test".into();
    let db = maillage_db::Database::connect(&config.database).await.unwrap();
    db.migrate().await.unwrap();
    // The instance actor only, as an instance whose hub is not created yet.
    let urls = maillage_federation::urls::Urls::new(&config);
    let instance =
        maillage_federation::actors::new_actor(&urls, ActorKind::Instance, Handle::instance_actor(), "hub.test", "")
            .unwrap();
    db.create_local_actor(&instance).await.unwrap();
    let app = App::open(db, std::sync::Arc::new(config)).await.unwrap();
    let coop = enterprises::create(&app, &Acting::Operator, "coop", "Coop", "").await.unwrap();
    assert_eq!(coop.kind(), ActorKind::Enterprise);
    hub::announce_membership(&app, &coop, hub::Membership::Joined).await.unwrap();
}

#[tokio::test]
async fn only_enterprises_are_announced_as_the_hubs_members() {
    let hub = Hub::new().await;
    let coop = hub.enterprise("coop").await;
    hub::announce_membership(&hub.app, &coop, hub::Membership::Joined).await.unwrap();
    let our_hub = hub.app.local_actor("hub").await.unwrap();
    let refused = hub::announce_membership(&hub.app, &our_hub, hub::Membership::Left).await;
    assert!(matches!(refused, Err(AppError::Invalid { .. })), "{refused:?}");
}

#[tokio::test]
async fn domain_rules_are_for_admins_never_about_our_own_domain_and_apply_at_once() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let moderator = hub.moderator("mona").await;
    let policies = &hub.app.federation().context().policies;
    assert_eq!(policies.refusal("spam.example").await, None, "the rules are read before the block");
    let (domain, _) = domains::block(&hub.app, &admin, "SPAM.example", Some("spam")).await.unwrap();
    assert_eq!(domain, "spam.example");
    assert!(policies.refusal("spam.example").await.is_some(), "a block applies at once in this process");
    forbidden(domains::block(&hub.app, &moderator, "other.example", None).await);
    invalid(domains::block(&hub.app, &admin, "hub.test", None).await, "domain");
    invalid(domains::allow(&hub.app, &admin, "HUB.TEST.", None).await, "domain");
    invalid(domains::block(&hub.app, &admin, "not a domain/", None).await, "domain");
    domains::remove(&hub.app, &admin, "spam.example").await.unwrap();
    assert_eq!(policies.refusal("spam.example").await, None, "a removal applies at once too");
    let absent = domains::remove(&hub.app, &admin, "spam.example").await;
    assert!(matches!(absent, Err(AppError::NotFound(_))), "{absent:?}");
    let listed = [
        domains::ListedBlock { domain: "a.example".into(), public_comment: None },
        domains::ListedBlock { domain: "hub.test".into(), public_comment: None },
    ];
    let (blocked, skipped) = domains::import_blocks(&hub.app, &admin, &listed).await.unwrap();
    assert_eq!((blocked, skipped.len()), (1, 1), "our own domain is skipped: {skipped:?}");
    forbidden(domains::import_blocks(&hub.app, &moderator, &listed).await);
}

#[tokio::test]
async fn moderators_moderate_and_members_do_not() {
    let hub = Hub::new().await;
    let moderator = hub.moderator("mona").await;
    let member = hub.member("marie", false).await;
    let report = maillage_db::NewReport {
        direction: maillage_db::ReportDirection::Incoming,
        reporter: "https://elsewhere.example/users/x",
        target_actor: Some("https://elsewhere.example/users/y"),
        object_ids: &[],
        comment: "spam",
        activity_ap_id: "https://elsewhere.example/flags/1",
    };
    let id = hub.app.db().record_report(&report, None).await.unwrap().unwrap();
    forbidden(moderation::resolve_report(&hub.app, &member, id).await);
    assert!(moderation::resolve_report(&hub.app, &moderator, id).await.unwrap());
    assert!(!moderation::resolve_report(&hub.app, &moderator, id).await.unwrap(), "it was resolved already");
    forbidden(moderation::suspend(&hub.app, &member, "https://elsewhere.example/users/y").await);
    let unknown = moderation::suspend(&hub.app, &moderator, "https://elsewhere.example/users/y").await;
    assert!(matches!(unknown, Err(AppError::NotFound(_))), "{unknown:?}");
    forbidden(moderation::remove_remote_post(&hub.app, &member, "https://elsewhere.example/notes/1").await);
}

#[tokio::test]
async fn staff_publish_announcements_and_members_read_them() {
    use crate::announcements::{self, AnnouncementDraft};
    let hub = Hub::new().await;
    let moderator = hub.moderator("mona").await;
    let (marie, paul) = (hub.member("marie", false).await, hub.member("paul", false).await);
    let draft = AnnouncementDraft { text: "Assemblée **jeudi**".into(), ..Default::default() };
    forbidden(announcements::publish(&hub.app, &marie, &draft).await);
    let published = announcements::publish(&hub.app, &moderator, &draft).await.unwrap();
    assert_eq!(published.content, "<p>Assemblée <strong>jeudi</strong></p>");
    invalid(announcements::publish(&hub.app, &moderator, &AnnouncementDraft::default()).await, "text");
    let now = chrono::Utc::now();
    let backwards =
        AnnouncementDraft { starts_at: Some(now), ends_at: Some(now - chrono::Duration::hours(1)), ..draft.clone() };
    invalid(announcements::publish(&hub.app, &moderator, &backwards).await, "ends_at");
    let ended = AnnouncementDraft { ends_at: Some(now - chrono::Duration::hours(1)), ..draft.clone() };
    let ended = announcements::publish(&hub.app, &moderator, &ended).await.unwrap();
    let to_come = AnnouncementDraft { starts_at: Some(now + chrono::Duration::days(1)), ..draft.clone() };
    announcements::publish(&hub.app, &Acting::Operator, &to_come).await.unwrap();
    // Only the current one is shown, and a dismissal is each member's own.
    announcements::dismiss(&hub.app, &marie, published.id).await.unwrap();
    let shown = |list: Vec<(maillage_db::Announcement, bool)>| {
        list.into_iter().map(|(a, read)| (a.id, read)).collect::<Vec<_>>()
    };
    assert_eq!(shown(announcements::current(&hub.app, &marie).await.unwrap()), [(published.id, true)]);
    assert_eq!(shown(announcements::current(&hub.app, &paul).await.unwrap()), [(published.id, false)]);
    let gone = announcements::dismiss(&hub.app, &paul, ended.id).await;
    assert!(matches!(gone, Err(AppError::NotFound(_))), "{gone:?}");
    assert_eq!(announcements::all(&hub.app, &moderator).await.unwrap().len(), 3);
    forbidden(announcements::all(&hub.app, &marie).await);
    forbidden(announcements::withdraw(&hub.app, &marie, published.id).await);
    announcements::withdraw(&hub.app, &moderator, published.id).await.unwrap();
    assert!(announcements::current(&hub.app, &paul).await.unwrap().is_empty());
}

#[tokio::test]
async fn only_admins_act_for_the_hub() {
    let hub = Hub::new().await;
    let admin = hub.member("ada", true).await;
    let moderator = hub.moderator("mona").await;
    let coop = hub.enterprise("coop").await;
    forbidden(hub::feature(&hub.app, &moderator, &coop.ap_id, true).await);
    forbidden(hub::reshare(&hub.app, &moderator, &coop.ap_id).await);
    assert!(hub::feature(&hub.app, &admin, &coop.ap_id, true).await.unwrap());
    let not_ours = hub::feature(&hub.app, &admin, "https://elsewhere.example/users/y", true).await;
    assert!(matches!(not_ours, Err(AppError::Invalid { .. })), "{not_ours:?}");
    forbidden(follows::set_manual_approval(&hub.app, &moderator, &coop, true).await);
    follows::set_manual_approval(&hub.app, &admin, &coop, true).await.unwrap();
    forbidden(crate::deliveries::retry_failed(&hub.app, &moderator, "elsewhere.example").await);
    // Reading another hub's members is the admins' to ask (refused before any fetch).
    forbidden(crate::directory::sync_hub(&hub.app, &moderator, "https://elsewhere.example/actors/hub").await);
    // The schedule of those readings is for moderators, not any member.
    let member = hub.member("marie", false).await;
    forbidden(crate::directory::schedule::planned(&hub.app, &member).await);
    assert!(crate::directory::schedule::planned(&hub.app, &moderator).await.unwrap().is_empty());
    invalid(crate::deliveries::retry_failed(&hub.app, &admin, "  ").await, "domain");
}

fn unauthenticated<T: std::fmt::Debug>(result: Result<T, AppError>) {
    assert!(matches!(result, Err(AppError::Unauthenticated(_))), "expected Unauthenticated, got {result:?}");
}

/// A refusal of the OAuth protocol: the request as a whole, no field.
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>) {
    assert!(matches!(result, Err(AppError::Invalid { field: None, .. })), "expected a refusal, got {result:?}");
}

fn new_client(redirect_uris: &str, scopes: &str) -> NewClient {
    NewClient {
        name: " Phanpy ".into(),
        redirect_uris: Some(redirect_uris.into()),
        scopes: Some(scopes.into()),
        website: Some(String::new()),
    }
}

const CALLBACK: &str = "https://client.example/callback";

impl Hub {
    /// A registered client, and the same proved by its secret.
    async fn client(&self, scopes: &str) -> (RegisteredClient, Client) {
        let registered = sign_in::register_client(&self.app, new_client(CALLBACK, scopes)).await.unwrap();
        let proved =
            sign_in::authenticated_client(&self.app, Some(&registered.client_id), Some(&registered.client_secret))
                .await
                .unwrap();
        (registered, proved)
    }

    async fn grant(&self, token: &str) -> Option<maillage_db::TokenGrant> {
        self.app.db().token_grant(&crate::secrets::hash_secret(token)).await.unwrap()
    }
}

#[tokio::test]
async fn client_apps_register_with_redirects_a_browser_may_follow_and_known_scopes() {
    let hub = Hub::new().await;
    let registered = sign_in::register_client(&hub.app, new_client(CALLBACK, "read+write")).await.unwrap();
    assert_eq!(registered.client.name, "Phanpy");
    assert_eq!(registered.client.scopes, "read write");
    assert_eq!(registered.client.website, None);
    let oob = NewClient { redirect_uris: None, scopes: None, ..new_client("", "") };
    let oob = sign_in::register_client(&hub.app, oob).await.unwrap();
    assert_eq!((oob.client.redirect_uris.as_str(), oob.client.scopes.as_str()), (sign_in::OOB, "read"));
    for bad in ["not a url", "javascript:alert(1)", "data:text/html,hi", "https://client.example/cb#top"] {
        invalid(sign_in::register_client(&hub.app, new_client(bad, "read")).await, "redirect_uris");
    }
    invalid(sign_in::register_client(&hub.app, new_client(CALLBACK, "read telepathy")).await, "scope");

    // The secret proves the client; nothing else does.
    let id = Some(registered.client_id.as_str());
    sign_in::authenticated_client(&hub.app, id, Some(&registered.client_secret)).await.unwrap();
    unauthenticated(sign_in::authenticated_client(&hub.app, id, Some(&oob.client_secret)).await);
    unauthenticated(sign_in::authenticated_client(&hub.app, id, None).await);
    unauthenticated(sign_in::client(&hub.app, Some("nobody")).await);
    unauthenticated(sign_in::client(&hub.app, None).await);
}

#[tokio::test]
async fn tokens_go_to_proved_clients_within_their_scopes_and_only_they_revoke_them() {
    let hub = Hub::new().await;
    hub.member("marie", false).await;
    let marie = hub.account("marie").await;
    let (registered, client) = hub.client("read write").await;
    refused(sign_in::scopes_for(&client, Some("admin:write")));
    invalid(sign_in::scopes_for(&client, Some("read telepathy")), "scope");
    let scopes = sign_in::scopes_for(&client, Some("read")).unwrap();
    assert_eq!(sign_in::scopes_for(&client, None).unwrap().as_str(), "read write", "none asked: what it registered");

    let issued = sign_in::issue_token(&hub.app, &client, Some(&marie), &scopes).await.unwrap();
    let grant = hub.grant(&issued.token).await.expect("a live token");
    assert_eq!((grant.scopes.as_str(), grant.account.unwrap().user_id), ("read", marie.user_id));
    let own = sign_in::issue_token(&hub.app, &client, None, &scopes).await.unwrap();
    assert!(hub.grant(&own.token).await.unwrap().account.is_none(), "client credentials: the app's own token");
    let unproved = sign_in::client(&hub.app, Some(&registered.client_id)).await.unwrap();
    unauthenticated(sign_in::issue_token(&hub.app, &unproved, Some(&marie), &scopes).await);

    // Another app's revocation leaves the token; an unproved client's is refused.
    let (_, other) = hub.client("read").await;
    sign_in::revoke_token(&hub.app, &other, &issued.token).await.unwrap();
    assert!(hub.grant(&issued.token).await.is_some(), "another app cannot revoke it");
    unauthenticated(sign_in::revoke_token(&hub.app, &unproved, &issued.token).await);
    sign_in::revoke_token(&hub.app, &client, &issued.token).await.unwrap();
    assert!(hub.grant(&issued.token).await.is_none(), "revoked");
}

fn request<'a>(redirect_uri: &'a str, challenge: Option<&'a str>) -> AuthorizationRequest<'a> {
    AuthorizationRequest {
        redirect_uri: Some(redirect_uri),
        response_type: Some("code"),
        scope: Some("read"),
        code_challenge: challenge,
        code_challenge_method: challenge.map(|_| "S256"),
    }
}

#[tokio::test]
async fn authorization_codes_go_where_the_app_registered_and_are_redeemed_once_with_their_proof() {
    use base64::Engine;
    use sha2::Digest;
    let hub = Hub::new().await;
    hub.member("marie", false).await;
    let marie = hub.account("marie").await;
    let (registered, client) = hub.client("read write").await;
    let (other_registered, _) = hub.client("read").await;
    refused(sign_in::authorization(&client, &request("https://evil.example/callback", None)));
    refused(sign_in::authorization(
        &client,
        &AuthorizationRequest { response_type: Some("token"), ..request(CALLBACK, None) },
    ));
    let plain = AuthorizationRequest { code_challenge_method: Some("plain"), ..request(CALLBACK, Some("x")) };
    refused(sign_in::authorization(&client, &plain));
    invalid(
        sign_in::authorization(&client, &AuthorizationRequest { scope: Some("telepathy"), ..request(CALLBACK, None) }),
        "scope",
    );

    let verifier = "a-very-long-random-verifier-string-of-at-least-43-characters";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let code_for = async |challenge: Option<&str>| {
        let authorization = sign_in::authorization(&client, &request(CALLBACK, challenge)).unwrap();
        sign_in::issue_code(&hub.app, &client, &marie, authorization).await
    };
    let redeem = async |code: &str, client_id: &str, client_secret: Option<&str>, code_verifier: Option<&str>| {
        let client = sign_in::client(&hub.app, Some(client_id)).await?;
        let redemption = Redemption { client_secret, code, redirect_uri: Some(CALLBACK), code_verifier };
        sign_in::redeem_code(&hub.app, &client, &redemption).await
    };
    let id = registered.client_id.as_str();

    // With PKCE: the verifier is the proof; a wrong one uses the code up.
    let code = code_for(Some(&challenge)).await.unwrap();
    refused(redeem(&code, id, None, Some("the wrong verifier, also long enough to be one....")).await);
    refused(redeem(&code, id, None, Some(verifier)).await);
    let code = code_for(Some(&challenge)).await.unwrap();
    refused(redeem(&code, id, None, None).await);
    let code = code_for(Some(&challenge)).await.unwrap();
    refused(redeem(&code, &other_registered.client_id, None, Some(verifier)).await);
    let code = code_for(Some(&challenge)).await.unwrap();
    let issued = redeem(&code, id, None, Some(verifier)).await.unwrap();
    assert_eq!(hub.grant(&issued.token).await.unwrap().account.unwrap().user_id, marie.user_id);
    refused(redeem(&code, id, None, Some(verifier)).await);
    let code = code_for(Some(&challenge)).await.unwrap();
    let elsewhere = Redemption {
        client_secret: None,
        code: &code,
        redirect_uri: Some("https://client.example/other"),
        code_verifier: Some(verifier),
    };
    let unproved = sign_in::client(&hub.app, Some(id)).await.unwrap();
    refused(sign_in::redeem_code(&hub.app, &unproved, &elsewhere).await);
    let expired = maillage_db::AuthorizationCode {
        code_hash: crate::secrets::hash_secret("an expired code"),
        app_id: hub.app.db().oauth_app(id).await.unwrap().unwrap().id,
        user_id: marie.user_id,
        redirect_uri: CALLBACK.into(),
        scopes: "read".into(),
        code_challenge: None,
        code_challenge_method: None,
        expires_at: maillage_db::UtcTime::from(chrono::Utc::now() - chrono::Duration::seconds(1)),
    };
    hub.app.db().create_authorization_code(&expired).await.unwrap();
    refused(redeem("an expired code", id, Some(&registered.client_secret), None).await);

    // Without PKCE: the client's secret is the proof.
    let code = code_for(None).await.unwrap();
    unauthenticated(redeem(&code, id, None, None).await);
    let code = code_for(None).await.unwrap();
    let issued = redeem(&code, id, Some(&registered.client_secret), None).await.unwrap();
    assert_eq!(issued.scopes, "read");
}

#[tokio::test]
async fn web_sessions_open_for_approved_members_and_close() {
    let hub = Hub::new().await;
    hub.member("marie", false).await;
    let token = sign_in::open_session(&hub.app, &hub.account("marie").await).await.unwrap();
    assert_eq!(hub.grant(&token).await.unwrap().scopes, sign_in::SESSION_SCOPES);
    sign_in::close_session(&hub.app, &token).await.unwrap();
    assert!(hub.grant(&token).await.is_none(), "signed out");

    let waiting = Hub::with(|c| c.registrations.mode = maillage_config::RegistrationMode::Approval).await;
    users::register(&waiting.app, registration("alice", "alice@example.org")).await.unwrap();
    forbidden(sign_in::open_session(&waiting.app, &waiting.account("alice").await).await);
}

#[tokio::test]
async fn a_database_belongs_to_the_domain_of_its_first_start() {
    let hub = Hub::new().await;
    assert_eq!(instance::claim_database(hub.app.db(), "hub.test").await.unwrap(), DatabaseOwner::Ours);
    assert_eq!(instance::claim_database(hub.app.db(), "hub.test").await.unwrap(), DatabaseOwner::Ours);
    let other = instance::claim_database(hub.app.db(), "other.test").await.unwrap();
    assert_eq!(other, DatabaseOwner::Other("hub.test".into()));
}

#[tokio::test]
async fn only_admins_invite_to_claim_and_only_the_team_and_staff_read_the_contact() {
    let hub = Hub::with(|c| {
        c.mail.smtp_url = "smtp://127.0.0.1:9".into();
        c.mail.from = "hub@hub.test".into();
    })
    .await;
    let admin = hub.member("ada", true).await;
    let moderator = hub.moderator("mona").await;
    let editor = hub.member("eric", false).await;
    let other = hub.member("nina", false).await;
    let coop = hub.enterprise("coop").await;
    teams::add_member(&hub.app, &admin, "coop", "eric", TeamRole::Editor).await.unwrap();

    forbidden(crate::claims::invite(&hub.app, &editor, "coop", "c@coop.example").await);
    forbidden(crate::claims::invite(&hub.app, &moderator, "coop", "c@coop.example").await);
    forbidden(crate::claims::invite(&hub.app, &other, "coop", "c@coop.example").await);
    assert!(hub.app.db().mail_to("c@coop.example").await.unwrap().is_empty());
    invalid(crate::claims::invite(&hub.app, &admin, "coop", "not an address").await, "email");
    crate::claims::invite(&hub.app, &admin, "coop", "C@Coop.example").await.unwrap();
    assert_eq!(hub.app.db().mail_to("c@coop.example").await.unwrap().len(), 1, "queued with the invitation");

    let contact = Some("c@coop.example".to_string());
    assert_eq!(crate::claims::contact(&hub.app, &admin, &coop).await.unwrap(), contact);
    assert_eq!(crate::claims::contact(&hub.app, &editor, &coop).await.unwrap(), contact);
    forbidden(crate::claims::contact(&hub.app, &other, &coop).await);
    forbidden(crate::claims::contact(&hub.app, &moderator, &coop).await);
    forbidden(users::email_invite(&hub.app, &other, "x@example.org").await);
    forbidden(crate::recovery::send_verification(&hub.app, &Acting::Operator).await);

    let no_mail = Hub::new().await;
    no_mail.enterprise("coop").await;
    let refused = crate::claims::invite(&no_mail.app, &Acting::Operator, "coop", "c@coop.example").await;
    assert!(matches!(&refused, Err(AppError::Conflict(m)) if m.contains("mail.smtp_url")), "{refused:?}");
}

#[tokio::test]
async fn a_link_is_taken_once_even_when_its_page_was_read_before() {
    use maillage_db::{LinkPurpose, NewEmailLink, NewMail, UtcTime};
    let hub = Hub::new().await;
    hub.member("rita", false).await;
    let rita = hub.account("rita").await;
    let coop = hub.enterprise("coop").await;
    let db = hub.app.db();
    let mail = NewMail {
        recipient: "r@example.org".into(),
        subject: "s".into(),
        text_body: "t".into(),
        html_body: "h".into(),
    };
    let link = |hash: &str, purpose, enterprise_id| NewEmailLink {
        token_hash: hash.into(),
        purpose,
        email: "r@example.org".into(),
        user_id: Some(rita.user_id),
        enterprise_id,
        expires_at: UtcTime::from(chrono::Utc::now() + chrono::Duration::hours(1)),
    };
    db.create_email_link(&link("reset-hash", LinkPurpose::Reset, None), &mail).await.unwrap();
    assert_eq!(db.reset_password_with_link("reset-hash", "new hash").await.unwrap(), Some(rita.user_id));
    assert_eq!(db.reset_password_with_link("reset-hash", "other hash").await.unwrap(), None);
    assert_eq!(hub.account("rita").await.password_hash, "new hash");

    db.create_email_link(&link("claim-hash", LinkPurpose::Claim, Some(coop.id)), &mail).await.unwrap();
    assert_eq!(db.reset_password_with_link("claim-hash", "x").await.unwrap(), None, "a link serves its purpose only");
    assert_eq!(db.accept_claim("claim-hash", rita.user_id, rita.actor.id).await.unwrap(), Some(coop.id));
    assert_eq!(db.accept_claim("claim-hash", rita.user_id, rita.actor.id).await.unwrap(), None);
    assert_eq!(db.mail_counts().await.unwrap().pending, 2, "each link was queued with its message");
}
