//! Signing in with an API key, and out. The sign-in form's anti-forgery
//! token rides in a short-lived cookie of its own (there is no session
//! yet); failed attempts are limited per client address; the key itself
//! is never logged.

use super::session::{COOKIE, SIGNIN_COOKIE, random_token, same};
use super::{WebError, cookie, html, posted, signed_in};
use crate::AppState;
use crate::keys::hash_secret;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// How long the sign-in form stays valid.
const SIGNIN_FORM_SECS: u64 = 3600;

fn set_cookie(response: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The sign-in page with a fresh form token (and its cookie).
fn signin_page(status: StatusCode, error: Option<&str>) -> Response {
    let token = random_token();
    let mut response = (status, html(tenure_web::layout::signin(&token, error))).into_response();
    set_cookie(
        &mut response,
        format!(
            "{SIGNIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/signin; Max-Age={SIGNIN_FORM_SECS}"
        ),
    );
    response
}

pub async fn form(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).is_ok() {
        return Redirect::to("/overview").into_response();
    }
    signin_page(StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    key: String,
    #[serde(default)]
    csrf: String,
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, WebError> {
    let ip = peer.ip();
    if let Err(wait) = state.sessions.may_try(ip) {
        tracing::warn!(message = "Sign-in refused: too many failures.", %ip);
        let message = format!("Too many failed sign-ins; try again in {wait} s.");
        let mut response = signin_page(StatusCode::TOO_MANY_REQUESTS, Some(&message));
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return Ok(response);
    }
    let expected = cookie(&headers, SIGNIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return Ok(signin_page(
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired; please sign in again."),
        ));
    }
    let key = state
        .keys
        .lookup(&state, form.key.trim())
        .map_err(WebError::from)?;
    let Some(key) = key.filter(|k| k.role.reads_reports()) else {
        state.sessions.failed(ip);
        tracing::info!(message = "Sign-in failed.", %ip);
        return Ok(signin_page(
            StatusCode::UNAUTHORIZED,
            Some(
                "That key is not valid for the dashboard (an admin, viewer or account-admin key is).",
            ),
        ));
    };
    state.sessions.succeeded(ip);
    let id = state.sessions.start(hash_secret(form.key.trim()));
    tracing::info!(message = "Signed in.", key_id = %key.id, role = key.role.as_str());
    let mut response = Redirect::to("/overview").into_response();
    set_cookie(
        &mut response,
        format!(
            "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
            state.sessions.ttl().as_secs()
        ),
    );
    set_cookie(
        &mut response,
        format!("{SIGNIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/signin; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct Csrf {
    #[serde(default)]
    pub csrf: String,
}

pub async fn signout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Csrf>,
) -> Result<Response, WebError> {
    posted(&state, &headers, &form.csrf)?;
    if let Some(id) = cookie(&headers, COOKIE) {
        state.sessions.end(&id);
    }
    let mut response = Redirect::to("/signin").into_response();
    set_cookie(
        &mut response,
        format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}
