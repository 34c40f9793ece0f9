//! The outbox's delivery worker: takes the items due, sends each on its
//! channel (`concurrency` at a time, each channel within its rate limit),
//! and records every attempt: delivered, tried again later with capped
//! exponential backoff, or a dead letter after `max_attempts` (or at once
//! when the failure cannot get better, such as a 4xx answer or a message
//! with no address). Delivery is at least once: an item sent just before
//! a crash is sent again after it, with the same `Idempotency-Key`.
//!
//! Webhooks go out signed (`Tenure-Timestamp`, `Tenure-Signature`,
//! `Idempotency-Key`); emails over SMTP with a `Message-ID` made from the
//! key; in-app messages and tasks are written to the store; a trait is set
//! by an `identify` or `group` call through the writer, whose message id
//! is the key (so it is stored once).

use crate::AppState;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tenure_core::delivery::{DeliveryConfig, backoff, signature};
use tenure_core::playbooks::Action;
use tenure_store::{Attempt, InAppMessage, OutboxItem, Store, Task};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the worker looks for due items when there were none.
const POLL: Duration = Duration::from_millis(500);

/// The running worker.
pub(crate) struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Stops after the items in hand are sent and recorded.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        if self.task.await.is_err() {
            tracing::error!(message = "The delivery worker panicked.");
        }
    }
}

/// How one attempt went.
enum Outcome {
    Delivered,
    /// Worth trying again.
    Failed(String),
    /// Trying again cannot help.
    Permanent(String),
}

/// What a local channel leaves to write before the attempt is recorded.
enum Local {
    Message(InAppMessage),
    Task(Task),
}

struct Sender {
    state: Arc<AppState>,
    http: reqwest::Client,
    smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    /// Per rate-limited channel (its name from `CHANNELS`), its limiter.
    limits: Vec<(&'static str, DefaultDirectRateLimiter)>,
}

fn limiter(limit: &tenure_core::delivery::RateLimit) -> DefaultDirectRateLimiter {
    let count = NonZeroU32::new(limit.count).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(limit.per / limit.count.max(1))
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count);
    RateLimiter::direct(quota)
}

fn smtp_transport(
    config: &DeliveryConfig,
) -> Result<Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>, String> {
    type T = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;
    use tenure_core::delivery::SmtpSecurity;
    let Some(s) = &config.smtp else {
        return Ok(None);
    };
    let builder = match s.security {
        SmtpSecurity::None => T::builder_dangerous(&s.host),
        SmtpSecurity::StartTls => T::starttls_relay(&s.host).map_err(|e| e.to_string())?,
        SmtpSecurity::Tls => T::relay(&s.host).map_err(|e| e.to_string())?,
    };
    let mut builder = builder.port(s.port).timeout(Some(config.timeout));
    if let (Some(user), Some(password)) = (&s.username, &s.password) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
            user.clone(),
            password.clone(),
        ));
    }
    Ok(Some(builder.build()))
}

/// Starts the worker on its own store connection.
pub(crate) fn start(state: Arc<AppState>) -> Result<Worker, crate::ServerError> {
    let config = &state.config.delivery;
    let http = reqwest::Client::builder()
        .timeout(config.timeout)
        .user_agent(concat!("Tenure/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let smtp = smtp_transport(config).map_err(std::io::Error::other)?;
    let limits = config
        .rate_limits
        .iter()
        .filter_map(|(channel, l)| {
            let name = tenure_core::delivery::CHANNELS
                .iter()
                .find(|c| **c == channel.as_str())?;
            Some((*name, limiter(l)))
        })
        .collect();
    let store = state.reader.lock().expect("reader lock").reader()?;
    let store = Arc::new(Mutex::new(store));
    let sender = Arc::new(Sender {
        state,
        http,
        smtp,
        limits,
    });
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            if *stopped.borrow() {
                break;
            }
            let round = match round(&sender, &store).await {
                Ok(round) => round,
                Err(error) => {
                    tracing::error!(message = "Delivery failed.", %error);
                    Round {
                        sent: 0,
                        held_for: None,
                    }
                }
            };
            if round.sent == 0 {
                // Nothing due, or all of it held by rate limits: wait for
                // the first limit to allow one more (or the next poll).
                let wait = round
                    .held_for
                    .map_or(POLL, |w| w.clamp(Duration::from_millis(5), POLL));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    });
    Ok(Worker { stop, task })
}

async fn blocking<T: Send + 'static>(
    store: &Arc<Mutex<Box<dyn Store>>>,
    f: impl FnOnce(&mut dyn Store) -> Result<T, tenure_store::StoreError> + Send + 'static,
) -> Result<T, String> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = store.lock().expect("delivery store lock");
        f(guard.as_mut()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// What a round did: how many items it sent, and when a channel held by
/// its rate limit may send again (when that held items back).
struct Round {
    sent: usize,
    held_for: Option<Duration>,
}

/// Takes up to `concurrency` items due now. An item whose channel has
/// used its rate limit for now stays in the queue, and that channel is
/// left out of the rest of the round, so a slow channel (60 emails a
/// minute) never holds up the others.
async fn take_due(
    sender: &Arc<Sender>,
    store: &Arc<Mutex<Box<dyn Store>>>,
) -> Result<(Vec<OutboxItem>, Option<Duration>), String> {
    let now = sender.state.clock.now();
    let batch = sender.state.config.delivery.concurrency;
    let mut taken: Vec<OutboxItem> = Vec::new();
    let mut held: Vec<&'static str> = Vec::new();
    let mut held_for: Option<Duration> = None;
    loop {
        let skip = held.clone();
        let want = batch - taken.len();
        let due = blocking(store, move |s| s.outbox_due(now, want, &skip)).await?;
        let fetched = due.len();
        let mut newly_held = false;
        for item in due {
            if held.contains(&item.channel.as_str()) {
                continue;
            }
            let limiter = sender
                .limits
                .iter()
                .find(|(c, _)| *c == item.channel.as_str());
            if let Some((channel, l)) = limiter
                && let Err(not_until) = l.check()
            {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(l.clock()));
                held_for = Some(held_for.map_or(wait, |w| w.min(wait)));
                held.push(channel);
                newly_held = true;
                continue;
            }
            taken.push(item);
        }
        // Refill the round without the held channels, while there may be
        // more due.
        if !newly_held || taken.len() >= batch || fetched < want {
            break;
        }
    }
    Ok((taken, held_for))
}

/// Sends the items due now (see [`take_due`]).
async fn round(sender: &Arc<Sender>, store: &Arc<Mutex<Box<dyn Store>>>) -> Result<Round, String> {
    let config = &sender.state.config.delivery;
    let (due, held_for) = take_due(sender, store).await?;
    if due.is_empty() {
        return Ok(Round { sent: 0, held_for });
    }
    let n = due.len();
    let mut set = tokio::task::JoinSet::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(config.concurrency));
    for item in due {
        let sender = sender.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let (outcome, local) = sender.send(&item).await;
            (item, outcome, local)
        });
    }
    let mut attempts = Vec::with_capacity(n);
    let (mut messages, mut tasks) = (Vec::new(), Vec::new());
    while let Some(done) = set.join_next().await {
        let (item, outcome, local) = done.map_err(|e| e.to_string())?;
        let at = sender.state.clock.now();
        let next = item.attempts + 2;
        let (error, retry_at) = match outcome {
            Outcome::Delivered => (None, None),
            Outcome::Permanent(e) => (Some(e), None),
            Outcome::Failed(e) if next > config.max_attempts => (Some(e), None),
            Outcome::Failed(e) => {
                let wait = backoff(next, config.backoff, config.backoff_cap);
                (
                    Some(e),
                    Some(at + chrono::Duration::from_std(wait).unwrap_or_default()),
                )
            }
        };
        match local {
            Some(Local::Message(m)) => messages.push(m),
            Some(Local::Task(t)) => tasks.push(t),
            None => {}
        }
        if let Some(e) = &error {
            tracing::warn!(message = "A playbook action failed.", id = %item.id, channel = %item.channel, error = %e, retry = retry_at.is_some());
        }
        attempts.push(Attempt {
            id: item.id,
            at,
            error,
            retry_at,
        });
    }
    blocking(store, move |s| {
        s.save_messages(&messages)?;
        s.save_tasks(&tasks)?;
        s.outbox_attempted(&attempts)
    })
    .await?;
    Ok(Round { sent: n, held_for })
}

impl Sender {
    async fn send(&self, item: &OutboxItem) -> (Outcome, Option<Local>) {
        if let Some(e) = item.payload.get("error").and_then(|e| e.as_str()) {
            return (Outcome::Permanent(e.to_string()), None);
        }
        match item.channel.as_str() {
            "webhook" => (self.webhook(item).await, None),
            "email" => (self.email(item).await, None),
            "in_app" => self.in_app(item),
            "task" => self.task(item),
            "set_trait" => (self.set_trait(item).await, None),
            other => (Outcome::Permanent(format!("no channel {other:?}")), None),
        }
    }

    async fn webhook(&self, item: &OutboxItem) -> Outcome {
        let secret = self
            .state
            .config
            .playbooks
            .iter()
            .find(|p| p.name == item.playbook)
            .and_then(|p| p.actions.get(item.action as usize))
            .and_then(|a| match a {
                Action::Webhook { secret, .. } => Some(secret.clone()),
                _ => None,
            });
        let Some(secret) = secret else {
            return Outcome::Permanent(format!(
                "playbook {:?} has no webhook action {} any more",
                item.playbook, item.action
            ));
        };
        let (Some(url), Some(body)) = (item.payload["url"].as_str(), item.payload["body"].as_str())
        else {
            return Outcome::Permanent("the outbox item has no url or body".into());
        };
        let ts = self.state.clock.now().timestamp();
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("Tenure-Timestamp", ts.to_string())
            .header("Tenure-Signature", signature(&secret, ts, body.as_bytes()))
            .header("Idempotency-Key", &item.id)
            .body(body.to_string())
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Outcome::Delivered,
            Ok(r) => {
                let status = r.status();
                let text = format!("HTTP {} from {url}", status.as_u16());
                if status.is_client_error()
                    && status != reqwest::StatusCode::TOO_MANY_REQUESTS
                    && status != reqwest::StatusCode::REQUEST_TIMEOUT
                {
                    Outcome::Permanent(format!("{text} (not retried)"))
                } else {
                    Outcome::Failed(text)
                }
            }
            Err(e) => Outcome::Failed(format!("{url}: {e}")),
        }
    }

    async fn email(&self, item: &OutboxItem) -> Outcome {
        use lettre::AsyncTransport;
        let (Some(transport), Some(smtp)) = (&self.smtp, &self.state.config.delivery.smtp) else {
            return Outcome::Permanent("no [delivery.smtp] configured".into());
        };
        let p = &item.payload;
        let (Some(to), Some(subject), Some(body)) =
            (p["to"].as_str(), p["subject"].as_str(), p["body"].as_str())
        else {
            return Outcome::Permanent("the outbox item has no to, subject or body".into());
        };
        let parse = |a: &str| {
            a.parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("{a:?}: {e}"))
        };
        let message = match (parse(&smtp.from), parse(to)) {
            (Ok(from), Ok(to)) => lettre::Message::builder()
                .from(from)
                .to(to)
                .subject(subject)
                .message_id(Some(format!("<{}@tenure>", item.id)))
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(body.to_string()),
            (Err(e), _) | (_, Err(e)) => return Outcome::Permanent(format!("address {e}")),
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => return Outcome::Permanent(format!("the email cannot be built: {e}")),
        };
        match transport.send(message).await {
            Ok(_) => Outcome::Delivered,
            Err(e) if e.is_permanent() => Outcome::Permanent(format!("SMTP: {e}")),
            Err(e) => Outcome::Failed(format!("SMTP: {e}")),
        }
    }

    fn in_app(&self, item: &OutboxItem) -> (Outcome, Option<Local>) {
        let p = &item.payload;
        let Some(user) = item.user_id.clone() else {
            return (
                Outcome::Permanent("an in-app message needs a user".into()),
                None,
            );
        };
        let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        (
            Outcome::Delivered,
            Some(Local::Message(InAppMessage {
                id: item.id.clone(),
                user_id: user,
                account_id: item.account_id.clone(),
                playbook: item.playbook.clone(),
                template: text("template"),
                title: text("subject"),
                body: text("body"),
                created_at: item.created_at,
                read_at: None,
            })),
        )
    }

    fn task(&self, item: &OutboxItem) -> (Outcome, Option<Local>) {
        let p = &item.payload;
        let text = |k: &str| p[k].as_str().map(String::from);
        (
            Outcome::Delivered,
            Some(Local::Task(Task {
                id: item.id.clone(),
                account_id: item.account_id.clone(),
                user_id: item.user_id.clone(),
                playbook: item.playbook.clone(),
                title: text("title").unwrap_or_default(),
                detail: text("detail").unwrap_or_default(),
                owner: text("owner"),
                created_at: item.created_at,
                closed_at: None,
            })),
        )
    }

    async fn set_trait(&self, item: &OutboxItem) -> Outcome {
        use tenure_core::CallType;
        use tenure_ingest::segment::parse_body;
        use tenure_ingest::{Endpoint, Limits, Source};
        let p = &item.payload;
        let (Some(entity), Some(id), Some(name)) =
            (p["entity"].as_str(), p["id"].as_str(), p["name"].as_str())
        else {
            return Outcome::Permanent("the outbox item has no entity, id or name".into());
        };
        let now = self.state.clock.now();
        let mut traits = serde_json::Map::new();
        traits.insert(name.to_string(), p["value"].clone());
        let (call, message) = if entity == "account" {
            (
                CallType::Group,
                serde_json::json!({"type": "group", "groupId": id, "userId": format!("tenure-playbook:{}", item.playbook),
                                   "traits": traits, "messageId": item.id, "timestamp": now.to_rfc3339()}),
            )
        } else {
            (
                CallType::Identify,
                serde_json::json!({"type": "identify", "userId": id, "traits": traits,
                                   "messageId": item.id, "timestamp": now.to_rfc3339()}),
            )
        };
        let ingest = &self.state.config.ingest;
        let parsed = parse_body(
            message.to_string().as_bytes(),
            Endpoint::Single(call),
            Limits {
                max_message_bytes: ingest.max_message_bytes,
                max_batch_bytes: ingest.max_batch_bytes,
            },
            &self.state.config.taxonomy,
            Source::Http { received_at: now },
        );
        match parsed {
            Err(e) => Outcome::Permanent(format!("the trait call is refused: {e}")),
            Ok(parsed) => match self.state.writer.submit(parsed.messages).await {
                Ok(_) => Outcome::Delivered,
                Err(e) => Outcome::Failed(format!("the writer: {e}")),
            },
        }
    }
}
