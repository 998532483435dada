//! Publishing from the workspace: an update (with its translation and
//! content warning) or a practice (with a preview), through the same use
//! cases as the client API, so a post made here is delivered like one made
//! from a Mastodon app.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_app::{Acting, posts};
use maillage_domain::Visibility;
use maillage_federation::content::{NoteDraft, PracticeDraft, Translation};

use super::forms::{PracticeForm, UpdateDraft, UpdateForm, split_tags};
use super::{Shown, page, refused, require_login};
use crate::WebState;
use crate::error::PageError;
use crate::views::Ctx;

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
    let draft = form.draft();
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
        tags: split_tags(&form.tags),
        licence: Some(form.licence.trim().to_string()).filter(|l| !l.is_empty()),
        adapted_from: Some(form.adapted_from.trim().to_string()).filter(|a| !a.is_empty()),
        language: if form.language.is_empty() { ctx.lang.code().to_string() } else { form.language.clone() },
    };
    match posts::publish_practice(&state.shared.app, &Acting::member(account), &draft).await {
        Ok(_) => Ok(Redirect::to("/workspace?done=practice").into_response()),
        Err(error) => refused(&state, &ctx, account, error, UpdateDraft::default(), form).await,
    }
}
