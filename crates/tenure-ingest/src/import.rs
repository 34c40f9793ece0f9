//! Bulk imports: Segment-format JSONL (optionally gzipped) and the accounts
//! and users CSV files.
//!
//! Each file is one transaction: a bad line stops the import with an error
//! naming the file, the line and the field, and nothing of that file is
//! kept. Events go through the same parser as the HTTP API; re-importing a
//! file adds nothing (ids already stored are skipped, and events without a
//! `messageId` get one from their content).

use crate::resolve::{Pending, UserAccounts};
use crate::segment::{Limits, ParseError, Source, parse_line};
use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use tenure_core::model::Entity;
use tenure_core::time::parse_timestamp;
use tenure_core::{EntityChange, Taxonomy, traits};
use tenure_store::{Dedup, Store, StoreError, WriteBatch};

/// Rows staged per call into the store while a file streams through.
const CHUNK: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}:{line}: {}{reason}", file.display(), field_part(field))]
    Invalid {
        file: PathBuf,
        line: u64,
        field: String,
        reason: String,
    },
    #[error("cannot read {}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", file.display())]
    Store { file: PathBuf, source: StoreError },
}

fn field_part(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("field `{field}`: ")
    }
}

/// What one file added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub file: PathBuf,
    /// Records read (lines of JSONL, rows of CSV).
    pub records: u64,
    /// Events stored now (not already there).
    pub events_stored: u64,
    /// Trait changes stored now.
    pub changes_stored: u64,
}

/// Counts bytes as they are read, for progress bars.
struct Counting<R> {
    inner: R,
    progress: Box<dyn FnMut(u64)>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Opens a file, gunzipping it when it starts with the gzip magic bytes.
fn open(path: &Path, progress: Box<dyn FnMut(u64)>) -> Result<Box<dyn BufRead>, ImportError> {
    let io = |source| ImportError::Io {
        file: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let gzip = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let counted = Counting {
        inner: file,
        progress,
    };
    Ok(if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(counted),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, counted))
    })
}

/// Runs `body` inside one write transaction, rolling it back on error.
fn in_transaction<T>(
    store: &mut dyn Store,
    path: &Path,
    body: impl FnOnce(&mut dyn Store) -> Result<T, ImportError>,
) -> Result<(T, tenure_store::WriteOutcome), ImportError> {
    let store_err = |source| ImportError::Store {
        file: path.to_path_buf(),
        source,
    };
    store.begin_write(Dedup::AgainstAll).map_err(store_err)?;
    match body(store) {
        Ok(value) => {
            let outcome = store.commit_write().map_err(store_err)?;
            Ok((value, outcome))
        }
        Err(e) => {
            let _ = store.abort_write();
            Err(e)
        }
    }
}

/// Imports one Segment-format JSONL file (gzipped or not).
pub fn import_events(
    store: &mut dyn Store,
    path: &Path,
    taxonomy: &Taxonomy,
    limits: Limits,
    imported_at: DateTime<Utc>,
    progress: Box<dyn FnMut(u64)>,
) -> Result<ImportSummary, ImportError> {
    let mut reader = open(path, progress)?;
    let mut accounts = UserAccounts::load(store).map_err(|source| ImportError::Store {
        file: path.to_path_buf(),
        source,
    })?;
    let source = Source::Import { imported_at };
    let (records, outcome) = in_transaction(store, path, |store| {
        let mut line = String::new();
        let mut number = 0u64;
        let mut records = 0u64;
        let mut batch = WriteBatch::default();
        let mut pending = Pending::default();
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .map_err(|source| ImportError::Io {
                    file: path.to_path_buf(),
                    source,
                })?;
            if n == 0 {
                break;
            }
            number += 1;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            let mut message = parse_line(text, limits, taxonomy, source).map_err(|e| {
                let (field, reason) = match e {
                    ParseError::InvalidMessage { field, reason, .. } => (field, reason),
                    other => (String::new(), other.to_string()),
                };
                ImportError::Invalid {
                    file: path.to_path_buf(),
                    line: number,
                    field,
                    reason,
                }
            })?;
            accounts.resolve(&mut message, &mut pending);
            batch.events.push(message.event);
            batch.changes.extend(message.changes);
            records += 1;
            if batch.events.len() >= CHUNK {
                stage(store, path, &mut batch)?;
            }
        }
        stage(store, path, &mut batch)?;
        Ok(records)
    })?;
    accounts.commit(Pending::default());
    Ok(ImportSummary {
        file: path.to_path_buf(),
        records,
        events_stored: outcome.events_written,
        changes_stored: outcome.changes_written,
    })
}

fn stage(store: &mut dyn Store, path: &Path, batch: &mut WriteBatch) -> Result<(), ImportError> {
    store.stage(batch).map_err(|source| ImportError::Store {
        file: path.to_path_buf(),
        source,
    })?;
    batch.events.clear();
    batch.changes.clear();
    Ok(())
}

/// Imports the accounts CSV (`id` plus any of the recognised account fields;
/// other columns become free-form traits) or the users CSV (`id`,
/// `account_id`, recognised user fields, `groups` separated by `;`).
///
/// Changes take effect at `at`, except for an account or user the store has
/// never seen: its row takes effect at its `created_at` when it has one.
pub fn import_csv(
    store: &mut dyn Store,
    entity: Entity,
    path: &Path,
    at: DateTime<Utc>,
    progress: Box<dyn FnMut(u64)>,
) -> Result<ImportSummary, ImportError> {
    let reader = open(path, progress)?;
    let invalid = |line: u64, field: &str, reason: String| ImportError::Invalid {
        file: path.to_path_buf(),
        line,
        field: field.to_string(),
        reason,
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| invalid(1, "", format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let required: &[&str] = match entity {
        Entity::Account => &["id"],
        Entity::User => &["id", "account_id"],
    };
    for column in required {
        if !headers.iter().any(|h| h == column) {
            return Err(invalid(1, column, "this column is required".into()));
        }
    }
    let known = store
        .known_ids(entity)
        .map_err(|source| ImportError::Store {
            file: path.to_path_buf(),
            source,
        })?;
    let (records, outcome) = in_transaction(store, path, |store| {
        let mut batch = WriteBatch::default();
        let mut records = 0u64;
        for row in csv.records() {
            let row = row.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                invalid(line, "", e.to_string())
            })?;
            let line = row.position().map_or(0, |p| p.line());
            let cells: Vec<(&str, &str)> =
                headers.iter().map(String::as_str).zip(row.iter()).collect();
            let id = cells
                .iter()
                .find(|(h, _)| *h == "id")
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(line, "id", "is empty".into()))?;
            let is_new = !known.contains(id);
            let created = cells
                .iter()
                .find(|(h, _)| *h == "created_at")
                .and_then(|(_, v)| parse_timestamp(v));
            let when = if is_new { created.unwrap_or(at) } else { at };
            batch.changes.push(EntityChange {
                entity,
                id: id.to_string(),
                field: "id".into(),
                value: serde_json::Value::String(id.to_string()),
                at: when,
            });
            for (header, cell) in cells {
                if header == "id" || header.is_empty() {
                    continue;
                }
                let recognised = traits::is_recognised(entity, header);
                if !recognised && cell.is_empty() {
                    continue;
                }
                let value = traits::from_text(entity, header, cell)
                    .map_err(|r| invalid(line, header, r))?;
                if is_new && value.is_null() {
                    continue;
                }
                batch.changes.push(EntityChange {
                    entity,
                    id: id.to_string(),
                    field: header.to_string(),
                    value,
                    at: when,
                });
            }
            records += 1;
            if batch.changes.len() >= CHUNK {
                stage(store, path, &mut batch)?;
            }
        }
        stage(store, path, &mut batch)?;
        Ok(records)
    })?;
    Ok(ImportSummary {
        file: path.to_path_buf(),
        records,
        events_stored: outcome.events_written,
        changes_stored: outcome.changes_written,
    })
}
