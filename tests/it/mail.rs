//! E-mail through a real SMTP server on loopback (aiosmtpd, see
//! `maillage_tests::smtp`): claim invitations and their links, the
//! privacy of an enterprise's contact address, address confirmation and
//! password resets, invitation codes by e-mail, and the durable queue
//! across an SMTP outage and a permanent refusal.

use maillage_tests::smtp::SmtpServer;
use maillage_tests::{TestInstance, eventually};
use sha2::Digest;

const CSRF: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
const PASSWORD: &str = "un mot de passe sûr";

/// An instance that sends its mail to `smtp`.
async fn instance(smtp: &SmtpServer) -> anyhow::Result<TestInstance> {
    let url = smtp.url();
    TestInstance::spawn_with(Box::new(move |config| {
        config.mail.smtp_url = url;
        config.mail.from = "Pôle Maillage <noreply@hub.example>".into();
        config.mail.retry_initial_seconds = 1;
        config.mail.retry_max_seconds = 1;
    }))
    .await
}

/// A browser of the instance: the CSRF cookie, and a session once signed in.
struct Browser<'a> {
    site: &'a TestInstance,
    session: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(site: &'a TestInstance) -> Self {
        Browser { site, session: None }
    }

    fn cookies(&self) -> String {
        match &self.session {
            Some(session) => format!("maillage_csrf={CSRF}; maillage_session={session}"),
            None => format!("maillage_csrf={CSRF}"),
        }
    }

    async fn get(&self, url: &str) -> anyhow::Result<(u16, String)> {
        let response =
            self.site.http.get(url).header("cookie", self.cookies()).header("accept", "text/html").send().await?;
        Ok((response.status().as_u16(), response.text().await?))
    }

    /// Posts a form (with the CSRF token); the status, the redirect's
    /// target and the body. A new session cookie is kept.
    async fn post(&mut self, url: &str, fields: &[(&str, &str)]) -> anyhow::Result<(u16, String, String)> {
        let mut form: Vec<(&str, &str)> = vec![("csrf", CSRF)];
        form.extend_from_slice(fields);
        let response = self.site.http.post(url).header("cookie", self.cookies()).form(&form).send().await?;
        for value in response.headers().get_all("set-cookie") {
            if let Some(session) = value.to_str()?.strip_prefix("maillage_session=") {
                self.session = Some(session.split(';').next().unwrap_or_default().to_string());
            }
        }
        let status = response.status().as_u16();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap_or_default().to_string());
        Ok((status, location.unwrap_or_default(), response.text().await?))
    }

    async fn sign_in(&mut self, username: &str, password: &str) -> anyhow::Result<()> {
        let login = self.site.url("/login");
        let (status, location, _) = self.post(&login, &[("username", username), ("password", password)]).await?;
        anyhow::ensure!(status == 303 && location == "/workspace", "login of {username}: {status} {location}");
        Ok(())
    }
}

async fn member(site: &TestInstance, name: &str, email: &str) -> anyhow::Result<()> {
    site.cli_with_input(&["admin", "user", "create", name, "--email", email], &format!("{PASSWORD}\n")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_invitation_is_mailed_and_its_link_makes_the_person_the_owner_once() -> anyhow::Result<()> {
    let Some(smtp) = SmtpServer::start_new(&[]).await? else { return Ok(()) };
    let site = instance(&smtp).await?;
    site.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop du Lac"]).await?;
    let printed = site.cli(&["admin", "enterprise", "invite", "coop", "Claire@Coop.example"]).await?;
    assert!(printed.contains("for 168 hours"), "{printed}");

    let message = smtp.wait_for("claire@coop.example", 0, 20).await?;
    assert!(message.subject.starts_with("Réclamez la fiche de Coop du Lac / Claim the profile"), "{}", message.subject);
    assert!(message.from.contains("noreply@hub.example"), "{}", message.from);
    assert!(message.text.find("Bonjour").unwrap() < message.text.find("Hello").unwrap(), "French first");
    let link = message.link(&site.url("/claim/")).expect("an absolute claim link");
    assert!(message.html.contains(&format!("href=\"{link}\"")), "{}", message.html);

    let mut browser = Browser::new(&site);
    let (status, page) = browser.get(&link).await?;
    assert_eq!(status, 200);
    assert!(page.contains("Coop du Lac") && page.contains("claire@coop.example"), "{page}");
    let (status, location, _) =
        browser.post(&link, &[("action", "create"), ("username", "claire"), ("password", PASSWORD)]).await?;
    assert_eq!((status, location.as_str()), (303, "/workspace/enterprises/coop"));
    let db = site.database().await?;
    let enterprise = db.local_actor_by_username("coop").await?.unwrap();
    let claire = db.account_for_login("claire").await?.unwrap();
    assert_eq!(db.team_role(enterprise.id, claire.actor.id).await?.as_deref(), Some("owner"));
    assert!(claire.email_verified, "a claim through the e-mailed link confirms the address");
    assert_eq!(claire.email.as_deref(), Some("claire@coop.example"));

    // The new owner publishes for the enterprise with the session the claim opened.
    let text = "Première nouvelle de la coop, publiée par sa propriétaire";
    let (status, _, body) =
        browser.post(&site.url("/workspace/updates"), &[("enterprise", "coop"), ("text", text)]).await?;
    assert_eq!(status, 303, "{body}");
    assert!(reqwest::get(site.url("/actors/coop")).await?.text().await?.contains(text));

    // The link works once: a second use (another browser) is refused with a page that says so.
    let mut other = Browser::new(&site);
    let (status, page) = other.get(&link).await?;
    assert_eq!(status, 410);
    assert!(page.contains("déjà servi"), "{page}");
    let (status, _, page) =
        other.post(&link, &[("action", "create"), ("username", "intrus"), ("password", PASSWORD)]).await?;
    assert_eq!(status, 410, "{page}");
    assert!(db.account_for_login("intrus").await?.is_none());

    // An expired link is refused too.
    site.cli(&["admin", "enterprise", "create", "ferme", "--name", "Ferme"]).await?;
    site.cli(&["admin", "enterprise", "invite", "ferme", "paul@ferme.example"]).await?;
    let late = smtp.wait_for("paul@ferme.example", 0, 20).await?.link(&site.url("/claim/")).unwrap();
    assert_eq!(db.expire_email_links("paul@ferme.example").await?, 1);
    let (status, page) = other.get(&late).await?;
    assert_eq!(status, 410);
    assert!(page.contains("expiré"), "{page}");
    let (status, _, _) =
        other.post(&late, &[("action", "create"), ("username", "paul"), ("password", PASSWORD)]).await?;
    assert_eq!(status, 410);
    assert!(db.account_for_login("paul").await?.is_none());
    let (status, _) = other.get(&site.url("/claim/not-a-link")).await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signed_in_claims_as_themself_and_only_admins_invite() -> anyhow::Result<()> {
    let Some(smtp) = SmtpServer::start_new(&[]).await? else { return Ok(()) };
    let site = instance(&smtp).await?;
    site.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop du Lac"]).await?;
    member(&site, "marc", "marc@example.org").await?;
    member(&site, "admin1", "admin1@example.org").await?;
    site.cli(&["admin", "user", "role", "admin1", "admin"]).await?;

    // A member who is not staff: refused by the web, nothing queued.
    let mut marc = Browser::new(&site);
    marc.sign_in("marc", PASSWORD).await?;
    let invite = site.url("/workspace/staff/enterprises/invite");
    let (status, _, _) = marc.post(&invite, &[("handle", "coop"), ("email", "x@coop.example")]).await?;
    assert_eq!(status, 403);
    let db = site.database().await?;
    assert!(db.mail_to("x@coop.example").await?.is_empty());
    let mut anonymous = Browser::new(&site);
    let (status, _, _) = anonymous.post(&invite, &[("handle", "coop"), ("email", "x@coop.example")]).await?;
    assert_ne!(status, 200);
    assert!(db.mail_to("x@coop.example").await?.is_empty());

    // An admin invites from the staff page: the button's form.
    let mut admin = Browser::new(&site);
    admin.sign_in("admin1", PASSWORD).await?;
    let (status, location, _) = admin.post(&invite, &[("handle", "coop"), ("email", "marc@example.org")]).await?;
    assert_eq!(status, 303, "{location}");
    let link = smtp.wait_for("marc@example.org", 0, 20).await?.link(&site.url("/claim/")).unwrap();

    // Marc, signed in, claims with his account.
    let (status, page) = marc.get(&link).await?;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"join\""), "{page}");
    let (status, location, _) = marc.post(&link, &[("action", "join")]).await?;
    assert_eq!((status, location.as_str()), (303, "/workspace/enterprises/coop"));
    let enterprise = db.local_actor_by_username("coop").await?.unwrap();
    let account = db.account_for_login("marc").await?.unwrap();
    assert_eq!(db.team_role(enterprise.id, account.actor.id).await?.as_deref(), Some("owner"));
    assert!(account.email_verified, "the link went to his own address");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_address_is_seen_only_by_the_team_and_staff() -> anyhow::Result<()> {
    let Some(smtp) = SmtpServer::start_new(&[]).await? else { return Ok(()) };
    let site = instance(&smtp).await?;
    let secret = "secret.contact@coop.example";
    site.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop du Lac"]).await?;
    site.cli(&["admin", "enterprise", "invite", "coop", secret]).await?;
    member(&site, "editrice", "editrice@example.org").await?;
    member(&site, "autre", "autre@example.org").await?;
    site.cli(&["admin", "enterprise", "add-editor", "coop", "editrice"]).await?;
    let token = site.cli(&["admin", "token", "create", "autre"]).await?.trim().to_string();

    let actor = site.get_activity(&site.actor_id("coop")).await?.text().await?;
    let api =
        site.http.get(site.url("/api/v1/accounts/lookup?acct=coop")).bearer_auth(&token).send().await?.text().await?;
    let profile = site.get("/api/maillage/v1/enterprises/coop").await?.text().await?;
    let page = reqwest::get(site.url("/actors/coop")).await?.text().await?;
    let directory = reqwest::get(site.url("/directory")).await?.text().await?;
    for (what, body) in
        [("actor", &actor), ("API", &api), ("profile", &profile), ("page", &page), ("directory", &directory)]
    {
        assert!(body.contains("Coop du Lac"), "{what} names the enterprise: {body}");
        assert!(!body.contains(secret), "{what} shows the contact: {body}");
    }
    let export = site.cli(&["admin", "enterprise", "show", "coop"]).await?;
    assert!(!export.contains(secret), "{export}");

    // Its editor and the staff see it; another member does not.
    let edit = site.url("/workspace/enterprises/coop");
    let mut editrice = Browser::new(&site);
    editrice.sign_in("editrice", PASSWORD).await?;
    let (status, page) = editrice.get(&edit).await?;
    assert_eq!(status, 200);
    assert!(page.contains(secret), "{page}");
    let mut autre = Browser::new(&site);
    autre.sign_in("autre", PASSWORD).await?;
    let (status, page) = autre.get(&edit).await?;
    assert_eq!(status, 403);
    assert!(!page.contains(secret));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_goes_only_to_a_confirmed_address() -> anyhow::Result<()> {
    let Some(smtp) = SmtpServer::start_new(&[]).await? else { return Ok(()) };
    let site = instance(&smtp).await?;
    member(&site, "bob", "bob@example.org").await?;
    let db = site.database().await?;
    let forgot = site.url("/password/forgot");
    let mut anonymous = Browser::new(&site);

    // Unconfirmed and unknown addresses get the same answer, and nothing is sent.
    let (status, _, unconfirmed) = anonymous.post(&forgot, &[("email", "bob@example.org")]).await?;
    let (unknown_status, _, unknown) = anonymous.post(&forgot, &[("email", "nobody@example.org")]).await?;
    assert_eq!((status, unknown_status), (200, 200));
    assert_eq!(unconfirmed.replace(CSRF, ""), unknown.replace(CSRF, ""), "no account enumeration");
    assert!(db.mail_to("bob@example.org").await?.is_empty());
    assert!(db.mail_to("nobody@example.org").await?.is_empty());

    // Bob confirms his address from his workspace.
    let mut bob = Browser::new(&site);
    bob.sign_in("bob", PASSWORD).await?;
    let (_, workspace) = bob.get(&site.url("/workspace")).await?;
    assert!(workspace.contains("action=\"/workspace/email/verify\""), "{workspace}");
    let (status, _, _) = bob.post(&site.url("/workspace/email/verify"), &[]).await?;
    assert_eq!(status, 200);
    let verify = smtp.wait_for("bob@example.org", 0, 20).await?.link(&site.url("/email/verify/")).unwrap();
    assert_eq!(bob.get(&verify).await?.0, 200, "a GET only shows the button");
    assert!(!db.account_for_login("bob").await?.unwrap().email_verified);
    let (status, _, _) = anonymous.post(&verify, &[]).await?;
    assert_eq!(status, 200);
    assert!(db.account_for_login("bob").await?.unwrap().email_verified);

    // Now a reset link is sent; it sets a new password and ends the other sessions.
    let (status, _, confirmed) = anonymous.post(&forgot, &[("email", "bob@example.org")]).await?;
    assert_eq!(status, 200);
    assert_eq!(confirmed.replace(CSRF, ""), unknown.replace(CSRF, ""));
    let reset = smtp.wait_for("bob@example.org", 1, 20).await?.link(&site.url("/password/reset/")).unwrap();
    assert_eq!(anonymous.get(&reset).await?.0, 200);
    let (status, _, _) = anonymous.post(&reset, &[("password", "un tout nouveau mot de passe")]).await?;
    assert_eq!(status, 200);
    let old_session = bob.site.http.get(site.url("/workspace")).header("cookie", bob.cookies()).send().await?;
    assert_eq!(old_session.status(), 303, "the other sessions ended");
    Browser::new(&site).sign_in("bob", "un tout nouveau mot de passe").await?;
    let (status, _, _) = anonymous.post(&reset, &[("password", "encore un autre mot de passe")]).await?;
    assert_eq!(status, 410, "a reset link works once");
    Browser::new(&site).sign_in("bob", "un tout nouveau mot de passe").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_is_mailed_for_invite_registrations() -> anyhow::Result<()> {
    let Some(smtp) = SmtpServer::start_new(&[]).await? else { return Ok(()) };
    let site = instance(&smtp).await?;
    let printed = site.cli(&["admin", "invite", "create", "--email", "New@Example.org"]).await?;
    assert!(printed.contains("new@example.org"), "{printed}");
    let message = smtp.wait_for("new@example.org", 0, 20).await?;
    let code = message.text.split_whitespace().find(|w| w.len() == 43).expect("the code").to_string();
    let hash: String = sha2::Sha256::digest(code.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert!(site.database().await?.invite_is_usable(&hash).await?);
    assert!(message.html.contains(&code));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_while_smtp_is_down_and_a_permanent_refusal_is_given_up() -> anyhow::Result<()> {
    let Some(mut smtp) = SmtpServer::prepare(&["gone@refused.example"])? else { return Ok(()) };
    let site = instance(&smtp).await?;
    site.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop du Lac"]).await?;
    site.cli(&["admin", "enterprise", "invite", "coop", "claire@coop.example"]).await?;
    let db = site.database().await?;
    eventually(20, "failed attempts while the SMTP server is down", || async {
        let states = db.mail_to("claire@coop.example").await?;
        Ok(states.len() == 1
            && states[0].state == "pending"
            && states[0].attempts >= 2
            && states[0].last_error.is_some())
    })
    .await?;
    smtp.start().await?;
    let message = smtp.wait_for("claire@coop.example", 0, 20).await?;
    assert!(message.subject.contains("Coop du Lac"));
    eventually(10, "recorded as sent", || async { Ok(db.mail_to("claire@coop.example").await?[0].state == "done") })
        .await?;

    site.cli(&["admin", "enterprise", "invite", "coop", "gone@refused.example"]).await?;
    eventually(20, "a 550 is given up at once", || async {
        let states = db.mail_to("gone@refused.example").await?;
        Ok(states.len() == 1 && states[0].state == "failed")
    })
    .await?;
    let failed = &db.mail_to("gone@refused.example").await?[0];
    assert_eq!(failed.attempts, 1);
    assert!(failed.last_error.as_deref().unwrap_or_default().contains("550"), "{failed:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mail_settings_what_needs_mail_says_so() -> anyhow::Result<()> {
    let site = TestInstance::spawn().await?;
    site.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop du Lac"]).await?;
    let error = site.cli(&["admin", "enterprise", "invite", "coop", "a@b.example"]).await.unwrap_err().to_string();
    assert!(error.contains("mail.smtp_url"), "{error}");
    let mut anonymous = Browser::new(&site);
    let (status, _, page) = anonymous.post(&site.url("/password/forgot"), &[("email", "a@b.example")]).await?;
    assert_eq!(status, 422);
    assert!(page.contains("mail.smtp_url"), "{page}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_follows_the_claim_link_of_the_email_and_publishes_for_the_enterprise() -> anyhow::Result<()> {
    let Some((playwright, chromium)) = crate::web::browser_tools() else { return Ok(()) };
    let Some(smtp) = SmtpServer::start_new(&[]).await? else { return Ok(()) };
    let site = instance(&smtp).await?;
    site.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop du Lac"]).await?;
    site.cli(&["admin", "enterprise", "invite", "coop", "claire@coop.example"]).await?;
    let link = smtp.wait_for("claire@coop.example", 0, 20).await?.link(&site.url("/claim/")).expect("a claim link");
    let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/browser-artifacts");
    let output = tokio::process::Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/browser/claim.mjs"))
        .args([site.base_url.as_str(), link.as_str(), artifacts])
        .env("MAILLAGE_PLAYWRIGHT_DIR", playwright)
        .env("MAILLAGE_CHROMIUM", chromium)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "claim.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("all claim checks passed"), "{stdout}");
    let db = site.database().await?;
    let coop = db.local_actor_by_username("coop").await?.unwrap();
    let claire = db.account_for_login("claire").await?.unwrap();
    assert_eq!(db.team_role(coop.id, claire.actor.id).await?.as_deref(), Some("owner"));
    Ok(())
}
