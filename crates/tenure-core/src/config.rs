//! Configuration: command-line flag > `TENURE_*` environment variable >
//! `tenure.toml` > default.
//!
//! Flags and environment variables are read by the binary (clap does both)
//! and arrive here as [`Overrides`]; this module reads the file, rejects any
//! key it does not know (naming the key and the file), merges, validates
//! once, and hands out an immutable [`Config`].

use crate::report::ReportsConfig;
use crate::taxonomy::{Taxonomy, TaxonomyConfig};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./tenure-data";
/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";
/// The config file read from the working directory when `--config` is not
/// given (and only if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "tenure.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// `tenure.toml` as written. Every table denies unknown keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    listen: Option<String>,
    #[serde(default)]
    ingest: IngestFile,
    #[serde(default)]
    taxonomy: TaxonomyConfig,
    #[serde(default)]
    reports: ReportsFile,
    #[serde(default)]
    store: StoreFile,
    #[serde(default)]
    health: crate::health::HealthFile,
    #[serde(default)]
    alerts: crate::alerts::AlertsFile,
    #[serde(default)]
    models: crate::models::ModelsFile,
    #[serde(default)]
    influence: crate::influence::InfluenceFile,
    #[serde(default)]
    web: crate::web::WebFile,
    #[serde(default)]
    playbooks: Vec<crate::playbooks::PlaybookFile>,
    #[serde(default)]
    delivery: crate::delivery::DeliveryFile,
    #[serde(default)]
    templates: std::collections::BTreeMap<String, crate::messages::Template>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    memory_limit: Option<String>,
    threads: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportsFile {
    pending_days: Option<u32>,
    risk_drop_pct: Option<f64>,
    champion_percentile: Option<f64>,
    engaging_min_research: Option<u64>,
    engaging_min_social: Option<u64>,
    level_thresholds: Option<[u64; 4]>,
    achievements: Option<Vec<crate::rules::Achievement>>,
    accepted_answers: Option<Vec<String>>,
    answer_window_days: Option<u32>,
    #[serde(default)]
    advice: AdviceFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdviceFile {
    engaging: Option<String>,
    interacting: Option<String>,
    consuming: Option<String>,
    dormant: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestFile {
    dedup_window_days: Option<u32>,
    max_message_bytes: Option<usize>,
    max_batch_bytes: Option<usize>,
    queue_batches: Option<usize>,
    max_commit_messages: Option<usize>,
    rollup_interval_secs: Option<u64>,
}

/// Values given on the command line or in the environment; `None` means
/// "not given", so the file or the default applies.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data: Option<PathBuf>,
    pub listen: Option<String>,
    pub dedup_window_days: Option<u32>,
}

/// Ingestion limits and tuning.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestConfig {
    /// How long a `messageId` is remembered to drop retries (at least 7 days).
    pub dedup_window: Duration,
    /// Largest accepted message, in bytes of JSON (Segment's 32 KB).
    pub max_message_bytes: usize,
    /// Largest accepted request body after decompression (Segment's 500 KB).
    pub max_batch_bytes: usize,
    /// Batches waiting for the writer before new ones get 503.
    pub queue_batches: usize,
    /// Most messages the writer puts in one commit (group commit).
    pub max_commit_messages: usize,
    /// How often the server adds new events to the report rollups (1 to 60
    /// seconds): an accepted event is in reports within this time.
    pub rollup_interval: Duration,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            dedup_window: Duration::from_secs(7 * 86_400),
            max_message_bytes: 32 * 1024,
            max_batch_bytes: 500 * 1024,
            queue_batches: 1024,
            max_commit_messages: 20_000,
            rollup_interval: Duration::from_secs(30),
        }
    }
}

/// How the embedded DuckDB may use the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// DuckDB's `memory_limit` (e.g. `2GiB`): its buffer pool, query
    /// memory and caches stay under it, spilling to the data dir's
    /// `tenure.duckdb.tmp` beyond.
    pub memory_limit: String,
    /// DuckDB's worker threads (`None`: one per core).
    pub threads: Option<usize>,
}

/// The default `store.memory_limit`.
pub const DEFAULT_MEMORY_LIMIT: &str = "2GiB";

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            memory_limit: DEFAULT_MEMORY_LIMIT.into(),
            threads: None,
        }
    }
}

impl StoreConfig {
    /// The defaults with another memory limit.
    pub fn with_memory_limit(memory_limit: &str) -> Self {
        Self {
            memory_limit: memory_limit.into(),
            ..Self::default()
        }
    }
}

/// Checks a DuckDB memory size: a number and a unit (KB, MB, GB, TB or
/// KiB, MiB, GiB, TiB).
fn memory_size(text: &str) -> Result<String, String> {
    let t = text.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let units = ["KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"];
    match number.parse::<f64>() {
        Ok(n) if n > 0.0 && units.contains(&unit.trim()) => Ok(format!("{number}{}", unit.trim())),
        _ => Err(format!(
            "store.memory_limit: {text:?} is not a size like 2GiB or 512MB"
        )),
    }
}

/// The validated configuration. Built once at start-up.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub ingest: IngestConfig,
    pub taxonomy: Taxonomy,
    pub reports: ReportsConfig,
    pub store: StoreConfig,
    pub web: crate::web::WebConfig,
    /// `[[playbooks]]`, checked (none by default).
    pub playbooks: Vec<crate::playbooks::Playbook>,
    /// `[delivery]`: how the playbooks' actions go out.
    pub delivery: crate::delivery::DeliveryConfig,
    /// The message templates: the built-in ones and `[templates.NAME]`.
    pub templates: crate::messages::Templates,
    /// The file the config came from, if any.
    pub file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            listen: DEFAULT_LISTEN.parse().expect("the default address parses"),
            ingest: IngestConfig::default(),
            taxonomy: Taxonomy::default(),
            reports: ReportsConfig::default(),
            store: StoreConfig::default(),
            web: crate::web::WebConfig::default(),
            playbooks: Vec::new(),
            delivery: crate::delivery::DeliveryConfig::default(),
            templates: crate::messages::Templates::default(),
            file: None,
        }
    }
}

impl Config {
    /// Reads `file` (or `./tenure.toml` when `file` is `None` and it
    /// exists), then applies `overrides` and validates.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let path = match file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        let parsed = match &path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                parse_file(path, &text)?
            }
            None => FileConfig::default(),
        };
        Self::build(parsed, overrides, path)
    }

    /// Builds a config from TOML text (tests, and `load`).
    pub fn from_toml(text: &str, overrides: Overrides) -> Result<Self, ConfigError> {
        let path = PathBuf::from("<inline>");
        Self::build(parse_file(&path, text)?, overrides, None)
    }

    fn build(
        file: FileConfig,
        overrides: Overrides,
        path: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let origin = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "configuration".into());
        let invalid = |message: String| ConfigError::Invalid {
            origin: origin.clone(),
            message,
        };
        let defaults = IngestConfig::default();
        let listen_text = overrides
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_text.parse().map_err(|_| {
            invalid(format!(
                "listen: {listen_text:?} is not an address like 127.0.0.1:8750"
            ))
        })?;
        let days = overrides
            .dedup_window_days
            .or(file.ingest.dedup_window_days)
            .unwrap_or(7);
        if days < 7 {
            return Err(invalid(format!(
                "ingest.dedup_window_days: {days} is below the minimum of 7"
            )));
        }
        let ingest = IngestConfig {
            dedup_window: Duration::from_secs(u64::from(days) * 86_400),
            max_message_bytes: file
                .ingest
                .max_message_bytes
                .unwrap_or(defaults.max_message_bytes),
            max_batch_bytes: file
                .ingest
                .max_batch_bytes
                .unwrap_or(defaults.max_batch_bytes),
            queue_batches: file.ingest.queue_batches.unwrap_or(defaults.queue_batches),
            max_commit_messages: file
                .ingest
                .max_commit_messages
                .unwrap_or(defaults.max_commit_messages),
            rollup_interval: file
                .ingest
                .rollup_interval_secs
                .map_or(defaults.rollup_interval, Duration::from_secs),
        };
        if !(1..=60).contains(&ingest.rollup_interval.as_secs()) {
            return Err(invalid(format!(
                "ingest.rollup_interval_secs: {} is outside 1 to 60",
                ingest.rollup_interval.as_secs()
            )));
        }
        if ingest.max_message_bytes == 0 || ingest.max_message_bytes > ingest.max_batch_bytes {
            return Err(invalid(
                "ingest.max_message_bytes must be above 0 and at most ingest.max_batch_bytes"
                    .into(),
            ));
        }
        if ingest.max_batch_bytes > 16 * 1024 * 1024 {
            return Err(invalid("ingest.max_batch_bytes: at most 16 MiB".into()));
        }
        if ingest.queue_batches == 0 || ingest.max_commit_messages == 0 {
            return Err(invalid(
                "ingest.queue_batches and ingest.max_commit_messages must be above 0".into(),
            ));
        }
        let taxonomy = Taxonomy::from_config(&file.taxonomy).map_err(invalid)?;
        let mut reports = reports_config(&file.reports).map_err(invalid)?;
        reports.health = file.health.build().map_err(invalid)?;
        reports.alerts = file.alerts.build().map_err(invalid)?;
        reports.models = file.models.build().map_err(invalid)?;
        reports.influence = file.influence.build().map_err(invalid)?;
        let store = StoreConfig {
            memory_limit: match &file.store.memory_limit {
                Some(text) => memory_size(text).map_err(invalid)?,
                None => DEFAULT_MEMORY_LIMIT.into(),
            },
            threads: file.store.threads,
        };
        if store.threads == Some(0) {
            return Err(invalid("store.threads: must be above 0".into()));
        }
        let delivery = file.delivery.build().map_err(invalid)?;
        let templates = crate::messages::Templates::new(file.templates).map_err(invalid)?;
        Ok(Self {
            data_dir: overrides
                .data
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            listen,
            ingest,
            taxonomy,
            reports,
            store,
            web: file.web.build().map_err(invalid)?,
            playbooks: crate::playbooks::build(file.playbooks, &templates, delivery.smtp.is_some())
                .map_err(invalid)?,
            delivery,
            templates,
            file: path,
        })
    }
}

fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// `[reports]`, checked: every value in range, names the key it is wrong in.
fn reports_config(file: &ReportsFile) -> Result<ReportsConfig, String> {
    let mut reports = ReportsConfig::default();
    if let Some(days) = file.pending_days {
        reports.pending_days = days;
    }
    for (key, value, slot) in [
        (
            "risk_drop_pct",
            file.risk_drop_pct,
            &mut reports.risk_drop_pct,
        ),
        (
            "champion_percentile",
            file.champion_percentile,
            &mut reports.champion_percentile,
        ),
    ] {
        if let Some(pct) = value {
            if !(0.0..=100.0).contains(&pct) {
                return Err(format!("reports.{key}: {pct} is outside 0 to 100"));
            }
            *slot = pct;
        }
    }
    if let Some(n) = file.engaging_min_research {
        reports.engaging_min_research = n;
    }
    if let Some(n) = file.engaging_min_social {
        reports.engaging_min_social = n;
    }
    if reports.engaging_min_research == 0 && reports.engaging_min_social == 0 {
        return Err(
            "reports.engaging_min_research and reports.engaging_min_social cannot both be 0".into(),
        );
    }
    if let Some(t) = file.level_thresholds {
        if t.windows(2).any(|w| w[0] > w[1]) || t[0] == 0 {
            return Err(format!(
                "reports.level_thresholds: {t:?} must be ascending and start above 0"
            ));
        }
        reports.level_thresholds = t;
    }
    if let Some(list) = &file.achievements {
        if list.is_empty() {
            return Err("reports.achievements: the list is empty".into());
        }
        reports.achievements = list.clone();
    }
    if let Some(answers) = &file.accepted_answers {
        if answers.is_empty() {
            return Err("reports.accepted_answers: the list is empty".into());
        }
        reports.accepted_answers = answers.iter().map(|a| a.to_lowercase()).collect();
    }
    if let Some(days) = file.answer_window_days {
        reports.answer_window_days = days;
    }
    let advice = &file.advice;
    for (slot, text) in reports.advice.iter_mut().zip([
        &advice.engaging,
        &advice.interacting,
        &advice.consuming,
        &advice.dormant,
    ]) {
        if let Some(text) = text {
            *slot = text.clone();
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_without_a_file() {
        let config = Config::from_toml("", Overrides::default()).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(config.ingest, IngestConfig::default());
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let text =
            "listen = \"127.0.0.1:9000\"\ndata = \"/tmp/x\"\n[ingest]\ndedup_window_days = 10\n";
        let config = Config::from_toml(text, Overrides::default()).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.ingest.dedup_window.as_secs(), 10 * 86_400);
        let config = Config::from_toml(
            text,
            Overrides {
                listen: Some("127.0.0.1:9001".into()),
                data: Some("/tmp/y".into()),
                dedup_window_days: Some(8),
            },
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9001);
        assert_eq!(config.data_dir, PathBuf::from("/tmp/y"));
        assert_eq!(config.ingest.dedup_window.as_secs(), 8 * 86_400);
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenure.toml");
        std::fs::write(&path, "[ingest]\ndedup_windw_days = 9\n").unwrap();
        let err = Config::load(Some(&path), Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("dedup_windw_days"), "{err}");
        assert!(err.contains("tenure.toml"), "{err}");
        std::fs::write(&path, "[taxonomy]\nlogins = [\"x\"]\n").unwrap();
        let err = Config::load(Some(&path), Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("logins"), "{err}");
    }

    #[test]
    fn invalid_values_are_rejected_once() {
        let err = Config::from_toml("[ingest]\ndedup_window_days = 3\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("minimum of 7"), "{err}");
        let err = Config::from_toml("listen = \"nowhere\"\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen"), "{err}");
    }

    #[test]
    fn report_settings_come_from_the_reports_table() {
        let config = Config::from_toml(
            "[reports]\npending_days = 3\nrisk_drop_pct = 30\n[reports.advice]\ndormant = \"Call them.\"\n",
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.reports.pending_days, 3);
        assert_eq!(config.reports.risk_drop_pct, 30.0);
        use crate::report::Category;
        assert_eq!(config.reports.advice(Category::Dormant), "Call them.");
        assert_eq!(
            config.reports.advice(Category::Engaging),
            Category::Engaging.default_advice()
        );
        let err = Config::from_toml("[reports]\ncolour = 1\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        let err = Config::from_toml("[reports]\nrisk_drop_pct = 120\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("reports.risk_drop_pct"), "{err}");
    }

    #[test]
    fn health_settings_come_from_the_health_table() {
        let config = Config::from_toml(
            "[health]\nbands = [30, 60]\n[health.weights]\ntrend = 0\n",
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.reports.health.bands, [30.0, 60.0]);
        assert_eq!(config.reports.health.weights[3], 0.0);
        let err = Config::from_toml("[health.weights]\nmood = 1\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("health.weights.mood"), "{err}");
        let err = Config::from_toml("[alerts]\ndrop_pct = 200\n", Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("alerts.drop_pct"), "{err}");
        let config =
            Config::from_toml("[alerts]\nmin_weekly_events = 20\n", Overrides::default()).unwrap();
        assert_eq!(config.reports.alerts.min_weekly_events, 20.0);
    }

    #[test]
    fn store_settings_are_checked() {
        let config = Config::from_toml("", Overrides::default()).unwrap();
        assert_eq!(config.store.memory_limit, "2GiB");
        assert_eq!(config.store.threads, None);
        let config = Config::from_toml(
            "[store]\nmemory_limit = \"512MB\"\nthreads = 1\n",
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.store.memory_limit, "512MB");
        assert_eq!(config.store.threads, Some(1));
        for bad in [
            "memory_limit = \"lots\"",
            "memory_limit = \"2XB\"",
            "threads = 0",
        ] {
            let err = Config::from_toml(&format!("[store]\n{bad}\n"), Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("store."), "{bad}: {err}");
        }
    }

    #[test]
    fn report_thresholds_and_lists_come_from_the_reports_table() {
        let config = Config::from_toml(
            r#"
[reports]
champion_percentile = 75
engaging_min_research = 2
engaging_min_social = 3
level_thresholds = [1, 3, 5, 7]
accepted_answers = ["Yes"]
answer_window_days = 14
[[reports.achievements]]
name = "searched"
event = "Search Performed"
[[reports.achievements]]
name = "shared by email"
event = "Insight Shared"
details = ["email"]
"#,
            Overrides::default(),
        )
        .unwrap();
        let r = &config.reports;
        assert_eq!(r.champion_percentile, 75.0);
        assert_eq!((r.engaging_min_research, r.engaging_min_social), (2, 3));
        assert_eq!(r.level(1), "intermediate");
        assert_eq!(r.accepted_answers, ["yes"]);
        assert_eq!(r.answer_window_days, 14);
        assert_eq!(r.achievements.len(), 2);
        assert_eq!(r.achievements[1].details, ["email"]);
        use crate::report::{Category, KindCounts};
        let counts = KindCounts {
            research: 1,
            share: 5,
            ..KindCounts::default()
        };
        assert_eq!(r.category(&counts), Category::Interacting);
        for (toml, key) in [
            ("level_thresholds = [2, 1, 3, 4]", "level_thresholds"),
            ("champion_percentile = 101", "champion_percentile"),
            ("accepted_answers = []", "accepted_answers"),
            ("achievements = []", "achievements"),
            (
                "engaging_min_research = 0\nengaging_min_social = 0",
                "engaging_min",
            ),
        ] {
            let err = Config::from_toml(&format!("[reports]\n{toml}\n"), Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("reports.{key}")), "{toml}: {err}");
        }
        let err = Config::from_toml(
            "[[reports.achievements]]\nname = \"x\"\nevnt = \"y\"\n",
            Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("evnt"), "{err}");
    }
}
