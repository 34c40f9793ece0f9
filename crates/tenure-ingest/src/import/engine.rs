//! The import fast path (see [`Store::stage_ndjson`]): the store's engine
//! reads the track calls of a JSONL file it maps exactly, and the other
//! calls go through the message parser here, in file order, while the
//! engine writes the tracks.

use super::{ImportError, ImportSummary};
use crate::resolve::{Pending, UserAccounts};
use crate::segment::{Limits, Source, parse_line};
use chrono::{DateTime, Utc};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use tenure_core::Taxonomy;
use tenure_store::{Dedup, NdjsonFile, Store, WriteBatch};

/// The fast path: the store reads the file's track calls itself, and the
/// other calls (a few percent of a typical file) are parsed in file order
/// on another thread while it writes them. `None`, with nothing written,
/// when the store declines the file or any of those calls fails to parse:
/// the parser then reads the whole file and names the first bad line.
pub(super) fn engine_import(
    store: &mut dyn Store,
    path: &Path,
    taxonomy: &Taxonomy,
    limits: Limits,
    imported_at: DateTime<Utc>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Option<ImportSummary>, ImportError> {
    let store_err = |source| ImportError::Store {
        file: path.to_path_buf(),
        source,
    };
    let file = NdjsonFile {
        path: path.to_path_buf(),
        gzip: gzipped(path)?,
        max_message_bytes: limits.max_message_bytes,
        kinds: taxonomy
            .pairs()
            .into_iter()
            .map(|(event, kind)| (event, kind.as_str().to_string()))
            .collect(),
        imported_at,
    };
    let accounts = UserAccounts::load(store).map_err(store_err)?;
    store.begin_write(Dedup::AgainstAll).map_err(store_err)?;
    // The engine's estimate of the file read, as bytes for the caller's bar.
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    let reported = Mutex::new((progress, 0u64));
    let read = |fraction: f64| {
        let mut guard = reported.lock().unwrap_or_else(|e| e.into_inner());
        let (progress, done) = &mut *guard;
        let now = ((fraction * bytes as f64) as u64).min(bytes);
        if now > *done {
            progress(now - *done);
            *done = now;
        }
    };
    // The others' sizes were checked as the file's lines.
    let unlimited = Limits {
        max_message_bytes: usize::MAX,
        ..limits
    };
    let source = Source::Import { imported_at };
    let mut batch = WriteBatch::default();
    // False once a message fails to parse.
    let mut parsed = true;
    let mut parse = |texts: Vec<String>| {
        let mut pending = Pending::default();
        for text in &texts {
            let Ok(mut message) = parse_line(text, unlimited, taxonomy, source) else {
                parsed = false;
                return;
            };
            accounts.resolve(&mut message, &mut pending);
            batch.events.push(message.event);
            batch.changes.extend(message.changes);
        }
    };
    let staged = match store.stage_ndjson(&file, &read, &mut parse) {
        Ok(Some(staged)) => staged,
        Ok(None) => {
            store.abort_write().map_err(store_err)?;
            return Ok(None);
        }
        Err(e) => {
            let _ = store.abort_write();
            return Err(store_err(e));
        }
    };
    if !parsed {
        store.abort_write().map_err(store_err)?;
        return Ok(None);
    }
    let written = if staged.empty {
        store.stage_new(&batch)
    } else {
        store.stage(&batch)
    };
    if let Err(e) = written {
        let _ = store.abort_write();
        return Err(store_err(e));
    }
    let outcome = store.commit_write().map_err(store_err)?;
    Ok(Some(ImportSummary::of(path, staged.records, &outcome)))
}

/// Whether the file starts as gzip does.
fn gzipped(path: &Path) -> Result<bool, ImportError> {
    let mut head = [0u8; 2];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| ImportError::Io {
            file: path.to_path_buf(),
            source,
        })?;
    Ok(super::is_gzip(&head[..n]))
}

#[cfg(test)]
mod tests;
