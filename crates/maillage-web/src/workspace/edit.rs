//! Editing from the workspace: an enterprise's profile (its editors and
//! admins; followers receive `Update{Organization}`) and a practice
//! (`Update{Article}`), through the same use cases as the API.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maillage_app::profile_images::{self, PictureSource};
use maillage_app::{Acting, AppError, enterprises, posts};
use maillage_db::LocalActor;
use maillage_domain::profile_image::ImageSlot;
use maillage_domain::vocabulary::{
    COOP_TYPES, LANGUAGES, LEGAL_FORMS, QUALIFIERS, REGIONS, SECTORS, STATUSES, Vocabulary,
};
use maillage_domain::{ActorKind, EnterpriseProfile, PostKind};
use maillage_federation::content::PracticeDraft;
use serde::Deserialize;

use super::attachments::{Expecting, SlotView, Submitted, kept_slots, refusal};
use super::forms::{PracticeForm, ProfileForm, split_tags};
use super::require_login;
use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx};

/// Whether the logged-in member may edit this enterprise (to show its form).
async fn editor(state: &WebState, ctx: &Ctx, enterprise: &LocalActor) -> Result<(), PageError> {
    Acting::member(require_login(ctx)?)
        .require_editor(state.shared.db(), enterprise)
        .await
        .map_err(|e| PageError::app(ctx.lang, e))
}

async fn local_enterprise(state: &WebState, ctx: &Ctx, handle: &str) -> Result<LocalActor, PageError> {
    state
        .shared
        .db()
        .local_actor_by_username(handle)
        .await
        .map_err(|e| PageError::internal(ctx.lang, e))?
        .filter(|a| a.kind() == ActorKind::Enterprise)
        .ok_or_else(|| PageError::not_found(ctx.lang))
}

struct TextField {
    name: &'static str,
    label: String,
    value: String,
    long: bool,
}

struct SelectField {
    name: &'static str,
    label: String,
    options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct ProfilePage {
    c: Chrome,
    handle: String,
    notice: Option<String>,
    error: Option<String>,
    texts: Vec<TextField>,
    selects: Vec<SelectField>,
    checks: Vec<SelectField>,
    /// The enterprise's private contact address (its team and staff only).
    contact: Option<String>,
    /// Its logo and banner: file inputs, with the current ones shown.
    pictures: Vec<PictureField>,
}

/// The logo or the banner on the profile form. Neither has an alt text of
/// its own: the enterprise's name is theirs (as on its page).
struct PictureField {
    /// `logo` or `banner`: the form's fields are `NAME_file` and `NAME_remove`.
    name: &'static str,
    label: String,
    /// Our URL of the current one.
    current: Option<String>,
    alt: String,
}

/// The picture fields of the profile form, with their slot.
const PICTURES: [(ImageSlot, &str, &str); 2] =
    [(ImageSlot::Icon, "logo_file", "logo"), (ImageSlot::Image, "banner_file", "banner")];

fn options(ctx: &Ctx, vocabulary: &Vocabulary, chosen: &[String]) -> Vec<(String, String, bool)> {
    vocabulary
        .terms
        .iter()
        .map(|t| (t.code.to_string(), t.label(ctx.lang.code()).to_string(), chosen.iter().any(|c| c == t.code)))
        .collect()
}

fn profile_page(ctx: &Ctx, enterprise: &LocalActor, profile: &EnterpriseProfile) -> ProfilePage {
    let text = |name: &'static str, value: &Option<String>, long: bool| TextField {
        name,
        label: ctx.t.t(&format!("field-{name}")),
        value: value.clone().unwrap_or_default(),
        long,
    };
    let number = |value: Option<String>| value;
    let texts = vec![
        text("name_fr", &profile.name_fr, false),
        text("name_en", &profile.name_en, false),
        text("summary_fr", &profile.summary_fr, true),
        text("summary_en", &profile.summary_en, true),
        text("address", &profile.address, false),
        text("latitude", &number(profile.latitude.map(|v| v.to_string())), false),
        text("longitude", &number(profile.longitude.map(|v| v.to_string())), false),
        text("website", &profile.website, false),
        text("contact", &profile.contact, false),
        text("founded", &profile.founded.map(|y| y.to_string()), false),
        text("neq", &profile.neq, false),
    ];
    let select = |name: &'static str, label: &str, vocabulary: &Vocabulary, value: &Option<String>| SelectField {
        name,
        label: ctx.t.t(label),
        options: options(ctx, vocabulary, value.as_slice()),
    };
    let selects = vec![
        select("legal_form", "field-legal_form", &LEGAL_FORMS, &profile.legal_form),
        select("coop_type", "field-coop_type", &COOP_TYPES, &profile.coop_type),
        select("region", "field-region", &REGIONS, &profile.region),
        select("status", "field-status", &STATUSES, &profile.status),
    ];
    let checks = vec![
        SelectField {
            name: "sectors",
            label: ctx.t.t("field-sectors"),
            options: options(ctx, &SECTORS, &profile.sectors),
        },
        SelectField {
            name: "qualifiers",
            label: ctx.t.t("field-qualifiers"),
            options: options(ctx, &QUALIFIERS, &profile.qualifiers),
        },
        SelectField {
            name: "languages",
            label: ctx.t.t("field-languages"),
            options: options(ctx, &LANGUAGES, &profile.languages),
        },
    ];
    let name = profile.name().unwrap_or(&enterprise.display_name).to_string();
    let pictures = PICTURES
        .iter()
        .map(|(slot, _, field)| PictureField {
            name: field,
            label: ctx.t.t(&format!("profile-picture-{field}")),
            current: match slot {
                ImageSlot::Icon => enterprise.icon_key.as_deref(),
                ImageSlot::Image => enterprise.image_key.as_deref(),
            }
            .map(|key| format!("/media/{key}")),
            alt: name.clone(),
        })
        .collect();
    ProfilePage {
        c: ctx.chrome(ctx.t.t1("edit-profile-title", "name", &name)),
        handle: enterprise.username.clone(),
        notice: None,
        error: None,
        texts,
        selects,
        checks,
        contact: None,
        pictures,
    }
}

fn current_profile(enterprise: &LocalActor) -> EnterpriseProfile {
    enterprise.profile_json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn profile_form(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    axum::extract::Query(query): axum::extract::Query<SavedQuery>,
) -> Result<Response, PageError> {
    let enterprise = local_enterprise(&state, &ctx, &handle).await?;
    editor(&state, &ctx, &enterprise).await?;
    let mut page = profile_page(&ctx, &enterprise, &current_profile(&enterprise));
    page.notice = query.saved.map(|_| ctx.t.t("edit-profile-saved"));
    let acting = Acting::member(require_login(&ctx)?);
    page.contact = maillage_app::claims::contact(&state.shared.app, &acting, &enterprise)
        .await
        .map_err(|e| PageError::app(ctx.lang, e))?;
    ctx.render(&page)
}

/// Saves the profile, then its new or removed logo and banner (the form is
/// multipart); who may is the use cases' to decide. A refused text change
/// stores no picture; a refused picture is named on the form shown again,
/// the text changes saved.
pub async fn save_profile(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let enterprise = local_enterprise(&state, &ctx, &handle).await?;
    let acting = Acting::member(require_login(&ctx)?);
    let fields: Vec<&str> = PICTURES.iter().map(|(_, field, _)| *field).collect();
    let submitted = Submitted::read(&state, &ctx, &acting, Expecting::Pictures(&fields), request).await?;
    let form: ProfileForm = submitted.form();
    let outcome = match form.changes() {
        Ok(changes) => enterprises::update_profile(&state.shared.app, &acting, &enterprise.username, &changes).await,
        // The use case is not reached: only its editors are told what to correct.
        Err(message) => {
            acting.require_editor(state.shared.db(), &enterprise).await.and(Err(AppError::refused(message)))
        }
    };
    let shown_again = |enterprise: &LocalActor, error: String, status: StatusCode| {
        // Show what was typed, with the reason.
        let typed = form.typed(current_profile(enterprise));
        let mut page = profile_page(&ctx, enterprise, &typed);
        page.error = Some(error);
        let mut response = ctx.render(&page)?;
        *response.status_mut() = status;
        Ok(response)
    };
    match outcome {
        Ok(_) => {}
        Err(AppError::Invalid { message, .. }) => {
            let error = ctx.t.t1("error-bad-request", "reason", &message);
            return shown_again(&enterprise, error, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(e) => return Err(PageError::app(ctx.lang, e)),
    }
    let mut problems = Vec::new();
    let mut too_large = false;
    for (slot, file_field, field) in PICTURES {
        let remove = match slot {
            ImageSlot::Icon => form.logo_remove.is_some(),
            ImageSlot::Image => form.banner_remove.is_some(),
        };
        let source = match submitted.picture(file_field) {
            Some(bytes) => PictureSource::File(bytes),
            None if remove => PictureSource::Clear,
            None => continue,
        };
        match profile_images::set_picture(&state.shared.app, &acting, &enterprise.username, slot, source).await {
            Ok(_) => {}
            Err(error @ (AppError::Invalid { .. } | AppError::TooLarge(_))) => {
                too_large |= matches!(error, AppError::TooLarge(_));
                let reason = refusal(&state, &ctx, &error);
                problems.push(ctx.t.t1(&format!("profile-picture-{field}-refused"), "reason", &reason));
            }
            Err(e) => return Err(PageError::app(ctx.lang, e)),
        }
    }
    if problems.is_empty() {
        return Ok(Redirect::to(&format!("/workspace/enterprises/{}?saved=1", enterprise.username)).into_response());
    }
    let saved = local_enterprise(&state, &ctx, &handle).await?;
    let status = if too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::UNPROCESSABLE_ENTITY };
    shown_again(&saved, problems.join(" "), status)
}

#[derive(Template)]
#[template(path = "practice_edit.html")]
struct PracticePage {
    c: Chrome,
    id: String,
    error: Option<String>,
    preview: Option<String>,
    title: String,
    summary: String,
    body: String,
    tags: String,
    language: String,
    /// Its handle (the files are uploaded for it).
    enterprise: String,
    /// Its attachments (kept, each with a box to leave it out), then empty slots.
    files: Vec<SlotView>,
}

/// A live practice of ours, by the last segment of its id.
async fn practice(state: &WebState, ctx: &Ctx, id: &str) -> Result<maillage_db::Post, PageError> {
    let ap_id = format!("{}/objects/{id}", state.base_url());
    state
        .shared
        .db()
        .post_by_ap_id(&ap_id)
        .await
        .map_err(|e| PageError::internal(ctx.lang, e))?
        .filter(|p| p.kind == PostKind::Article && p.deleted_at.is_none())
        .ok_or_else(|| PageError::not_found(ctx.lang))
}

/// The practice, if the logged-in member may change it (to show its form).
async fn practice_to_change(state: &WebState, ctx: &Ctx, id: &str) -> Result<maillage_db::Post, PageError> {
    let post = practice(state, ctx, id).await?;
    let acting = Acting::member(require_login(ctx)?);
    match posts::may_change(&state.shared.app, &acting, &post).await {
        Ok(true) => Ok(post),
        Ok(false) => Err(PageError::forbidden(ctx.lang)),
        Err(e) => Err(PageError::app(ctx.lang, e)),
    }
}

pub async fn practice_form(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let post = practice_to_change(&state, &ctx, &id).await?;
    let tags: Vec<String> = serde_json::from_str(&post.tags_json).unwrap_or_default();
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let enterprise = db.local_actor_by_id(post.actor_id).await.map_err(internal)?.map(|e| e.username);
    let media = db.media_of_posts(&[post.id]).await.map_err(internal)?;
    let max = state.shared.config().media.max_attachments as usize;
    let page = PracticePage {
        c: ctx.chrome(ctx.t.t("edit-practice-title")),
        id,
        error: None,
        preview: None,
        title: post.title.clone().unwrap_or_default(),
        summary: post.summary.clone().unwrap_or_default(),
        body: post.source.clone(),
        tags: tags.join(", "),
        language: post.language.clone(),
        enterprise: enterprise.unwrap_or_default(),
        files: kept_slots(&media, max),
    };
    ctx.render(&page)
}

/// Saves a practice: its text, and its attachments (kept, left out, new
/// files, as the new-practice form has them) through the edit use case,
/// which owns who may and which uploads may be attached.
pub async fn save_practice(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let post = practice(&state, &ctx, &id).await?;
    let account = require_login(&ctx)?;
    let acting = Acting::member(account);
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let current = state.shared.db().media_of_posts(&[post.id]).await.map_err(internal)?;
    let submitted =
        Submitted::read(&state, &ctx, &acting, Expecting::Slots { for_field: "enterprise" }, request).await?;
    let form: PracticeForm = submitted.form();
    let files = submitted.files(&state, &ctx, &acting, &current).await?;
    let max = state.shared.config().media.max_attachments as usize;
    let enterprise = state.shared.db().local_actor_by_id(post.actor_id).await.map_err(internal)?;
    let page = |error: Option<String>, preview: Option<String>| PracticePage {
        c: ctx.chrome(ctx.t.t("edit-practice-title")),
        id: id.clone(),
        error,
        preview,
        title: form.title.clone(),
        summary: form.summary.clone(),
        body: form.body.clone(),
        tags: form.tags.clone(),
        language: form.language.clone(),
        enterprise: enterprise.as_ref().map(|e| e.username.clone()).unwrap_or_default(),
        files: files.slots(max),
    };
    let shown = |error: Option<String>, preview: Option<String>, status: StatusCode| {
        let mut response = ctx.render(&page(error, preview))?;
        *response.status_mut() = status;
        Ok::<_, PageError>(response)
    };
    if form.action == "preview" || !files.problems.is_empty() {
        // Nothing is saved, so no use case decides: the form's rule does.
        practice_to_change(&state, &ctx, &id).await?;
        let status = files.status();
        let preview = (form.action == "preview").then(|| maillage_domain::html::render_markdown(&form.body));
        return shown(Some(files.problems.join(" ")).filter(|e| !e.is_empty()), preview, status);
    }
    let draft = PracticeDraft {
        enterprise: enterprise.as_ref().map(|e| e.username.clone()).unwrap_or_default(),
        author: account.actor.username.clone(),
        title: form.title.clone(),
        summary: form.summary.clone(),
        body_markdown: form.body.clone(),
        tags: split_tags(&form.tags),
        licence: post.licence.clone(),
        adapted_from: post.adapted_from.clone(),
        language: if form.language.is_empty() { post.language.clone() } else { form.language.clone() },
    };
    // The same attachments: left as they are (another editor's uploads
    // stay); otherwise the use case replaces them.
    let ids = files.ids();
    let media_ids = (ids != current.iter().map(|m| m.id).collect::<Vec<_>>()).then_some(ids);
    match posts::edit_practice_with_media(&state.shared.app, &acting, &post.ap_id, &draft, media_ids.as_deref()).await {
        Ok(_) => Ok(Redirect::to(&post.ap_id).into_response()),
        Err(AppError::Invalid { message, .. }) => {
            shown(Some(ctx.t.t1("error-bad-request", "reason", &message)), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::TooLarge(message)) => {
            shown(Some(ctx.t.t1("error-bad-request", "reason", &message)), None, StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(e) => Err(PageError::app(ctx.lang, e)),
    }
}
