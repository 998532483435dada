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
    message: Message,
    /// Not logged in: the login page, then back to this path.
    login_then: Option<String>,
}

/// What the page says: a translated string, shown in both languages.
#[derive(Debug)]
enum Message {
    Key(&'static str),
    /// A key with a `reason` (its text is not translated: it comes from
    /// the use cases).
    Reason(&'static str, String),
    /// Already written (a rate limit's own words).
    Text(String),
}

impl Message {
    fn render(&self, t: Tr) -> String {
        match self {
            Message::Key(key) => t.t(key),
            Message::Reason(key, reason) => t.t1(key, "reason", reason),
            Message::Text(text) => text.clone(),
        }
    }
}

/// The page in the reader's language first, then in the other one: a
/// reader whose browser asks for the wrong language still understands.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    lang: &'static str,
    title: String,
    message: String,
    other_lang: &'static str,
    other_title: String,
    other_message: String,
}

/// The title of the page for each status, and what it says when nothing
/// more particular is known (a status the HTTP layer answered by itself).
fn keys_of(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("error-title-not-found", "error-not-found"),
        StatusCode::FORBIDDEN => ("error-title-forbidden", "error-forbidden"),
        StatusCode::GONE => ("error-title-gone", "error-gone"),
        StatusCode::METHOD_NOT_ALLOWED => ("error-title-method", "error-method"),
        StatusCode::SERVICE_UNAVAILABLE => ("error-title-unavailable", "error-unavailable"),
        _ => ("error-title", "error-internal"),
    }
}

impl PageError {
    fn new(lang: Lang, status: StatusCode, message: Message) -> Self {
        PageError { lang, status, message, login_then: None }
    }

    pub fn not_found(lang: Lang) -> Self {
        Self::new(lang, StatusCode::NOT_FOUND, Message::Key("error-not-found"))
    }

    /// Something that existed and was deleted (410).
    pub fn gone(lang: Lang) -> Self {
        Self::new(lang, StatusCode::GONE, Message::Key("error-gone"))
    }

    /// A page for members, asked for without a session.
    pub fn login(lang: Lang, then: &str) -> Self {
        PageError { login_then: Some(then.to_string()), ..Self::new(lang, StatusCode::SEE_OTHER, Message::Key("")) }
    }

    pub fn forbidden(lang: Lang) -> Self {
        Self::new(lang, StatusCode::FORBIDDEN, Message::Key("error-forbidden"))
    }

    pub fn bad_request(lang: Lang, reason: &str) -> Self {
        Self::new(lang, StatusCode::BAD_REQUEST, Message::Reason("error-bad-request", reason.to_string()))
    }

    /// A form value refused (422), with the reason shown.
    pub fn unprocessable(lang: Lang, reason: &str) -> Self {
        Self::new(lang, StatusCode::UNPROCESSABLE_ENTITY, Message::Reason("error-bad-request", reason.to_string()))
    }

    pub fn csrf(lang: Lang) -> Self {
        Self::new(lang, StatusCode::FORBIDDEN, Message::Key("error-csrf"))
    }

    /// The page for a status that the HTTP layer answered without a page
    /// (no such route, a method the route does not take, a refusal):
    /// what a browser gets instead of the API's JSON.
    pub fn for_status(lang: Lang, status: StatusCode) -> Self {
        Self::new(lang, status, Message::Key(keys_of(status).1))
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
        Self::new(lang, StatusCode::INTERNAL_SERVER_ERROR, Message::Key("error-internal"))
    }

    /// The database cannot serve for now (503, `Retry-After`).
    pub fn unavailable(lang: Lang, outage: maillage_db::Outage) -> Self {
        let key = match outage {
            maillage_db::Outage::Unreachable => "error-unavailable",
            maillage_db::Outage::NotWritable => "error-not-writable",
        };
        Self::new(lang, StatusCode::SERVICE_UNAVAILABLE, Message::Key(key))
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
            A::Conflict(m) => Self::new(lang, StatusCode::CONFLICT, Message::Reason("error-bad-request", m)),
            A::RateLimited(m) => Self::new(lang, StatusCode::TOO_MANY_REQUESTS, Message::Text(m)),
            A::TooLarge(m) => Self::new(lang, StatusCode::PAYLOAD_TOO_LARGE, Message::Text(m)),
            A::StoreUnavailable(_) => Self::unavailable(lang, maillage_db::Outage::Unreachable),
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
        let (t, other) = (Tr::new(self.lang), Tr::new(self.lang.other()));
        let (title, _) = keys_of(self.status);
        let page = ErrorPage {
            t,
            lang: self.lang.code(),
            title: t.t(title),
            message: self.message.render(t),
            other_lang: self.lang.other().code(),
            other_title: other.t(title),
            other_message: self.message.render(other),
        };
        let body = page.render().unwrap_or_else(|_| page.message.clone());
        let mut response = (self.status, Html(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let wait = maillage_http::RETRY_AFTER_SECONDS.to_string();
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.parse().expect("digits"));
        }
        response
    }
}
