//! The member workspace: post an update or publish a practice for one of my
//! enterprises (with a preview), and see followers, likes and reshares.
//! Publishing goes through the same federation code as the client API, so
//! a post made here is delivered like one made from a Mastodon app.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_app::{Acting, AppError, posts};
use maillage_db::{Account, Direction, FollowState};
use maillage_domain::Visibility;
use maillage_federation::content::{NoteDraft, PracticeDraft, Translation};
use serde::Deserialize;

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

#[derive(Deserialize, Default)]
pub struct UpdateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    followers_only: Option<String>,
    #[serde(default)]
    content_warning: String,
    #[serde(default)]
    second_text: String,
}

/// What the update form shows (kept after a refusal).
#[derive(Default)]
struct UpdateDraft {
    enterprise: String,
    text: String,
    /// The same update in the other language (optional).
    second_text: String,
    content_warning: String,
    language: String,
    followers_only: bool,
}

/// The practice form, to publish (workspace) or edit (`editing`; its
/// enterprise, licence and "adapted from" stay those of the practice).
#[derive(Deserialize, Default)]
pub struct PracticeForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) enterprise: String,
    #[serde(default)]
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) summary: String,
    #[serde(default)]
    pub(crate) body: String,
    #[serde(default)]
    pub(crate) tags: String,
    #[serde(default)]
    pub(crate) licence: String,
    #[serde(default)]
    pub(crate) adapted_from: String,
    #[serde(default)]
    pub(crate) language: String,
    #[serde(default)]
    pub(crate) action: String,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    c: Chrome,
    is_staff: bool,
    hello: String,
    notice: Option<String>,
    error: Option<String>,
    enterprises: Vec<MyEnterprise>,
    draft: UpdateDraft,
    practice: PracticeForm,
    preview: Option<String>,
}

fn require_login(ctx: &Ctx) -> Result<&Account, PageError> {
    ctx.account.as_ref().ok_or_else(|| PageError::login(ctx.lang, "/workspace"))
}

async fn my_enterprises(state: &WebState, ctx: &Ctx, account: &Account) -> Result<Vec<MyEnterprise>, PageError> {
    let db = &state.shared.db;
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
                    edit_url: (post.kind == "article")
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
}

async fn page(state: &WebState, ctx: &Ctx, account: &Account, shown: Shown) -> Result<WorkspacePage, PageError> {
    let Shown { notice, error, draft, practice, preview } = shown;
    let enterprises = my_enterprises(state, ctx, account).await?;
    let lang = ctx.lang.code().to_string();
    let draft =
        UpdateDraft { language: if draft.language.is_empty() { lang.clone() } else { draft.language }, ..draft };
    let practice =
        PracticeForm { language: if practice.language.is_empty() { lang } else { practice.language }, ..practice };
    Ok(WorkspacePage {
        c: ctx.chrome(ctx.t.t("workspace-title")),
        is_staff: account.is_admin || account.is_moderator,
        hello: ctx.t.t1("workspace-hello", "name", &account.actor.display_name),
        notice,
        error,
        enterprises,
        draft,
        practice,
        preview,
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

/// A refusal shown on the form, with what was typed kept.
async fn refused(
    state: &WebState,
    ctx: &Ctx,
    account: &Account,
    error: AppError,
    draft: UpdateDraft,
    practice: PracticeForm,
) -> Result<Response, PageError> {
    // What the member can mend is shown on the form; the rest is a page.
    let status = match &error {
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Invalid { .. } | AppError::NotFound(_) | AppError::Remote(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => return Err(PageError::app(ctx.lang, error)),
    };
    let message = ctx.t.t1("error-bad-request", "reason", &error.to_string());
    let page = page(state, ctx, account, Shown { error: Some(message), draft, practice, ..Shown::default() }).await?;
    let mut response = ctx.render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

fn note_language(draft: &UpdateDraft, ctx: &Ctx) -> String {
    if draft.language.is_empty() { ctx.lang.code().to_string() } else { draft.language.clone() }
}

pub async fn post_update(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<UpdateForm>,
) -> Result<Response, PageError> {
    let account = require_login(&ctx)?;
    ctx.check_csrf(&form.csrf)?;
    let draft = UpdateDraft {
        enterprise: form.enterprise.trim().to_string(),
        text: form.text.clone(),
        content_warning: form.content_warning.clone(),
        second_text: form.second_text.clone(),
        language: form.language.trim().to_string(),
        followers_only: form.followers_only.as_deref() == Some("true"),
    };
    let note = NoteDraft {
        enterprise: draft.enterprise.clone(),
        author: account.actor.username.clone(),
        text: draft.text.clone(),
        language: note_language(&draft, &ctx),
        visibility: if draft.followers_only { Visibility::Followers } else { Visibility::Public },
        in_reply_to: None,
        content_warning: Some(draft.content_warning.trim().to_string()).filter(|w| !w.is_empty()),
        // The second language is the other of French and English.
        translation: Some(draft.second_text.trim()).filter(|t| !t.is_empty()).map(|text| Translation {
            language: if note_language(&draft, &ctx) == "en" { "fr".into() } else { "en".into() },
            text: text.to_string(),
        }),
    };
    match posts::publish_note(&state.shared.app, &Acting::member(account), &note).await {
        Ok(_) => Ok(Redirect::to("/workspace?done=update").into_response()),
        Err(error) => refused(&state, &ctx, account, error, draft, PracticeForm::default()).await,
    }
}

pub async fn publish_practice(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<PracticeForm>,
) -> Result<Response, PageError> {
    let account = require_login(&ctx)?;
    ctx.check_csrf(&form.csrf)?;
    if form.action == "preview" {
        let preview = maillage_domain::html::render_markdown(&form.body);
        let shown = Shown { practice: form, preview: Some(preview), ..Shown::default() };
        let page = page(&state, &ctx, account, shown).await?;
        return ctx.render(&page);
    }
    let draft = PracticeDraft {
        enterprise: form.enterprise.trim().to_string(),
        author: account.actor.username.clone(),
        title: form.title.clone(),
        summary: form.summary.clone(),
        body_markdown: form.body.clone(),
        tags: crate::editing::split_tags(&form.tags),
        licence: Some(form.licence.trim().to_string()).filter(|l| !l.is_empty()),
        adapted_from: Some(form.adapted_from.trim().to_string()).filter(|a| !a.is_empty()),
        language: if form.language.is_empty() { ctx.lang.code().to_string() } else { form.language.clone() },
    };
    match posts::publish_practice(&state.shared.app, &Acting::member(account), &draft).await {
        Ok(_) => Ok(Redirect::to("/workspace?done=practice").into_response()),
        Err(error) => refused(&state, &ctx, account, error, UpdateDraft::default(), form).await,
    }
}
