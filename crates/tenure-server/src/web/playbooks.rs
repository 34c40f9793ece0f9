//! The playbooks page (`/playbooks`, admin and viewer): the declared
//! playbooks with their outbox counts, the CSMs' tasks (`?status=all`
//! for closed ones too; `?format=csv` downloads them as the API does) and
//! the dead letters. An admin closes a task and requeues dead letters
//! with the page's forms, through the same functions as the API.

use super::handlers::{begin, csv_download, vendor_only};
use super::signin::Csrf;
use super::{WebError, changed_by, html};
use crate::playbooks_api::{close, dead_letters, playbook_rows, requeue, task_table};
use crate::{ApiError, AppState};
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use tenure_core::report::ParamError;
use tenure_web::pages;

pub async fn page(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, q) = begin(&state, &headers, raw)?;
    vendor_only(&who)?;
    let fail = |e: ApiError| WebError::for_viewer(e, &who.viewer);
    let all_tasks = match q.page_param("status") {
        None | Some("open") => false,
        Some("all") => true,
        Some(other) => {
            return Err(fail(ApiError::BadParam(ParamError::new(
                "status",
                format!("{other:?} is not open or all"),
            ))));
        }
    };
    let tasks = task_table(&state, !all_tasks).await.map_err(fail)?;
    match q.get("format") {
        None => {}
        Some("csv") => return Ok(csv_download("tasks", &tasks)),
        Some(other) => {
            return Err(fail(ApiError::BadParam(ParamError::new(
                "format",
                format!("{other:?} is not csv"),
            ))));
        }
    }
    let notice = match (q.page_param("done"), q.page_param("task")) {
        (Some("closed"), Some(task)) => Some(format!("Task {task} closed.")),
        (Some(n), None) if n.parse::<u64>().is_ok() => Some(match n {
            "1" => "1 dead letter is back in the queue.".to_string(),
            _ => format!("{n} dead letters are back in the queue."),
        }),
        _ => None,
    };
    let data = pages::playbooks::Playbooks {
        playbooks: playbook_rows(&state).await.map_err(fail)?,
        tasks,
        all_tasks,
        dead: dead_letters(&state).await.map_err(fail)?,
        notice,
    };
    Ok(html(pages::playbooks::page(&who.viewer, &data)))
}

/// What the forms here change, for the refusal.
const WHAT: &str = "change tasks or the outbox";

pub async fn close_task(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Csrf>,
) -> Result<Response, WebError> {
    let who = changed_by(&state, &headers, &form.csrf, WHAT)?;
    close(&state, id.clone())
        .await
        .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    tracing::info!(message = "Task closed from the dashboard.", task_id = %id, key_id = %who.key.id);
    Ok(Redirect::to(&format!(
        "/playbooks?done=closed&task={}",
        tenure_web::table::encode(&id)
    ))
    .into_response())
}

async fn requeued(
    state: Arc<AppState>,
    headers: HeaderMap,
    form: Csrf,
    id: Option<String>,
) -> Result<Response, WebError> {
    let who = changed_by(&state, &headers, &form.csrf, WHAT)?;
    let n = requeue(&state, id.clone())
        .await
        .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    tracing::info!(message = "Dead letters requeued from the dashboard.", requeued = n, id = id.as_deref().unwrap_or("all"), key_id = %who.key.id);
    Ok(Redirect::to(&format!("/playbooks?done={n}#dead")).into_response())
}

pub async fn retry_one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Csrf>,
) -> Result<Response, WebError> {
    requeued(state, headers, form, Some(id)).await
}

pub async fn retry_all(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Csrf>,
) -> Result<Response, WebError> {
    requeued(state, headers, form, None).await
}
