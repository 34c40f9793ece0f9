//! What the playbooks leave for people and products to read:
//! - `GET /v1/messages?user_id=U[&all=true]` (write key, as the tracking
//!   API: the SaaS's own backend asks for its user's in-app messages,
//!   unread ones by default) and `POST /v1/messages/{id}/read?user_id=U`;
//! - `GET /api/v1/playbooks` (the playbooks as declared, with what their
//!   outbox holds), `GET /api/v1/outbox?status=pending|delivered|dead`
//!   (`dead` is the dead-letter list with each last error),
//!   `GET /api/v1/tasks?status=open|all[&format=csv]` and
//!   `POST /api/v1/tasks/{id}/close`, `POST /api/v1/outbox/{id}/retry` and
//!   `POST /api/v1/outbox/retry` (dead letters back in the queue) (admin,
//!   or viewer to read).

use crate::auth::{basic_user, check_write_key, require_report_reader};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tenure_core::Role;
use tenure_core::report::ParamError;
use tenure_reports::Table;
use tenure_store::{OutboxStatus, OutboxSummary, Store};
use tenure_web::pages::playbooks::PlaybookRow;

/// The query's pairs, each allowed name at most once (as the reports
/// take theirs); any other name is a 400 naming it.
fn params(query: Option<&str>, allowed: &[&str]) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = crate::reports::percent_decode(v).ok_or_else(|| {
            ApiError::BadParam(ParamError::new(k, "not valid percent-encoded UTF-8"))
        })?;
        if !allowed.contains(&k) {
            return Err(ApiError::BadParam(ParamError::new(
                k,
                format!("unknown parameter (allowed: {})", allowed.join(", ")),
            )));
        }
        if out.insert(k.to_string(), v).is_some() {
            return Err(ApiError::BadParam(ParamError::new(k, "given twice")));
        }
    }
    Ok(out)
}

async fn with_store<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&mut dyn Store) -> Result<T, tenure_store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = state.reader.lock().expect("reader lock");
        f(store.as_mut())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))
}

fn write_key(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    check_write_key(state, basic_user(headers).as_deref()).map(|_| ())
}

fn user_id(p: &HashMap<String, String>) -> Result<String, ApiError> {
    match p.get("user_id") {
        Some(u) if !u.is_empty() => Ok(u.clone()),
        _ => Err(ApiError::BadParam(ParamError::new(
            "user_id",
            "required: the user whose messages these are",
        ))),
    }
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    t.map_or(Value::Null, |t| json!(stamp(t)))
}

pub async fn messages(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    write_key(&state, &headers)?;
    let p = params(query.as_deref(), &["user_id", "all"])?;
    let user = user_id(&p)?;
    let all = match p.get("all") {
        Some(v) => crate::reports::flag("all", v)?,
        None => false,
    };
    let list = with_store(&state, move |s| s.messages(&user, !all)).await?;
    let messages: Vec<Value> = list
        .into_iter()
        .map(|m| {
            json!({
                "id": m.id, "user_id": m.user_id, "account_id": m.account_id,
                "playbook": m.playbook, "template": m.template, "title": m.title,
                "body": m.body, "created_at": time(Some(m.created_at)), "read_at": time(m.read_at),
            })
        })
        .collect();
    Ok(Json(json!({ "messages": messages })))
}

pub async fn mark_read(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    write_key(&state, &headers)?;
    let user = user_id(&params(query.as_deref(), &["user_id"])?)?;
    let now = state.clock.now();
    let found = with_store(&state, {
        let id = id.clone();
        move |s| s.mark_read(&id, &user, now)
    })
    .await?;
    if !found {
        return Err(ApiError::NotFound(format!("message {id:?} for this user")));
    }
    Ok(Json(json!({"id": id, "read": true})))
}

fn vendor_reader(state: &AppState, headers: &HeaderMap) -> Result<Role, ApiError> {
    let key = require_report_reader(state, headers)?;
    if key.role == Role::AccountAdmin {
        return Err(ApiError::Forbidden(
            "an account-admin key cannot read the playbooks".into(),
        ));
    }
    Ok(key.role)
}

/// The declared playbooks in words, each with what its outbox holds.
fn playbook_list(
    playbooks: &[tenure_core::playbooks::Playbook],
    summary: &[OutboxSummary],
) -> Vec<Value> {
    playbooks
        .iter()
        .map(|p| {
            let s = summary_of(summary, &p.name);
            json!({
                "name": p.name,
                "trigger": p.trigger.name(),
                "trigger_detail": p.trigger.to_string(),
                "filters": p.filters.describe(),
                "actions": p.actions.iter().map(|a| json!({"channel": a.channel(), "detail": a.to_string()})).collect::<Vec<_>>(),
                "cooldown_days": p.cooldown_days,
                "outbox": {"pending": s.pending, "delivered": s.delivered, "dead": s.dead},
                "last_fired_at": time(s.last_enqueued_at),
            })
        })
        .collect()
}

/// What the outbox holds for playbook `name` (nothing when it never fired).
fn summary_of(summary: &[OutboxSummary], name: &str) -> OutboxSummary {
    summary
        .iter()
        .find(|s| s.playbook == name)
        .cloned()
        .unwrap_or_default()
}

/// The declared playbooks as the dashboard shows them.
pub(crate) async fn playbook_rows(state: &Arc<AppState>) -> Result<Vec<PlaybookRow>, ApiError> {
    let summary = with_store(state, |s| s.outbox_summary()).await?;
    Ok(state
        .config
        .playbooks
        .iter()
        .map(|p| {
            let s = summary_of(&summary, &p.name);
            PlaybookRow {
                name: p.name.clone(),
                trigger: p.trigger.to_string(),
                filters: p.filters.describe(),
                actions: p.actions.iter().map(|a| a.to_string()).collect(),
                cooldown_days: p.cooldown_days,
                pending: s.pending,
                delivered: s.delivered,
                dead: s.dead,
                last_fired_at: s.last_enqueued_at.map(stamp),
            }
        })
        .collect())
}

/// The dead letters as a table, oldest first.
pub(crate) async fn dead_letters(state: &Arc<AppState>) -> Result<Table, ApiError> {
    let items = with_store(state, |s| s.outbox(Some(OutboxStatus::Dead))).await?;
    let mut table = Table::new(&[
        "id",
        "playbook",
        "channel",
        "account_id",
        "user_id",
        "occurrence",
        "attempts",
        "last_error",
        "created_at",
    ]);
    for i in items {
        table.push(vec![
            i.id.into(),
            i.playbook.into(),
            i.channel.into(),
            i.account_id.into(),
            i.user_id.into(),
            i.occurrence.into(),
            u64::from(i.attempts).into(),
            i.last_error.into(),
            stamp(i.created_at).into(),
        ]);
    }
    Ok(table)
}

pub async fn playbooks(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    vendor_reader(&state, &headers)?;
    let summary = with_store(&state, |s| s.outbox_summary()).await?;
    let list = playbook_list(&state.config.playbooks, &summary);
    Ok(Json(json!({ "playbooks": list })))
}

pub async fn outbox(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    vendor_reader(&state, &headers)?;
    let p = params(query.as_deref(), &["status"])?;
    let status = match p.get("status") {
        None => None,
        Some(s) => Some(OutboxStatus::parse(s).ok_or_else(|| {
            ApiError::BadParam(ParamError::new(
                "status",
                format!("{s:?} is not pending, delivered or dead"),
            ))
        })?),
    };
    let items = with_store(&state, move |s| s.outbox(status)).await?;
    let list: Vec<Value> = items
        .into_iter()
        .map(|i| {
            json!({
                "id": i.id, "playbook": i.playbook, "action": i.action, "channel": i.channel,
                "account_id": i.account_id, "user_id": i.user_id, "occurrence": i.occurrence,
                "status": i.status.as_str(), "attempts": i.attempts,
                "next_at": time(Some(i.next_at)), "last_error": i.last_error,
                "created_at": time(Some(i.created_at)), "delivered_at": time(i.delivered_at),
            })
        })
        .collect();
    Ok(Json(json!({ "items": list })))
}

/// Requeues dead letters (the one with `id`, or all) as of now; a 404
/// when `id` names no dead letter.
pub(crate) async fn requeue(state: &Arc<AppState>, id: Option<String>) -> Result<u64, ApiError> {
    let now = state.clock.now();
    let requeued = with_store(state, {
        let id = id.clone();
        move |s| s.requeue_dead(id.as_deref(), now)
    })
    .await?;
    if let (Some(id), 0) = (&id, requeued) {
        return Err(ApiError::NotFound(format!("dead letter {id:?}")));
    }
    Ok(requeued)
}

fn admin(state: &AppState, headers: &HeaderMap, what: &str) -> Result<(), ApiError> {
    if vendor_reader(state, headers)? != Role::Admin {
        return Err(ApiError::Forbidden(format!("only an admin key {what}")));
    }
    Ok(())
}

/// `POST /api/v1/outbox/{id}/retry`: one dead letter back in the queue.
pub async fn retry_one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    admin(&state, &headers, "requeues dead letters")?;
    let n = requeue(&state, Some(id)).await?;
    Ok(Json(json!({ "requeued": n })))
}

/// `POST /api/v1/outbox/retry`: every dead letter back in the queue.
pub async fn retry_all(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    admin(&state, &headers, "requeues dead letters")?;
    let n = requeue(&state, None).await?;
    Ok(Json(json!({ "requeued": n })))
}

/// The tasks (open ones, or all) as a table with [`TASK_COLUMNS`].
pub(crate) async fn task_table(state: &Arc<AppState>, open_only: bool) -> Result<Table, ApiError> {
    let list = with_store(state, move |s| s.tasks(open_only)).await?;
    let mut table = Table::new(&TASK_COLUMNS);
    for t in list {
        table.push(vec![
            t.id.into(),
            t.account_id.into(),
            t.user_id.into(),
            t.playbook.into(),
            t.title.into(),
            t.detail.into(),
            t.owner.into(),
            stamp(t.created_at).into(),
            t.closed_at.map(stamp).into(),
        ]);
    }
    Ok(table)
}

/// Closes a task as of now; a 404 when there is none.
pub(crate) async fn close(state: &Arc<AppState>, id: String) -> Result<(), ApiError> {
    let now = state.clock.now();
    let found = with_store(state, {
        let id = id.clone();
        move |s| s.close_task(&id, now)
    })
    .await?;
    if !found {
        return Err(ApiError::NotFound(format!("task {id:?}")));
    }
    Ok(())
}

const TASK_COLUMNS: [&str; 9] = [
    "task_id",
    "account_id",
    "user_id",
    "playbook",
    "title",
    "detail",
    "owner",
    "created_at",
    "closed_at",
];

pub async fn tasks(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    vendor_reader(&state, &headers)?;
    let p = params(query.as_deref(), &["status", "format"])?;
    let open_only = match p.get("status").map(String::as_str) {
        None | Some("open") => true,
        Some("all") => false,
        Some(other) => {
            return Err(ApiError::BadParam(ParamError::new(
                "status",
                format!("{other:?} is not open or all"),
            )));
        }
    };
    let csv = match p.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadParam(ParamError::new(
                "format",
                format!("{other:?} is not json or csv"),
            )));
        }
    };
    let table = task_table(&state, open_only).await?;
    Ok(if csv {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            table.to_csv(),
        )
            .into_response()
    } else {
        Json(json!({ "tasks": table.to_json() })).into_response()
    })
}

pub async fn close_task(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    admin(&state, &headers, "closes tasks")?;
    close(&state, id.clone()).await?;
    Ok(Json(json!({"task_id": id, "closed": true})))
}
