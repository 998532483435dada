//! Announcements: what the hub's staff (moderators and admins) publish for
//! every member, shown by Mastodon apps above the home timeline and on the
//! members' workspace, until withdrawn or past their end.

use chrono::{DateTime, Utc};
use maillage_db::{Announcement, NewAnnouncement, UtcTime};
use maillage_domain::html::render_markdown;

use crate::{Acting, App, AppError};

/// The longest announcement, in characters.
pub const MAX_CHARACTERS: usize = 5000;

/// An announcement as the staff write it.
#[derive(Debug, Clone, Default)]
pub struct AnnouncementDraft {
    /// Markdown.
    pub text: String,
    /// Shown from then on (at once when absent).
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until then (until withdrawn when absent).
    pub ends_at: Option<DateTime<Utc>>,
    /// The dates are days, not moments (for an event that lasts all day).
    pub all_day: bool,
}

/// Which end of a day a bare date (`2026-12-10`) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// Its first moment: "from the 10th".
    Start,
    /// The first moment of the next day: "until the 10th" includes it.
    End,
}

/// A moment as staff write it on every front end: RFC 3339
/// (`2026-12-10T18:00:00Z`, `…-05:00`) or a bare UTC date; `field` is named
/// in the error.
pub fn parse_moment(text: &str, edge: DayEdge, field: &'static str) -> Result<DateTime<Utc>, AppError> {
    let text = text.trim();
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Ok(moment.with_timezone(&Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        invalid(field, &format!("{text:?} is neither a date (2026-12-10) nor a moment (2026-12-10T18:00:00Z)"))
    })?;
    let day = match edge {
        DayEdge::Start => day,
        DayEdge::End => day.succ_opt().ok_or_else(|| invalid(field, "that date is too far"))?,
    };
    Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

fn invalid(field: &'static str, message: &str) -> AppError {
    AppError::Invalid { field: Some(field), message: message.into() }
}

/// Publishes an announcement (staff).
pub async fn publish(app: &App, acting: &Acting, draft: &AnnouncementDraft) -> Result<Announcement, AppError> {
    acting.require_moderator()?;
    let text = draft.text.trim();
    if text.is_empty() {
        return Err(invalid("text", "an announcement needs a text"));
    }
    if text.chars().count() > MAX_CHARACTERS {
        return Err(invalid("text", &format!("an announcement has at most {MAX_CHARACTERS} characters")));
    }
    if let (Some(starts), Some(ends)) = (draft.starts_at, draft.ends_at)
        && ends <= starts
    {
        return Err(invalid("ends_at", "an announcement must end after it starts"));
    }
    let now = UtcTime::now();
    let content = render_markdown(text);
    let new = NewAnnouncement {
        text,
        content: &content,
        starts_at: draft.starts_at.map(UtcTime::from),
        ends_at: draft.ends_at.map(UtcTime::from),
        all_day: draft.all_day,
        published_at: now,
        updated_at: now,
    };
    Ok(app.db().insert_announcement(&new).await?)
}

/// Withdraws an announcement (staff).
pub async fn withdraw(app: &App, acting: &Acting, id: i64) -> Result<(), AppError> {
    acting.require_moderator()?;
    if app.db().delete_announcement(id).await? { Ok(()) } else { Err(not_found()) }
}

/// Every announcement, past and to come (staff).
pub async fn all(app: &App, acting: &Acting) -> Result<Vec<Announcement>, AppError> {
    acting.require_moderator()?;
    Ok(app.db().announcements().await?)
}

/// What a member sees now, each with whether they dismissed it.
pub async fn current(app: &App, acting: &Acting) -> Result<Vec<(Announcement, bool)>, AppError> {
    let user_id = acting.require_member()?.0;
    Ok(app.db().current_announcements(UtcTime::now(), user_id).await?)
}

/// A member marks a current announcement read.
pub async fn dismiss(app: &App, acting: &Acting, id: i64) -> Result<(), AppError> {
    let user_id = acting.require_member()?.0;
    let now = UtcTime::now();
    let shown = app
        .db()
        .announcement(id)
        .await?
        .is_some_and(|a| a.starts_at.is_none_or(|starts| starts <= now) && a.ends_at.is_none_or(|ends| ends > now));
    if !shown {
        return Err(not_found());
    }
    Ok(app.db().dismiss_announcement(id, user_id).await?)
}

fn not_found() -> AppError {
    AppError::NotFound("no such announcement".into())
}
