//! Bulk imports: Segment-format JSONL (optionally gzipped) and the accounts
//! and users CSV files.
//!
//! Each file is one transaction: a bad line stops the import with an error
//! naming the file, the line and the field, and nothing of that file is
//! kept. Events are stored as the HTTP API's parser reads them: either it
//! reads every line, or, for a file the store's engine maps exactly, the
//! engine reads the track calls itself (see [`engine`]) and the parser the
//! rest. Re-importing a file adds nothing (ids already stored are skipped,
//! and events without a `messageId` get one from their content).

use crate::dedup::{Fingerprint, PassThrough};
use crate::resolve::{Pending, UserAccounts};
use crate::segment::{Limits, Message, ParseError, Source, parse_line};
use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use tenure_core::model::Entity;
use tenure_core::time::parse_timestamp;
use tenure_core::{EntityChange, Taxonomy, traits};
use tenure_store::{Dedup, Store, StoreError, WriteBatch, WriteOutcome};

mod engine;

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

impl ImportSummary {
    fn of(file: &Path, records: u64, outcome: &WriteOutcome) -> Self {
        Self {
            file: file.to_path_buf(),
            records,
            events_stored: outcome.events_written,
            changes_stored: outcome.changes_written,
        }
    }
}

/// Counts bytes as they are read, for progress bars.
struct Counting<R> {
    inner: R,
    progress: Box<dyn FnMut(u64) + Send>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Whether text starting with `head` is gzip (its magic bytes).
fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Opens a file, gunzipping it when it starts with the gzip magic bytes.
fn open(
    path: &Path,
    progress: Box<dyn FnMut(u64) + Send>,
) -> Result<Box<dyn BufRead + Send>, ImportError> {
    let io = |source| ImportError::Io {
        file: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let gzip = is_gzip(file.fill_buf().map_err(io)?);
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
///
/// Parsing runs on `parse_threads()` threads, each taking the next block of
/// whole lines from the (shared, locked) reader; this thread puts the parsed
/// blocks back in file order, resolves accounts in that order and stages
/// them, so the store is written while the next blocks are parsed.
///
/// Into a store without events, the file's rows go straight into the events
/// table (repeats of an id within the file dropped here, the first kept);
/// otherwise they are staged and kept at commit unless already stored.
/// After the commit the report rollups are refreshed.
pub fn import_events(
    store: &mut dyn Store,
    path: &Path,
    taxonomy: &Taxonomy,
    limits: Limits,
    imported_at: DateTime<Utc>,
    progress: Box<dyn FnMut(u64) + Send>,
) -> Result<ImportSummary, ImportError> {
    import_events_by(
        store,
        path,
        taxonomy,
        limits,
        imported_at,
        progress,
        Reader::Engine,
    )
}

/// Who reads an events file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The store's own reader when the file allows (see
    /// [`Store::stage_ndjson`]), else the parser.
    Engine,
    /// The parser, line by line, always.
    Parser,
}

/// [`import_events`], with the reader chosen.
pub fn import_events_by(
    store: &mut dyn Store,
    path: &Path,
    taxonomy: &Taxonomy,
    limits: Limits,
    imported_at: DateTime<Utc>,
    mut progress: Box<dyn FnMut(u64) + Send>,
    reader: Reader,
) -> Result<ImportSummary, ImportError> {
    let source = Source::Import { imported_at };
    // Bytes the engine's read has shown on the caller's bar.
    let mut shown = 0u64;
    // The engine reads the file twice: a pipe (`/dev/stdin` fed by
    // `zcat`, a FIFO) can be read once, so the parser takes it.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let fast = match reader {
        Reader::Engine if regular => {
            let mut counted = |n: u64| {
                shown += n;
                progress(n);
            };
            engine::engine_import(store, path, taxonomy, limits, imported_at, &mut counted)?
        }
        Reader::Engine | Reader::Parser => None,
    };
    let summary = match fast {
        Some(summary) => {
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            progress(bytes.saturating_sub(shown));
            summary
        }
        None => {
            // The parser reads the file again: its first bytes are shown.
            let mut skip = shown;
            let progress = Box::new(move |n: u64| {
                let skipped = n.min(skip);
                skip -= skipped;
                if n > skipped {
                    progress(n - skipped);
                }
            });
            import_jsonl(
                store,
                path,
                taxonomy,
                limits,
                source,
                progress,
                DIRECT_IDS_CAP,
            )?
        }
    };
    store
        .refresh_rollups()
        .map_err(|source| ImportError::Store {
            file: path.to_path_buf(),
            source,
        })?;
    Ok(summary)
}

fn import_jsonl(
    store: &mut dyn Store,
    path: &Path,
    taxonomy: &Taxonomy,
    limits: Limits,
    source: Source,
    progress: Box<dyn FnMut(u64) + Send>,
    ids_cap: usize,
) -> Result<ImportSummary, ImportError> {
    let reader = Mutex::new(Blocks::new(open(path, progress)?, BLOCK_BYTES));
    let accounts = UserAccounts::load(store).map_err(|source| ImportError::Store {
        file: path.to_path_buf(),
        source,
    })?;
    let (records, outcome) = in_transaction(store, path, |store| {
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let workers = parse_threads();
            let (done_tx, done_rx) = mpsc::sync_channel::<Parsed>(workers * 2);
            for _ in 0..workers {
                let done_tx = done_tx.clone();
                let (reader, stop) = (&reader, &stop);
                let parse = move || {
                    while !stop.load(Ordering::Relaxed) {
                        let next = reader.lock().map(|mut r| r.next(path));
                        let Ok(Some(block)) = next else { break };
                        let parsed =
                            block.and_then(|b| parse_block(b, path, limits, taxonomy, source));
                        if done_tx.send(parsed).is_err() {
                            break;
                        }
                    }
                };
                std::thread::Builder::new()
                    .name("tenure-parse".into())
                    .spawn_scoped(scope, parse)
                    .map_err(|source| ImportError::Io {
                        file: path.to_path_buf(),
                        source,
                    })?;
            }
            drop(done_tx);
            let result = store
                .has_no_events()
                .map_err(|source| ImportError::Store {
                    file: path.to_path_buf(),
                    source,
                })
                .and_then(|empty| {
                    let ids = FileIds::new(empty, ids_cap);
                    write_in_order(store, path, &done_rx, &accounts, ids)
                });
            // On an error, stop the parsers and drain what they were sending.
            stop.store(true, Ordering::Relaxed);
            while done_rx.recv().is_ok() {}
            result
        })
    })?;
    Ok(ImportSummary::of(path, records, &outcome))
}

/// Threads that parse JSONL lines during an import: one per core (this
/// thread, which appends, mostly waits on them).
fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Bytes read per block of lines handed to a parser.
const BLOCK_BYTES: usize = 1 << 20;

/// Whole lines read from a file, numbered in file order.
struct Block {
    seq: u64,
    /// The number of the block's first line (1-based).
    first_line: u64,
    bytes: Vec<u8>,
}

/// Messages parsed from one [`Block`].
type Parsed = Result<(u64, Vec<Message>), ImportError>;

/// Splits a reader into blocks of whole lines.
struct Blocks {
    reader: Box<dyn BufRead + Send>,
    block_bytes: usize,
    /// The start of an unfinished line carried over to the next block.
    carry: Vec<u8>,
    seq: u64,
    line: u64,
    done: bool,
}

impl Blocks {
    fn new(reader: Box<dyn BufRead + Send>, block_bytes: usize) -> Self {
        Self {
            reader,
            block_bytes,
            carry: Vec::new(),
            seq: 0,
            line: 1,
            done: false,
        }
    }

    fn next(&mut self, path: &Path) -> Option<Result<Block, ImportError>> {
        if self.done {
            return None;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.reserve(self.block_bytes);
        let read = (&mut self.reader)
            .take(self.block_bytes as u64)
            .read_to_end(&mut bytes);
        match read {
            Err(source) => {
                self.done = true;
                return Some(Err(ImportError::Io {
                    file: path.to_path_buf(),
                    source,
                }));
            }
            Ok(0) => self.done = true,
            Ok(_) => match bytes.iter().rposition(|&b| b == b'\n') {
                Some(end) => self.carry = bytes.split_off(end + 1),
                // A line longer than a block: read on until it ends.
                None => return self.next_long(bytes, path),
            },
        }
        if bytes.is_empty() {
            return None;
        }
        Some(Ok(self.block(bytes)))
    }

    fn next_long(&mut self, mut bytes: Vec<u8>, path: &Path) -> Option<Result<Block, ImportError>> {
        if let Err(source) = self.reader.read_until(b'\n', &mut bytes) {
            self.done = true;
            return Some(Err(ImportError::Io {
                file: path.to_path_buf(),
                source,
            }));
        }
        Some(Ok(self.block(bytes)))
    }

    fn block(&mut self, bytes: Vec<u8>) -> Block {
        let block = Block {
            seq: self.seq,
            first_line: self.line,
            bytes,
        };
        self.seq += 1;
        self.line += memchr::memchr_iter(b'\n', &block.bytes).count() as u64;
        block
    }
}

fn parse_block(
    block: Block,
    path: &Path,
    limits: Limits,
    taxonomy: &Taxonomy,
    source: Source,
) -> Parsed {
    let mut messages = Vec::new();
    for (i, line) in block.bytes.split(|&b| b == b'\n').enumerate() {
        let number = block.first_line + i as u64;
        let invalid = |field: String, reason: String| ImportError::Invalid {
            file: path.to_path_buf(),
            line: number,
            field,
            reason,
        };
        let text = std::str::from_utf8(line)
            .map_err(|e| invalid(String::new(), format!("not UTF-8 text: {e}")))?
            .trim();
        if text.is_empty() {
            continue;
        }
        let message = parse_line(text, limits, taxonomy, source).map_err(|e| match e {
            ParseError::InvalidMessage { field, reason, .. } => invalid(field, reason),
            other => invalid(String::new(), other.to_string()),
        })?;
        messages.push(message);
    }
    Ok((block.seq, messages))
}

/// Items numbered 0, 1, 2, ... that arrive in any order, handed out in
/// order.
#[derive(Debug)]
struct InOrder<T> {
    waiting: BTreeMap<u64, T>,
    next: u64,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        Self {
            waiting: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<T> InOrder<T> {
    fn insert(&mut self, seq: u64, item: T) {
        self.waiting.insert(seq, item);
    }

    /// The next item in order, once it has arrived.
    fn pop(&mut self) -> Option<T> {
        let item = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(item)
    }
}

/// Stages parsed blocks in file order (they arrive in any order), resolving
/// each event's account on the way. Returns the number of messages.
fn write_in_order(
    store: &mut dyn Store,
    path: &Path,
    parsed: &mpsc::Receiver<Parsed>,
    accounts: &UserAccounts,
    mut ids: FileIds,
) -> Result<u64, ImportError> {
    let mut in_order = InOrder::default();
    let mut records = 0u64;
    // Rows known to be new, and rows the commit checks.
    let (mut new, mut check) = (WriteBatch::default(), WriteBatch::default());
    let mut pending = Pending::default();
    for result in parsed {
        let (seq, messages) = result?;
        in_order.insert(seq, messages);
        while let Some(messages) = in_order.pop() {
            for mut message in messages {
                records += 1;
                let batch = match ids.route(&message.event.message_id) {
                    Route::New => &mut new,
                    Route::Check => &mut check,
                    Route::Repeat => continue,
                };
                accounts.resolve(&mut message, &mut pending);
                batch.events.push(message.event);
                batch.changes.extend(message.changes);
                if new.events.len() >= CHUNK {
                    stage_to(store, path, &mut new, true)?;
                }
                if check.events.len() >= CHUNK {
                    stage(store, path, &mut check)?;
                }
            }
        }
    }
    stage_to(store, path, &mut new, true)?;
    stage(store, path, &mut check)?;
    Ok(records)
}

/// Ids above which an import stops tracking its file's ids itself: 14
/// million 128-bit fingerprints take at most ~290 MiB (2^24 slots of 17
/// bytes); the rest of the file goes through the staging table.
const DIRECT_IDS_CAP: usize = 14_000_000;

/// Where a message of the file goes.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// Straight into `events`: the store had no events and the id is new.
    New,
    /// A repeat of an id earlier in this file: dropped whole.
    Repeat,
    /// Staged, and kept at commit unless its id is stored already.
    Check,
}

/// The file's ids so far, while its rows can skip the staging table (the
/// store had no events before it, and fewer than `cap` ids were seen).
struct FileIds {
    seen: Option<HashSet<Fingerprint, BuildHasherDefault<PassThrough>>>,
    cap: usize,
}

impl FileIds {
    fn new(store_empty: bool, cap: usize) -> Self {
        Self {
            seen: store_empty.then(HashSet::default),
            cap,
        }
    }

    fn route(&mut self, message_id: &str) -> Route {
        let Some(seen) = &mut self.seen else {
            return Route::Check;
        };
        if seen.len() >= self.cap {
            // Later rows are checked against everything, these ones too.
            self.seen = None;
            return Route::Check;
        }
        if seen.insert(Fingerprint::of(message_id)) {
            Route::New
        } else {
            Route::Repeat
        }
    }
}

fn stage(store: &mut dyn Store, path: &Path, batch: &mut WriteBatch) -> Result<(), ImportError> {
    stage_to(store, path, batch, false)
}

/// Stages `batch` (with `known_new`, as rows known to be new: see
/// [`Store::stage_new`]) and empties it.
fn stage_to(
    store: &mut dyn Store,
    path: &Path,
    batch: &mut WriteBatch,
    known_new: bool,
) -> Result<(), ImportError> {
    let staged = if known_new {
        store.stage_new(batch)
    } else {
        store.stage(batch)
    };
    staged.map_err(|source| ImportError::Store {
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
    progress: Box<dyn FnMut(u64) + Send>,
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
    Ok(ImportSummary::of(path, records, &outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str, block_bytes: usize) -> Vec<(u64, u64, String)> {
        let reader: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(text.to_string()));
        let mut blocks = Blocks::new(reader, block_bytes);
        let mut out = Vec::new();
        while let Some(b) = blocks.next(Path::new("t")) {
            let b = b.unwrap();
            out.push((b.seq, b.first_line, String::from_utf8(b.bytes).unwrap()));
        }
        out
    }

    #[test]
    fn blocks_hold_whole_lines_numbered_in_file_order() {
        let text = "a\nbb\nccc\n\na line longer than one block\ndd\ne";
        for size in [1, 2, 3, 5, 8, 64] {
            let got = blocks(text, size);
            assert_eq!(got.iter().map(|b| b.2.as_str()).collect::<String>(), text);
            let mut line = 1;
            for (i, (seq, first, bytes)) in got.iter().enumerate() {
                assert_eq!(*seq, i as u64);
                assert_eq!(*first, line, "block {i} of size {size}");
                let last = i + 1 == got.len();
                assert!(last || bytes.ends_with('\n'), "{bytes:?}");
                line += bytes.matches('\n').count() as u64;
            }
        }
        assert!(blocks("", 8).is_empty());
    }

    /// Ids a b a c d b e, the id cap reached after three: the store keeps
    /// the first row of each id whichever route it took, and a second
    /// import (into a store with events now) adds only the new ids.
    #[test]
    fn repeats_are_dropped_on_both_routes_first_row_kept() {
        use tenure_store::DuckStore;
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(&dir.path().join("data")).unwrap();
        let line = |id: &str, n: u32| {
            format!(
                r#"{{"type":"track","userId":"u","event":"E","messageId":"{id}","properties":{{"n":{n}}}}}"#
            )
        };
        let ids = ["a", "b", "a", "c", "d", "b", "e"];
        let text: String = ids
            .iter()
            .zip(1..)
            .map(|(id, n)| line(id, n) + "\n")
            .collect();
        let file = dir.path().join("f.jsonl");
        std::fs::write(&file, text).unwrap();
        let run = |store: &mut DuckStore, file: &Path| {
            let source = Source::Import {
                imported_at: Utc::now(),
            };
            let taxonomy = Taxonomy::default();
            import_jsonl(
                store,
                file,
                &taxonomy,
                Limits::default(),
                source,
                Box::new(|_| {}),
                3,
            )
            .unwrap()
        };
        let summary = run(&mut store, &file);
        assert_eq!((summary.records, summary.events_stored), (7, 5));
        let rows = store
            .strings("SELECT message_id, properties->>'n' FROM events ORDER BY 1")
            .unwrap();
        let want = [["a", "1"], ["b", "2"], ["c", "4"], ["d", "5"], ["e", "7"]];
        assert_eq!(rows, want.map(|r| r.map(String::from).to_vec()).to_vec());

        let more = dir.path().join("more.jsonl");
        std::fs::write(
            &more,
            line("e", 8) + "\n" + &line("f", 9) + "\n" + &line("f", 10),
        )
        .unwrap();
        let summary = run(&mut store, &more);
        assert_eq!((summary.records, summary.events_stored), (3, 1));
        assert_eq!(
            store
                .strings("SELECT properties->>'n' FROM events WHERE message_id = 'f'")
                .unwrap(),
            vec![vec!["9".to_string()]]
        );
    }

    #[test]
    fn in_order_hands_items_out_in_sequence() {
        let mut q = InOrder::default();
        q.insert(2, "c");
        assert_eq!(q.pop(), None);
        q.insert(0, "a");
        assert_eq!(q.pop(), Some("a"));
        assert_eq!(q.pop(), None);
        q.insert(1, "b");
        assert_eq!((q.pop(), q.pop(), q.pop()), (Some("b"), Some("c"), None));
    }
}
