//! Signing in to the dashboard and using its pages and forms like a
//! browser without JavaScript: a cookie session and its anti-forgery token.

use super::Server;
use reqwest::blocking::{Client, Response};

pub fn no_redirects() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The value of the hidden `csrf` field of the first form in `html`.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_string()
}

/// `name=value` of the Set-Cookie header for cookie `name`.
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(String::from)
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A browser-like session: its cookie and anti-forgery token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Signs in with `key`: the session, or the failed answer's status.
pub fn sign_in(http: &Client, server: &Server, key: &str) -> Result<Session, u16> {
    let form = http.get(server.url("/signin")).send().unwrap();
    assert_eq!(form.status().as_u16(), 200);
    let signin_cookie = set_cookie(&form, "tenure_signin").expect("a sign-in cookie");
    let signin_cookie = signin_cookie.split(';').next().unwrap().to_string();
    let csrf = csrf_of(&form.text().unwrap());
    let r = http
        .post(server.url("/signin"))
        .header("cookie", &signin_cookie)
        .form(&[("key", key), ("csrf", csrf.as_str())])
        .send()
        .unwrap();
    if r.status().as_u16() != 303 {
        return Err(r.status().as_u16());
    }
    assert_eq!(location(&r), "/overview");
    let session = set_cookie(&r, "tenure_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(session.contains(attribute), "{session}");
    }
    let cookie = session.split(';').next().unwrap().to_string();
    let page = http
        .get(server.url("/overview"))
        .header("cookie", &cookie)
        .query(&[("as_of", "2026-10-31")])
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csrf = csrf_of(&page.text().unwrap());
    Ok(Session { cookie, csrf })
}

pub fn get(http: &Client, server: &Server, session: Option<&Session>, path: &str) -> (u16, String) {
    let mut r = http.get(server.url(path));
    if let Some(s) = session {
        r = r.header("cookie", &s.cookie);
    }
    answer(r.send().unwrap())
}

/// The status and, for a redirect, where to; else the body.
fn answer(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body = if status == 303 {
        location(&r)
    } else {
        r.text().unwrap()
    };
    (status, body)
}

pub fn post(
    http: &Client,
    server: &Server,
    session: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let r = http
        .post(server.url(path))
        .header("cookie", &session.cookie)
        .form(form)
        .send()
        .unwrap();
    answer(r)
}
