//! Errors as readers see them: an HTML page in their language with the
//! right status; internal causes go to the log, never to the page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::i18n::{Lang, Tr};

#[derive(Debug)]
pub struct PageError {
    lang: Lang,
    status: StatusCode,
    message: String,
    /// Not logged in: the login page, then back to this path.
    login_then: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr,
    lang: &'static str,
    title: String,
    message: &'a str,
}

impl PageError {
    fn new(lang: Lang, status: StatusCode, message: String) -> Self {
        PageError { lang, status, message, login_then: None }
    }

    pub fn not_found(lang: Lang) -> Self {
        Self::new(lang, StatusCode::NOT_FOUND, Tr::new(lang).t("error-not-found"))
    }

    /// A page for members, asked for without a session.
    pub fn login(lang: Lang, then: &str) -> Self {
        PageError { login_then: Some(then.to_string()), ..Self::new(lang, StatusCode::SEE_OTHER, String::new()) }
    }

    pub fn forbidden(lang: Lang) -> Self {
        Self::new(lang, StatusCode::FORBIDDEN, Tr::new(lang).t("error-forbidden"))
    }

    pub fn bad_request(lang: Lang, reason: &str) -> Self {
        Self::new(lang, StatusCode::BAD_REQUEST, Tr::new(lang).t1("error-bad-request", "reason", reason))
    }

    /// A form value refused (422), with the reason shown.
    pub fn unprocessable(lang: Lang, reason: &str) -> Self {
        Self::new(lang, StatusCode::UNPROCESSABLE_ENTITY, Tr::new(lang).t1("error-bad-request", "reason", reason))
    }

    pub fn csrf(lang: Lang) -> Self {
        Self::new(lang, StatusCode::FORBIDDEN, Tr::new(lang).t("error-csrf"))
    }

    pub fn with_status(lang: Lang, status: StatusCode, message: String) -> Self {
        Self::new(lang, status, message)
    }

    /// Our own failure, or the database's outage when the cause is one
    /// (then a 503 page that says to try again).
    pub fn internal(lang: Lang, cause: impl std::fmt::Display + 'static) -> Self {
        let database = (&cause as &dyn std::any::Any).downcast_ref::<maillage_db::DbError>();
        if let Some(outage) = database.and_then(maillage_db::DbError::outage) {
            maillage_app::error::DATABASE_OUTAGE.warn(&cause);
            return Self::unavailable(lang, outage);
        }
        tracing::error!(%cause, "page failed");
        Self::new(lang, StatusCode::INTERNAL_SERVER_ERROR, Tr::new(lang).t("error-internal"))
    }

    /// The database cannot serve for now (503, `Retry-After`).
    pub fn unavailable(lang: Lang, outage: maillage_db::Outage) -> Self {
        let key = match outage {
            maillage_db::Outage::Unreachable => "error-unavailable",
            maillage_db::Outage::NotWritable => "error-not-writable",
        };
        Self::new(lang, StatusCode::SERVICE_UNAVAILABLE, Tr::new(lang).t(key))
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The one conversion of the use cases' error into a page.
    pub fn app(lang: Lang, error: maillage_app::AppError) -> Self {
        use maillage_app::AppError as A;
        match error {
            e @ (A::Invalid { .. } | A::Remote(_)) => Self::unprocessable(lang, &e.to_string()),
            A::Unauthenticated(_) | A::Forbidden(_) => Self::forbidden(lang),
            A::NotFound(_) => Self::not_found(lang),
            A::Conflict(m) => {
                Self::with_status(lang, StatusCode::CONFLICT, Tr::new(lang).t1("error-bad-request", "reason", &m))
            }
            A::RateLimited(m) => Self::with_status(lang, StatusCode::TOO_MANY_REQUESTS, m),
            A::Unavailable(outage) => Self::unavailable(lang, outage),
            A::Internal(cause) => Self::internal(lang, cause),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(then) = &self.login_then {
            return axum::response::Redirect::to(&format!("/login?next={then}")).into_response();
        }
        let t = Tr::new(self.lang);
        let page = ErrorPage { t, lang: self.lang.code(), title: t.t("error-title"), message: &self.message };
        let body = page.render().unwrap_or_else(|_| self.message.clone());
        let mut response = (self.status, Html(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let wait = maillage_http::RETRY_AFTER_SECONDS.to_string();
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.parse().expect("digits"));
        }
        response
    }
}
