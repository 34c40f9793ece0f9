//! The import fast path (see [`Store::stage_ndjson`]): the parser threads
//! read the file once, counting the track calls and parsing the other
//! calls (see [`scan`]); then the store's engine reads the file again and
//! writes the tracks straight from it, while the others' accounts are
//! resolved here, in file order.

use super::{ImportError, ImportSummary};
use crate::resolve::{Pending, UserAccounts};
use crate::segment::{Limits, Message, Source};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use tenure_core::EntityChange;
use tenure_core::Taxonomy;
use tenure_core::model::Entity;
use tenure_store::{Dedup, NdjsonFile, Store, WriteBatch};

mod scan;

/// The share of the progress bar the first read takes (about its share of
/// the time).
const FIRST_READ: f64 = 0.1;

/// The fast path. `None`, with nothing written, when the first read finds a
/// line the parser rejects, or the store declines the file: the parser
/// then reads the whole file and names the first bad line.
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
    // Both reads as bytes of the file on the caller's bar.
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
    let first = |n: u64| read(n as f64 / bytes.max(1) as f64 * FIRST_READ);
    let source = Source::Import { imported_at };
    let Some(scan) = scan::scan(path, limits, taxonomy, source, &first)? else {
        read(1.0);
        return Ok(None);
    };
    let Some(file) = ndjson_file(path, taxonomy, limits, imported_at, &scan)? else {
        read(1.0);
        return Ok(None);
    };
    let accounts = UserAccounts::load(store).map_err(store_err)?;
    let history = store.has_changes().map_err(store_err)?;
    store.begin_write(Dedup::AgainstAll).map_err(store_err)?;
    let second = |f: f64| read(FIRST_READ + f * (1.0 - FIRST_READ));
    // The others' accounts are resolved while the engine writes the tracks.
    let (staged, batch) = std::thread::scope(|s| {
        let batch = s.spawn(|| resolved(scan.others, &accounts, history));
        let staged = store.stage_ndjson(&file, &second);
        (staged, batch.join())
    });
    read(1.0);
    let batch = batch.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let staged = match staged {
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
    Ok(Some(ImportSummary::of(path, scan.records, &outcome)))
}

/// What the store is told of the file: the users its other calls name
/// (whose tracks naming no account the engine must not resolve itself) and
/// their ids. `None` when two other calls share an id (the parser drops
/// the repeat).
fn ndjson_file(
    path: &Path,
    taxonomy: &Taxonomy,
    limits: Limits,
    imported_at: DateTime<Utc>,
    scan: &scan::Scan,
) -> Result<Option<NdjsonFile>, ImportError> {
    let mut ids = HashSet::with_capacity(scan.others.len());
    let mut movers = HashSet::new();
    for m in &scan.others {
        if !ids.insert(m.event.message_id.as_str()) {
            return Ok(None);
        }
        movers.extend(m.event.user_id.as_deref());
        movers.extend(
            m.changes
                .iter()
                .filter(|c| c.entity == Entity::User && c.field == "account_id")
                .map(|c| c.id.as_str()),
        );
    }
    Ok(Some(NdjsonFile {
        path: path.to_path_buf(),
        gzip: gzipped(path)?,
        max_message_bytes: limits.max_message_bytes,
        kinds: taxonomy
            .pairs()
            .into_iter()
            .map(|(event, kind)| (event, kind.as_str().to_string()))
            .collect(),
        imported_at,
        tracks: scan.tracks,
        movers: movers.into_iter().map(str::to_string).collect(),
        other_ids: ids.into_iter().map(str::to_string).collect(),
    }))
}

/// The other calls' events and changes, their accounts resolved in file
/// order. Without stored `history`, the changes that repeat the value
/// before them are left out (see [`without_repeats`]).
fn resolved(others: Vec<Message>, accounts: &UserAccounts, history: bool) -> WriteBatch {
    let mut batch = WriteBatch::default();
    let mut pending = Pending::default();
    for mut message in others {
        accounts.resolve(&mut message, &mut pending);
        batch.events.push(message.event);
        batch.changes.extend(message.changes);
    }
    if !history {
        batch.changes = without_repeats(std::mem::take(&mut batch.changes));
    }
    batch
}

/// The changes, in their order, less those that set a field of an account
/// or a user to the value its change before (in time, then in this order)
/// set: an identify sent with every page load repeats its traits. With no
/// change stored, these are exactly changes the commit would drop (it
/// keeps a change only where the value differs from the one before it),
/// and leaving them out does not change what it keeps of the others; they
/// are most of an import's changes (360,000 of which 3,600 are kept in the
/// benchmark file), so they are not staged at all.
fn without_repeats(changes: Vec<EntityChange>) -> Vec<EntityChange> {
    let texts: Vec<String> = changes.iter().map(|c| c.value.to_string()).collect();
    let field = |i: usize| {
        let c = &changes[i];
        (c.entity, c.id.as_str(), c.field.as_str())
    };
    let mut order: Vec<usize> = (0..changes.len()).collect();
    // Stable: changes at the same time stay in their order.
    order.sort_by_key(|&i| (field(i), changes[i].at));
    let mut keep = vec![true; changes.len()];
    for pair in order.windows(2) {
        if field(pair[0]) == field(pair[1]) && texts[pair[0]] == texts[pair[1]] {
            keep[pair[1]] = false;
        }
    }
    changes
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
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
