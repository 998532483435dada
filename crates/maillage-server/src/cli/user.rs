//! `maillage admin user`, `invite` and `token`: accounts, invitations and
//! access tokens.

use clap::Subcommand;
use maillage_app::{Staff, users};

use super::Run;
use crate::ServerError;

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
pub enum InviteCommand {
    /// Print a new single-use invite code (for `registrations.mode = "invite"`),
    /// or e-mail it with --email.
    Create {
        /// Send the code to this address instead of printing it.
        #[arg(long)]
        email: Option<String>,
    },
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

pub(super) async fn run(mut run: Run<'_>, command: UserCommand) -> Result<(), ServerError> {
    let (app, acting) = (run.app, run.acting);
    match command {
        UserCommand::Create { username, admin, email } => {
            let password = run.read_line()?;
            let new = users::NewAccount { username, email, password, admin };
            let actor = users::create_user(app, acting, new).await?;
            let role = if admin { "admin" } else { "member" };
            let domain = &app.config().instance.domain;
            writeln!(run.out, "created {role} @{}@{domain} ({})", actor.username, actor.ap_id)?;
        }
        UserCommand::ResetPassword { username } => {
            let password = run.read_line()?;
            let account = users::reset_password(app, acting, &username, password).await?;
            writeln!(run.out, "new password set for {}; every session was ended", account.actor.username)?;
        }
        UserCommand::Approve { username } => {
            let account = users::approve(app, acting, &username).await?;
            writeln!(run.out, "{} can now log in", account.actor.username)?;
        }
        UserCommand::Role { username, role } => {
            let staff = match role.as_str() {
                "admin" => Staff::Admin,
                "moderator" => Staff::Moderator,
                _ => Staff::None,
            };
            let account = users::set_role(app, acting, &username, staff).await?;
            writeln!(run.out, "{} is now {role}", account.actor.username)?;
        }
    }
    Ok(())
}

pub(super) async fn run_invite(run: Run<'_>, command: InviteCommand) -> Result<(), ServerError> {
    match command {
        InviteCommand::Create { email: None } => {
            let code = users::create_invite(run.app, run.acting).await?;
            writeln!(run.out, "{code}")?;
        }
        InviteCommand::Create { email: Some(email) } => {
            users::email_invite(run.app, run.acting, &email).await?;
            writeln!(run.out, "invite code queued for e-mail to {}", users::normalize_email(&email)?)?;
        }
    }
    Ok(())
}

pub(super) async fn run_token(run: Run<'_>, command: TokenCommand) -> Result<(), ServerError> {
    match command {
        TokenCommand::Create { username, scopes } => {
            let token = users::create_token(run.app, run.acting, &username, &scopes).await?;
            writeln!(run.out, "{token}")?;
        }
    }
    Ok(())
}
