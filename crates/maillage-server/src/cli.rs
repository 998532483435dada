//! The `maillage` command line.
//!
//! `serve` (the default) runs the instance; the other commands act on its
//! database and configuration and may run while a server is up. Commands
//! other than `serve` write their output to the writer they are given, so
//! that tests run them exactly as the binary does.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use maillage_config::Config;

use maillage_db::Database;
use std::sync::Arc;

use maillage_db::{Direction, FollowState};
use maillage_domain::ActorKind;
use maillage_federation::{Federation, content};

use crate::app::{open_database, shutdown_signal};
use crate::{Application, ServerError};

#[derive(Debug, Parser)]
#[command(name = "maillage", version, about = "A federated directory and network for social-economy hubs")]
pub struct Cli {
    /// Configuration file, applied over the compiled-in defaults
    /// (environment variables MAILLAGE__SECTION__KEY apply over both).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the instance (the default when no command is given).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Administer the hub: enterprises, members.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Manage enterprises (Organization actors).
    #[command(subcommand)]
    Enterprise(EnterpriseCommand),
    /// Manage member accounts (Person actors).
    #[command(subcommand)]
    User(UserCommand),
    /// Make a local actor follow a remote one (e.g. this hub follows another hub).
    Follow {
        /// The local actor that follows (`actor` for the instance actor).
        #[arg(long = "as", value_name = "HANDLE")]
        as_actor: String,
        /// @user@domain or the actor's URL.
        target: String,
    },
    /// Stop following a remote actor (sends Undo{Follow}).
    Unfollow {
        #[arg(long = "as", value_name = "HANDLE")]
        as_actor: String,
        target: String,
    },
    /// See and answer the followers of a local actor.
    #[command(subcommand)]
    Followers(FollowersCommand),
    /// Access tokens for the client API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Invitations to register.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// The outgoing delivery queue.
    #[command(subcommand)]
    Delivery(DeliveryCommand),
    /// Block other servers, or list the only ones to federate with.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Reports received from other servers or made by members.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Suspend remote actors and remove remote content.
    #[command(subcommand)]
    Moderation(ModerationCommand),
    /// Publish, edit and delete updates and practices.
    #[command(subcommand)]
    Post(PostCommand),
    /// What the hub reshares and features.
    #[command(subcommand)]
    Hub(HubCommand),
    /// Whether a local actor approves new followers by hand (on) or accepts them at once (off).
    Approval {
        handle: String,
        #[arg(value_parser = ["on", "off"])]
        mode: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum FollowersCommand {
    /// List followers (accepted, then pending requests).
    List { handle: String },
    /// Accept a pending follow request.
    Accept { handle: String, follower: String },
    /// Reject a pending follow request (or remove a follower).
    Reject { handle: String, follower: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum EnterpriseCommand {
    /// Create an enterprise: @HANDLE@DOMAIN on the fediverse.
    Create {
        /// Letters a-z, digits and underscores, at most 30.
        handle: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// A short presentation (plain text).
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// List the enterprises of this instance (with --network: those of the
    /// hubs this one follows, from the network directory).
    List {
        #[arg(long)]
        network: bool,
    },
    /// Change an enterprise's profile; its followers receive Update{Organization}.
    Update(Box<ProfileArgs>),
    /// Let a member publish for an enterprise.
    AddEditor {
        handle: String,
        username: String,
        /// Make them an owner, who also manages the team.
        #[arg(long)]
        owner: bool,
    },
    /// Take a member off an enterprise's team.
    RemoveEditor { handle: String, username: String },
    /// Print an enterprise's profile (JSON).
    Show { handle: String },
}

/// Profile fields; each given flag replaces the stored value ("" clears it).
#[derive(Debug, Clone, clap::Args)]
pub struct ProfileArgs {
    pub handle: String,
    /// Name in the primary language.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub name_fr: Option<String>,
    #[arg(long)]
    pub name_en: Option<String>,
    /// Presentation in the primary language (plain text).
    #[arg(long)]
    pub summary: Option<String>,
    #[arg(long)]
    pub summary_fr: Option<String>,
    #[arg(long)]
    pub summary_en: Option<String>,
    /// fr or en: the language shown first.
    #[arg(long)]
    pub primary_language: Option<String>,
    /// cooperative, mutual, nonprofit or other.
    #[arg(long)]
    pub legal_form: Option<String>,
    /// workers, consumers, producers, solidarity, worker_shareholder (co-operatives only).
    #[arg(long)]
    pub coop_type: Option<String>,
    /// A sector code (repeat for several; replaces the list).
    #[arg(long = "sector")]
    pub sectors: Vec<String>,
    /// A qualifier code (repeat for several; replaces the list).
    #[arg(long = "qualifier")]
    pub qualifiers: Vec<String>,
    /// A Québec region code (estrie, monteregie, montreal, ...).
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub lat: Option<f64>,
    #[arg(long, allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// local, regional, national or international.
    #[arg(long)]
    pub scope: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    /// Public contact (email or phone).
    #[arg(long)]
    pub contact: Option<String>,
    /// Founding year.
    #[arg(long)]
    pub founded: Option<i32>,
    /// active, in_planning, on_hold or closed.
    #[arg(long)]
    pub status: Option<String>,
    /// A language the enterprise works in (repeat; replaces the list).
    #[arg(long = "language")]
    pub languages: Vec<String>,
    #[arg(long)]
    pub logo: Option<String>,
    #[arg(long)]
    pub banner: Option<String>,
}

impl ProfileArgs {
    fn changes(&self) -> maillage_domain::ProfileChanges {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        maillage_domain::ProfileChanges {
            name: self.name.clone(),
            name_fr: self.name_fr.clone(),
            name_en: self.name_en.clone(),
            summary: self.summary.clone(),
            summary_fr: self.summary_fr.clone(),
            summary_en: self.summary_en.clone(),
            primary_language: self.primary_language.clone(),
            legal_form: self.legal_form.clone(),
            coop_type: self.coop_type.clone(),
            sectors: list(&self.sectors),
            qualifiers: list(&self.qualifiers),
            region: self.region.clone(),
            address: self.address.clone(),
            latitude: self.lat,
            longitude: self.lon,
            scope: self.scope.clone(),
            website: self.website.clone(),
            contact: self.contact.clone(),
            founded: self.founded,
            status: self.status.clone(),
            languages: list(&self.languages),
            logo_url: self.logo.clone(),
            banner_url: self.banner.clone(),
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum PostCommand {
    /// Post an update (Note) for an enterprise.
    Note {
        #[arg(long)]
        enterprise: String,
        /// The member writing it (an editor of the enterprise).
        #[arg(long)]
        author: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "fr")]
        language: String,
        /// Only the enterprise's followers see it (the same as `--visibility private`).
        #[arg(long, conflicts_with = "visibility")]
        followers_only: bool,
        /// Who sees it: public (default), unlisted (off public timelines),
        /// private (the enterprise's followers and those it mentions) or
        /// direct (only those it mentions).
        #[arg(long, value_parser = parse_visibility)]
        visibility: Option<maillage_domain::Visibility>,
        /// The post (any server) this one answers.
        #[arg(long)]
        reply_to: Option<String>,
        /// A content warning, shown before the text.
        #[arg(long)]
        content_warning: Option<String>,
        /// The same update in a second language (sent in contentMap).
        #[arg(long, requires = "translation_language")]
        translation: Option<String>,
        /// The language of --translation (fr or en).
        #[arg(long)]
        translation_language: Option<String>,
    },
    /// Publish a shared practice (Article).
    Practice(Box<PracticeArgs>),
    /// Edit an update's text (and its content warning; "" takes it off).
    EditNote {
        url: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        content_warning: Option<String>,
    },
    /// Replace a practice's content.
    EditPractice {
        url: String,
        #[command(flatten)]
        practice: Box<PracticeArgs>,
    },
    /// Delete a post (it is then served as a Tombstone, 410).
    Delete { url: String },
    /// Who liked and reshared a post.
    Reactions { url: String },
}

#[derive(Debug, Clone, clap::Args)]
pub struct PracticeArgs {
    #[arg(long)]
    pub enterprise: String,
    #[arg(long)]
    pub author: String,
    #[arg(long)]
    pub title: String,
    /// Plain text, at most 500 characters.
    #[arg(long)]
    pub summary: String,
    /// The body, in Markdown.
    #[arg(long, conflicts_with = "body_file", required_unless_present = "body_file")]
    pub body: Option<String>,
    /// A Markdown file holding the body.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// A theme (repeat for several).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Licence URL (default: CC BY-SA 4.0).
    #[arg(long)]
    pub licence: Option<String>,
    /// The practice (any server) this one adapts.
    #[arg(long)]
    pub adapted_from: Option<String>,
    #[arg(long, default_value = "fr")]
    pub language: String,
}

impl PracticeArgs {
    fn draft(&self) -> Result<maillage_federation::content::PracticeDraft, ServerError> {
        let body = match (&self.body, &self.body_file) {
            (Some(body), _) => body.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| ServerError::Input(format!("cannot read {}: {e}", path.display())))?,
            (None, None) => return Err(ServerError::Input("give --body or --body-file".into())),
        };
        Ok(maillage_federation::content::PracticeDraft {
            enterprise: self.enterprise.clone(),
            author: self.author.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body_markdown: body,
            tags: self.tags.clone(),
            licence: self.licence.clone(),
            adapted_from: self.adapted_from.clone(),
            language: self.language.clone(),
        })
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum HubCommand {
    /// The hub reshares a post (local or remote) to its followers.
    Reshare { url: String },
    /// Undo a reshare.
    Unreshare { url: String },
    /// Add an enterprise or practice to the hub's featured collection.
    Feature { url: String },
    /// Remove it from the featured collection.
    Unfeature { url: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create a member account; the password is read from standard input.
    Create {
        username: String,
        /// Give this member the hub's administration rights.
        #[arg(long)]
        admin: bool,
        /// An email address the member may also log in with.
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a new password (read from standard input); ends every session.
    ResetPassword { username: String },
    /// Let an account registered under `registrations.mode = "approval"` in.
    Approve { username: String },
    /// Set an account's role on the instance: admin (everything), moderator
    /// (reports and remote content) or member.
    Role {
        username: String,
        #[arg(value_parser = ["admin", "moderator", "member"])]
        role: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Open reports (all with --all), newest first.
    List {
        #[arg(long)]
        all: bool,
    },
    /// Mark a report handled.
    Resolve { id: i64 },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ModerationCommand {
    /// Suspend a remote actor (its URL): its activities are refused, its
    /// follows severed, its posts and reactions removed here.
    Suspend { actor: String },
    /// Lift a suspension (severed follows do not come back by themselves).
    Unsuspend { actor: String },
    /// Remove a remote post kept here (its URL).
    Remove { object: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum DeliveryCommand {
    /// Pending, done and failed deliveries, in all and per receiving server.
    Status,
    /// Queue a server's failed deliveries again (e.g. after it was down for days).
    Retry { domain: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum DomainCommand {
    /// Block a server (and its subdomains): nothing is received from it or
    /// sent to it; its follows are severed and its content removed here.
    Block {
        domain: String,
        /// Why (kept with the block, exported with it).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Allow a server (and its subdomains) in allow-list mode (`federation.mode = "allowlist"`).
    Allow {
        domain: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Remove the block or allowance of a server.
    Remove { domain: String },
    /// Every block and allowance.
    List,
    /// Block the servers of a domain-block list in Mastodon's CSV format
    /// (`-` reads standard input).
    Import { file: PathBuf },
    /// Print the blocks in Mastodon's CSV format.
    Export,
}

#[derive(Debug, Clone, Subcommand)]
pub enum InviteCommand {
    /// Print a new single-use invite code (for `registrations.mode = "invite"`).
    Create,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Print a new access token for a member, for scripts and automation.
    Create {
        username: String,
        /// Space-separated scopes (read, write, follow, ...).
        #[arg(long, default_value = "read write follow")]
        scopes: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print it, with secrets masked.
    Check,
}

/// Runs the binary's command line to completion.
pub async fn main(cli: Cli) -> Result<(), ServerError> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            init_tracing(&config);
            let app = Application::build(config).await?;
            app.run_until(shutdown_signal()).await
        }
        command => {
            let stdout = std::io::stdout();
            execute(command, &config, &mut stdout.lock()).await
        }
    }
}

/// Runs one command other than `serve`, writing what it reports to `out`.
pub async fn execute(command: Command, config: &Config, out: &mut dyn Write) -> Result<(), ServerError> {
    execute_with_input(command, config, &mut std::io::stdin().lock(), out).await
}

/// Like [`execute`], reading what a command asks for (a password) from `input`.
pub async fn execute_with_input(
    command: Command,
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    match command {
        Command::Serve => Err(ServerError::Output(std::io::Error::other("`serve` is started with Application"))),
        Command::Config(ConfigCommand::Check) => {
            writeln!(out, "# configuration is valid")?;
            for warning in config.warnings() {
                writeln!(out, "# warning: {warning}")?;
            }
            write!(out, "{}", config.to_masked_toml())?;
            Ok(())
        }
        Command::Migrate => {
            let db = Database::connect(&config.database).await?;
            let report = db.migrate().await;
            db.close();
            let report = report?;
            for name in &report.applied {
                writeln!(out, "applied {name}")?;
            }
            writeln!(
                out,
                "database {} ({}) is up to date ({} migration(s) applied now)",
                db.display_target(),
                db.kind().as_str(),
                report.applied.len()
            )?;
            Ok(())
        }
        Command::Admin(admin) => {
            let db = open_database(config).await?;
            let outcome = run_admin(admin, &db, config, input, out).await;
            db.close();
            outcome
        }
    }
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn run_admin(
    command: AdminCommand,
    db: &Database,
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    let domain = &config.instance.domain;
    match command {
        AdminCommand::Enterprise(EnterpriseCommand::Create { handle, name, summary }) => {
            let actor = maillage_federation::create_enterprise(db, config, &handle, &name, &summary).await?;
            writeln!(out, "created enterprise @{}@{domain} ({})", actor.username, actor.ap_id)?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::List { network: true }) => {
            let remote = db.listed_remote_enterprises(i64::from(config.directory.max_per_server), 50_000).await?;
            for actor in &remote {
                let profile: Option<maillage_domain::EnterpriseProfile> =
                    actor.profile_json.as_deref().and_then(|j| serde_json::from_str(j).ok());
                let name = profile.as_ref().and_then(|p| p.name().map(str::to_string)).or(actor.display_name.clone());
                let region = profile.and_then(|p| p.region).unwrap_or_default();
                writeln!(
                    out,
                    "@{}@{}\t{}\t{region}\t{}",
                    actor.username,
                    actor.domain,
                    name.unwrap_or_default(),
                    actor.ap_id
                )?;
            }
            writeln!(out, "{} enterprise(s) in the network directory", remote.len())?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::List { network: false }) => {
            let mut after: Option<String> = None;
            let mut total = 0;
            loop {
                let page = db.list_local_actors(ActorKind::Enterprise, after.as_deref(), 200).await?;
                for actor in &page {
                    writeln!(out, "@{}@{domain}\t{}\t{}", actor.username, actor.display_name, actor.ap_id)?;
                }
                total += page.len();
                match page.last() {
                    Some(last) if page.len() == 200 => after = Some(last.username.clone()),
                    _ => break,
                }
            }
            writeln!(out, "{total} enterprise(s)")?;
        }
        AdminCommand::User(UserCommand::Create { username, admin, email }) => {
            let email = match email.map(|e| e.trim().to_ascii_lowercase()) {
                Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
                    return Err(ServerError::Input(format!("{e:?} is not an email address")));
                }
                other => other,
            };
            if let Some(email) = &email
                && db.account_for_login(email).await?.is_some()
            {
                return Err(ServerError::Input(format!("the email {email} is already used")));
            }
            let hash = read_password_hash(input)?;
            let user =
                maillage_db::NewUser { password_hash: hash, is_admin: admin, email, approved: true, invite_hash: None };
            let actor = maillage_federation::create_member(db, config, &username, &user).await?;
            let role = if admin { "admin" } else { "member" };
            writeln!(out, "created {role} @{}@{domain} ({})", actor.username, actor.ap_id)?;
        }
        AdminCommand::User(UserCommand::ResetPassword { username }) => {
            let account = db
                .account_for_login(&username)
                .await?
                .ok_or_else(|| ServerError::Input(format!("no member {username:?}")))?;
            let hash = read_password_hash(input)?;
            db.set_password_hash(account.user_id, &hash).await?;
            writeln!(out, "new password set for {}; every session was ended", account.actor.username)?;
        }
        AdminCommand::User(UserCommand::Approve { username }) => {
            let account = db
                .account_for_login(&username)
                .await?
                .ok_or_else(|| ServerError::Input(format!("no member {username:?}")))?;
            db.set_user_approved(account.user_id, true).await?;
            writeln!(out, "{} can now log in", account.actor.username)?;
        }
        AdminCommand::Delivery(DeliveryCommand::Status) => {
            let total = db.delivery_counts().await?;
            writeln!(out, "all\tpending {}\tdone {}\tfailed {}", total.pending, total.done, total.failed)?;
            let health = db.domain_health().await?;
            for server in db.delivery_counts_by_domain().await? {
                let c = server.counts;
                let state = match health.iter().find(|h| h.domain == server.domain) {
                    Some(h) if h.unreachable_since.is_some() => format!(
                        "\tunreachable since {} (next try {})",
                        h.unreachable_since.map(|t| t.as_datetime().to_rfc3339()).unwrap_or_default(),
                        h.next_probe_at.map(|t| t.as_datetime().to_rfc3339()).unwrap_or_default()
                    ),
                    Some(h) => format!("\tfailing ({} in a row)", h.consecutive_failures),
                    None => String::new(),
                };
                writeln!(out, "{}\tpending {}\tdone {}\tfailed {}{state}", server.domain, c.pending, c.done, c.failed)?;
            }
        }
        AdminCommand::Delivery(DeliveryCommand::Retry { domain }) => {
            let n = db.retry_failed_deliveries(domain.trim()).await?;
            writeln!(out, "{n} deliveries to {domain} due now")?;
        }
        AdminCommand::Domain(command) => run_domain_command(command, db, input, out).await?,
        AdminCommand::User(UserCommand::Role { username, role }) => {
            let account = db
                .account_for_login(&username)
                .await?
                .ok_or_else(|| ServerError::Input(format!("no member {username:?}")))?;
            db.set_user_role(account.user_id, role == "admin", role == "moderator").await?;
            writeln!(out, "{} is now {role}", account.actor.username)?;
        }
        AdminCommand::Report(ReportCommand::List { all }) => {
            for report in db.reports(all, 200).await? {
                let state = if report.resolved_at.is_some() { "resolved" } else { "open" };
                writeln!(
                    out,
                    "#{}\t{state}\t{}\tby {}\tabout {}\t{}\t{}",
                    report.id,
                    report.direction,
                    report.reporter,
                    report.target_actor.as_deref().unwrap_or("-"),
                    report.objects().join(" "),
                    report.comment.replace(['\n', '\t'], " ")
                )?;
            }
        }
        AdminCommand::Report(ReportCommand::Resolve { id }) => {
            if !db.resolve_report(id).await? {
                return Err(ServerError::Input(format!("no open report #{id}")));
            }
            writeln!(out, "report #{id} resolved")?;
        }
        AdminCommand::Moderation(ModerationCommand::Suspend { actor }) => {
            if !db.suspend_remote_actor(actor.trim()).await? {
                return Err(ServerError::Input(format!("no remote actor {actor} is known here")));
            }
            writeln!(out, "{actor} suspended: its follows were severed and its content removed")?;
        }
        AdminCommand::Moderation(ModerationCommand::Unsuspend { actor }) => {
            if !db.unsuspend_remote_actor(actor.trim()).await? {
                return Err(ServerError::Input(format!("{actor} is not suspended")));
            }
            writeln!(out, "{actor} is no longer suspended")?;
        }
        AdminCommand::Moderation(ModerationCommand::Remove { object }) => {
            let found = db
                .remote_object(object.trim())
                .await?
                .ok_or_else(|| ServerError::Input(format!("no remote post {object} is kept here")))?;
            db.tombstone_remote_object(&found.ap_id, &found.kind).await?;
            writeln!(out, "{object} removed")?;
        }
        AdminCommand::Invite(InviteCommand::Create) => {
            let code = maillage_http::api::auth::new_secret().map_err(|e| ServerError::Input(e.to_string()))?;
            db.create_invite(&maillage_http::api::auth::hash_secret(&code)).await?;
            writeln!(out, "{code}")?;
        }
        AdminCommand::Token(TokenCommand::Create { username, scopes }) => {
            let account = db
                .account_for_login(&username)
                .await?
                .ok_or_else(|| ServerError::Input(format!("no member {username:?}")))?;
            let scopes =
                maillage_http::api::auth::valid_scopes(&scopes).map_err(|e| ServerError::Input(e.to_string()))?;
            let token = maillage_http::api::auth::new_secret().map_err(|e| ServerError::Input(e.to_string()))?;
            db.create_token(&maillage_http::api::auth::hash_secret(&token), None, Some(account.user_id), &scopes)
                .await?;
            writeln!(out, "{token}")?;
        }
        AdminCommand::Follow { as_actor, target } => {
            let (federation, local) = federation_and_actor(db, config, &as_actor).await?;
            let remote = maillage_federation::activities::resolve_actor(&federation, &target).await?;
            maillage_federation::activities::follow(federation.context(), &local, &remote).await?;
            writeln!(out, "{} asked to follow {} (pending until accepted)", local.ap_id, remote.row.ap_id)?;
        }
        AdminCommand::Unfollow { as_actor, target } => {
            let (federation, local) = federation_and_actor(db, config, &as_actor).await?;
            let remote = maillage_federation::activities::resolve_actor(&federation, &target).await?;
            if maillage_federation::activities::unfollow(federation.context(), &local, &remote).await? {
                writeln!(out, "{} no longer follows {}", local.ap_id, remote.row.ap_id)?;
            } else {
                return Err(ServerError::Input(format!("{} does not follow {}", local.ap_id, remote.row.ap_id)));
            }
        }
        AdminCommand::Followers(FollowersCommand::List { handle }) => {
            let local = local_actor(db, &handle).await?;
            for state in [FollowState::Accepted, FollowState::Pending] {
                let mut before = None;
                loop {
                    let page = db.follows_page(local.id, Direction::Incoming, state, before, 200).await?;
                    for follow in &page {
                        let label = if state == FollowState::Accepted { "follower" } else { "pending" };
                        writeln!(out, "{label}\t{}", follow.remote_ap_id)?;
                    }
                    match page.last() {
                        Some(last) if page.len() == 200 => before = Some(last.id),
                        _ => break,
                    }
                }
            }
        }
        AdminCommand::Followers(FollowersCommand::Accept { handle, follower }) => {
            answer_follower(db, config, &handle, &follower, true, out).await?;
        }
        AdminCommand::Followers(FollowersCommand::Reject { handle, follower }) => {
            answer_follower(db, config, &handle, &follower, false, out).await?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::Update(args)) => {
            let federation = Federation::new(db.clone(), Arc::new(config.clone())).await?;
            let profile = content::update_profile(&federation, &args.handle, &args.changes()).await?;
            writeln!(out, "updated @{}@{domain}: {}", args.handle, profile.name().unwrap_or_default())?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::AddEditor { handle, username, owner }) => {
            let enterprise = local_actor(db, &handle).await?;
            let member = local_actor(db, &username).await?;
            if enterprise.kind() != ActorKind::Enterprise || member.kind() != ActorKind::Member {
                return Err(ServerError::Input(format!("{handle} must be an enterprise and {username} a member")));
            }
            let role = if owner { "owner" } else { "editor" };
            db.add_editor(enterprise.id, member.id, role).await?;
            writeln!(out, "{username} can now publish for {handle} ({role})")?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::RemoveEditor { handle, username }) => {
            let enterprise = local_actor(db, &handle).await?;
            let member = local_actor(db, &username).await?;
            if !db.remove_editor(enterprise.id, member.id).await? {
                return Err(ServerError::Input(format!("{username} is not on {handle}'s team")));
            }
            writeln!(out, "{username} no longer publishes for {handle}")?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::Show { handle }) => {
            let federation = Federation::new(db.clone(), Arc::new(config.clone())).await?;
            let enterprise = local_actor(db, &handle).await?;
            let profile = content::current_profile(federation.context(), &enterprise);
            let editors = db.editors_of(enterprise.id).await?;
            let team: Vec<_> =
                editors.iter().map(|(name, role)| serde_json::json!({ "username": name, "role": role })).collect();
            let shown = serde_json::json!({ "id": enterprise.ap_id, "profile": profile, "team": team });
            writeln!(out, "{}", serde_json::to_string_pretty(&shown).unwrap_or_default())?;
        }
        AdminCommand::Post(command) => {
            let federation = Federation::new(db.clone(), Arc::new(config.clone())).await?;
            run_post(&federation, command, out).await?;
        }
        AdminCommand::Hub(command) => {
            let federation = Federation::new(db.clone(), Arc::new(config.clone())).await?;
            let (done, verb) = match &command {
                HubCommand::Reshare { url } => (content::reshare(&federation, url).await?, "reshared"),
                HubCommand::Unreshare { url } => (content::unreshare(&federation, url).await?, "no longer reshares"),
                HubCommand::Feature { url } => (content::feature(&federation, url, true).await?, "features"),
                HubCommand::Unfeature { url } => {
                    (content::feature(&federation, url, false).await?, "no longer features")
                }
            };
            let url = match &command {
                HubCommand::Reshare { url }
                | HubCommand::Unreshare { url }
                | HubCommand::Feature { url }
                | HubCommand::Unfeature { url } => url,
            };
            if done {
                writeln!(out, "the hub {verb} {url}")?;
            } else {
                writeln!(out, "nothing to change for {url}")?;
            }
        }
        AdminCommand::Approval { handle, mode } => {
            let local = local_actor(db, &handle).await?;
            db.set_manual_approval(local.id, mode == "on").await?;
            writeln!(out, "{}: followers approved {}", local.ap_id, if mode == "on" { "by hand" } else { "at once" })?;
        }
    }
    Ok(())
}

/// `--visibility`: Mastodon's names, and `followers` for `private`.
fn parse_visibility(value: &str) -> Result<maillage_domain::Visibility, String> {
    match value {
        "followers" => Ok(maillage_domain::Visibility::Followers),
        other => maillage_domain::Visibility::from_mastodon_name(other).map_err(|e| e.to_string()),
    }
}

async fn run_post(federation: &Federation, command: PostCommand, out: &mut dyn Write) -> Result<(), ServerError> {
    match command {
        PostCommand::Note {
            enterprise,
            author,
            text,
            language,
            followers_only,
            visibility,
            reply_to,
            content_warning,
            translation,
            translation_language,
        } => {
            let visibility = match (visibility, followers_only) {
                (Some(visibility), _) => visibility,
                (None, true) => maillage_domain::Visibility::Followers,
                (None, false) => maillage_domain::Visibility::Public,
            };
            let draft = content::NoteDraft {
                enterprise,
                author,
                text,
                language,
                visibility,
                in_reply_to: reply_to,
                content_warning,
                translation: translation
                    .map(|text| content::Translation { language: translation_language.unwrap_or_default(), text }),
            };
            let post = content::publish_note(federation, &draft).await?;
            writeln!(out, "published {}", post.ap_id)?;
        }
        PostCommand::Practice(args) => {
            let post = content::publish_practice(federation, &args.draft()?).await?;
            writeln!(out, "published {}", post.ap_id)?;
        }
        PostCommand::EditNote { url, text, content_warning } => {
            let post =
                content::edit_note(federation, content::Acting::Operator, &url, &text, content_warning.as_deref())
                    .await?;
            writeln!(out, "edited {}", post.ap_id)?;
        }
        PostCommand::EditPractice { url, practice } => {
            let post = content::edit_practice(federation, content::Acting::Operator, &url, &practice.draft()?).await?;
            writeln!(out, "edited {}", post.ap_id)?;
        }
        PostCommand::Delete { url } => {
            content::delete_post(federation, content::Acting::Operator, &url).await?;
            writeln!(out, "deleted {url}")?;
        }
        PostCommand::Reactions { url } => {
            let reactions = federation.context().db.reactions_to(&url).await?;
            for actor in &reactions.likes {
                writeln!(out, "like\t{actor}")?;
            }
            for actor in &reactions.announces {
                writeln!(out, "reshare\t{actor}")?;
            }
            writeln!(out, "{} like(s), {} reshare(s)", reactions.likes.len(), reactions.announces.len())?;
        }
    }
    Ok(())
}

async fn answer_follower(
    db: &Database,
    config: &Config,
    handle: &str,
    follower: &str,
    accept: bool,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    let (federation, local) = federation_and_actor(db, config, handle).await?;
    let remote = maillage_federation::activities::resolve_actor(&federation, follower).await?;
    if !maillage_federation::activities::answer_follow_request(federation.context(), &local, &remote, accept).await? {
        return Err(ServerError::Input(format!("{} has no follow request from {}", local.ap_id, remote.row.ap_id)));
    }
    let verb = if accept { "accepted" } else { "rejected" };
    writeln!(out, "{} {verb} {}", local.ap_id, remote.row.ap_id)?;
    Ok(())
}

/// Reads a password line and hashes it (Argon2id, random salt).
async fn run_domain_command(
    command: DomainCommand,
    db: &Database,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    use crate::domain_list::{self, ListedDomain};
    use maillage_db::DomainPolicy;
    let valid = |text: &str| domain_list::normalize_domain(text).map_err(ServerError::Input);
    match command {
        DomainCommand::Block { domain, comment } => {
            let domain = valid(&domain)?;
            let report = db.set_domain_policy(&domain, DomainPolicy::Block, comment.as_deref()).await?;
            writeln!(
                out,
                "blocked {domain}: {} follow(s) severed, {} object(s) removed, {} delivery(ies) cancelled",
                report.follows_removed, report.objects_removed, report.deliveries_cancelled
            )?;
        }
        DomainCommand::Allow { domain, comment } => {
            let domain = valid(&domain)?;
            db.set_domain_policy(&domain, DomainPolicy::Allow, comment.as_deref()).await?;
            writeln!(out, "allowed {domain} (used when federation.mode = \"allowlist\")")?;
        }
        DomainCommand::Remove { domain } => {
            let domain = valid(&domain)?;
            if !db.remove_domain_policy(&domain).await? {
                return Err(ServerError::Input(format!("{domain} is neither blocked nor allowed")));
            }
            writeln!(out, "{domain} is neither blocked nor allowed any more")?;
        }
        DomainCommand::List => {
            for entry in db.domain_policies().await? {
                let comment = entry.public_comment.unwrap_or_default();
                writeln!(out, "{}\t{}\t{comment}", entry.policy.as_str(), entry.domain)?;
            }
        }
        DomainCommand::Import { file } => {
            let parsed = if file.as_os_str() == "-" {
                domain_list::parse(input)
            } else {
                let opened = std::fs::File::open(&file)
                    .map_err(|e| ServerError::Input(format!("cannot read {}: {e}", file.display())))?;
                domain_list::parse(opened)
            }
            .map_err(|e| ServerError::Input(format!("{}: {e}", file.display())))?;
            for block in &parsed.blocks {
                db.set_domain_policy(&block.domain, DomainPolicy::Block, block.public_comment.as_deref()).await?;
            }
            for (domain, reason) in &parsed.skipped {
                writeln!(out, "skipped {domain}: {reason}")?;
            }
            writeln!(out, "blocked {} server(s), skipped {}", parsed.blocks.len(), parsed.skipped.len())?;
        }
        DomainCommand::Export => {
            let blocks: Vec<ListedDomain> = db
                .domain_policies()
                .await?
                .into_iter()
                .filter(|e| e.policy == DomainPolicy::Block)
                .map(|e| ListedDomain { domain: e.domain, public_comment: e.public_comment })
                .collect();
            domain_list::write(&blocks, out).map_err(|e| ServerError::Input(format!("cannot write the list: {e}")))?;
        }
    }
    Ok(())
}

fn read_password_hash(input: &mut dyn BufRead) -> Result<String, ServerError> {
    let mut password = String::new();
    input.read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let salt = *uuid::Uuid::new_v4().as_bytes();
    maillage_domain::password::hash_password(password, &salt).map_err(|e| ServerError::Input(e.to_string()))
}

/// A local actor by handle; `actor` names the instance actor.
async fn local_actor(db: &Database, handle: &str) -> Result<maillage_db::LocalActor, ServerError> {
    let found = if handle == "actor" {
        db.local_actor_of_kind(ActorKind::Instance).await?
    } else {
        db.local_actor_by_username(handle.trim_start_matches('@')).await?
    };
    found.ok_or_else(|| ServerError::Input(format!("no local actor {handle:?} (see `maillage admin enterprise list`)")))
}

async fn federation_and_actor(
    db: &Database,
    config: &Config,
    handle: &str,
) -> Result<(Federation, maillage_db::LocalActor), ServerError> {
    let local = local_actor(db, handle).await?;
    let federation = Federation::new(db.clone(), Arc::new(config.clone())).await?;
    Ok((federation, local))
}
