//! The group-commit writer, in two threads.
//!
//! The journal thread takes every batch waiting in its queue, drops retried
//! message ids, resolves accounts, appends the rest to the [`Journal`] as one
//! record and syncs it, and only then answers each sender: an `Ok` [`Ack`]
//! means the batch is on disk and survives `kill -9`.
//!
//! The apply thread owns the store. It takes journaled records as they come
//! (as many as are waiting, up to a bound) and writes them in one store
//! transaction that also records the last applied sequence number; after a
//! crash [`Writer::start`] applies the records after it again. Readers that
//! need to see every acknowledged event call [`Writer::sync`] first.
//!
//! Both queues are bounded; when the ingest queue is full,
//! [`Writer::submit`] fails at once with [`WriterError::Overloaded`] (HTTP
//! 503) instead of queueing forever; when the store falls behind, the
//! journal thread waits for it (so the ingest queue fills).

use crate::dedup::{DedupWindow, Fingerprint};
use crate::journal::{Journal, JournalError, Record};
use crate::resolve::{Pending, UserAccounts};
use crate::segment::Message;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tenure_core::Clock;
use tenure_store::{Dedup, Store, StoreError, WriteBatch};
use tokio::sync::{oneshot, watch};

/// What the writer did with one submitted batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// Messages stored now.
    pub stored: usize,
    /// Messages dropped as retries of ones already stored.
    pub duplicates: usize,
    /// How long the commit that held this batch took.
    pub commit_time: Duration,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum WriterError {
    #[error("the ingest queue is full ({queue} batches waiting); retry later")]
    Overloaded { queue: usize },
    #[error("the server is shutting down")]
    Stopped,
    #[error("the journal failed to write: {0}")]
    Store(String),
}

/// Why the writer could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Writer tuning, from the `[ingest]` config.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    pub dedup_window: Duration,
    pub queue_batches: usize,
    pub max_commit_messages: usize,
    /// Most messages the apply thread writes in one store transaction.
    pub max_apply_messages: usize,
    /// Journaled records waiting for the store before the journal thread
    /// waits too.
    pub apply_queue_records: usize,
    /// How often the apply thread adds new events to the report rollups
    /// (also once more when it stops).
    pub rollup_interval: Duration,
}

struct Job {
    messages: Vec<Message>,
    reply: oneshot::Sender<Result<Ack, WriterError>>,
}

/// The handle the server submits batches through.
pub struct Writer {
    /// `None` once shutdown has begun.
    sender: Mutex<Option<SyncSender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    queue_batches: usize,
    /// The last sequence number journaled (acknowledged).
    journaled: Arc<AtomicU64>,
    /// The last sequence number applied to the store.
    applied: watch::Receiver<u64>,
}

/// Counts for start-up logs and metrics.
#[derive(Debug, Clone, Copy)]
pub struct StartInfo {
    pub dedup_ids: usize,
    pub dedup_bytes: usize,
    /// Journaled batches applied to the store at start (after a crash).
    pub replayed_records: usize,
}

impl Writer {
    /// Applies what the journal in `journal_dir` holds beyond the store,
    /// loads the dedup window and memberships from `store`, and starts the
    /// journal and apply threads (the apply thread owns `store`).
    pub fn start(
        mut store: Box<dyn Store>,
        config: WriterConfig,
        clock: Arc<dyn Clock>,
        journal_dir: &Path,
    ) -> Result<(Self, StartInfo), StartError> {
        let (journal, replayed_records) = recover(store.as_mut(), journal_dir)?;
        let applied_seq = store.journal_applied()?;
        let now = clock.now();
        let mut window = DedupWindow::new(config.dedup_window);
        let since = now
            - chrono::Duration::from_std(config.dedup_window).unwrap_or(chrono::Duration::days(7));
        store.for_each_message_id_since(since, &mut |id, at| {
            window.insert(Fingerprint::of(id), at.timestamp());
        })?;
        let accounts = UserAccounts::load(store.as_ref())?;
        let info = StartInfo {
            dedup_ids: window.len(),
            dedup_bytes: window.heap_bytes(),
            replayed_records,
        };
        let (sender, receiver) = sync_channel(config.queue_batches);
        let (records, to_apply) = sync_channel(config.apply_queue_records.max(1));
        let (applied_tx, applied) = watch::channel(applied_seq);
        let journaled = Arc::new(AtomicU64::new(applied_seq));
        let state = Loop {
            journal,
            records,
            applied: applied.clone(),
            journaled: journaled.clone(),
            window,
            accounts,
            clock,
            max_commit_messages: config.max_commit_messages,
        };
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .expect("the OS can start a thread")
        };
        let max_apply = config.max_apply_messages.max(1);
        let rollup_interval = config.rollup_interval;
        let threads = vec![
            spawn("tenure-journal", Box::new(move || state.run(receiver))),
            spawn(
                "tenure-apply",
                Box::new(move || {
                    apply_loop(store, to_apply, applied_tx, max_apply, rollup_interval)
                }),
            ),
        ];
        Ok((
            Self {
                sender: Mutex::new(Some(sender)),
                threads: Mutex::new(threads),
                queue_batches: config.queue_batches,
                journaled,
                applied,
            },
            info,
        ))
    }

    /// Waits until every batch acknowledged so far is in the store (or
    /// `timeout` passes; returns whether it caught up).
    pub async fn sync(&self, timeout: Duration) -> bool {
        let target = self.journaled.load(Ordering::SeqCst);
        let mut applied = self.applied.clone();
        tokio::time::timeout(timeout, applied.wait_for(|&a| a >= target))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Acknowledged batches not yet in the store.
    pub fn apply_lag(&self) -> u64 {
        self.journaled
            .load(Ordering::SeqCst)
            .saturating_sub(*self.applied.borrow())
    }

    /// Queues a parsed batch and waits until it is committed.
    pub async fn submit(&self, messages: Vec<Message>) -> Result<Ack, WriterError> {
        let sender = self
            .sender
            .lock()
            .expect("the sender lock is never poisoned")
            .clone()
            .ok_or(WriterError::Stopped)?;
        let (reply, answer) = oneshot::channel();
        sender
            .try_send(Job { messages, reply })
            .map_err(|e| match e {
                TrySendError::Full(_) => WriterError::Overloaded {
                    queue: self.queue_batches,
                },
                TrySendError::Disconnected(_) => WriterError::Stopped,
            })?;
        answer.await.map_err(|_| WriterError::Stopped)?
    }

    /// Stops taking batches, lets the threads journal and apply what is
    /// queued, and waits for them. Blocks: call it off the async runtime.
    pub fn shutdown(&self) {
        self.sender
            .lock()
            .expect("the sender lock is never poisoned")
            .take();
        let threads = std::mem::take(
            &mut *self
                .threads
                .lock()
                .expect("the thread lock is never poisoned"),
        );
        for thread in threads {
            if thread.join().is_err() {
                tracing::error!(message = "A writer thread panicked.");
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Loop {
    journal: Journal,
    /// To the apply thread.
    records: SyncSender<Record>,
    applied: watch::Receiver<u64>,
    journaled: Arc<AtomicU64>,
    window: DedupWindow,
    accounts: UserAccounts,
    clock: Arc<dyn Clock>,
    max_commit_messages: usize,
}

impl Loop {
    fn run(mut self, receiver: Receiver<Job>) {
        while let Ok(first) = receiver.recv() {
            let mut count = first.messages.len();
            let mut jobs = vec![first];
            while count < self.max_commit_messages {
                match receiver.try_recv() {
                    Ok(job) => {
                        count += job.messages.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.commit(jobs);
        }
        tracing::info!(message = "Writer stopped.");
    }

    /// Journals every job's new messages as one record, then answers and
    /// hands the record to the apply thread.
    fn commit(&mut self, jobs: Vec<Job>) {
        let started = Instant::now();
        let mut messages = Vec::new();
        let mut pending = Pending::default();
        let mut fresh = Vec::new();
        let mut in_this_commit = HashSet::new();
        let mut counts = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            let (mut stored, mut duplicates) = (0, 0);
            for mut message in job.messages {
                let id = Fingerprint::of(&message.event.message_id);
                if self.window.contains(id) || !in_this_commit.insert(id) {
                    duplicates += 1;
                    continue;
                }
                self.accounts.resolve(&mut message, &mut pending);
                fresh.push((id, message.event.received_at.timestamp()));
                messages.push(message);
                stored += 1;
            }
            counts.push((stored, duplicates));
            replies.push(job.reply);
        }
        let result = if messages.is_empty() {
            Ok(None)
        } else {
            let _ = self.journal.release(*self.applied.borrow());
            self.journal.append(&messages).map(Some)
        };
        let commit_time = started.elapsed();
        match result {
            Ok(seq) => {
                for (id, at) in fresh {
                    self.window.insert(id, at);
                }
                self.accounts.commit(pending);
                for (reply, (stored, duplicates)) in replies.into_iter().zip(counts) {
                    let _ = reply.send(Ok(Ack {
                        stored,
                        duplicates,
                        commit_time,
                    }));
                }
                if let Some(seq) = seq {
                    self.journaled.store(seq, Ordering::SeqCst);
                    // Waits when the store is behind (the ingest queue then
                    // fills and senders get 503s).
                    if self.records.send(Record { seq, messages }).is_err() {
                        tracing::error!(
                            message = "The apply thread is gone; the journal keeps the batch for the next start."
                        );
                    }
                }
            }
            Err(error) => {
                tracing::error!(message = "Journal write failed; batches rejected.", %error, events = messages.len());
                let error = WriterError::Store(error.to_string());
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
        self.window.evict(self.clock.now().timestamp());
    }
}

/// The events and changes of some messages, as one store write.
fn batch_of(messages: impl IntoIterator<Item = Message>) -> WriteBatch {
    let mut batch = WriteBatch::default();
    for m in messages {
        batch.events.push(m.event);
        batch.changes.extend(m.changes);
    }
    batch
}

/// Writes `batch` and marks `seq` applied, in one transaction.
fn apply(
    store: &mut dyn Store,
    batch: &WriteBatch,
    seq: u64,
    dedup: Dedup,
) -> Result<(), StoreError> {
    store.begin_write(dedup)?;
    let done = store
        .stage(batch)
        .and_then(|()| store.mark_applied(seq))
        .and_then(|()| store.commit_write().map(|_| ()));
    if done.is_err() {
        let _ = store.abort_write();
    }
    done
}

/// Adds new events to the report rollups (the store logs what it added);
/// a failure is logged and the next refresh covers the same events.
fn refresh(store: &mut dyn Store) {
    if let Err(error) = store.refresh_rollups() {
        tracing::error!(message = "Refreshing the rollups failed.", %error);
    }
}

/// The apply thread: journaled records into the store, as many at a time
/// as are waiting (up to `max_messages`), and the rollups refreshed every
/// `rollup_interval`.
fn apply_loop(
    mut store: Box<dyn Store>,
    records: Receiver<Record>,
    applied: watch::Sender<u64>,
    max_messages: usize,
    rollup_interval: Duration,
) {
    let mut refreshed = Instant::now();
    loop {
        if refreshed.elapsed() >= rollup_interval {
            refresh(store.as_mut());
            refreshed = Instant::now();
        }
        let wait = rollup_interval.saturating_sub(refreshed.elapsed());
        let first = match records.recv_timeout(wait) {
            Ok(record) => record,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut count = first.messages.len();
        let mut batch = vec![first];
        while count < max_messages {
            match records.try_recv() {
                Ok(r) => {
                    count += r.messages.len();
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        let seq = batch.last().expect("at least one record").seq;
        let write = batch_of(batch.into_iter().flat_map(|r| r.messages));
        let mut attempt = 0;
        loop {
            match apply(store.as_mut(), &write, seq, Dedup::Done) {
                Ok(()) => {
                    let _ = applied.send(seq);
                    break;
                }
                Err(error) => {
                    attempt += 1;
                    tracing::error!(message = "Applying journaled batches failed; retrying.", %error, attempt, seq);
                    if attempt >= 10 {
                        tracing::error!(
                            message =
                                "Giving up until the next start; the journal keeps the batches."
                        );
                        refresh(store.as_mut());
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }
    refresh(store.as_mut());
    tracing::info!(message = "Writer stopped.");
}

/// Applies the records in the journal at `journal_dir` that the store does
/// not have yet (after a crash), checking each against the stored ids, and
/// returns the journal, ready to append after them, with the number of
/// records applied. The CLI calls this too before it uses a store.
pub fn recover(store: &mut dyn Store, journal_dir: &Path) -> Result<(Journal, usize), StartError> {
    let (mut journal, records) = Journal::open(journal_dir)?;
    let applied = store.journal_applied()?;
    let pending: Vec<Record> = records.into_iter().filter(|r| r.seq > applied).collect();
    let mut last = applied;
    let replayed = pending.len();
    let mut pending = pending.into_iter().peekable();
    while pending.peek().is_some() {
        let chunk: Vec<Record> = pending.by_ref().take(64).collect();
        let seq = chunk.last().expect("non-empty chunk").seq;
        apply(
            store,
            &batch_of(chunk.into_iter().flat_map(|r| r.messages)),
            seq,
            Dedup::AgainstAll,
        )?;
        last = seq;
    }
    if replayed > 0 {
        tracing::info!(
            message = "Applied journaled batches after an unclean stop.",
            records = replayed,
            up_to = last
        );
    }
    journal.skip_past(last)?;
    journal.release(last)?;
    Ok((journal, replayed))
}
