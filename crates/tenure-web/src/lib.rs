//! The dashboard's pages, rendered on the server: HTML from maud templates
//! (every value escaped unless it is one of our own SVG charts), charts
//! drawn as SVG by charts-rs, each with its numbers in a table beside it.
//!
//! Pure rendering: the server gathers the reports (through
//! `tenure-reports`) and passes them in; nothing here does I/O, knows HTTP
//! or decides who may see what (the server does, before it calls in).
//! Pages work without JavaScript; `assets/app.js` only sorts tables and
//! shows a chart's values on hover. No inline script or style: the
//! server's Content-Security-Policy forbids both.

pub mod chart;
pub mod filters;
pub mod layout;
pub mod pages;
pub mod table;

pub use maud::Markup;
pub use tenure_core::Role;

/// The stylesheet and the script, served under `/static/`.
pub const APP_CSS: &str = include_str!("../assets/app.css");
pub const APP_JS: &str = include_str!("../assets/app.js");

/// Who is looking, as every page needs it: the navigation shows only what
/// the role may open, and forms carry the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub role: Role,
    /// The one account an account-admin sees.
    pub account: Option<String>,
    /// The key's label (or prefix), shown beside "Sign out".
    pub name: String,
    /// The session's anti-forgery token, put in every form.
    pub csrf: String,
}

impl Viewer {
    /// Whether the viewer sees every account (admin, viewer).
    pub fn sees_all(&self) -> bool {
        self.role.can_read_all()
    }

    /// Whether the viewer may change things (close and snooze alerts).
    pub fn can_change(&self) -> bool {
        self.role == Role::Admin
    }
}
