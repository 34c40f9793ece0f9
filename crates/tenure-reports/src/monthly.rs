//! `monthly-activity`: per account, portal views, downloads and shares in
//! one calendar month, with the account's state at the month's end.

use crate::{Cell, ReportError, Request, Table, change_pct};
use chrono::{Datelike, Months, NaiveDate};
use std::collections::BTreeMap;
use tenure_core::report::{ParamError, Period};
use tenure_store::Store;

/// The month asked for (`YYYY-MM`), or the one before the period's end.
pub(crate) fn month(request: &Request) -> Result<Period, ReportError> {
    let first = match &request.month {
        Some(text) => {
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| {
                ParamError::new("month", format!("{text:?} is not a month like 2026-03"))
            })?
        }
        None => {
            let to = request.period.to;
            let this = NaiveDate::from_ymd_opt(to.year(), to.month(), 1).unwrap_or(to);
            this.checked_sub_months(Months::new(1)).unwrap_or(this)
        }
    };
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first);
    Ok(Period {
        from: first,
        to: last,
    })
}

pub(crate) fn activity(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let period = month(request)?;
    let name = period.from.format("%Y-%m").to_string();
    let counts: BTreeMap<String, _> = store
        .account_activity(period, &request.scope)?
        .into_iter()
        .map(|a| (a.account_id.clone(), a))
        .collect();
    let mut table = Table::new(&[
        "account_id",
        "name",
        "archived",
        "has_portal_access",
        "portal_views",
        "downloads",
        "shares",
        "active",
        "month",
    ]);
    for account in store.accounts_at(period.to, &request.scope)? {
        if !request.all_accounts && (account.archived || !account.has_portal_access) {
            continue;
        }
        let c = counts.get(&account.account_id).cloned().unwrap_or_default();
        table.push(vec![
            account.account_id.into(),
            account.name.into(),
            account.archived.to_string().into(),
            account.has_portal_access.to_string().into(),
            c.portal_views.into(),
            c.downloads.into(),
            c.shares.into(),
            (c.portal_views + c.downloads + c.shares).into(),
            name.clone().into(),
        ]);
    }
    Ok(table)
}

/// Each account's `active` in month `period` (portal views + downloads +
/// shares), for the accounts that pass the monthly filter at its end.
fn month_active(
    store: &dyn Store,
    request: &Request,
    period: Period,
) -> Result<BTreeMap<String, u64>, ReportError> {
    let counts: BTreeMap<String, u64> = store
        .account_activity(period, &request.scope)?
        .into_iter()
        .map(|a| (a.account_id, a.portal_views + a.downloads + a.shares))
        .collect();
    Ok(store
        .accounts_at(period.to, &request.scope)?
        .into_iter()
        .filter(|a| request.all_accounts || (!a.archived && a.has_portal_access))
        .map(|a| {
            let active = counts.get(&a.account_id).copied().unwrap_or(0);
            (a.account_id, active)
        })
        .collect())
}

/// The calendar month `n` months before `period`'s.
fn back(period: Period, n: u32) -> Period {
    let from = period
        .from
        .checked_sub_months(Months::new(n))
        .unwrap_or(period.from);
    let to = from
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(from);
    Period { from, to }
}

pub(crate) fn pct_cell(pct: Option<f64>) -> Cell {
    pct.map_or(Cell::Empty, Cell::Float)
}

/// Months of `activity-pivot` (default 6).
fn months(request: &Request) -> Result<u32, ReportError> {
    match request.months {
        None => Ok(6),
        Some(n) if (1..=36).contains(&n) => Ok(n),
        Some(n) => Err(ParamError::new("months", format!("{n} is outside 1 to 36")).into()),
    }
}

/// An account's `active` in a month and its change from the month before.
type MonthCell = (u64, Option<f64>);

pub(crate) fn pivot(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let last = month(request)?;
    let n = months(request)?;
    // Oldest first, with the month before the first for its change.
    let periods: Vec<Period> = (0..=n).rev().map(|i| back(last, i)).collect();
    let mut actives = Vec::with_capacity(periods.len());
    for p in &periods {
        actives.push(month_active(store, request, *p)?);
    }
    let names: Vec<String> = periods[1..]
        .iter()
        .map(|p| p.from.format("%Y-%m").to_string())
        .collect();
    let wide = match request.layout.as_deref() {
        None | Some("long") => false,
        Some("wide") => true,
        Some(other) => {
            return Err(ParamError::new("layout", format!("{other:?} is not long or wide")).into());
        }
    };
    // account -> per month (active, change) when the account is in that month.
    let mut per: BTreeMap<&str, Vec<Option<MonthCell>>> = BTreeMap::new();
    for (i, month) in actives[1..].iter().enumerate() {
        for (account, &active) in month {
            let before = actives[i].get(account).copied();
            per.entry(account.as_str())
                .or_insert_with(|| vec![None; names.len()])[i] =
                Some((active, change_pct(active, before)));
        }
    }
    if wide {
        let mut columns = vec!["account_id".to_string()];
        for name in &names {
            columns.push(name.clone());
            columns.push(format!("{name}_change_pct"));
        }
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut table = Table::new(&columns);
        for (account, cells) in per {
            let mut row = vec![Cell::from(account)];
            for cell in cells {
                match cell {
                    Some((active, pct)) => row.extend([active.into(), pct_cell(pct)]),
                    None => row.extend([Cell::Empty, Cell::Empty]),
                }
            }
            table.push(row);
        }
        Ok(table)
    } else {
        let mut table = Table::new(&["account_id", "month", "active", "change_pct"]);
        for (account, cells) in per {
            for (name, cell) in names.iter().zip(cells) {
                if let Some((active, pct)) = cell {
                    table.push(vec![
                        account.into(),
                        name.clone().into(),
                        active.into(),
                        pct_cell(pct),
                    ]);
                }
            }
        }
        Ok(table)
    }
}

/// The `pct`th percentile (nearest rank) of the positive values.
fn percentile(values: impl Iterator<Item = u64>, pct: f64) -> Option<f64> {
    let mut positive: Vec<u64> = values.filter(|&v| v > 0).collect();
    if positive.is_empty() {
        return None;
    }
    positive.sort_unstable();
    let rank = (pct / 100.0 * positive.len() as f64).ceil() as usize;
    Some(positive[rank.max(1) - 1] as f64)
}

pub(crate) fn flags(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let now = month(request)?;
    let before = month_active(store, request, back(now, 1))?;
    let current = month_active(store, request, now)?;
    let champion_min = match request.champion_min {
        Some(v) => Some(v),
        None => percentile(
            current.values().copied(),
            request.config.champion_percentile,
        ),
    };
    let risk = request
        .risk_drop_pct
        .unwrap_or(request.config.risk_drop_pct);
    if !(0.0..=100.0).contains(&risk) {
        return Err(ParamError::new("risk_drop_pct", format!("{risk} is outside 0 to 100")).into());
    }
    let name = now.from.format("%Y-%m").to_string();
    let mut table = Table::new(&["account_id", "month", "active", "change_pct", "flag"]);
    for (account, &active) in &current {
        let previous = before.get(account).copied();
        let pct = change_pct(active, previous);
        let flag = if champion_min.is_some_and(|min| active as f64 >= min) {
            "champion"
        } else if pct.is_some_and(|p| p <= -risk) || (previous.unwrap_or(0) > 0 && active == 0) {
            "churn_risk"
        } else {
            ""
        };
        table.push(vec![
            account.as_str().into(),
            name.clone().into(),
            active.into(),
            pct_cell(pct),
            if flag.is_empty() {
                Cell::Empty
            } else {
                flag.into()
            },
        ]);
    }
    Ok(table)
}
