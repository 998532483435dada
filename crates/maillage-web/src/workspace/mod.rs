//! The member workspace (`/workspace`): my enterprises with their followers,
//! likes and reshares, and the forms to post for them. Its parts: `publish`
//! (updates and practices), `edit` (an enterprise's profile, a practice),
//! `forms` (the forms and what they are read into), `follows` (following
//! accounts of this hub from their pages), `staff` (the hub staff's page),
//! `import` (the staff's import of a repertoire) and `announcements` (the
//! staff's announcements to members).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maillage_app::AppError;
use maillage_db::{Account, Direction, FollowState};
use maillage_domain::PostKind;
use serde::Deserialize;

pub mod announcements;
mod attachments;
pub mod edit;
pub mod follows;
mod forms;
pub mod import;
pub mod publish;
pub mod staff;

use attachments::SlotView;
use forms::{PracticeForm, UpdateDraft};

use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx, date};

/// One of my enterprises, with its audience.
struct MyEnterprise {
    handle: String,
    name: String,
    url: String,
    followers: String,
    /// The latest followers' ids (links to their profiles).
    follower_ids: Vec<String>,
    /// (post, "N likes · M reshares")
    recent: Vec<(RecentPost, String)>,
}

struct RecentPost {
    /// Where an editor changes it (practices).
    edit_url: Option<String>,
    title: Option<String>,
    url: String,
    date: String,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    c: Chrome,
    is_staff: bool,
    /// The member has an address not confirmed yet: offer the link.
    unverified_email: bool,
    hello: String,
    notice: Option<String>,
    error: Option<String>,
    enterprises: Vec<MyEnterprise>,
    draft: UpdateDraft,
    practice: PracticeForm,
    preview: Option<String>,
    /// The photos of the update form (kept uploads, then empty slots).
    update_files: Vec<SlotView>,
    /// The files of the practice form.
    practice_files: Vec<SlotView>,
    /// The staff's current announcements (sanitised HTML), newest first.
    announcements: Vec<String>,
}

fn require_login(ctx: &Ctx) -> Result<&Account, PageError> {
    ctx.account.as_ref().ok_or_else(|| PageError::login(ctx.lang, "/workspace"))
}

async fn my_enterprises(state: &WebState, ctx: &Ctx, account: &Account) -> Result<Vec<MyEnterprise>, PageError> {
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let mut out = Vec::new();
    for enterprise in db.enterprises_of_member(account.actor.id).await.map_err(internal)? {
        let followers =
            db.count_follows(enterprise.id, Direction::Incoming, FollowState::Accepted).await.map_err(internal)?;
        let follower_ids = db
            .follows_page(enterprise.id, Direction::Incoming, FollowState::Accepted, None, 20)
            .await
            .map_err(internal)?
            .into_iter()
            .filter_map(|f| crate::views::safe_href(&f.remote_ap_id))
            .collect();
        let mut recent = Vec::new();
        for post in db.posts_of(enterprise.id, None, 5).await.map_err(internal)? {
            let reactions = db.reactions_to(&post.ap_id).await.map_err(internal)?;
            let line = ctx.t.n2(
                "workspace-reactions",
                ("likes", reactions.likes.len()),
                ("reshares", reactions.announces.len()),
            );
            recent.push((
                RecentPost {
                    edit_url: (post.kind == PostKind::Article)
                        .then(|| format!("/workspace/practices/{}", post.ap_id.rsplit('/').next().unwrap_or_default())),
                    title: post.title.clone().or_else(|| {
                        let text = maillage_domain::html::html_to_text(&post.content_html);
                        Some(maillage_domain::html::truncate_text(&text, 80)).filter(|t| !t.is_empty())
                    }),
                    url: post.ap_id.clone(),
                    date: date(ctx.lang, &post.published),
                },
                line,
            ));
        }
        out.push(MyEnterprise {
            handle: enterprise.username.clone(),
            name: enterprise.display_name.clone(),
            url: enterprise.ap_id.clone(),
            followers: ctx.t.n("workspace-followers", "count", usize::try_from(followers).unwrap_or(0)),
            follower_ids,
            recent,
        });
    }
    Ok(out)
}

/// What the workspace shows besides the member's enterprises.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    error: Option<String>,
    draft: UpdateDraft,
    practice: PracticeForm,
    preview: Option<String>,
    /// Files kept from a refused submission (`None`: empty slots).
    update_files: Option<Vec<SlotView>>,
    practice_files: Option<Vec<SlotView>>,
}

async fn page(state: &WebState, ctx: &Ctx, account: &Account, shown: Shown) -> Result<WorkspacePage, PageError> {
    let Shown { notice, error, draft, practice, preview, update_files, practice_files } = shown;
    let max = state.shared.config().media.max_attachments as usize;
    let enterprises = my_enterprises(state, ctx, account).await?;
    let announcements = maillage_app::announcements::current(&state.shared.app, &maillage_app::Acting::member(account))
        .await
        .map_err(|e| PageError::app(ctx.lang, e))?
        .into_iter()
        .map(|(a, _)| a.content)
        .collect();
    let lang = ctx.lang.code().to_string();
    let draft =
        UpdateDraft { language: if draft.language.is_empty() { lang.clone() } else { draft.language }, ..draft };
    let practice =
        PracticeForm { language: if practice.language.is_empty() { lang } else { practice.language }, ..practice };
    Ok(WorkspacePage {
        c: ctx.chrome(ctx.t.t("workspace-title")),
        is_staff: account.is_admin || account.is_moderator,
        unverified_email: account.email.is_some() && !account.email_verified && state.shared.config().mail.enabled(),
        hello: ctx.t.t1("workspace-hello", "name", &account.actor.display_name),
        notice,
        error,
        enterprises,
        draft,
        practice,
        preview,
        update_files: update_files.unwrap_or_else(|| attachments::empty_slots(max)),
        practice_files: practice_files.unwrap_or_else(|| attachments::empty_slots(max)),
        announcements,
    })
}

#[derive(Deserialize, Default)]
pub struct WorkspaceQuery {
    done: Option<String>,
}

pub async fn workspace(
    State(state): State<WebState>,
    ctx: Ctx,
    axum::extract::Query(query): axum::extract::Query<WorkspaceQuery>,
) -> Result<Response, PageError> {
    let account = require_login(&ctx)?;
    let notice = match query.done.as_deref() {
        Some("update") => Some(ctx.t.t("workspace-posted")),
        Some("practice") => Some(ctx.t.t("workspace-published")),
        _ => None,
    };
    let page = page(&state, &ctx, account, Shown { notice, ..Shown::default() }).await?;
    ctx.render(&page)
}

/// A refusal shown on the form, with what was typed (and uploaded) kept.
async fn refused(
    state: &WebState,
    ctx: &Ctx,
    account: &Account,
    error: AppError,
    shown: Shown,
) -> Result<Response, PageError> {
    // What the member can mend is shown on the form; the rest is a page.
    let status = match &error {
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Invalid { .. } | AppError::NotFound(_) | AppError::Remote(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => return Err(PageError::app(ctx.lang, error)),
    };
    let message = ctx.t.t1("error-bad-request", "reason", &error.to_string());
    shown_with_status(state, ctx, account, Shown { error: Some(message), ..shown }, status).await
}

/// The workspace with `shown`, answered with `status`.
async fn shown_with_status(
    state: &WebState,
    ctx: &Ctx,
    account: &Account,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, PageError> {
    let page = page(state, ctx, account, shown).await?;
    let mut response = ctx.render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}
