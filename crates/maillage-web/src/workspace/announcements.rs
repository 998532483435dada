//! The staff's announcements on the web: listed and written on the staff
//! page, shown on every member's workspace. The same use cases as
//! `maillage admin announcement` and Mastodon apps' announcements.

use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use maillage_app::Acting;
use maillage_app::announcements::{self, AnnouncementDraft, DayEdge, parse_moment};
use maillage_db::{Account, UtcTime};
use serde::Deserialize;

use super::staff::{AnnouncementView, CsrfOnly, done, refused_or_page, staff};
use crate::WebState;
use crate::error::PageError;
use crate::views::{Ctx, date};

/// Every announcement, for the staff page.
pub(super) async fn views(state: &WebState, ctx: &Ctx, account: &Account) -> Result<Vec<AnnouncementView>, PageError> {
    let all = announcements::all(&state.shared.app, &Acting::member(account))
        .await
        .map_err(|e| PageError::app(ctx.lang, e))?;
    Ok(all
        .into_iter()
        .map(|a| {
            let when = match (a.starts_at, a.ends_at) {
                (None, None) => ctx.t.t1("staff-announce-since", "date", &date(ctx.lang, &a.published_at)),
                (starts, ends) => ctx.t.t2(
                    "staff-announce-from-until",
                    ("from", &starts.map(|s| date(ctx.lang, &s)).unwrap_or_else(|| date(ctx.lang, &a.published_at))),
                    // The end is the first moment it is no longer shown.
                    ("until", &ends.map(|e| date(ctx.lang, &last_moment_before(e))).unwrap_or_else(|| "…".into())),
                ),
            };
            AnnouncementView { id: a.id, content: a.content, when }
        })
        .collect())
}

fn last_moment_before(end: UtcTime) -> UtcTime {
    UtcTime::from(end.as_datetime() - chrono::Duration::seconds(1))
}

#[derive(Deserialize, Default)]
pub struct AnnounceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    /// A date from the browser's date field, or empty.
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
}

fn optional(
    text: &str,
    edge: DayEdge,
    field: &'static str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, maillage_app::AppError> {
    if text.trim().is_empty() { Ok(None) } else { parse_moment(text, edge, field).map(Some) }
}

/// Publishes an announcement (moderators and admins).
pub async fn publish(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<AnnounceForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, true)?;
    ctx.check_csrf(&form.csrf)?;
    let draft = optional(&form.starts_at, DayEdge::Start, "starts_at").and_then(|starts_at| {
        Ok(AnnouncementDraft {
            text: form.text.clone(),
            starts_at,
            ends_at: optional(&form.ends_at, DayEdge::End, "ends_at")?,
            all_day: false,
        })
    });
    let published = match draft {
        Ok(draft) => announcements::publish(&state.shared.app, &Acting::member(account), &draft).await,
        Err(e) => Err(e),
    };
    match published {
        Ok(_) => Ok(done("announced", "")),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
    }
}

/// Withdraws an announcement (moderators and admins).
pub async fn withdraw(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, true)?;
    ctx.check_csrf(&form.csrf)?;
    match announcements::withdraw(&state.shared.app, &Acting::member(account), id).await {
        Ok(()) => Ok(done("withdrawn", "")),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
    }
}
