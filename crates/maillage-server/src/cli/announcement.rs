//! `maillage admin announcement`: what the staff announce to every member.

use clap::Subcommand;
use maillage_app::announcements::{self, AnnouncementDraft, DayEdge, parse_moment};

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum AnnouncementCommand {
    /// Publish an announcement (Markdown) to every member.
    Create {
        text: String,
        /// Shown from then on: 2026-12-10 or 2026-12-10T18:00:00Z (at once by default).
        #[arg(long)]
        starts_at: Option<String>,
        /// Shown until then: a date includes its whole day (until withdrawn by default).
        #[arg(long)]
        ends_at: Option<String>,
        /// The dates are days (an event that lasts all day).
        #[arg(long)]
        all_day: bool,
    },
    /// Every announcement, newest first.
    List,
    /// Withdraw an announcement.
    Delete { id: i64 },
}

pub(super) async fn run(run: Run<'_>, command: AnnouncementCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        AnnouncementCommand::Create { text, starts_at, ends_at, all_day } => {
            let draft = AnnouncementDraft {
                text,
                starts_at: starts_at.map(|s| parse_moment(&s, DayEdge::Start, "starts_at")).transpose()?,
                ends_at: ends_at.map(|s| parse_moment(&s, DayEdge::End, "ends_at")).transpose()?,
                all_day,
            };
            let published = announcements::publish(app, acting, &draft).await?;
            writeln!(out, "published announcement #{}", published.id)?;
        }
        AnnouncementCommand::List => {
            for a in announcements::all(app, acting).await? {
                let moment =
                    |m: Option<maillage_db::UtcTime>| m.map(|m| m.as_datetime().to_rfc3339()).unwrap_or("-".into());
                let text = a.text.replace(['\n', '\t'], " ");
                writeln!(out, "#{}\t{}\t{}\t{text}", a.id, moment(a.starts_at), moment(a.ends_at))?;
            }
        }
        AnnouncementCommand::Delete { id } => {
            announcements::withdraw(app, acting, id).await?;
            writeln!(out, "withdrew announcement #{id}")?;
        }
    }
    Ok(())
}
