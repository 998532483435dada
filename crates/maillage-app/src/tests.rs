//! The rights of each use case, without HTTP: the identity allowed, the
//! one refused (Forbidden), and input refused with the field named.

use maillage_config::Config;
use maillage_db::testing::TestDatabase;
use maillage_db::{Account, LocalActor};
use maillage_domain::{ProfileChanges, TeamRole, Visibility};
use maillage_federation::content::{NoteDraft, PracticeDraft};

use crate::users::{NewAccount, Registration};
use crate::{Acting, App, AppError, Staff, domains, enterprises, follows, hub, moderation, posts, teams, users};

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
    invalid(crate::deliveries::retry_failed(&hub.app, &admin, "  ").await, "domain");
}
