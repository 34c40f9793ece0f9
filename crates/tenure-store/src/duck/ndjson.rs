//! The import fast path: DuckDB's own JSON reader loads a Segment-format
//! JSONL file and writes its track calls with one parallel `INSERT`, where
//! the Rust parser and the appender take one core for the same work.
//!
//! It takes only what maps exactly onto the Rust parser's rules (see
//! [`crate::NdjsonFile`]): ids and event names as strings with a letter or
//! digit, each message's own `messageId` distinct within the file,
//! timestamps in strict RFC 3339 with at most microseconds, `properties`
//! and `context` objects, a string `context.groupId` or none. Anything
//! else (and any read error) leaves the write untouched and returns
//! `None`, and the caller parses the file itself. The other calls
//! (identify, group, page, screen, alias) go to the caller, in file order,
//! as JSON objects of the fields the parser reads, to parse on another
//! thread while the tracks are written.

use super::{DuckStore, reports::text};
use crate::{NdjsonFile, NdjsonStaged, Result, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The top-level fields read, each as `JSON` (absent: `NULL`).
const FIELDS: &[&str] = &[
    "type",
    "userId",
    "anonymousId",
    "messageId",
    "event",
    "name",
    "groupId",
    "previousId",
    "properties",
    "context",
    "traits",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
];

/// A field absent or `null` (never `NULL`).
fn none(field: &str) -> String {
    format!("({field} IS NULL OR {field}::VARCHAR = 'null')")
}

/// The fields read as strings: (JSON field, column). Each gives two
/// columns: its value (`{column}`, its text when not a string) and its
/// shape (`{column}_shape`: 0 absent or `null`, 1 a string, 2 anything
/// else), so each value is decoded once.
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

/// A track call (any other type, or none, goes to the parser; never
/// `NULL`).
const TRACK: &str = "coalesce(type::VARCHAR, '') = '\"track\"'";

impl DuckStore {
    /// See [`crate::Store::stage_ndjson`].
    pub(super) fn ndjson(
        &mut self,
        file: &NdjsonFile,
        progress: &(dyn Fn(f64) + Sync),
        others: &mut (dyn FnMut(Vec<String>) + Send),
    ) -> Result<Option<NdjsonStaged>> {
        let write_no =
            self.pending.as_ref().map(|p| p.write_no()).ok_or_else(|| {
                StoreError::Invalid("stage_ndjson called without begin_write".into())
            })?;
        // The reader's rows in file order: `rowid` is the line order.
        self.conn
            .execute_batch("SET preserve_insertion_order = true")?;
        let read = self.watched(progress, |store| store.read_ndjson(file));
        // A failed read aborts the transaction; the setting is the
        // connection's and can still be put back.
        let reset = self
            .conn
            .execute_batch("SET preserve_insertion_order = false");
        if let Err(e) = read {
            // A line DuckDB cannot read: the caller rolls back and its
            // parser names the line.
            tracing::info!(file = %file.path.display(), error = %e,
                           "the engine cannot read this file; parsing it instead");
            return Ok(None);
        }
        reset?;
        progress(1.0);
        let staged = self.stage_rows(file, write_no, others)?;
        self.conn
            .execute_batch("DROP TABLE IF EXISTS ndjson_rows; DROP TABLE IF EXISTS ndjson_kinds")?;
        Ok(staged)
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

    /// Reads the file into `ndjson_rows`, typed as it is read: per message
    /// whether it is a track, its ids, event name, `properties`, `context`
    /// and times as the parser would read them, and `fits`, whether the
    /// message is inside the fast path; the other calls as JSON objects of
    /// every field the parser reads.
    fn read_ndjson(&self, file: &NdjsonFile) -> Result<()> {
        let columns: Vec<String> = FIELDS.iter().map(|f| format!("'{f}': 'JSON'")).collect();
        let object: Vec<String> = FIELDS.iter().map(|f| format!("'{f}', {f}")).collect();
        let strings: Vec<String> = STRINGS
            .iter()
            .map(|(field, column)| {
                format!(
                    "{field}->>'$' AS {column},
                     CASE WHEN {field} IS NULL THEN 0
                          WHEN starts_with({field}::VARCHAR, '\"') THEN 1
                          WHEN {field}::VARCHAR = 'null' THEN 0 ELSE 2 END AS {column}_shape"
                )
            })
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
        self.conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE ndjson_rows AS
             SELECT track, message_id, user_id, anonymous_id, group_id, event_name,
                    properties, context, stamped, original, sent, received, other,
                    {message_named} AND (track OR user_id_shape < 2)
                    AND (NOT track OR ({user_fits} AND {anonymous_fits}
                                       AND (user_id_shape + anonymous_id_shape > 0)
                                       AND {event_named} AND shapes_fit AND {group_fits}
                                       AND {times_fit})) AS fits
             FROM (SELECT {TRACK} AS track, {strings},
                          CASE WHEN properties::VARCHAR = 'null' THEN NULL
                               ELSE properties END AS properties,
                          CASE WHEN context::VARCHAR = 'null' THEN NULL ELSE context END AS context,
                          ({no_properties} OR starts_with(properties::VARCHAR, '{{'))
                          AND ({no_context} OR starts_with(context::VARCHAR, '{{')) AS shapes_fit,
                          {times},
                          CASE WHEN NOT {TRACK} THEN json_object({object})::VARCHAR END AS other
                   FROM (SELECT *, json_extract(context, '$.groupId') AS g
                         FROM read_ndjson({path}, columns = {{{columns}}},
                                          format = 'newline_delimited', records = true,
                                          maximum_object_size = {max},
                                          compression = '{compression}')))",
            message_named = named("message_id"),
            user_fits = maybe_named("user_id"),
            anonymous_fits = maybe_named("anonymous_id"),
            event_named = named("event_name"),
            group_fits = maybe_named("group_id"),
            times_fit = times_fit.join(" AND "),
            strings = strings.join(", "),
            no_properties = none("properties"),
            no_context = none("context"),
            times = times.join(", "),
            object = object.join(", "),
            path = text(&file.path.to_string_lossy()),
            columns = columns.join(", "),
            max = file.max_message_bytes.max(1),
            compression = if file.gzip { "gzip" } else { "none" },
        ))?;
        Ok(())
    }

    /// Checks the rows read, then writes the tracks while `others` takes
    /// the other calls; `None` (nothing written) when any row is outside
    /// the fast path.
    fn stage_rows(
        &mut self,
        file: &NdjsonFile,
        write_no: i64,
        others: &mut (dyn FnMut(Vec<String>) + Send),
    ) -> Result<Option<NdjsonStaged>> {
        // With `records = true` each non-blank line is one row or an error.
        let records = self.count("SELECT count(*) FROM ndjson_rows")? as u64;
        // Every message names its own id, distinct in the file; each track
        // maps exactly; a track naming no account takes its user's current
        // one, unless another call in the file could change it. The other
        // calls are the parser's to check.
        let outside = self.count("SELECT count(*) FROM ndjson_rows WHERE NOT fits")?;
        let repeated =
            self.count("SELECT count(*) - count(DISTINCT message_id) FROM ndjson_rows")?;
        let moved = self.count(
            "SELECT count(*) FROM ndjson_rows
             WHERE track AND group_id IS NULL
               AND user_id IN (SELECT user_id FROM ndjson_rows WHERE NOT track)",
        )?;
        if outside + repeated + moved > 0 {
            tracing::info!(file = %file.path.display(), outside, repeated, moved,
                           "messages outside the engine's reader; parsing the file instead");
            return Ok(None);
        }
        self.conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE ndjson_kinds (event VARCHAR, kind VARCHAR)",
        )?;
        {
            let mut app = self.conn.appender("ndjson_kinds")?;
            for (event, kind) in &file.kinds {
                app.append_row([event.as_str(), kind.as_str()])?;
            }
            app.flush()?;
        }
        let empty = !self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM events)", [], |r| {
                r.get::<_, bool>(0)
            })?;
        let table = if empty { "events" } else { "import_staging" };
        let texts = {
            let mut stmt = self
                .conn
                .prepare("SELECT other FROM ndjson_rows WHERE NOT track ORDER BY rowid")?;
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        // Segment's timestamp rules as the parser applies them to imports:
        // with `receivedAt` the client's clock skew is corrected; without,
        // the message was received when sent (or stamped).
        let insert = format!(
            "INSERT INTO {table} (message_id, type, user_id, anonymous_id, account_id, event,
                                      kind, properties, traits, context, previous_id, timestamp,
                                      original_timestamp, sent_at, received_at, write_no)
                 SELECT message_id, 'track', user_id, anonymous_id,
                        coalesce(group_id, u.account_id), event_name, coalesce(k.kind, 'other'),
                        properties, NULL, context, NULL,
                        CASE WHEN original IS NOT NULL AND received IS NOT NULL
                                  AND sent IS NOT NULL
                             THEN received - (sent - original)
                             ELSE coalesce(original, received, sent, TIMESTAMP {imported}) END,
                        original, sent,
                        coalesce(received, sent, original, TIMESTAMP {imported}),
                        {write_no}
                 FROM (SELECT * EXCLUDE (original), coalesce(original, stamped) AS original
                       FROM ndjson_rows WHERE track) r
                 LEFT JOIN ndjson_kinds k ON k.event = r.event_name
                 LEFT JOIN users u ON r.group_id IS NULL AND u.id = r.user_id",
            imported = text(&file.imported_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        );
        // The caller parses the others on one core while the engine
        // writes the tracks.
        let conn = &self.conn;
        let tracks = std::thread::scope(|s| {
            s.spawn(move || others(texts));
            conn.execute(&insert, [])
        })? as u64;
        if let Some(p) = self.pending.as_mut() {
            p.add_events(tracks, empty);
        }
        Ok(Some(NdjsonStaged {
            records,
            tracks,
            empty,
        }))
    }
}
