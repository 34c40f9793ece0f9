//! The dashboard, served by `tenure serve` itself: sign-in with an API key
//! (a cookie session), pages rendered by `tenure-web` from the same
//! reports as the API, and the roles enforced on every page and CSV:
//! admin and viewer see every account (only an admin changes alerts), an
//! account-admin sees its own account's usage only, and anything else
//! (another account, its users) is a 404, as if it did not exist.
//!
//! Every response carries the security headers (CSP without inline script
//! or style, frame-ancestors none); every form carries the session's
//! anti-forgery token.

pub mod cache;
mod handlers;
mod playbooks;
mod query;
pub mod session;
mod signin;

use crate::{ApiError, AppState};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use tenure_core::KeyInfo;
use tenure_web::Viewer;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::signout))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/overview", get(handlers::overview))
        .route("/accounts", get(handlers::accounts))
        .route("/accounts/{id}", get(handlers::account))
        .route("/users/{id}", get(handlers::user))
        .route("/reports", get(handlers::report_index))
        .route("/reports/{name}", get(handlers::report))
        .route("/insights", get(handlers::insights))
        .route("/alerts", get(handlers::alerts))
        .route("/alerts/{id}/{action}", post(handlers::change_alert))
        .route("/playbooks", get(playbooks::page))
        .route("/playbooks/tasks/{id}/close", post(playbooks::close_task))
        .route("/playbooks/outbox/retry", post(playbooks::retry_all))
        .route("/playbooks/outbox/{id}/retry", post(playbooks::retry_one))
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", tenure_web::APP_CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", tenure_web::APP_JS)
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The security headers, on every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Who is signed in: the key, the page view of it, and the session id.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub key: KeyInfo,
    pub viewer: Viewer,
}

/// A page that cannot be shown, as an HTML answer (the API's errors keep
/// their JSON form; the dashboard answers people).
#[derive(Debug)]
pub(crate) enum WebError {
    /// No session, or it expired: back to the sign-in page.
    SignIn,
    Api(Box<(ApiError, Option<Viewer>)>),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new((e, None)))
    }
}

impl WebError {
    /// The error shown inside the signed-in viewer's page shell.
    pub fn for_viewer(e: ApiError, viewer: &Viewer) -> Self {
        Self::Api(Box::new((e, Some(viewer.clone()))))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => Redirect::to("/signin").into_response(),
            Self::Api(error) => {
                let (e, viewer) = *error;
                let status = e.status();
                let (title, message) = match status {
                    StatusCode::NOT_FOUND => ("Not found", e.to_string()),
                    StatusCode::FORBIDDEN => ("Not allowed", e.to_string()),
                    s if s.is_server_error() => {
                        tracing::error!(message = "Page failed.", error = %e);
                        (
                            "Something went wrong",
                            "internal error; see the server log".into(),
                        )
                    }
                    _ => ("Cannot show this", e.to_string()),
                };
                let page = tenure_web::layout::error(viewer.as_ref(), title, &message);
                (status, Html(page.into_string())).into_response()
            }
        }
    }
}

/// The value of cookie `name`.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The signed-in key of this request, if its session is live and its key
/// still valid.
pub(crate) fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<SignedIn, WebError> {
    let id = cookie(headers, session::COOKIE).ok_or(WebError::SignIn)?;
    let session = state.sessions.get(&id).ok_or(WebError::SignIn)?;
    let Some(key) = state.keys.by_hash(&session.key_hash) else {
        state.sessions.end(&id);
        return Err(WebError::SignIn);
    };
    if !key.role.reads_reports() {
        return Err(WebError::SignIn);
    }
    let viewer = Viewer {
        role: key.role,
        account: key.account_id.clone(),
        name: key.label.clone().unwrap_or_else(|| key.prefix.clone()),
        csrf: session.csrf,
    };
    Ok(SignedIn { key, viewer })
}

/// Who posted a form, once its anti-forgery token matches the session's.
pub(crate) fn posted(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<SignedIn, WebError> {
    let who = signed_in(state, headers)?;
    if !session::same(&who.viewer.csrf, csrf) {
        return Err(WebError::for_viewer(
            ApiError::Forbidden("the form's anti-forgery token is wrong; reload the page".into()),
            &who.viewer,
        ));
    }
    Ok(who)
}

/// [`posted`] by a key that may change things (`what`: "change alerts").
pub(crate) fn changed_by(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    what: &str,
) -> Result<SignedIn, WebError> {
    let who = posted(state, headers, csrf)?;
    if !who.viewer.can_change() {
        return Err(WebError::for_viewer(
            ApiError::Forbidden(format!("a {} key cannot {what}", who.key.role.as_str())),
            &who.viewer,
        ));
    }
    Ok(who)
}

/// An HTML page answer.
pub(crate) fn html(page: maud::Markup) -> Response {
    Html(page.into_string()).into_response()
}
