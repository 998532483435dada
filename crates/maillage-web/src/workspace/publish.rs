//! Publishing from the workspace: an update (with its translation, content
//! warning and photos) or a practice (with a preview, photos and
//! documents), through the same use cases as the client API, so a post
//! made here is delivered like one made from a Mastodon app. The files are
//! read and uploaded by [`super::attachments`].

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_app::{Acting, posts};
use maillage_domain::Visibility;
use maillage_federation::content::{NoteDraft, PracticeDraft, Translation};

use super::attachments::{Expecting, Submitted};
use super::forms::{PracticeForm, UpdateDraft, UpdateForm, split_tags};
use super::{Shown, refused, require_login};
use crate::WebState;
use crate::error::PageError;
use crate::views::Ctx;

fn note_language(draft: &UpdateDraft, ctx: &Ctx) -> String {
    if draft.language.is_empty() { ctx.lang.code().to_string() } else { draft.language.clone() }
}

/// `POST /workspace/updates` (multipart, or a plain form without photos).
pub async fn post_update(State(state): State<WebState>, ctx: Ctx, request: Request) -> Result<Response, PageError> {
    let account = require_login(&ctx)?;
    let acting = Acting::member(account);
    let submitted =
        Submitted::read(&state, &ctx, &acting, Expecting::Slots { for_field: "enterprise" }, request).await?;
    let form: UpdateForm = submitted.form();
    let draft = form.draft();
    let files = submitted.files(&state, &ctx, &acting, &[]).await?;
    let max = state.shared.config().media.max_attachments as usize;
    if !files.problems.is_empty() {
        let status = files.status();
        let shown = Shown {
            error: Some(files.problems.join(" ")),
            update_files: Some(files.slots(max)),
            draft,
            ..Shown::default()
        };
        return super::shown_with_status(&state, &ctx, account, shown, status).await;
    }
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
    match posts::publish_note_with_media(&state.shared.app, &acting, &note, &files.ids()).await {
        Ok(_) => Ok(Redirect::to("/workspace?done=update").into_response()),
        Err(error) => {
            let shown = Shown { draft, update_files: Some(files.slots(max)), ..Shown::default() };
            refused(&state, &ctx, account, error, shown).await
        }
    }
}

/// `POST /workspace/practices` (multipart, or a plain form without files):
/// a preview, or the practice published.
pub async fn publish_practice(
    State(state): State<WebState>,
    ctx: Ctx,
    request: Request,
) -> Result<Response, PageError> {
    let account = require_login(&ctx)?;
    let acting = Acting::member(account);
    let submitted =
        Submitted::read(&state, &ctx, &acting, Expecting::Slots { for_field: "enterprise" }, request).await?;
    let form: PracticeForm = submitted.form();
    let files = submitted.files(&state, &ctx, &acting, &[]).await?;
    let max = state.shared.config().media.max_attachments as usize;
    if form.action == "preview" || !files.problems.is_empty() {
        let status = files.status();
        let preview = (form.action == "preview").then(|| maillage_domain::html::render_markdown(&form.body));
        let shown = Shown {
            error: Some(files.problems.join(" ")).filter(|e| !e.is_empty()),
            practice: form,
            practice_files: Some(files.slots(max)),
            preview,
            ..Shown::default()
        };
        return super::shown_with_status(&state, &ctx, account, shown, status).await;
    }
    let draft = PracticeDraft {
        enterprise: form.enterprise.trim().to_string(),
        author: account.actor.username.clone(),
        title: form.title.clone(),
        summary: form.summary.clone(),
        body_markdown: form.body.clone(),
        tags: split_tags(&form.tags),
        licence: Some(form.licence.trim().to_string()).filter(|l| !l.is_empty()),
        adapted_from: Some(form.adapted_from.trim().to_string()).filter(|a| !a.is_empty()),
        language: if form.language.is_empty() { ctx.lang.code().to_string() } else { form.language.clone() },
    };
    match posts::publish_practice_with_media(&state.shared.app, &acting, &draft, &files.ids()).await {
        Ok(_) => Ok(Redirect::to("/workspace?done=practice").into_response()),
        Err(error) => {
            let shown = Shown { practice: form, practice_files: Some(files.slots(max)), ..Shown::default() };
            refused(&state, &ctx, account, error, shown).await
        }
    }
}
