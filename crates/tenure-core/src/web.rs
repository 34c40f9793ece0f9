//! `[web]`: the dashboard's sessions and sign-in limits.

use serde::Deserialize;
use std::time::Duration;

/// The dashboard settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// How long a dashboard session lasts after signing in
    /// (`web.session_hours`, default 12, 1 to 720).
    pub session: Duration,
    /// Failed sign-ins one client address may make per
    /// `signin_window` before it must wait (`web.signin_attempts`,
    /// default 10, 1 to 1000).
    pub signin_attempts: u32,
    /// `web.signin_window_secs`, default 60, 1 to 86,400.
    pub signin_window: Duration,
    /// How long the dashboard serves a computed report before computing
    /// it again (`web.cache_secs`, default 30, 0 to 600; 0: no cache).
    pub cache: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session: Duration::from_secs(12 * 3600),
            signin_attempts: 10,
            signin_window: Duration::from_secs(60),
            cache: Duration::from_secs(30),
        }
    }
}

/// `[web]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebFile {
    session_hours: Option<u32>,
    signin_attempts: Option<u32>,
    signin_window_secs: Option<u64>,
    cache_secs: Option<u64>,
}

impl WebFile {
    pub(crate) fn build(&self) -> Result<WebConfig, String> {
        let d = WebConfig::default();
        let hours = self.session_hours.unwrap_or(12);
        if !(1..=720).contains(&hours) {
            return Err(format!("web.session_hours: {hours} is outside 1 to 720"));
        }
        let attempts = self.signin_attempts.unwrap_or(d.signin_attempts);
        if !(1..=1000).contains(&attempts) {
            return Err(format!(
                "web.signin_attempts: {attempts} is outside 1 to 1000"
            ));
        }
        let window = self.signin_window_secs.unwrap_or(60);
        if !(1..=86_400).contains(&window) {
            return Err(format!(
                "web.signin_window_secs: {window} is outside 1 to 86400"
            ));
        }
        let cache = self.cache_secs.unwrap_or(30);
        if cache > 600 {
            return Err(format!("web.cache_secs: {cache} is above 600"));
        }
        Ok(WebConfig {
            session: Duration::from_secs(u64::from(hours) * 3600),
            signin_attempts: attempts,
            signin_window: Duration::from_secs(window),
            cache: Duration::from_secs(cache),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Overrides};

    #[test]
    fn web_settings_are_read_and_checked() {
        let c = Config::from_toml(
            "[web]\nsession_hours = 2\nsignin_attempts = 3\nsignin_window_secs = 30\ncache_secs = 0\n",
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.web.session.as_secs(), 7200);
        assert_eq!(c.web.signin_attempts, 3);
        assert_eq!(c.web.signin_window.as_secs(), 30);
        assert!(c.web.cache.is_zero());
        for (text, key) in [
            ("[web]\nsession_hours = 0\n", "web.session_hours"),
            ("[web]\nsignin_attempts = 0\n", "web.signin_attempts"),
            ("[web]\nsignin_window_secs = 0\n", "web.signin_window_secs"),
            ("[web]\ncache_secs = 601\n", "web.cache_secs"),
            ("[web]\ncolour = 1\n", "colour"),
        ] {
            let e = Config::from_toml(text, Overrides::default()).unwrap_err();
            assert!(e.to_string().contains(key), "{e}");
        }
    }
}
