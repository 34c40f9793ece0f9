//! The fast path's first read of a file, by the parser threads: the lines
//! that hold `"type":"track"` are counted and left to the engine, every
//! other line is parsed here, in file order. The engine's own read then
//! checks the count: a line taken for a track that is another call (the
//! text inside a property, say) leaves it one short, and the import goes
//! through the parser instead.

use super::super::{Block, Blocks, ImportError, InOrder, open, parse_threads};
use crate::segment::{Limits, Message, Source, parse_line};
use memchr::memmem;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use tenure_core::Taxonomy;
use tenure_core::model::CallType;

/// What the first read found.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Non-blank lines.
    pub records: u64,
    /// Lines left to the engine as track calls.
    pub tracks: u64,
    /// The other calls, parsed, in file order.
    pub others: Vec<Message>,
}

/// The text every track line holds as Segment's libraries write it.
const TRACK_MARK: &[u8] = br#""type":"track""#;

/// Bytes read per block of lines handed to a thread.
const BLOCK_BYTES: usize = 1 << 22;

/// One block's share of a [`Scan`]; `None` when a line the parser must
/// read fails to parse, or parses as a track (the engine would take it
/// too).
type Part = Option<Scan>;

/// Reads the file once; `None` when the engine cannot take it (see
/// [`Part`]). `read` hears the bytes of the file read so far.
pub(super) fn scan(
    path: &Path,
    limits: Limits,
    taxonomy: &Taxonomy,
    source: Source,
    read: &(dyn Fn(u64) + Sync),
) -> Result<Option<Scan>, ImportError> {
    let bytes = Arc::new(AtomicU64::new(0));
    let counter = bytes.clone();
    let counting = Box::new(move |n: u64| {
        counter.fetch_add(n, Ordering::Relaxed);
    });
    let reader = Mutex::new(Blocks::new(open(path, counting)?, BLOCK_BYTES));
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::sync_channel::<Result<(u64, Part), ImportError>>(4);
        for _ in 0..parse_threads() {
            let done_tx = done_tx.clone();
            let (reader, stop) = (&reader, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let next = reader.lock().map(|mut r| r.next(path));
                    let Ok(Some(block)) = next else { break };
                    let part = block.map(|b| (b.seq, part(&b, limits, taxonomy, source)));
                    if done_tx.send(part).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let result = gather(&done_rx, &bytes, read);
        stop.store(true, Ordering::Relaxed);
        while done_rx.recv().is_ok() {}
        result
    })
}

/// Puts the parts together in file order.
fn gather(
    parts: &mpsc::Receiver<Result<(u64, Part), ImportError>>,
    bytes: &AtomicU64,
    read: &(dyn Fn(u64) + Sync),
) -> Result<Option<Scan>, ImportError> {
    let mut in_order = InOrder::default();
    let mut scan = Scan::default();
    for received in parts {
        let (seq, part) = received?;
        let Some(part) = part else { return Ok(None) };
        in_order.insert(seq, part);
        while let Some(part) = in_order.pop() {
            scan.records += part.records;
            scan.tracks += part.tracks;
            scan.others.extend(part.others);
        }
        read(bytes.load(Ordering::Relaxed));
    }
    Ok(Some(scan))
}

/// One block's lines, as the parser would count them.
fn part(block: &Block, limits: Limits, taxonomy: &Taxonomy, source: Source) -> Part {
    let mut part = Scan::default();
    let finder = memmem::Finder::new(TRACK_MARK);
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', &block.bytes).chain([block.bytes.len()]);
    for end in ends {
        let line = &block.bytes[start..end];
        start = end + 1;
        if finder.find(line).is_some() {
            part.records += 1;
            part.tracks += 1;
            continue;
        }
        let text = std::str::from_utf8(line).ok()?.trim();
        if text.is_empty() {
            continue;
        }
        part.records += 1;
        let message = parse_line(text, limits, taxonomy, source).ok()?;
        if message.event.call == CallType::Track {
            return None;
        }
        part.others.push(message);
    }
    Some(part)
}
