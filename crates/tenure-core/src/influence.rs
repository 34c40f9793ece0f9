//! The settings of `[influence]` in `tenure.toml`: what counts as a share
//! outside the company (see `tenure_reports`' `influence` report).

/// `[influence]`.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluenceConfig {
    /// Share channels that publish outside the company (lower case): a
    /// share over one of them counts towards `influence_outside`.
    pub outside_channels: Vec<String>,
    /// Public email domains (lower case): a colleague's address on one of
    /// them does not make every address there a colleague.
    pub public_email_domains: Vec<String>,
    /// PageRank's damping factor on the internal share graph.
    pub damping: f64,
}

/// The default `influence.outside_channels`.
pub const OUTSIDE_CHANNELS: &[&str] = &["linkedin", "twitter", "x", "facebook"];

/// The default `influence.public_email_domains`.
pub const PUBLIC_EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "mail.com",
    "yandex.com",
    "qq.com",
    "163.com",
];

impl Default for InfluenceConfig {
    fn default() -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        Self {
            outside_channels: owned(OUTSIDE_CHANNELS),
            public_email_domains: owned(PUBLIC_EMAIL_DOMAINS),
            damping: 0.85,
        }
    }
}

/// `[influence]` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InfluenceFile {
    outside_channels: Option<Vec<String>>,
    public_email_domains: Option<Vec<String>>,
    damping: Option<f64>,
}

impl InfluenceFile {
    pub(crate) fn build(&self) -> Result<InfluenceConfig, String> {
        let mut c = InfluenceConfig::default();
        for (name, given, into) in [
            (
                "outside_channels",
                &self.outside_channels,
                &mut c.outside_channels,
            ),
            (
                "public_email_domains",
                &self.public_email_domains,
                &mut c.public_email_domains,
            ),
        ] {
            if let Some(list) = given {
                if let Some(bad) = list.iter().find(|s| s.trim().is_empty()) {
                    return Err(format!("influence.{name}: {bad:?} is empty"));
                }
                *into = list.iter().map(|s| s.trim().to_lowercase()).collect();
            }
        }
        if let Some(d) = self.damping {
            if !(d > 0.0 && d < 1.0) {
                return Err(format!(
                    "influence.damping: {d} is outside 0 to 1 (both excluded)"
                ));
            }
            c.damping = d;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_lower_cased() {
        let file: InfluenceFile = toml::from_str("damping = 1").unwrap();
        assert!(file.build().unwrap_err().contains("influence.damping"));
        let file: InfluenceFile = toml::from_str("outside_channels = ['']").unwrap();
        assert!(
            file.build()
                .unwrap_err()
                .contains("influence.outside_channels")
        );
        let file: InfluenceFile =
            toml::from_str("outside_channels = [' Mastodon ']\ndamping = 0.5").unwrap();
        let built = file.build().unwrap();
        assert_eq!(built.outside_channels, ["mastodon"]);
        assert_eq!(built.damping, 0.5);
        assert_eq!(built.public_email_domains.len(), PUBLIC_EMAIL_DOMAINS.len());
    }
}
