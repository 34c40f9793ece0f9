//! The import fast path: DuckDB's own JSON reader reads a Segment-format
//! JSONL file and writes its track calls with one parallel `INSERT`
//! straight from the file, where the Rust parser and the appender take one
//! core for the same work.
//!
//! It takes only tracks that map exactly onto the Rust parser's rules: ids
//! and event names as strings with a letter or digit, each track's own
//! `messageId`, distinct within the file, timestamps in strict RFC 3339
//! with at most microseconds, `properties` and `context` objects, a string
//! `context.groupId` or none. Any other track stops the `INSERT` with an
//! error, as does a track naming no account for a user another call in the
//! file names (its account could change in between); the caller then rolls
//! back and parses the file itself. The caller has read the file once
//! already (see [`crate::NdjsonFile`]): it parses the other calls
//! (identify, group, page, screen, alias) itself, and the counts and ids it
//! found are checked against what the engine wrote.

use super::{DuckStore, reports::text};
use crate::{NdjsonFile, NdjsonStaged, Result, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The top-level fields of a track the parser reads, each as `JSON`
/// (absent: `NULL`).
const FIELDS: &[&str] = &[
    "type",
    "userId",
    "anonymousId",
    "messageId",
    "event",
    "properties",
    "context",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
];

/// A field absent or `null` (never `NULL`).
fn none(field: &str) -> String {
    format!("({field} IS NULL OR {field}::VARCHAR = 'null')")
}

/// The fields read as strings: (JSON field, column), each read with
/// [`string_field`].
const STRINGS: &[(&str, &str)] = &[
    ("messageId", "message_id"),
    ("userId", "user_id"),
    ("anonymousId", "anonymous_id"),
    ("event", "event_name"),
    ("g", "group_id"),
];

/// A string column with a letter or digit, so never blank once trimmed.
fn named(column: &str) -> String {
    format!("({column}_shape = 1 AND regexp_matches({column}, '[0-9A-Za-z]'))")
}

/// Absent, `null` or [`named`].
fn maybe_named(column: &str) -> String {
    format!("({column}_shape = 0 OR {})", named(column))
}

/// RFC 3339 as `parse_timestamp` reads it, at most microseconds, as the
/// JSON text of a string.
const TIME_PATTERN: &str =
    r#""\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)""#;

/// The UTC time of a field: `NULL` when absent, `null`, or not a time in
/// [`TIME_PATTERN`] on a day that exists.
fn time(field: &str) -> String {
    format!(
        "CASE WHEN regexp_full_match({field}::VARCHAR, '{TIME_PATTERN}') THEN
             try_strptime(replace({field}::VARCHAR, 'Z\"', '+00:00\"'),
                          ['\"%Y-%m-%dT%H:%M:%S%z\"', '\"%Y-%m-%dT%H:%M:%S.%f%z\"'])::TIMESTAMP
         END"
    )
}

/// The times Segment's rules read: (field, column).
const TIMES: &[(&str, &str)] = &[
    ("timestamp", "stamped"),
    ("originalTimestamp", "original"),
    ("sentAt", "sent"),
    ("receivedAt", "received"),
];

/// A track call (any other type, or none, is the caller's; never `NULL`).
const TRACK: &str = "coalesce(type::VARCHAR, '') = '\"track\"'";

/// Puts back the optimizer the `INSERT` runs without.
pub(super) const RESET_OPTIMIZERS: &str = "SET disabled_optimizers = ''";

/// A string field's value (`{column}`: its text when a string, else
/// `NULL`) and shape (`{column}_shape`: 0 absent or `null`, 1 a string, 2
/// anything else).
fn string_field(field: &str, column: &str) -> String {
    format!(
        "CASE WHEN starts_with({field}::VARCHAR, '\"') THEN {field}->>'$' END AS {column},
         CASE WHEN {field} IS NULL THEN 0
              WHEN starts_with({field}::VARCHAR, '\"') THEN 1
              WHEN {field}::VARCHAR = 'null' THEN 0 ELSE 2 END AS {column}_shape"
    )
}

/// The track calls of the file, typed as the parser would read them: a
/// track outside the fast path stops the query with an error.
fn tracks_sql(file: &NdjsonFile) -> String {
    let columns: Vec<String> = FIELDS.iter().map(|f| format!("'{f}': 'JSON'")).collect();
    let strings: Vec<String> = STRINGS
        .iter()
        .map(|(field, column)| string_field(field, column))
        .collect();
    let times: Vec<String> = TIMES
        .iter()
        .map(|(field, column)| {
            format!(
                "{time} AS {column}, {none} AS {column}_none",
                time = time(field),
                none = none(field)
            )
        })
        .collect();
    let times_fit: Vec<String> = TIMES
        .iter()
        .map(|(_, column)| format!("({column}_none OR {column} IS NOT NULL)"))
        .collect();
    format!(
        "SELECT message_id, user_id, anonymous_id, group_id, event_name, properties, context,
                coalesce(original, stamped) AS original, sent, received
         FROM (SELECT {TRACK} AS track, {strings},
                      CASE WHEN properties::VARCHAR = 'null' THEN NULL
                           ELSE properties END AS properties,
                      CASE WHEN context::VARCHAR = 'null' THEN NULL ELSE context END AS context,
                      ({no_properties} OR starts_with(properties::VARCHAR, '{{'))
                      AND ({no_context} OR starts_with(context::VARCHAR, '{{')) AS shapes_fit,
                      {times}
               FROM (SELECT *, json_extract(context, '$.groupId') AS g
                     FROM read_ndjson({path}, columns = {{{columns}}},
                                      format = 'newline_delimited', records = true,
                                      maximum_object_size = {max},
                                      compression = '{compression}')))
         WHERE CASE WHEN NOT track THEN false
                    WHEN coalesce({message_named} AND {user_fits} AND {anonymous_fits}
                                  AND user_id_shape + anonymous_id_shape > 0
                                  AND {event_named} AND shapes_fit AND {group_fits}
                                  AND {times_fit}, false) THEN true
                    ELSE error('a track call outside the engine''s reader') END",
        strings = strings.join(", "),
        no_properties = none("properties"),
        no_context = none("context"),
        times = times.join(", "),
        message_named = named("message_id"),
        user_fits = maybe_named("user_id"),
        anonymous_fits = maybe_named("anonymous_id"),
        event_named = named("event_name"),
        group_fits = maybe_named("group_id"),
        times_fit = times_fit.join(" AND "),
        path = text(&file.path.to_string_lossy()),
        columns = columns.join(", "),
        max = file.max_message_bytes.max(1),
        compression = if file.gzip { "gzip" } else { "none" },
    )
}

impl DuckStore {
    /// See [`crate::Store::stage_ndjson`].
    pub(super) fn ndjson(
        &mut self,
        file: &NdjsonFile,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<Option<NdjsonStaged>> {
        let write_no =
            self.pending.as_ref().map(|p| p.write_no()).ok_or_else(|| {
                StoreError::Invalid("stage_ndjson called without begin_write".into())
            })?;
        self.side_tables(file)?;
        let empty = !self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM events)", [], |r| {
                r.get::<_, bool>(0)
            })?;
        let table = if empty { "events" } else { "import_staging" };
        // Segment's timestamp rules as the parser applies them to imports:
        // with `receivedAt` the client's clock skew is corrected; without,
        // the message was received when sent (or stamped). A track naming
        // no account takes its user's, unless another call names the user.
        let insert = format!(
            "INSERT INTO {table} (message_id, type, user_id, anonymous_id, account_id, event,
                                  kind, properties, traits, context, previous_id, timestamp,
                                  original_timestamp, sent_at, received_at, write_no)
             SELECT message_id, 'track', user_id, anonymous_id,
                    CASE WHEN u.moved
                         THEN error('a track call naming no account for a user another call names')
                         ELSE coalesce(group_id, u.account_id) END,
                    event_name, coalesce(k.kind, 'other'), properties, NULL, context, NULL,
                    CASE WHEN original IS NOT NULL AND received IS NOT NULL
                              AND sent IS NOT NULL
                         THEN received - (sent - original)
                         ELSE coalesce(original, received, sent, TIMESTAMP {imported}) END,
                    original, sent,
                    coalesce(received, sent, original, TIMESTAMP {imported}),
                    {write_no}
             FROM ({tracks}) r
             LEFT JOIN ndjson_kinds k ON k.event = r.event_name
             LEFT JOIN (SELECT id, account_id, false AS moved FROM users
                        WHERE id NOT IN (SELECT user_id FROM ndjson_movers)
                        UNION ALL
                        SELECT DISTINCT user_id, NULL, true FROM ndjson_movers) u
                    ON r.group_id IS NULL AND u.id = r.user_id",
            tracks = tracks_sql(file),
            imported = text(&file.imported_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        );
        // DuckDB cannot tell how many lines the file holds and may put the
        // file's rows, properties and all, in the join's hash table instead
        // of the users (0.3 s more on 2,000,000 events, and 0.8 GB).
        self.conn
            .execute_batch("SET disabled_optimizers = 'build_side_probe_side'")?;
        let written = self.watched(progress, |store| Ok(store.conn.execute(&insert, [])?));
        if written.is_ok() {
            // After a failure the transaction is aborted and this cannot
            // run: the caller's rollback puts it back.
            self.conn.execute_batch(RESET_OPTIMIZERS)?;
        }
        progress(1.0);
        let written = match written {
            Ok(n) => n as u64,
            Err(e) => {
                // A track outside the fast path, or a line DuckDB cannot
                // read: the caller rolls back and its parser names the line
                // (any other failure meets the parser again and is told).
                tracing::info!(file = %file.path.display(), error = %e,
                               "the engine cannot take this file; parsing it instead");
                return Ok(None);
            }
        };
        // Every track id distinct and none an other call's; as many tracks
        // as the caller counted (else the file changed in between, or a
        // line the caller took for a track is another call).
        let (repeated, taken): (i64, i64) = self.conn.query_row(
            &format!(
                "SELECT count(*) - count(DISTINCT message_id),
                        count(*) FILTER (WHERE message_id IN (SELECT id FROM ndjson_ids))
                 FROM {table} WHERE write_no = {write_no}"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if written != file.tracks || repeated + taken > 0 {
            tracing::info!(file = %file.path.display(), tracks = file.tracks, written,
                           repeated, taken,
                           "the engine's tracks disagree with the file; parsing it instead");
            return Ok(None);
        }
        self.conn.execute_batch(
            "DROP TABLE ndjson_kinds; DROP TABLE ndjson_movers; DROP TABLE ndjson_ids",
        )?;
        if let Some(p) = self.pending.as_mut() {
            p.add_events(written, empty);
        }
        Ok(Some(NdjsonStaged {
            tracks: written,
            empty,
        }))
    }

    /// The taxonomy, the users the other calls name and their ids, as
    /// temporary tables the `INSERT` reads.
    fn side_tables(&self, file: &NdjsonFile) -> Result<()> {
        self.conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE ndjson_kinds (event VARCHAR, kind VARCHAR);
             CREATE OR REPLACE TEMP TABLE ndjson_movers (user_id VARCHAR);
             CREATE OR REPLACE TEMP TABLE ndjson_ids (id VARCHAR)",
        )?;
        let mut app = self.conn.appender("ndjson_kinds")?;
        for (event, kind) in &file.kinds {
            app.append_row([event.as_str(), kind.as_str()])?;
        }
        app.flush()?;
        for (table, values) in [
            ("ndjson_movers", &file.movers),
            ("ndjson_ids", &file.other_ids),
        ] {
            let mut app = self.conn.appender(table)?;
            for value in values {
                app.append_row([value.as_str()])?;
            }
            app.flush()?;
        }
        Ok(())
    }

    /// Runs `work` while another thread passes DuckDB's estimate of how far
    /// the running query has got to `progress` every 100 ms.
    fn watched<T>(
        &self,
        progress: &(dyn Fn(f64) + Sync),
        work: impl FnOnce(&Self) -> Result<T>,
    ) -> Result<T> {
        self.conn.set_query_progress_tracking(true)?;
        let handle = self.conn.progress_handle();
        let done = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                let mut best = 0.0;
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    if let Some(pct) = handle.query_progress().percentage()
                        && pct / 100.0 > best
                    {
                        best = (pct / 100.0).min(1.0);
                        progress(best);
                    }
                }
            });
            let result = work(self);
            done.store(true, Ordering::Relaxed);
            result
        });
        // After a failed query, in an aborted transaction, this may fail
        // too: tracking then stays on, which costs nothing noticeable.
        let _ = self.conn.set_query_progress_tracking(false);
        result
    }
}
