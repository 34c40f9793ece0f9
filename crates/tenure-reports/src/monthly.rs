//! `monthly-activity`: per account, portal views, downloads and shares in
//! one calendar month, with the account's state at the month's end.

use crate::{ReportError, Request, Table};
use chrono::{Datelike, Months, NaiveDate};
use std::collections::BTreeMap;
use tenure_core::report::{ParamError, Period};
use tenure_store::Store;

/// The month asked for (`YYYY-MM`), or the one before the period's end.
pub(crate) fn month(request: &Request) -> Result<Period, ReportError> {
    let first = match &request.month {
        Some(text) => {
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| {
                ParamError {
                    param: "month".into(),
                    reason: format!("{text:?} is not a month like 2026-03"),
                }
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
