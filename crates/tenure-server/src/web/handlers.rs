//! The page handlers: each checks who is signed in, builds its report
//! requests with the API's own parser (so the roles and the account-admin
//! narrowing are the API's), runs them on the reader and renders.

use super::cache::{Cache, Cached};
use super::query::PageQuery;
use super::{SignedIn, WebError, changed_by, html, signed_in};
use crate::reports::request_for;
use crate::{ApiError, AppState};
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;
use tenure_core::alerts::AlertStatus;
use tenure_core::report::Period;
use tenure_reports::{ReportError, Request, Table};
use tenure_store::Store;
use tenure_web::filters::{Choice, Filters};
use tenure_web::pages;

/// The reports a page needs: each from the cache, or computed on the
/// reader (locked at the first miss, held to the end of the page's work).
struct Reports<'a> {
    state: &'a Arc<AppState>,
    reader: Option<std::sync::MutexGuard<'a, Box<dyn Store>>>,
}

/// Report `name` (or the `overview` document) computed on `store`.
fn compute(store: &dyn Store, name: &str, request: &Request) -> Result<Cached, ReportError> {
    Ok(if name == "overview" {
        Cached::Document(Arc::new(tenure_reports::overview(store, request)?))
    } else {
        Cached::Table(Arc::new(tenure_reports::run(store, name, request)?))
    })
}

/// Recomputes an old cache entry on a thread of its own while the old one
/// is served.
fn refresh_later(state: Arc<AppState>, key: String, name: String, request: Request) {
    let spawned = std::thread::Builder::new()
        .name("cache-refresh".into())
        .spawn(move || {
            let generation = state.cache.generation();
            let result = {
                let reader = state.reader.lock().expect("reader lock");
                compute(reader.as_ref(), &name, &request)
            };
            match result {
                Ok(value) => state.cache.put(key.clone(), generation, value),
                Err(error) => tracing::warn!(message = "A cached report could not be recomputed.", report = %name, %error),
            }
            state.cache.release(&key);
        });
    if let Err(error) = spawned {
        tracing::warn!(message = "No thread to recompute a cached report.", %error);
    }
}

impl Reports<'_> {
    fn store(&mut self) -> &dyn Store {
        self.reader
            .get_or_insert_with(|| self.state.reader.lock().expect("reader lock"))
            .as_ref()
    }

    /// Report `name` for `request`: the cached one (recomputed in the
    /// background when old), or computed now.
    fn cached(&mut self, name: &str, request: &Request) -> Result<Cached, ReportError> {
        let cache = &self.state.cache;
        let key = Cache::key(name, request);
        match cache.get(&key) {
            Some((value, true)) => return Ok(value),
            Some((value, false)) => {
                if cache.claim(&key) {
                    refresh_later(self.state.clone(), key, name.into(), request.clone());
                }
                return Ok(value);
            }
            None => {}
        }
        let generation = cache.generation();
        let value = compute(self.store(), name, request)?;
        self.state.cache.put(key, generation, value.clone());
        Ok(value)
    }

    /// Report `name` for `request`.
    fn run(&mut self, name: &str, request: &Request) -> Result<Table, ReportError> {
        match self.cached(name, request)? {
            Cached::Table(t) => Ok((*t).clone()),
            Cached::Document(_) => Ok(Table::new(&[])),
        }
    }

    /// Report `name`, or an empty table when its model cannot be fitted to
    /// the data there is (a section of a page is missing then, not the page).
    fn run_or_empty(&mut self, name: &str, request: &Request) -> Result<Table, ReportError> {
        match self.run(name, request) {
            Err(ReportError::Model(_)) => Ok(Table::new(&[])),
            other => other,
        }
    }

    /// The `overview` document.
    fn overview(&mut self, request: &Request) -> Result<serde_json::Value, ReportError> {
        match self.cached("overview", request)? {
            Cached::Document(d) => Ok((*d).clone()),
            Cached::Table(_) => Ok(serde_json::Value::Null),
        }
    }
}

/// Runs `f` with the page's reports, off the async threads.
async fn on_store<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&mut Reports) -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut reports = Reports {
            state: &state,
            reader: None,
        };
        f(&mut reports).map_err(ApiError::from)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The page's signed-in viewer and parsed query, or the answer to give.
pub(super) fn begin(
    state: &AppState,
    headers: &HeaderMap,
    raw: Option<String>,
) -> Result<(SignedIn, PageQuery), WebError> {
    let who = signed_in(state, headers)?;
    let mut q = PageQuery::parse(raw.as_deref()).map_err(|e| {
        WebError::for_viewer(
            ApiError::BadParam(tenure_core::report::ParamError::new("query", e)),
            &who.viewer,
        )
    })?;
    if !who.viewer.sees_all() {
        // An account admin's reports are its account's whatever the query
        // names (the API narrows them too); its links do not echo another.
        q.remove("account");
    }
    Ok((who, q))
}

/// The request for report `name` under the viewer's role.
fn request(
    state: &AppState,
    who: &SignedIn,
    name: &str,
    q: &PageQuery,
) -> Result<(Request, bool), WebError> {
    request_for(state, &who.key, name, &q.api_string())
        .map_err(|e| WebError::for_viewer(e, &who.viewer))
}

pub(super) fn vendor_only(who: &SignedIn) -> Result<(), WebError> {
    if who.viewer.sees_all() {
        Ok(())
    } else {
        Err(WebError::for_viewer(
            ApiError::Forbidden(
                "this page is for the vendor's own people, not account admins".into(),
            ),
            &who.viewer,
        ))
    }
}

fn filters(q: &PageQuery, who: &SignedIn, action: &str, csv: Option<String>) -> Filters {
    Filters {
        action: action.into(),
        range: q.get("range").map(String::from),
        from: q.get("from").map(String::from),
        to: q.get("to").map(String::from),
        as_of: q.get("as_of").map(String::from),
        account: q.get("account").map(String::from),
        show_account: who.viewer.sees_all(),
        groups: q.all("group"),
        group_options: Vec::new(),
        users: q.all("user"),
        options: Vec::new(),
        csv,
    }
}

fn choice(q: &PageQuery, param: &str, choices: &[&str]) -> Choice {
    Choice {
        param: param.into(),
        value: q.get(param).map(String::from),
        choices: choices.iter().map(|c| c.to_string()).collect(),
    }
}

/// The CSV of a table, as a download named after the report.
pub(super) fn csv_download(name: &str, table: &Table) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        table.to_csv(),
    )
        .into_response()
}

/// `path` with the page's query (without `page`) and `format=csv`.
fn csv_link(path: &str, q: &PageQuery) -> String {
    let mut q = q.clone();
    q.set("format", "csv");
    format!("{path}?{}", q.without_page())
}

pub async fn overview(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, q) = begin(&state, &headers, raw)?;
    let (summary_request, _) = request(&state, &who, "overview", &q)?;
    let mut rate_q = q.clone();
    if rate_q.get("months").is_none() {
        rate_q.set("months", "6");
    }
    let (rate_request, _) = request(&state, &who, "active-rate", &rate_q)?;
    let vendor = who.viewer.sees_all();
    let today = summary_request.period.to;
    let (summary, active_rate, accounts) = on_store(&state, move |r| {
        let summary = r.overview(&summary_request)?;
        let rate = r.run("active-rate", &rate_request)?;
        let accounts = if vendor {
            Some(r.run("accounts", &summary_request)?)
        } else {
            None
        };
        Ok((summary, rate, accounts))
    })
    .await
    .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    let mut f = filters(&q, &who, "/overview", None);
    f.options = vec![
        choice(&q, "months", &["6", "12"]),
        choice(&q, "mode", &["rate", "absolute"]),
    ];
    let data = pages::overview::Overview {
        filters: f,
        summary,
        active_rate,
        absolute: q.get("mode") == Some("absolute"),
        accounts,
        today,
    };
    Ok(html(pages::overview::page(&who.viewer, &data)))
}

fn account_filter(q: &PageQuery) -> pages::accounts::AccountFilter {
    let get = |k: &str| q.page_param(k).map(String::from);
    pages::accounts::AccountFilter {
        q: get("q"),
        band: get("band"),
        mix: get("mix"),
        plan: get("plan"),
        owner: get("owner"),
        sort: get("sort"),
        desc: q.page_param("dir") == Some("desc"),
    }
}

pub async fn accounts(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, q) = begin(&state, &headers, raw)?;
    vendor_only(&who)?;
    let (req, csv) = request(&state, &who, "accounts", &q)?;
    let all = on_store(&state, move |r| r.run("accounts", &req))
        .await
        .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    let filter = account_filter(&q);
    if csv {
        return Ok(csv_download(
            "accounts",
            &pages::accounts::filter(&all, &filter),
        ));
    }
    let data = pages::accounts::Accounts {
        filters: filters(&q, &who, "/accounts", Some(csv_link("/accounts", &q))),
        filter,
        all,
        page: q.page_number(),
        query: q.without_page(),
    };
    Ok(html(pages::accounts::page(&who.viewer, &data)))
}

pub async fn account(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, mut q) = begin(&state, &headers, raw)?;
    let not_found =
        || WebError::for_viewer(ApiError::NotFound(format!("account {id:?}")), &who.viewer);
    if !who.viewer.sees_all() && who.viewer.account.as_deref() != Some(id.as_str()) {
        return Err(not_found());
    }
    q.remove("account");
    q.set("account", &id);
    let (req, _) = request(&state, &who, "engagement", &q)?;
    let mut pivot_q = q.clone();
    if pivot_q.get("months").is_none() {
        pivot_q.set("months", "6");
    }
    let (pivot_req, _) = request(&state, &who, "activity-pivot", &pivot_q)?;
    let vendor = who.viewer.sees_all();
    let category = q.page_param("category").map(String::from);
    let data = on_store(&state, move |r| {
        let vendor_view = if vendor {
            let mut all = req.clone();
            all.all_accounts = true;
            let info = r.run("accounts", &all)?;
            if info.rows.is_empty() {
                return Ok(None);
            }
            let mut history = req.clone();
            history.period = Period::ending(req.period.to, 90);
            Some(pages::account::Vendor {
                info,
                health: r.run("health", &req)?,
                history: r.run("health-history", &history)?,
                flags: r.run("account-flags", &req)?,
                alerts: r.run("alerts", &req)?,
                scores: r.run_or_empty("scores", &req)?,
                sentiment: r.run("sentiment", &req)?,
            })
        } else {
            None
        };
        // The account's own name: every viewer of the page may know it (an
        // account admin sees nothing else of the `accounts` row).
        let name = match &vendor_view {
            Some(v) => v
                .info
                .rows
                .first()
                .and_then(|row| pages::text(&v.info, row, "name")),
            None => {
                let own = r.run("accounts", &req)?;
                own.rows
                    .first()
                    .and_then(|row| pages::text(&own, row, "name"))
            }
        };
        Ok(Some(pages::account::Account {
            id: String::new(),
            name,
            filters: Filters::default(),
            vendor: vendor_view,
            seats: r.run("seats", &req)?,
            pending: r.run("seats-pending", &req)?,
            levels: r.run("levels", &req)?,
            engagement: r.run("engagement", &req)?,
            category,
            page: 1,
            query: String::new(),
            productivity: r.run("productivity", &req)?,
            pivot: r.run("activity-pivot", &pivot_req)?,
            influence: r.run("influence", &req)?,
        }))
    })
    .await
    .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    let Some(mut data) = data else {
        return Err(not_found());
    };
    let path = format!("/accounts/{}", tenure_web::table::encode(&id));
    let mut shown = q.clone();
    shown.remove("account");
    let mut f = filters(
        &shown,
        &who,
        &path,
        Some(csv_link("/reports/engagement", &q)),
    );
    f.show_account = false;
    data.id = id;
    data.filters = f;
    data.page = q.page_number();
    data.query = shown.without_page();
    Ok(html(pages::account::page(&who.viewer, &data)))
}

pub async fn user(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, mut q) = begin(&state, &headers, raw)?;
    q.remove("user");
    q.set("user", &id);
    q.set("all_users", "true");
    let (req, _) = request(&state, &who, "engagement", &q)?;
    let found = on_store(&state, move |r| {
        let now = r.run("engagement", &req)?;
        let Some(row) = now.rows.first() else {
            return Ok(None);
        };
        let account = pages::text(&now, row, "account_id");
        let mut months = Vec::new();
        for back in (0..6).rev() {
            let period = month_back(req.period.to, back);
            let mut month = req.clone();
            month.period = period;
            months.push((
                period.from.format("%Y-%m").to_string(),
                r.run("engagement", &month)?,
            ));
        }
        Ok(Some(pages::user::User {
            id: String::new(),
            account,
            months,
            level: r.run("user-levels", &req)?,
            productivity: r.run("productivity", &req)?,
        }))
    })
    .await
    .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    let Some(mut data) = found else {
        return Err(WebError::for_viewer(
            ApiError::NotFound(format!("user {id:?}")),
            &who.viewer,
        ));
    };
    data.id = id;
    Ok(html(pages::user::page(&who.viewer, &data)))
}

/// The calendar month `back` months before the one holding `to`, up to
/// `to` for the month holding it.
fn month_back(to: chrono::NaiveDate, back: u32) -> Period {
    use chrono::{Datelike, Months, NaiveDate};
    let first = NaiveDate::from_ymd_opt(to.year(), to.month(), 1).expect("a month's first day");
    let from = first - Months::new(back);
    let end = (from + Months::new(1)).pred_opt().expect("a day before");
    Period {
        from,
        to: end.min(to),
    }
}

pub async fn report_index(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let who = signed_in(&state, &headers)?;
    let names: &[&str] = if who.viewer.sees_all() {
        tenure_reports::NAMES
    } else {
        tenure_reports::USAGE
    };
    Ok(html(pages::reports::index(&who.viewer, names)))
}

/// The options each report takes beside the period and the filters.
fn options(name: &str, q: &PageQuery) -> Vec<Choice> {
    let text = |p: &str| choice(q, p, &[]);
    match name {
        "active-rate" => vec![
            text("months"),
            choice(q, "interval", &["month", "week", "day", "all"]),
            choice(q, "mode", &["rate", "absolute"]),
        ],
        "activity-pivot" => vec![
            text("month"),
            text("months"),
            choice(q, "layout", &["long", "wide"]),
        ],
        "monthly-activity" | "account-flags" => vec![text("month")],
        "productivity" => vec![choice(q, "by", &["user", "group", "account"])],
        "features" | "errors" => vec![choice(q, "order", &["desc", "asc"])],
        "influence" => vec![text("top")],
        "engagement" | "engagement-summary" | "seats-pending" | "user-levels" => {
            vec![choice(q, "all_users", &["true", "false"])]
        }
        _ => Vec::new(),
    }
}

pub async fn report(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, q) = begin(&state, &headers, raw)?;
    if name == "overview" {
        return Ok(Redirect::to("/overview").into_response());
    }
    if !tenure_reports::NAMES.contains(&name.as_str()) {
        return Err(WebError::for_viewer(
            ApiError::NotFound(format!("report {name:?}")),
            &who.viewer,
        ));
    }
    let (req, csv) = request(&state, &who, &name, &q)?;
    let report = name.clone();
    let table = on_store(&state, move |r| r.run(&report, &req))
        .await
        .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    if csv {
        return Ok(csv_download(&name, &table));
    }
    let path = format!("/reports/{name}");
    let mut f = filters(&q, &who, &path, Some(csv_link(&path, &q)));
    f.options = options(&name, &q);
    let data = pages::reports::Report {
        name,
        filters: f,
        table,
        page: q.page_number(),
        query: q.without_page(),
    };
    Ok(html(pages::reports::page(&who.viewer, &data)))
}

pub async fn insights(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, mut q) = begin(&state, &headers, raw)?;
    q.remove("order");
    let (features_req, _) = request(&state, &who, "features", &q)?;
    let (errors_req, _) = request(&state, &who, "errors", &q)?;
    let (features, errors) = on_store(&state, move |r| {
        Ok((
            r.run("features", &features_req)?,
            r.run("errors", &errors_req)?,
        ))
    })
    .await
    .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    let data = pages::insights::Insights {
        filters: filters(
            &q,
            &who,
            "/insights",
            Some(csv_link("/reports/features", &q)),
        ),
        features,
        errors,
    };
    Ok(html(pages::insights::page(&who.viewer, &data)))
}

pub async fn alerts(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (who, q) = begin(&state, &headers, raw)?;
    vendor_only(&who)?;
    let (req, csv) = request(&state, &who, "alerts", &q)?;
    let snooze_until = req.period.to + chrono::Duration::days(7);
    let table = on_store(&state, move |r| r.run("alerts", &req))
        .await
        .map_err(|e| WebError::for_viewer(e, &who.viewer))?;
    if csv {
        return Ok(csv_download("alerts", &table));
    }
    let status = q
        .page_param("status")
        .filter(|s| pages::alerts::STATUSES.contains(s))
        .unwrap_or("open")
        .to_string();
    let notice = match (q.page_param("done"), q.page_param("alert")) {
        (Some(done @ ("closed" | "snoozed")), Some(alert)) => {
            Some(format!("Alert {alert} {done}."))
        }
        _ => None,
    };
    let data = pages::alerts::Alerts {
        filters: filters(&q, &who, "/alerts", Some(csv_link("/alerts", &q))),
        alerts: table,
        status,
        snooze_until,
        notice,
        query: {
            let mut base = q.clone();
            base.page
                .retain(|(k, _)| !matches!(k.as_str(), "status" | "done" | "alert"));
            base.without_page()
        },
    };
    Ok(html(pages::alerts::page(&who.viewer, &data)))
}

#[derive(Deserialize)]
pub struct AlertForm {
    #[serde(default)]
    csrf: String,
    until: Option<String>,
}

pub async fn change_alert(
    State(state): State<Arc<AppState>>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<AlertForm>,
) -> Result<Response, WebError> {
    let who = changed_by(&state, &headers, &form.csrf, "change alerts")?;
    let fail = |e: ApiError| WebError::for_viewer(e, &who.viewer);
    let bad = |reason: &str| {
        fail(ApiError::BadParam(tenure_core::report::ParamError::new(
            "until", reason,
        )))
    };
    let (status, until) = match (
        action.as_str(),
        form.until.as_deref().filter(|u| !u.is_empty()),
    ) {
        ("close", _) => (AlertStatus::Closed, None),
        ("snooze", Some(day)) => (
            AlertStatus::Snoozed,
            Some(
                day.parse::<chrono::NaiveDate>()
                    .map_err(|_| bad("not a date like 2026-03-31"))?,
            ),
        ),
        ("snooze", None) => return Err(bad("snooze needs a day")),
        (other, _) => return Err(fail(ApiError::NotFound(format!("alert action {other:?}")))),
    };
    let alert = crate::alerts_api::change(&state, id, status, until)
        .await
        .map_err(fail)?;
    tracing::info!(message = "Alert changed from the dashboard.", alert_id = %alert.alert_id, status = alert.status.as_str(), key_id = %who.key.id);
    Ok(Redirect::to(&format!(
        "/alerts?status={}&done={}&alert={}",
        if status == AlertStatus::Snoozed {
            "snoozed"
        } else {
            "closed"
        },
        alert.status.as_str(),
        tenure_web::table::encode(&alert.alert_id)
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_back_end_at_the_day_asked() {
        let to = chrono::NaiveDate::from_ymd_opt(2026, 10, 15).unwrap();
        let p = month_back(to, 0);
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2026-10-01".into(), "2026-10-15".into())
        );
        let p = month_back(to, 8);
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2026-02-01".into(), "2026-02-28".into())
        );
    }
}
