//! `GET /api/v1/reports/{name}`: the usage reports as JSON, or CSV with
//! `format=csv`. Admin and viewer keys read every report of every account;
//! an account-admin key reads the usage reports (`tenure_reports::USAGE`
//! and `overview`) of its own account only (the `account` filter is set
//! to it).

use crate::auth::require_report_reader;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tenure_core::report::{ParamError, Period};
use tenure_core::{KeyInfo, Role};
use tenure_reports::Request;
use tenure_store::Scope;

/// The query string, parsed: every parameter is known, a repeatable one
/// may repeat, the others may not.
#[derive(Debug, Default)]
struct Params {
    from: Option<String>,
    to: Option<String>,
    range: Option<String>,
    as_of: Option<String>,
    format: Option<String>,
    month: Option<String>,
    months: Option<String>,
    layout: Option<String>,
    champion_min: Option<String>,
    risk_drop_pct: Option<String>,
    order: Option<String>,
    interval: Option<String>,
    mode: Option<String>,
    by: Option<String>,
    top: Option<String>,
    all_users: bool,
    all: bool,
    scope: Scope,
}

fn bad(param: &str, reason: impl Into<String>) -> ApiError {
    ApiError::BadParam(ParamError::new(param, reason))
}

fn parse_query(query: &str) -> Result<Params, ApiError> {
    let mut p = Params::default();
    for pair in query.split('&').filter(|s| !s.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).ok_or_else(|| bad(key, "bad %-encoding"))?;
        let once = |slot: &mut Option<String>, value: String| {
            if slot.replace(value).is_some() {
                Err(bad(key, "given twice"))
            } else {
                Ok(())
            }
        };
        match key {
            "from" => once(&mut p.from, value)?,
            "to" => once(&mut p.to, value)?,
            "range" => once(&mut p.range, value)?,
            "as_of" => once(&mut p.as_of, value)?,
            "format" => once(&mut p.format, value)?,
            "month" => once(&mut p.month, value)?,
            "months" => once(&mut p.months, value)?,
            "layout" => once(&mut p.layout, value)?,
            "champion_min" => once(&mut p.champion_min, value)?,
            "risk_drop_pct" => once(&mut p.risk_drop_pct, value)?,
            "order" => once(&mut p.order, value)?,
            "interval" => once(&mut p.interval, value)?,
            "mode" => once(&mut p.mode, value)?,
            "by" => once(&mut p.by, value)?,
            "top" => once(&mut p.top, value)?,
            "account" => p.scope.accounts.push(value),
            "group" => p.scope.groups.push(value),
            "user" => p.scope.users.push(value),
            "all_users" => p.all_users = flag(key, &value)?,
            "all" => p.all = flag(key, &value)?,
            other => return Err(bad(other, "is not a report parameter")),
        }
    }
    p.scope.all_users = p.all_users;
    Ok(p)
}

pub(crate) fn flag(key: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad(key, "expected true or false")),
    }
}

/// `%XX` and `+` decoding of one query value.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The request a key may make for report `name` with this query string
/// (the API's parameters), and whether CSV was asked for. An account-admin
/// key is narrowed to its account and its usage reports.
pub(crate) fn request_for(
    state: &AppState,
    info: &KeyInfo,
    name: &str,
    query: &str,
) -> Result<(Request, bool), ApiError> {
    let mut params = parse_query(query)?;
    match (info.role, &info.account_id) {
        (role, _) if role.can_read_all() => {}
        (Role::AccountAdmin, Some(_))
            if name != "overview" && !tenure_reports::USAGE.contains(&name) =>
        {
            return Err(ApiError::Forbidden(format!(
                "an account-admin key reads its account's usage reports only, not {name}"
            )));
        }
        (Role::AccountAdmin, Some(account)) => params.scope.accounts = vec![account.clone()],
        (role, _) => {
            return Err(ApiError::Forbidden(format!(
                "a {} key cannot read reports",
                role.as_str()
            )));
        }
    }
    let today = match &params.as_of {
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| bad("as_of", format!("{text:?} is not a date like 2026-03-31")))?,
        None => state.clock.now().date_naive(),
    };
    let period = Period::resolve(
        params.from.as_deref(),
        params.to.as_deref(),
        params.range.as_deref(),
        today,
    )
    .map_err(ApiError::BadParam)?;
    let csv = match params.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(bad("format", format!("{other:?} is not json or csv"))),
    };
    let number = |param: &str, text: &Option<String>| -> Result<Option<f64>, ApiError> {
        text.as_deref()
            .map(|t| {
                t.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(param, format!("{t:?} is not a number")))
            })
            .transpose()
    };
    let whole = |param: &str, text: &Option<String>| -> Result<Option<u32>, ApiError> {
        text.as_deref()
            .map(|t| {
                t.parse::<u32>()
                    .map_err(|_| bad(param, format!("{t:?} is not a whole number")))
            })
            .transpose()
    };
    let months = whole("months", &params.months)?;
    let top = whole("top", &params.top)?;
    let request = Request {
        period,
        scope: params.scope,
        month: params.month,
        all_accounts: params.all,
        months,
        layout: params.layout,
        champion_min: number("champion_min", &params.champion_min)?,
        risk_drop_pct: number("risk_drop_pct", &params.risk_drop_pct)?,
        order: params.order,
        interval: params.interval,
        mode: params.mode,
        by: params.by,
        top,
        config: state.config.reports.clone(),
    };
    Ok((request, csv))
}

pub async fn report(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let info = require_report_reader(&state, &headers)?;
    let (request, csv) = request_for(&state, &info, &name, query.as_deref().unwrap_or(""))?;
    if name == "overview" {
        if csv {
            return Err(bad("format", "overview is a JSON document"));
        }
        let document = tokio::task::spawn_blocking(move || {
            let reader = state.reader.lock().expect("reader lock");
            tenure_reports::overview(reader.as_ref(), &request)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
        return Ok(axum::Json(document).into_response());
    }
    let table = tokio::task::spawn_blocking(move || {
        let reader = state.reader.lock().expect("reader lock");
        tenure_reports::run(reader.as_ref(), &name, &request)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(if csv {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            table.to_csv(),
        )
            .into_response()
    } else {
        axum::Json(&table).into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded_and_checked() {
        let p = parse_query("from=2026-01-01&group=na%20east&group=b+c&all_users=true").unwrap();
        assert_eq!(p.from.as_deref(), Some("2026-01-01"));
        assert_eq!(p.scope.groups, ["na east", "b c"]);
        assert!(p.scope.all_users);
        let name = |q: &str| match parse_query(q).unwrap_err() {
            ApiError::BadParam(p) => p.param,
            other => panic!("{other:?}"),
        };
        assert_eq!(name("from=a&from=b"), "from");
        assert_eq!(name("colour=red"), "colour");
        assert_eq!(name("user=%zz"), "user");
        assert_eq!(name("all_users=maybe"), "all_users");
    }
}
