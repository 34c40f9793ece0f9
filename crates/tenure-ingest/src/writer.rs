//! The group-commit writer: one thread owns the store's write handle,
//! takes every batch waiting in its queue, drops retried message ids,
//! writes them all in one transaction, and only then answers each sender.
//! An `Ok` [`Ack`] therefore means the batch is durably committed.
//!
//! The queue is bounded; when it is full, [`Writer::submit`] fails at once
//! with [`WriterError::Overloaded`] (HTTP 503) instead of queueing forever.

use crate::dedup::{DedupWindow, Fingerprint};
use crate::resolve::{Pending, UserAccounts};
use crate::segment::Message;
use std::collections::HashSet;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tenure_core::Clock;
use tenure_store::{Dedup, Store, StoreError, WriteBatch};
use tokio::sync::oneshot;

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
    #[error("the store failed to commit: {0}")]
    Store(String),
}

/// Writer tuning, from the `[ingest]` config.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    pub dedup_window: Duration,
    pub queue_batches: usize,
    pub max_commit_messages: usize,
}

struct Job {
    messages: Vec<Message>,
    reply: oneshot::Sender<Result<Ack, WriterError>>,
}

/// The handle the server submits batches through.
pub struct Writer {
    /// `None` once shutdown has begun.
    sender: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    queue_batches: usize,
}

/// Counts for start-up logs and metrics.
#[derive(Debug, Clone, Copy)]
pub struct StartInfo {
    pub dedup_ids: usize,
    pub dedup_bytes: usize,
}

impl Writer {
    /// Loads the dedup window and memberships from `store` and starts the
    /// writer thread, which owns `store` from then on.
    pub fn start(
        store: Box<dyn Store>,
        config: WriterConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, StartInfo), StoreError> {
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
        };
        let (sender, receiver) = sync_channel(config.queue_batches);
        let state = Loop {
            store,
            window,
            accounts,
            clock,
            max_commit_messages: config.max_commit_messages,
        };
        let thread = std::thread::Builder::new()
            .name("tenure-writer".into())
            .spawn(move || state.run(receiver))
            .expect("the OS can start a thread");
        Ok((
            Self {
                sender: Mutex::new(Some(sender)),
                thread: Mutex::new(Some(thread)),
                queue_batches: config.queue_batches,
            },
            info,
        ))
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

    /// Stops taking batches, lets the thread commit what is queued, and
    /// waits for it. Blocks: call it off the async runtime.
    pub fn shutdown(&self) {
        self.sender
            .lock()
            .expect("the sender lock is never poisoned")
            .take();
        let thread = self
            .thread
            .lock()
            .expect("the thread lock is never poisoned")
            .take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!(message = "The writer thread panicked.");
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Loop {
    store: Box<dyn Store>,
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

    /// Writes every job's new messages in one transaction, then answers.
    fn commit(&mut self, jobs: Vec<Job>) {
        let started = Instant::now();
        let mut batch = WriteBatch::default();
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
                batch.events.push(message.event);
                batch.changes.extend(message.changes);
                stored += 1;
            }
            counts.push((stored, duplicates));
            replies.push(job.reply);
        }
        let result = if batch.events.is_empty() {
            Ok(Default::default())
        } else {
            self.store.write(&batch, Dedup::Done)
        };
        let commit_time = started.elapsed();
        match result {
            Ok(_) => {
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
            }
            Err(error) => {
                tracing::error!(message = "Commit failed; batches rejected.", %error, events = batch.events.len());
                let error = WriterError::Store(error.to_string());
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
        self.window.evict(self.clock.now().timestamp());
    }
}
