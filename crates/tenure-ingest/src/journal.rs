//! The ingest journal: an append-only log of accepted messages, fsynced
//! before a batch is acknowledged. The writer answers HTTP 200 once a batch
//! is in the journal, then applies journaled batches to the store in large
//! transactions in the background; the store records the last applied
//! sequence number in the same transaction, so after a crash exactly the
//! records after it are applied again at start-up.
//!
//! Files: `DATA/journal/{first seq:020}.journal`, each a run of records
//! `[len u32][xxh3 u64][seq u64][messages as JSON]` (little-endian; the
//! XXH3 checksum covers seq and payload). A segment is closed at 64 MiB and deleted
//! once all its records are applied. A torn record at the end of the last
//! segment (a crash mid-write, never acknowledged) is cut off on open.
//!
//! Never applies anything itself and never reads the store.

use crate::segment::Message;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
const HEADER: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path}: record at byte {offset} is corrupt ({reason})")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
}

/// One journaled batch: every message of one group commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub messages: Vec<Message>,
}

pub struct Journal {
    dir: PathBuf,
    /// (first seq, path) of every segment, oldest first; the last is open.
    segments: Vec<(u64, PathBuf)>,
    file: File,
    bytes: u64,
    next_seq: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.journal"))
}

impl Journal {
    /// Opens (or creates) the journal in `dir` and returns every record in
    /// it, oldest first.
    pub fn open(dir: &Path) -> Result<(Journal, Vec<Record>), JournalError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut segments: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let path = e.path();
                let first = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".journal")?
                    .parse()
                    .ok()?;
                Some((first, path))
            })
            .collect();
        segments.sort();
        let mut records = Vec::new();
        let last = segments.len().saturating_sub(1);
        let mut bytes = 0;
        for (i, (_, path)) in segments.iter().enumerate() {
            let valid = read_segment(path, &mut records, i == last)?;
            if i == last {
                bytes = valid;
            }
        }
        let next_seq = records.last().map_or_else(
            || segments.last().map_or(1, |(first, _)| *first),
            |r| r.seq + 1,
        );
        if segments.is_empty() {
            segments.push((next_seq, segment_path(dir, next_seq)));
        }
        let path = &segments.last().expect("a segment").1;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io(path))?;
        let journal = Journal {
            dir: dir.to_path_buf(),
            segments,
            file,
            bytes,
            next_seq,
        };
        Ok((journal, records))
    }

    /// Appends `messages` as one record and syncs it to disk; returns its
    /// sequence number.
    pub fn append(&mut self, messages: &[Message]) -> Result<u64, JournalError> {
        if self.bytes >= SEGMENT_BYTES {
            self.rotate()?;
        }
        let seq = self.next_seq;
        let mut body = Vec::with_capacity(64 + messages.len() * 512);
        body.extend_from_slice(&seq.to_le_bytes());
        serde_json::to_writer(&mut body, messages).expect("messages serialise");
        let mut record = Vec::with_capacity(HEADER + body.len());
        record.extend_from_slice(&(body.len() as u32).to_le_bytes());
        record.extend_from_slice(&xxh3_64(&body).to_le_bytes());
        record.extend_from_slice(&body);
        let path = self.segments.last().expect("a segment").1.clone();
        self.file.write_all(&record).map_err(io(&path))?;
        self.file.sync_data().map_err(io(&path))?;
        self.bytes += record.len() as u64;
        self.next_seq += 1;
        Ok(seq)
    }

    /// Makes sure the next record's number is above `seq` (a journal that
    /// was lost or emptied must not reuse numbers the store has applied).
    pub fn skip_past(&mut self, seq: u64) -> Result<(), JournalError> {
        if self.next_seq <= seq {
            self.next_seq = seq + 1;
            self.rotate()?;
        }
        Ok(())
    }

    /// The sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn rotate(&mut self) -> Result<(), JournalError> {
        let path = segment_path(&self.dir, self.next_seq);
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        // The new file's directory entry must survive a crash too.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        self.segments.push((self.next_seq, path));
        self.bytes = 0;
        Ok(())
    }

    /// Deletes the closed segments whose records are all at or below
    /// `applied`.
    pub fn release(&mut self, applied: u64) -> Result<(), JournalError> {
        while self.segments.len() > 1 && self.segments[1].0 <= applied + 1 {
            let (_, path) = self.segments.remove(0);
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
        Ok(())
    }
}

/// Reads one segment's records into `out`; returns the bytes of valid
/// records. A bad record ends the last segment (cut off there: it was never
/// acknowledged) and is an error anywhere else.
fn read_segment(path: &Path, out: &mut Vec<Record>, last: bool) -> Result<u64, JournalError> {
    let mut data = Vec::new();
    BufReader::new(File::open(path).map_err(io(path))?)
        .read_to_end(&mut data)
        .map_err(io(path))?;
    let mut at = 0usize;
    let bad = |offset: usize, reason: &str| JournalError::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        reason: reason.to_string(),
    };
    while at < data.len() {
        let problem = if data.len() - at < HEADER + 8 {
            Some("truncated header")
        } else {
            let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
            let sum = u64::from_le_bytes(data[at + 4..at + 12].try_into().expect("8 bytes"));
            let start = at + HEADER;
            if len < 8 || data.len() - start < len {
                Some("truncated record")
            } else if xxh3_64(&data[start..start + len]) != sum {
                Some("checksum mismatch")
            } else {
                let body = &data[start..start + len];
                let seq = u64::from_le_bytes(body[..8].try_into().expect("8 bytes"));
                let messages: Vec<Message> =
                    serde_json::from_slice(&body[8..]).map_err(|e| bad(at, &e.to_string()))?;
                out.push(Record { seq, messages });
                at = start + len;
                None
            }
        };
        if let Some(reason) = problem {
            if !last {
                return Err(bad(at, reason));
            }
            tracing::warn!(message = "Cutting a torn record off the journal.", path = %path.display(), offset = at, reason);
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io(path))?;
            file.set_len(at as u64).map_err(io(path))?;
            file.sync_all().map_err(io(path))?;
            break;
        }
    }
    Ok(at as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{Limits, Source, parse_line};
    use tenure_core::Taxonomy;

    fn message(id: &str) -> Message {
        let line = format!(
            r#"{{"type":"track","messageId":"{id}","userId":"u1","event":"Signed In","timestamp":"2026-01-01T00:00:00Z"}}"#
        );
        parse_line(
            &line,
            Limits::default(),
            &Taxonomy::default(),
            Source::Import {
                imported_at: tenure_core::time::parse_timestamp("2026-02-01T00:00:00Z").unwrap(),
            },
        )
        .unwrap()
    }

    #[test]
    fn records_come_back_in_order_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, records) = Journal::open(dir.path()).unwrap();
        assert!(records.is_empty());
        assert_eq!(j.append(&[message("a"), message("b")]).unwrap(), 1);
        assert_eq!(j.append(&[message("c")]).unwrap(), 2);
        drop(j);
        // A crash in the middle of writing a third record.
        let path = segment_path(dir.path(), 1);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        let (mut j, records) = Journal::open(dir.path()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].seq, 1);
        assert_eq!(records[0].messages, vec![message("a"), message("b")]);
        assert_eq!(records[1].messages[0].event.message_id, "c");
        assert_eq!(j.append(&[message("d")]).unwrap(), 3);
        drop(j);
        let (_, records) = Journal::open(dir.path()).unwrap();
        assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn applied_segments_are_deleted_and_numbering_continues() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap();
        j.append(&[message("a")]).unwrap();
        j.rotate().unwrap();
        j.append(&[message("b")]).unwrap();
        j.release(1).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(j);
        let (mut j, records) = Journal::open(dir.path()).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(j.append(&[message("c")]).unwrap(), 3);
        // Everything applied and the journal empty: numbering still goes on.
        j.rotate().unwrap();
        j.release(3).unwrap();
        drop(j);
        let (mut j, records) = Journal::open(dir.path()).unwrap();
        assert!(records.is_empty());
        assert_eq!(j.append(&[message("d")]).unwrap(), 4);
    }

    #[test]
    fn corruption_in_an_older_segment_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap();
        j.append(&[message("a")]).unwrap();
        j.rotate().unwrap();
        j.append(&[message("b")]).unwrap();
        drop(j);
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 3] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            Journal::open(dir.path()),
            Err(JournalError::Corrupt { .. })
        ));
    }
}
