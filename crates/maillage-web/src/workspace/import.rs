//! The staff's import page (admins): upload a CSV file or a spreadsheet,
//! see the dry run line by line, then confirm to import the same content.
//! The upload waits on the server for [`UPLOAD_LIFETIME`] under a random
//! token that only its uploader can use, once; the web's body limit
//! (`server.max_body_bytes`) bounds it (larger files: the CLI).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum_extra::extract::Form;
use maillage_app::Acting;
use maillage_app::import::{ImportOptions, ImportReport, Mapping, Outcome};
use serde::Deserialize;

use super::staff::staff;
use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx};

/// How long an uploaded file waits for its confirmation.
const UPLOAD_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// At most this many uploads wait at once (the oldest go first).
const UPLOADS_KEPT: usize = 20;

struct Upload {
    user_id: i64,
    name: String,
    bytes: Vec<u8>,
    mapping: Option<String>,
    expires: Instant,
}

/// Uploads previewed and not yet confirmed, in this process.
#[derive(Default)]
pub struct Uploads(Mutex<HashMap<String, Upload>>);

impl Uploads {
    fn keep(&self, upload: Upload) -> String {
        let mut token = [0u8; 24];
        // The OS's generator does not fail on the systems we run on; an
        // all-zero token would still be tied to its uploader.
        let _ = getrandom::getrandom(&mut token);
        let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
        let mut uploads = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        uploads.retain(|_, u| u.expires > now);
        while uploads.len() >= UPLOADS_KEPT {
            let Some(oldest) = uploads.iter().min_by_key(|(_, u)| u.expires).map(|(t, _)| t.clone()) else { break };
            uploads.remove(&oldest);
        }
        uploads.insert(token.clone(), upload);
        token
    }

    /// The upload `token` of `user_id`, taken (it is imported once).
    fn take(&self, token: &str, user_id: i64) -> Option<Upload> {
        let mut uploads = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = uploads.get(token).is_some_and(|u| u.user_id == user_id && u.expires > Instant::now());
        if mine { uploads.remove(token) } else { None }
    }
}

struct LineView {
    line: usize,
    handle: String,
    /// `created`, `updated`, `unchanged` or `refused` (its CSS class).
    outcome: &'static str,
    outcome_label: String,
    /// The fields changed, or `field: reason` of a refusal.
    detail: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    /// The outcome of a preview or of the import.
    report: Option<ReportView>,
}

struct ReportView {
    dry_run: bool,
    /// The token to confirm a preview with.
    upload: String,
    file_name: String,
    ignored: String,
    lines: Vec<LineView>,
    summary: String,
}

fn report_view(ctx: &Ctx, report: &ImportReport, upload: String, file_name: String) -> ReportView {
    let lines = report
        .lines
        .iter()
        .map(|l| LineView {
            line: l.line,
            handle: l.handle.as_ref().map(|h| format!("@{h}")).unwrap_or_default(),
            outcome: l.outcome.as_str(),
            outcome_label: ctx.t.t(&format!("import-outcome-{}", l.outcome.as_str())),
            detail: match &l.outcome {
                Outcome::Updated(fields) => fields.join(", "),
                Outcome::Refused(refusal) => format!("{}: {}", refusal.field, refusal.reason),
                Outcome::Created | Outcome::Unchanged => String::new(),
            },
        })
        .collect();
    ReportView {
        dry_run: report.dry_run,
        upload,
        file_name,
        ignored: report.ignored_columns.join(", "),
        lines,
        summary: report.counts().to_string(),
    }
}

/// `GET /workspace/staff/import`: the upload form.
pub async fn import_form(ctx: Ctx) -> Result<Response, PageError> {
    staff(&ctx, false)?;
    ctx.render(&ImportPage { c: ctx.chrome(ctx.t.t("import-title")), report: None })
}

/// `POST /workspace/staff/import` (multipart: `csrf`, `file`, optional
/// `mapping`): the dry run of the file, with the button that imports it.
pub async fn preview(State(state): State<WebState>, ctx: Ctx, mut form: Multipart) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    let unreadable = |e: axum::extract::multipart::MultipartError| PageError::bad_request(ctx.lang, &e.body_text());
    let (mut csrf, mut file, mut mapping) = (String::new(), None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(unreadable)?,
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
            }
            "mapping" => {
                let bytes = field.bytes().await.map_err(unreadable)?;
                mapping = (!bytes.is_empty()).then(|| maillage_app::import::decode_text(&bytes));
            }
            _ => {}
        }
    }
    ctx.check_csrf(&csrf)?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(PageError::bad_request(ctx.lang, &ctx.t.t("import-no-file")));
    };
    let report = run(&state, &ctx, account, &name, &bytes, mapping.as_deref(), true).await?;
    let expires = Instant::now() + UPLOAD_LIFETIME;
    let upload = state.uploads.keep(Upload { user_id: account.user_id, name: name.clone(), bytes, mapping, expires });
    let report = report_view(&ctx, &report, upload, name);
    ctx.render(&ImportPage { c: ctx.chrome(ctx.t.t("import-title")), report: Some(report) })
}

#[derive(Deserialize, Default)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    upload: String,
}

/// `POST /workspace/staff/import/confirm`: imports a previewed upload.
pub async fn confirm(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    ctx.check_csrf(&form.csrf)?;
    let Some(upload) = state.uploads.take(&form.upload, account.user_id) else {
        return Err(PageError::bad_request(ctx.lang, &ctx.t.t("import-expired")));
    };
    let report = run(&state, &ctx, account, &upload.name, &upload.bytes, upload.mapping.as_deref(), false).await?;
    let report = report_view(&ctx, &report, String::new(), upload.name);
    ctx.render(&ImportPage { c: ctx.chrome(ctx.t.t("import-title")), report: Some(report) })
}

async fn run(
    state: &WebState,
    ctx: &Ctx,
    account: &maillage_db::Account,
    name: &str,
    bytes: &[u8],
    mapping: Option<&str>,
    dry_run: bool,
) -> Result<ImportReport, PageError> {
    let refused = |message: String| PageError::unprocessable(ctx.lang, &message);
    let mapping = match mapping {
        Some(text) => Mapping::parse(text).map_err(|e| refused(e.to_string()))?,
        None => Mapping::default(),
    };
    let options = ImportOptions { dry_run, mapping };
    maillage_app::import::import(&state.shared.app, &Acting::member(account), name, bytes, &options, &mut |_, _| {})
        .await
        .map_err(|e| match e {
            maillage_app::AppError::Invalid { .. } => refused(e.to_string()),
            other => PageError::app(ctx.lang, other),
        })
}
