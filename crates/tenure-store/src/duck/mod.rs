//! The DuckDB engine: one database file, `tenure.duckdb`, in the data dir.
//!
//! Times are stored as `TIMESTAMP` in UTC (the bundled DuckDB has no ICU, so
//! `TIMESTAMPTZ` functions are avoided). Extension auto-install and
//! auto-load are off: this build can download nothing.

mod active_days;
mod alerts;
mod arrow;
mod asof;
mod changes;
mod fits;
mod health;
mod keys;
mod ndjson;
mod outbox;
mod playbooks;
mod productivity;
mod read;
mod reports;
mod rollup;
mod schema;
mod seats;
mod write;

pub use asof::UserAsOf;

use crate::{Dedup, NewKey, Result, Stats, Store, StoreError, WriteBatch, WriteOutcome};
use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use duckdb::{Config, Connection};
use std::path::{Path, PathBuf};
use tenure_core::config::StoreConfig;
use tenure_core::{KeyInfo, Taxonomy};

/// The database file's name inside the data dir.
pub const DB_FILE: &str = "tenure.duckdb";

/// A handle on the DuckDB store.
pub struct DuckStore {
    conn: Connection,
    path: PathBuf,
    /// The write transaction in progress, if any.
    pending: Option<write::Pending>,
}

impl DuckStore {
    /// Opens (creating if needed) the store in `data_dir` and migrates it,
    /// with the default settings. Fails at once with [`StoreError::Locked`]
    /// if another process holds it.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with(data_dir, &StoreConfig::default())
    }

    /// [`DuckStore::open`] with DuckDB's memory limit and threads from
    /// `settings` (`[store]` in the config).
    pub fn open_with(data_dir: &Path, settings: &StoreConfig) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let mut config = Config::default()
            .enable_autoload_extension(false)?
            .with("autoinstall_known_extensions", "false")?
            .max_memory(&settings.memory_limit)?
            // Lets inserts and aggregations of more rows than the memory
            // limit spill instead of failing; every query that needs an
            // order says ORDER BY.
            .with("preserve_insertion_order", "false")?;
        if let Some(threads) = settings.threads {
            config = config.threads(threads as i64)?;
        }
        let conn = Connection::open_with_flags(&path, config).map_err(|e| {
            let text = e.to_string();
            if text.contains("lock") {
                StoreError::Locked {
                    path: path.display().to_string(),
                }
            } else {
                StoreError::Engine(e)
            }
        })?;
        let mut store = Self {
            conn,
            path,
            pending: None,
        };
        store.migrate()?;
        store.conn.execute_batch(schema::IMPORT_STAGING)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this store is at.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?)
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL, applied_at TIMESTAMP NOT NULL)",
        )?;
        let current = self.schema_version()?;
        let known = schema::MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(StoreError::TooNew {
                path: self.path.display().to_string(),
                found: current,
                known,
            });
        }
        let pending: Vec<&(i64, &str)> = schema::MIGRATIONS
            .iter()
            .filter(|m| m.0 > current)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        // Every pending migration in one transaction, then the rollups they
        // add or reshape filled once, in their final shape.
        let tx = self.conn.transaction()?;
        let mut refill: Vec<&str> = Vec::new();
        for (version, sql) in &pending {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations VALUES (?, CAST(now() AS TIMESTAMP))",
                [version],
            )?;
            for (_, table) in schema::ROLLUP_TABLES.iter().filter(|r| r.0 == *version) {
                if !refill.contains(table) {
                    refill.push(table);
                }
            }
        }
        rollup::backfill(&tx, &refill)?;
        tx.commit()?;
        tracing::info!(
            message = "Migrated store.",
            from = current,
            to = pending.last().map_or(current, |m| m.0),
            path = %self.path.display()
        );
        Ok(())
    }

    /// Runs a checkpoint (folds the WAL into the database file).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("CHECKPOINT")?;
        Ok(())
    }

    /// Runs one SQL query and returns its rows as text, NULL as "NULL"
    /// (tests and tools; every column is cast to VARCHAR).
    pub fn strings(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        let wrapped = format!("SELECT COLUMNS(*)::VARCHAR FROM ({sql})");
        let mut stmt = self.conn.prepare(&wrapped)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let n = row.as_ref().column_count();
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                let v: Option<String> = row.get(i)?;
                values.push(v.unwrap_or_else(|| "NULL".into()));
            }
            out.push(values);
        }
        Ok(out)
    }

    /// Runs SQL statements (tests and tools).
    pub fn execute(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    /// Runs one SQL query and returns its single `BIGINT` (tests and tools).
    pub fn count(&self, sql: &str) -> Result<i64> {
        Ok(self.conn.query_row(sql, [], |r| r.get(0))?)
    }
}

/// A time as a DuckDB `TIMESTAMP` value.
fn ts(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, ts)
}

/// Reads a `TIMESTAMP` column as UTC.
fn utc(micros: Option<i64>) -> Option<DateTime<Utc>> {
    micros.map(tenure_core::time::from_micros)
}

impl Store for DuckStore {
    fn begin_write(&mut self, dedup: Dedup) -> Result<()> {
        write::begin(self, dedup)
    }

    fn stage_ndjson(
        &mut self,
        file: &crate::NdjsonFile,
        read: &(dyn Fn(f64) + Sync),
    ) -> Result<Option<crate::NdjsonStaged>> {
        self.ndjson(file, read)
    }

    fn stage(&mut self, batch: &WriteBatch) -> Result<()> {
        write::stage(self, batch)
    }

    fn commit_write(&mut self) -> Result<WriteOutcome> {
        write::commit(self)
    }

    fn stage_new(&mut self, batch: &WriteBatch) -> Result<()> {
        write::stage_new(self, batch)
    }

    fn refresh_rollups(&mut self) -> Result<u64> {
        if self.pending.is_some() {
            return Err(StoreError::Invalid(
                "refresh_rollups called inside a write".into(),
            ));
        }
        rollup::refresh(&self.conn)
    }

    fn user_activity(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::UserActivity>> {
        reports::activity_of(self, period, scope, None, reports::Rows::Full)
    }

    fn user_engagement(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::UserActivity>> {
        reports::activity_of(self, period, scope, None, reports::Rows::Listing)
    }

    fn user_counts(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::UserActivity>> {
        reports::activity_of(self, period, scope, None, reports::Rows::Counts)
    }

    fn category_counts(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        min_research: u64,
        min_social: u64,
    ) -> Result<Vec<crate::CategoryCounts>> {
        reports::category_counts(self, period, scope, min_research, min_social)
    }

    fn category_flow(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        min_research: u64,
        min_social: u64,
    ) -> Result<[[u64; 4]; 4]> {
        reports::category_flow(self, period, scope, min_research, min_social)
    }

    fn engaging_users(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        min_research: u64,
        min_social: u64,
    ) -> Result<Vec<crate::UserActivity>> {
        let rows = reports::Rows::Engaging {
            min_research,
            min_social,
        };
        reports::activity_of(self, period, scope, None, rows)
    }

    fn users_at(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::UserActivity>> {
        reports::activity_of(self, period, scope, None, reports::Rows::State)
    }

    fn user_activity_of(
        &self,
        period: tenure_core::report::Period,
        ids: &[String],
    ) -> Result<Vec<crate::UserActivity>> {
        let everyone = crate::Scope {
            all_users: true,
            ..crate::Scope::default()
        };
        reports::activity_of(self, period, &everyone, Some(ids), reports::Rows::Full)
    }

    fn champions(
        &self,
        before: tenure_core::report::Period,
        now: tenure_core::report::Period,
        min_research: u64,
        min_social: u64,
    ) -> Result<Vec<crate::Champion>> {
        changes::champions(self, before, now, min_research, min_social)
    }

    fn pending_seats(
        &self,
        day: chrono::NaiveDate,
        days: u32,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::PendingSeat>> {
        seats::pending_seats(self, day, days, scope)
    }

    fn account_seats(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        pending_days: u32,
    ) -> Result<Vec<crate::AccountSeats>> {
        seats::account_seats(self, period, scope, pending_days)
    }

    fn activity_moves(
        &self,
        day: chrono::NaiveDate,
        days: u32,
    ) -> Result<Vec<crate::ActivityMove>> {
        changes::activity_moves(self, day, days)
    }

    fn achievement_moves(
        &self,
        day: chrono::NaiveDate,
        achievements: &[tenure_core::rules::Achievement],
    ) -> Result<Vec<crate::AchievementMove>> {
        changes::achievement_moves(self, day, achievements)
    }

    fn seats_assigned_on(&self, day: chrono::NaiveDate) -> Result<Vec<String>> {
        changes::seats_assigned_on(self, day)
    }

    fn accounts_at(
        &self,
        at: chrono::NaiveDate,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::AccountAt>> {
        reports::accounts_at(self, at, scope)
    }

    fn account_activity(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::AccountActivity>> {
        reports::account_activity(self, period, scope)
    }

    fn event_usage(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        detail_of: Option<&str>,
    ) -> Result<Vec<crate::EventUsage>> {
        reports::event_usage(self, period, scope, detail_of)
    }

    fn event_counts(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        detail_of: Option<&str>,
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        reports::event_counts(self, period, scope, detail_of)
    }

    fn user_achievements(
        &self,
        to: chrono::NaiveDate,
        scope: &crate::Scope,
        achievements: &[tenure_core::rules::Achievement],
    ) -> Result<Vec<(String, Option<String>, u64)>> {
        reports::user_achievements(self, to, scope, achievements)
    }

    fn achievement_counts(
        &self,
        to: chrono::NaiveDate,
        scope: &crate::Scope,
        achievements: &[tenure_core::rules::Achievement],
    ) -> Result<Vec<(Option<String>, u64, u64)>> {
        reports::achievement_counts(self, to, scope, achievements)
    }

    fn productivity(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        rows: crate::Rows,
        rules: &tenure_core::report::ReportsConfig,
    ) -> Result<Vec<crate::Productivity>> {
        productivity::productivity(self, period, scope, rows, rules)
    }

    fn account_events(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::AccountEvents>> {
        reports::account_events(self, period, scope)
    }

    fn account_events_of(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        events: &[String],
    ) -> Result<Vec<crate::AccountEvents>> {
        reports::account_events_of(self, period, scope, events)
    }

    fn save_scores(
        &mut self,
        day: chrono::NaiveDate,
        rows: &[crate::ScoreRow],
        retain_days: u32,
    ) -> Result<()> {
        health::save_scores(self, day, rows, retain_days)
    }

    fn scores_on(
        &self,
        day: chrono::NaiveDate,
        model: Option<&str>,
    ) -> Result<Vec<crate::ScoreRow>> {
        health::scores_on(self, day, model)
    }

    fn score_crossings(
        &self,
        day: chrono::NaiveDate,
        model: &str,
        threshold: f64,
        upwards: bool,
    ) -> Result<Option<Vec<(crate::ScoreRow, crate::ScoreRow)>>> {
        health::score_crossings(self, day, model, threshold, upwards)
    }

    fn save_health(&mut self, day: chrono::NaiveDate, rows: &[crate::HealthRow]) -> Result<()> {
        health::save(self, day, rows)
    }

    fn health_history(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::HealthRow>> {
        health::history(self, period, scope)
    }

    fn account_details(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
        event: &str,
    ) -> Result<Vec<crate::AccountEvents>> {
        reports::account_details(self, period, scope, event)
    }

    fn feedback(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::Feedback>> {
        reports::feedback(self, period, scope)
    }

    fn reach(
        &self,
        period: tenure_core::report::Period,
        scope: &crate::Scope,
    ) -> Result<Vec<crate::Reach>> {
        reports::reach(self, period, scope)
    }

    fn alerts(&self, scope: &crate::Scope, live_only: bool) -> Result<Vec<crate::Alert>> {
        alerts::list(self, scope, live_only)
    }

    fn save_alerts(&mut self, alerts: &[crate::Alert]) -> Result<()> {
        alerts::save(self, alerts)
    }

    fn enqueue(&mut self, items: &[crate::OutboxItem]) -> Result<u64> {
        outbox::enqueue(self, items)
    }

    fn outbox_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
        skip: &[&str],
    ) -> Result<Vec<crate::OutboxItem>> {
        outbox::due(self, now, limit, skip)
    }

    fn outbox_attempted(&mut self, attempts: &[crate::Attempt]) -> Result<()> {
        outbox::attempted(self, attempts)
    }

    fn playbooks_evaluated(
        &mut self,
        audit: &[crate::AuditEntry],
        items: &[crate::OutboxItem],
        day_done: Option<chrono::NaiveDate>,
    ) -> Result<u64> {
        playbooks::evaluated(self, audit, items, day_done)
    }

    fn playbooks_last_day(&self) -> Result<Option<chrono::NaiveDate>> {
        playbooks::last_day(self)
    }

    fn playbook_audit(
        &self,
        since: DateTime<Utc>,
        playbook: Option<&str>,
        decisions_only: bool,
    ) -> Result<Vec<crate::AuditEntry>> {
        playbooks::audit(self, since, playbook, decisions_only)
    }

    fn save_messages(&mut self, messages: &[crate::InAppMessage]) -> Result<()> {
        playbooks::save_messages(self, messages)
    }

    fn messages(&self, user_id: &str, unread_only: bool) -> Result<Vec<crate::InAppMessage>> {
        playbooks::messages(self, user_id, unread_only)
    }

    fn mark_read(&mut self, id: &str, user_id: &str, at: DateTime<Utc>) -> Result<bool> {
        playbooks::mark_read(self, id, user_id, at)
    }

    fn save_tasks(&mut self, tasks: &[crate::Task]) -> Result<()> {
        playbooks::save_tasks(self, tasks)
    }

    fn tasks(&self, open_only: bool) -> Result<Vec<crate::Task>> {
        playbooks::tasks(self, open_only)
    }

    fn close_task(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        playbooks::close_task(self, id, at)
    }

    fn outbox(&self, status: Option<crate::OutboxStatus>) -> Result<Vec<crate::OutboxItem>> {
        outbox::list(self, status)
    }

    fn outbox_summary(&self) -> Result<Vec<crate::OutboxSummary>> {
        outbox::summary(self)
    }

    fn requeue_dead(&mut self, id: Option<&str>, at: DateTime<Utc>) -> Result<u64> {
        outbox::requeue_dead(self, id, at)
    }

    fn event_days(
        &self,
        period: tenure_core::report::Period,
        events: &[String],
    ) -> Result<Vec<crate::EventDay>> {
        fits::event_days(self, period, events)
    }

    fn platform_users(
        &self,
        period: tenure_core::report::Period,
        accounts: &[String],
    ) -> Result<Vec<String>> {
        fits::platform_users(self, period, accounts)
    }

    fn activity_span(&self) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>> {
        fits::activity_span(self)
    }

    fn save_model_fits(&mut self, day: chrono::NaiveDate, fits: &[crate::ModelFit]) -> Result<()> {
        fits::save(self, day, fits)
    }

    fn model_fits(&self, day: chrono::NaiveDate) -> Result<Vec<crate::ModelFit>> {
        fits::latest(self, day)
    }

    fn last_health_day(&self) -> Result<Option<chrono::NaiveDate>> {
        health::last_day(self)
    }

    fn user_active_days(&self, to: chrono::NaiveDate) -> Result<Vec<crate::ActiveDays>> {
        active_days::user_active_days(self, to)
    }

    fn has_no_events(&self) -> Result<bool> {
        let any: bool = self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM events)", [], |r| r.get(0))?;
        Ok(!any)
    }

    fn has_changes(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM account_changes) OR EXISTS (SELECT 1 FROM user_changes)",
            [],
            |r| r.get(0),
        )?)
    }

    fn abort_write(&mut self) -> Result<()> {
        write::abort(self)
    }

    fn mark_applied(&mut self, seq: u64) -> Result<()> {
        if self.pending.is_none() {
            return Err(StoreError::Invalid(
                "mark_applied called without begin_write".into(),
            ));
        }
        self.conn.execute(
            "UPDATE journal_state SET applied_seq = ?",
            duckdb::params![seq as i64],
        )?;
        Ok(())
    }

    fn journal_applied(&self) -> Result<u64> {
        let seq: i64 = self
            .conn
            .query_row("SELECT applied_seq FROM journal_state", [], |r| r.get(0))?;
        Ok(seq as u64)
    }

    fn for_each_message_id_since(
        &self,
        since: DateTime<Utc>,
        f: &mut dyn FnMut(&str, DateTime<Utc>),
    ) -> Result<()> {
        read::for_each_message_id_since(&self.conn, since, f)
    }

    fn known_ids(&self, entity: tenure_core::Entity) -> Result<std::collections::HashSet<String>> {
        read::known_ids(&self.conn, entity)
    }

    fn user_accounts(&self) -> Result<Vec<(String, String)>> {
        read::user_accounts(&self.conn)
    }

    fn sync_taxonomy(&mut self, taxonomy: &Taxonomy) -> Result<u64> {
        write::sync_taxonomy(&mut self.conn, taxonomy)
    }

    fn stats(&self) -> Result<Stats> {
        read::stats(&self.conn)
    }

    fn create_key(&mut self, key: &NewKey) -> Result<()> {
        keys::create(&self.conn, key)
    }

    fn list_keys(&self) -> Result<Vec<KeyInfo>> {
        keys::list(&self.conn)
    }

    fn revoke_key(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        keys::revoke(&self.conn, id, at)
    }

    fn live_keys(&self) -> Result<Vec<(String, KeyInfo)>> {
        keys::live(&self.conn)
    }

    fn reader(&self) -> Result<Box<dyn Store>> {
        Ok(Box::new(Self {
            conn: self.conn.try_clone()?,
            path: self.path.clone(),
            pending: None,
        }))
    }
}

#[cfg(test)]
mod tests;
